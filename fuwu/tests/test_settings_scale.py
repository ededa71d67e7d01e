"""The settings several processes and machines need (issue 14): the PostgreSQL connection pool
and the shared cache, built from the environment by the same functions the settings module runs
at start-up (`DATABASES = {"default": _database()}`, `CACHES = {"default": _cache()}`).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured

from fuwu import settings as fuwu_settings

PG = "postgres://fuwu:secret@db.internal:5432/fuwu"
VARIABLES = (
    "DATABASE_URL",
    "CONN_MAX_AGE",
    "FUWU_DB_POOL_MAX",
    "FUWU_DB_POOL_MIN",
    "FUWU_DB_POOL_TIMEOUT",
    "FUWU_CACHE_URL",
    "FUWU_CACHE_DIR",
    "FUWU_PG_OPTIONS",
)


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set exactly these variables (the others of this area unset), as a host's env file does."""

    def use(**values: str) -> None:
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return use


def test_postgresql_borrows_from_a_pool_of_four_per_process_by_default(environ):
    environ(DATABASE_URL=PG)
    db = fuwu_settings._database()
    assert db["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 10.0}
    # Django refuses a pool beside persistent connections; the pool checks what it lends.
    assert db["CONN_MAX_AGE"] == 0 and db["CONN_HEALTH_CHECKS"] is True
    assert db["NAME"] == "fuwu" and db["HOST"] == "db.internal"


def test_the_pool_is_sized_from_the_environment_and_zero_turns_it_off(environ):
    environ(DATABASE_URL=PG, FUWU_DB_POOL_MAX="8", FUWU_DB_POOL_MIN="2", FUWU_DB_POOL_TIMEOUT="5")
    assert fuwu_settings._database()["OPTIONS"]["pool"] == {
        "min_size": 2,
        "max_size": 8,
        "timeout": 5.0,
    }
    environ(DATABASE_URL=PG, FUWU_DB_POOL_MAX="2", FUWU_DB_POOL_MIN="6")
    assert fuwu_settings._database()["OPTIONS"]["pool"]["min_size"] == 2  # at most the maximum
    # Off (e.g. behind PgBouncer): one connection per thread, kept CONN_MAX_AGE seconds.
    environ(DATABASE_URL=PG, FUWU_DB_POOL_MAX="0", CONN_MAX_AGE="120")
    off = fuwu_settings._database()
    assert "pool" not in off.get("OPTIONS", {}) and off["CONN_MAX_AGE"] == 120


def test_sqlite_has_no_pool(environ, tmp_path):
    environ(DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    db = fuwu_settings._database()
    assert "pool" not in db["OPTIONS"] and db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_the_cache_is_local_a_host_file_cache_or_a_shared_redis(environ, tmp_path):
    environ()
    assert fuwu_settings._cache()["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    shared_dir = str(tmp_path / "cache")
    environ(FUWU_CACHE_DIR=shared_dir)
    assert fuwu_settings._cache() == {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": shared_dir,
    }
    redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/2",
    }
    environ(FUWU_CACHE_URL="redis://cache.internal:6379/2")
    assert fuwu_settings._cache() == redis
    # Several machines: the URL wins over a directory only one host can see.
    environ(FUWU_CACHE_URL="redis://cache.internal:6379/2", FUWU_CACHE_DIR=shared_dir)
    assert fuwu_settings._cache() == redis


def test_the_redis_cache_builds_its_client_and_another_url_is_refused(environ):
    # The pinned client library is installed: the backend builds its client without a server
    # (it connects on first use).
    environ(FUWU_CACHE_URL="rediss://cache.internal:6380/1")
    built = fuwu_settings._cache()
    backend = RedisCache(str(built["LOCATION"]), {})
    assert backend._cache._lib.__name__ == "redis"
    environ(FUWU_CACHE_URL="memcached://127.0.0.1:11211")
    with pytest.raises(ImproperlyConfigured, match="FUWU_CACHE_URL must be a redis://"):
        fuwu_settings._cache()


def test_postgresql_connections_run_without_jit_unless_told_otherwise(environ):
    environ(DATABASE_URL=PG)
    assert fuwu_settings._database()["OPTIONS"]["options"] == "-c jit=off"
    environ(DATABASE_URL=PG, FUWU_PG_OPTIONS="-c jit=on -c work_mem=64MB")
    assert fuwu_settings._database()["OPTIONS"]["options"] == "-c jit=on -c work_mem=64MB"
