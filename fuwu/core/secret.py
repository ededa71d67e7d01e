"""Where the signing key comes from: never a key that ships in the source code.

Django signs sessions, CSRF tokens, password-reset links and the messages cookie with
`SECRET_KEY`; a key everybody can read in the repository lets anyone forge those cookies.
So there is no built-in fallback: the key is `SECRET_KEY` from the environment (required when
several hosts serve one site: they must share it) or, for a single host, one generated on the
first start and kept in `var/secret_key` (mode 0600), which the web and worker processes of
that host then share. Imported by settings, so nothing here touches Django's setup.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# Keys that were once published as defaults: refused whatever the environment says.
PUBLISHED_KEYS = frozenset({"fuwu-dev-insecure-key-change-me-in-production-0123456789"})
MIN_LENGTH = 32


def signing_key(environ: dict[str, str] | os._Environ[str], var_dir: Path) -> str:
    """The key from the environment, or the one kept under `var_dir` (made on first use)."""
    given = environ.get("SECRET_KEY", "")
    if given:
        if given in PUBLISHED_KEYS or len(given) < MIN_LENGTH:
            raise ImproperlyConfigured(
                f"SECRET_KEY is a published or short key: set a random value of at least "
                f"{MIN_LENGTH} characters, or unset it to have one generated in {var_dir}"
            )
        return given
    path = var_dir / "secret_key"
    var_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole to a private file, then linked into place: of two processes starting
        # together (web and worker, test workers) one link wins and the other reads a whole key.
        draft = var_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_LENGTH:
        raise ImproperlyConfigured(f"{path} holds no usable key: delete it to make a new one")
    return key
