"""Django settings for Fuwu.

Configuration comes from the environment so that one build runs on a laptop (SQLite) and at
scale (PostgreSQL, several app processes and workers) with no change but these variables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from fuwu.core.secret import signing_key

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("FUWU_VAR_DIR", BASE_DIR.parent / "var"))


def _env_flag(name: str, default: bool) -> bool:
    """A yes/no variable: 1, true, yes or on (any case) is yes; unset or empty is `default`."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


SECRET_KEY = signing_key(os.environ, VAR_DIR)  # fuwu.core.secret: never a published key
DEBUG = _env_flag("DEBUG", False)
ALLOWED_HOSTS = [
    h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "fuwu.core.tasks_app.TasksConfig",  # django_tasks_db, named in Chinese
    "ninja",  # serves the API docs (Swagger UI) from local static files, never a CDN
    "fuwu.core",
    "fuwu.customers",
    "fuwu.procedures",
    "fuwu.cases",
    "fuwu.sla",
    "fuwu.notifications",
    "fuwu.campaigns",
    "fuwu.registers",
    "fuwu.scheduling",
    "fuwu.search",
    "fuwu.reports",
    "fuwu.surveys",
    "fuwu.documents",
    "fuwu.sheets",
    "fuwu.channels",
    "fuwu.demo",
    "django_htmx",
    "fuwu.web",
    "fuwu.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A NUL in the path, query, headers or a form is a 400 (PostgreSQL cannot store one).
    "fuwu.core.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fuwu.web.middleware.UserLanguageMiddleware",
    # After the language is known; its check runs before any view (or CSRF's process_view) reads a body.
    "fuwu.web.uploads.UploadLimitMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fuwu.urls"
WSGI_APPLICATION = "fuwu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "fuwu.web.context.navigation",
            ]
        },
    }
]


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if url:
        db = dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))
        if db["ENGINE"].endswith("sqlite3"):
            db["ENGINE"] = SQLITE_ENGINE
            db["OPTIONS"] = _SQLITE_OPTIONS
            db["TEST"] = _SQLITE_TEST
        elif db["ENGINE"].endswith("postgresql"):
            # No JIT compilation: it paid off for no query of ours and cost a report page
            # about 80 ms of compiling at a million cases (PostgreSQL's default jit_above_cost
            # is reached by any plan over a large table). FUWU_PG_OPTIONS replaces this.
            db.setdefault("OPTIONS", {})["options"] = os.environ.get(
                "FUWU_PG_OPTIONS", "-c jit=off"
            )
            _postgres_pool(db)
        return dict(db)
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": SQLITE_ENGINE,
        "NAME": VAR_DIR / "fuwu.sqlite3",
        "OPTIONS": _SQLITE_OPTIONS,
        # Reusing connections saves the PRAGMAs of init_command on every request.
        "CONN_MAX_AGE": int(os.environ.get("CONN_MAX_AGE", "60")),
        "CONN_HEALTH_CHECKS": True,
        "TEST": _SQLITE_TEST,
    }


# The web server and the worker write at once. WAL lets readers proceed during a write, and
# IMMEDIATE transactions take the write lock at BEGIN, so two writers queue instead of failing
# halfway with "database is locked" when a read lock is upgraded. They queue in the kernel
# (fuwu.core.sqlite: a file lock handed over at commit), not on SQLite's sleeping busy handler.
SQLITE_ENGINE = "fuwu.core.sqlite"
# Tests run on an in-memory database unless told otherwise, named so outright: pytest-django
# gives each xdist worker its own name only for Django's own engine name, and a name of its
# making ("test_<path>_gw0") would be a file that cannot be opened.
_SQLITE_TEST = {"NAME": os.environ.get("FUWU_SQLITE_TEST_NAME") or ":memory:"}
_SQLITE_OPTIONS: dict[str, Any] = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        " PRAGMA cache_size=-32000; PRAGMA temp_store=MEMORY;"
    ),
}


