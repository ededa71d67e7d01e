"""The shared Redis cache of several machines (README, "Several machines"; issue 14).

With FUWU_CACHE_URL every process reads one Redis: an organisation change made by one process
(an admin saving a person: `forget_actors` starts a new generation) is seen by the others at
once, not after each one's local copy expires. Real processes, a real Redis (the one this
machine and CI run, database 15); without one the test is skipped with the reason, except in CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

REDIS = os.environ.get("FUWU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

SCRIPT = textwrap.dedent(
    """
    import os, sys
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuwu.settings")
    django.setup()
    from django.core.cache import caches
    from fuwu.core import actors
    if sys.argv[1] == "change":
        actors.forget_actors()  # what saving a person, a role or a department does
    print(type(caches["default"]).__name__, actors.generation())
    """
)


@pytest.fixture
def shared_redis() -> Iterator[redis.Redis]:
    server = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        server.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis server at {REDIS}: {exc}")
    server.flushdb()
    yield server
    server.flushdb()


def test_an_organisation_change_reaches_every_process_at_once(
    shared_redis: redis.Redis, tmp_path: Path
) -> None:
    env = {**os.environ, "FUWU_CACHE_URL": REDIS, "FUWU_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    env.pop("FUWU_CACHE_DIR", None)

    def process(what: str) -> tuple[str, int]:
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, what],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.split()
        return out[0], int(out[1])

    kind, first = process("read")
    assert kind == "RedisCache"
    assert process("read") == (kind, first)  # another process: the same generation
    _, changed = process("change")
    assert changed != first
    assert process("read") == (kind, changed)  # a third process sees the change at once
    assert shared_redis.dbsize() > 0  # it was kept in this Redis, not in a process
