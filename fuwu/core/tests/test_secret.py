"""The signing key: from the environment, or generated once per host and kept; never published."""

from __future__ import annotations

import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from fuwu.core.secret import PUBLISHED_KEYS, signing_key


def test_a_key_is_generated_once_kept_private_and_shared(tmp_path):
    first = signing_key({}, tmp_path / "var")
    path = tmp_path / "var" / "secret_key"
    assert len(first) >= 60 and first not in PUBLISHED_KEYS
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A second process on the host (the worker) signs with the same key.
    assert signing_key({}, tmp_path / "var") == first
    # Another host with its own var/ gets its own key.
    assert signing_key({}, tmp_path / "other") != first


def test_the_environment_wins_but_not_with_a_published_or_short_key(tmp_path):
    good = "k" * 40
    assert signing_key({"SECRET_KEY": good}, tmp_path) == good
    assert not (tmp_path / "secret_key").exists()
    for bad in [*PUBLISHED_KEYS, "short"]:
        with pytest.raises(ImproperlyConfigured, match="published or short"):
            signing_key({"SECRET_KEY": bad}, tmp_path)


def test_an_emptied_key_file_is_refused_not_used(tmp_path):
    (tmp_path / "secret_key").write_text("\n")
    with pytest.raises(ImproperlyConfigured, match="no usable key"):
        signing_key({}, tmp_path)


def test_the_running_settings_do_not_use_a_published_key(settings):
    assert settings.SECRET_KEY not in PUBLISHED_KEYS and len(settings.SECRET_KEY) >= 32


def _key_in_a_process(var_dir: str) -> str:
    from pathlib import Path

    return signing_key({}, Path(var_dir))


def test_processes_starting_together_agree_on_one_key(tmp_path):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Fresh interpreters ("spawn"): forking a test process that runs threads may deadlock.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=4, mp_context=spawn) as pool:
        keys = set(pool.map(_key_in_a_process, [str(tmp_path)] * 24))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no drafts left behind