def _postgres_pool(db: Any) -> None:
    """PostgreSQL: each process borrows connections from its own pool (psycopg_pool), one per
    request or task for as long as it runs, instead of one kept open per thread.

    A process holds at most FUWU_DB_POOL_MAX connections (default 4: `fuwu serve` runs 4 threads
    per gunicorn worker, `fuwu worker` 2 loops), keeps FUWU_DB_POOL_MIN of them open when idle
    (default 1) and lets a request wait FUWU_DB_POOL_TIMEOUT seconds for a free one (default 10,
    well inside gunicorn's 30 s timeout) before it fails. So the connections a deployment opens
    are bounded by processes × FUWU_DB_POOL_MAX, which can be sized against the server's
    `max_connections` (README, "Several machines"), and a connection the server dropped is
    replaced when it is next borrowed. FUWU_DB_POOL_MAX=0 turns the pool off: each thread then
    keeps its own connection for CONN_MAX_AGE seconds (e.g. behind PgBouncer). A pool and
    persistent connections exclude each other, so CONN_MAX_AGE is 0 with a pool.
    """
    size = int(os.environ.get("FUWU_DB_POOL_MAX", "4"))
    if size <= 0:
        return
    db["CONN_MAX_AGE"] = 0
    db["CONN_HEALTH_CHECKS"] = True  # the pool checks a connection before lending it
    db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(size, int(os.environ.get("FUWU_DB_POOL_MIN", "1"))),
        "max_size": size,
        "timeout": float(os.environ.get("FUWU_DB_POOL_TIMEOUT", "10")),
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (`Index(include=…)`, the reports' facts) are PostgreSQL's; SQLite makes the
# same index without the extra columns, which is what we want there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

TASKS = {
    "default": {
        "BACKEND": "fuwu.core.tasks_backend.DatabaseBackend",
        "QUEUES": ["default", "notifications", "clocks"],
    }
}


def _cache() -> dict[str, object]:
    """Django's cache holds the actors, site organisations and calendars, invalidated on save.

    Local memory by default (one copy per process: another process sees an admin's change
    within fuwu.core.actors.ORG_SECONDS). FUWU_CACHE_DIR shares one file cache between the web
    and worker processes of a host, so a change is seen at once everywhere. Across several
    machines a file cache is not shared: FUWU_CACHE_URL (redis://, rediss:// or unix://, needs
    the `redis` extra; a database number in the URL keeps two sites apart on one server)
    gives them one Redis cache, and wins over FUWU_CACHE_DIR.
    """
    url = os.environ.get("FUWU_CACHE_URL", "").strip()
    if url:
        if url.split("://", 1)[0] not in {"redis", "rediss", "unix"}:
            raise ImproperlyConfigured(
                f"FUWU_CACHE_URL must be a redis://, rediss:// or unix:// URL, not {url!r}"
            )
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        }
    shared = os.environ.get("FUWU_CACHE_DIR")
    if shared:
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": shared,
        }
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fuwu"}


CACHES = {"default": _cache()}

# Every password a person sets (staff password page, portal sign-up, admin) passes these;
# "12345678" is refused (numeric, common). Demo and test passwords are set programmatically.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

# Development default: each e-mail is written as a file under var/mail/ (nothing is sent).
# Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST etc. to send.
_EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")


def _mail_options() -> dict[str, Any]:
    if _EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        return {"file_path": str(VAR_DIR / "mail")}
    if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
        return {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("EMAIL_PORT", "25")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": _env_flag("EMAIL_USE_TLS", False),
            "use_ssl": _env_flag("EMAIL_USE_SSL", False),
            "timeout": int(os.environ.get("EMAIL_TIMEOUT", "10")),
        }
    return {}


MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": _mail_options()}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "fuwu@localhost")

# Channels (fuwu.channels). Customer notices wait out the quiet hours (site time; "" = none)
# unless urgent, and are tried FUWU_DELIVERY_ATTEMPTS times with a backoff doubling from
# FUWU_DELIVERY_BACKOFF seconds. E-mail: notices come from FUWU_MAIL_FROM (else
# DEFAULT_FROM_EMAIL), replies go to FUWU_MAIL_REPLY_TO; an MTA posts raw mail to
# /channels/email/inbound with the header X-Fuwu-Secret: FUWU_MAIL_INBOUND_SECRET (unset: the
# endpoint is off); the worker reads the IMAP mailbox FUWU_IMAP_HOST (with FUWU_IMAP_USER,
# FUWU_IMAP_PASSWORD …). Mail larger than FUWU_MAIL_MAX_BYTES is refused.
FUWU_QUIET_HOURS = os.environ.get("FUWU_QUIET_HOURS", "21:00-08:00")
FUWU_DELIVERY_ATTEMPTS = int(os.environ.get("FUWU_DELIVERY_ATTEMPTS", "8"))
FUWU_DELIVERY_BACKOFF = int(os.environ.get("FUWU_DELIVERY_BACKOFF", "60"))
FUWU_MAIL_FROM = os.environ.get("FUWU_MAIL_FROM", "")
FUWU_MAIL_REPLY_TO = os.environ.get("FUWU_MAIL_REPLY_TO", "")
FUWU_MAIL_INBOUND_SECRET = os.environ.get("FUWU_MAIL_INBOUND_SECRET", "")
FUWU_MAIL_MAX_BYTES = int(os.environ.get("FUWU_MAIL_MAX_BYTES", str(10 * 1024 * 1024)))
FUWU_IMAP_MAILBOXES: list[dict[str, Any]] = (
    [
        {
            "host": os.environ["FUWU_IMAP_HOST"],
            "port": int(os.environ.get("FUWU_IMAP_PORT", "993")),
            "ssl": _env_flag("FUWU_IMAP_SSL", True),
            "starttls": _env_flag("FUWU_IMAP_STARTTLS", False),
            "user": os.environ.get("FUWU_IMAP_USER", ""),
            "password": os.environ.get("FUWU_IMAP_PASSWORD", ""),
            "folder": os.environ.get("FUWU_IMAP_FOLDER", "INBOX"),
            "address": os.environ.get("FUWU_IMAP_ADDRESS", ""),
        }
    ]
    if os.environ.get("FUWU_IMAP_HOST")
    else []
)

# Uploaded files (case photos) live here and are served only through an access-checked view.
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Upload limits (fuwu/web/uploads.py, fuwu/cases/attachments.py). A photo may be
# FUWU_MAX_PHOTO_BYTES large and FUWU_MAX_PHOTO_PIXELS pixels (read from its header before it
# is decoded: a small file can unpack into gigabytes); a request may carry a few of them. A body
# larger than FUWU_MAX_UPLOAD_BYTES is answered 413 from its Content-Length before it is read;
# unset, that is room for the photos a form takes plus the form (DATA_UPLOAD_MAX_MEMORY_SIZE).
# The bytes are counted again as they arrive, so a wrong or missing header changes nothing.
FUWU_MAX_PHOTO_BYTES = int(os.environ.get("FUWU_MAX_PHOTO_BYTES", str(5 * 1024 * 1024)))
FUWU_MAX_PHOTO_PIXELS = int(os.environ.get("FUWU_MAX_PHOTO_PIXELS", str(40_000_000)))
FUWU_MAX_UPLOAD_BYTES = (
    int(os.environ["FUWU_MAX_UPLOAD_BYTES"]) if os.environ.get("FUWU_MAX_UPLOAD_BYTES") else None
)
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_HANDLERS = [
    "fuwu.web.uploads.CountingUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "web:login"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
# --- Sign-in throttling (issue 9, item 8; fuwu/web/ratelimit.py) ---------------------------
# Every sign-in (staff pages, portal, admin) goes through this backend, which takes an attempt
# number per identity (username / phone / e-mail) and per address atomically before the
# password is checked. An identity is refused for FUWU_LOGIN_LOCK_SECONDS after
# FUWU_LOGIN_MAX_FAILURES attempts; an address only after FUWU_LOGIN_MAX_PER_ADDRESS (a whole
# office behind one NAT shares it).
AUTHENTICATION_BACKENDS = ["fuwu.web.ratelimit.ThrottledModelBackend"]
FUWU_LOGIN_MAX_FAILURES = int(os.environ.get("FUWU_LOGIN_MAX_FAILURES", "5"))
FUWU_LOGIN_LOCK_SECONDS = int(os.environ.get("FUWU_LOGIN_LOCK_SECONDS", "900"))
FUWU_LOGIN_MAX_PER_ADDRESS = int(os.environ.get("FUWU_LOGIN_MAX_PER_ADDRESS", "100"))
# --- end of sign-in throttling ---------------------------------------------------------------
# API tokens last this many days unless their creator chooses fewer; never more than the maximum.
FUWU_TOKEN_DAYS = int(os.environ.get("FUWU_TOKEN_DAYS", "90"))
FUWU_TOKEN_MAX_DAYS = int(os.environ.get("FUWU_TOKEN_MAX_DAYS", "365"))

# Requests larger than this are refused before any JSON is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FUWU_MAX_BODY", str(1024 * 1024)))

# How often each worker sweeps for clocks a deferred task may have missed (seconds).
FUWU_SWEEP_INTERVAL = float(os.environ.get("FUWU_SWEEP_INTERVAL", "30"))
# The address people open Fuwu at, for links in e-mails the worker sends (scheduled reports).
FUWU_BASE_URL = os.environ.get("FUWU_BASE_URL", "http://127.0.0.1:8000")
# Personal values of cases closed more than this many years ago are anonymised by
# `fuwu privacy anonymise` (run daily, e.g. from cron); 0 keeps them (fuwu.customers.retention).
FUWU_RETENTION_YEARS = int(os.environ.get("FUWU_RETENTION_YEARS", "3"))
FUWU_PROCEDURE_DIRS = [BASE_DIR / "procedures" / "library"]
FUWU_SURVEY_DIRS = [BASE_DIR / "surveys" / "library"]

# Outbound webhooks (fuwu.channels.webhooks): https to public addresses only, except for the
# hosts named here (comma-separated; an intranet receiver), which may use plain http and
# private addresses. A POST waits at most FUWU_WEBHOOK_TIMEOUT seconds; a delivery is tried
# FUWU_WEBHOOK_ATTEMPTS times (1, 2, 4 … minutes apart, at most an hour); a subscription is
# disabled after FUWU_WEBHOOK_DISABLE_AFTER deliveries in a row failed all their attempts.
FUWU_WEBHOOK_ALLOW_HOSTS = _env_list("FUWU_WEBHOOK_ALLOW_HOSTS")
FUWU_WEBHOOK_TIMEOUT = float(os.environ.get("FUWU_WEBHOOK_TIMEOUT", "10"))
FUWU_WEBHOOK_ATTEMPTS = int(os.environ.get("FUWU_WEBHOOK_ATTEMPTS", "10"))
FUWU_WEBHOOK_DISABLE_AFTER = int(os.environ.get("FUWU_WEBHOOK_DISABLE_AFTER", "5"))
# Delivered and failed deliveries (their bodies hold personal values) are kept this many days.
FUWU_WEBHOOK_LOG_DAYS = int(os.environ.get("FUWU_WEBHOOK_LOG_DAYS", "30"))
# --- WeChat, SMS (fuwu.channels) ------------------------------------------------------------------
# WeChat accounts are rows (admin: 微信公众号); only the API's address is a setting (tests point
# it at a local server).
FUWU_WECHAT_API_BASE = os.environ.get("FUWU_WECHAT_API_BASE", "https://api.weixin.qq.com")
# The SMS provider: "aliyun" (Alibaba Cloud SMS, fuwu.channels.sms.aliyun), "console" (logs
# each message; development) or empty (no SMS: notices never go by text). The callbacks at
# /channels/sms/<provider>/inbound and /receipt must carry FUWU_SMS_CALLBACK_TOKEN (the `token`
# query parameter of the URLs configured at the provider).
FUWU_SMS_PROVIDER = os.environ.get("FUWU_SMS_PROVIDER", "")
FUWU_SMS_CALLBACK_TOKEN = os.environ.get("FUWU_SMS_CALLBACK_TOKEN", "")
FUWU_SMS_ALIYUN = {
    "endpoint": os.environ.get("FUWU_SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
    "access_key_id": os.environ.get("FUWU_SMS_ALIYUN_ACCESS_KEY_ID", ""),
    "access_key_secret": os.environ.get("FUWU_SMS_ALIYUN_ACCESS_KEY_SECRET", ""),
    "sign_name": os.environ.get("FUWU_SMS_ALIYUN_SIGN_NAME", ""),
    # A template whose text is "${content}" (a notice's rendered body goes in that variable).
    "template_code": os.environ.get("FUWU_SMS_ALIYUN_TEMPLATE_CODE", ""),
    "region": os.environ.get("FUWU_SMS_ALIYUN_REGION", "cn-hangzhou"),
}

# --- Production security: HTTPS, cookies, trusted proxies, browser policies (issue 9) ------------
# One switch, FUWU_HTTPS=true, turns on everything a site served over HTTPS wants; each setting
# can still be set on its own from the environment (README "Running in production"). The
# defaults stay plain HTTP so `make run` works on a laptop. The test in
# fuwu/tests/security/test_deploy.py runs `check --deploy` with a production environment.


FUWU_HTTPS = _env_flag("FUWU_HTTPS", False)
SECURE_SSL_REDIRECT = _env_flag("SECURE_SSL_REDIRECT", FUWU_HTTPS)
# Load balancers and supervisors probe /healthz over plain HTTP on the private side.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = _env_flag("SESSION_COOKIE_SECURE", FUWU_HTTPS)
CSRF_COOKIE_SECURE = _env_flag("CSRF_COOKIE_SECURE", FUWU_HTTPS)
# A year of HSTS once HTTPS is on; browsers then refuse plain HTTP for the host. Preload only
# adds the flag to the header: the host enters browsers' lists only if someone submits it.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if FUWU_HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", FUWU_HTTPS)
SECURE_HSTS_PRELOAD = _env_flag("SECURE_HSTS_PRELOAD", FUWU_HTTPS)

# Behind a reverse proxy that terminates TLS, Django sees plain HTTP from the proxy. Only when
# told the proxy is trusted (it sets X-Forwarded-Proto and X-Forwarded-Host itself, overwriting
# whatever a client sent, and nothing reaches Fuwu except through it) do we believe those
# headers; believing them otherwise lets any client claim HTTPS or another host name.
FUWU_TRUSTED_PROXY = _env_flag("FUWU_TRUSTED_PROXY", False)
if FUWU_TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = _env_flag("USE_X_FORWARDED_HOST", FUWU_TRUSTED_PROXY)
# Origins (scheme://host[:port]) allowed to POST besides the host itself, e.g. when the proxy
# serves the site under another name than the one Fuwu sees.
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = os.environ.get("SECURE_REFERRER_POLICY", "same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every response: scripts only from our own static files, so a
# stored payload that slips past escaping still cannot run. No inline script and no eval
# anywhere (page data travels in data- attributes and json_script; htmx is configured with
# allowEval false in web/frame.html). Styles allow inline because Mermaid draws each diagram
# as an SVG carrying its own <style>, and ECharts, Bootstrap and Swagger UI set element styles;
# an injected style runs no script. img-src allows data: (icons inside Bootstrap's CSS) and blob:
# (the portal's preview of chosen photos).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# --- end of production security ------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # One line per task run is noise at the console; failures are still logged as errors.
    "loggers": {"django_tasks_db": {"level": "WARNING"}, "django.tasks": {"level": "WARNING"}},
}
