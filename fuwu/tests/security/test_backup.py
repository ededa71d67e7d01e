"""Issue 9, item 5: `fuwu backup` → `fuwu restore` → the same counts and a clean `events verify`.

Runs on the engine of the test run: SQLite (the online backup API) and, with a PostgreSQL
DATABASE_URL, PostgreSQL (pg_dump / pg_restore into a fresh database made with psycopg and
dropped after). The data must be committed for pg_dump to see it: these tests use
`transactional_db`.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from fuwu.cases import actions
from fuwu.cases.models import Case, Event
from fuwu.cases.replay import differences
from fuwu.core import backup
from fuwu.customers.models import Customer
from fuwu.testing.factories import World, build_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def committed_world(library: None) -> World:
    world = build_world()
    agent = world.actor("agent")
    for title in ("门禁失灵", "厨房水管漏水"):
        actions.open_case(
            agent,
            procedure_key="property_repair",
            site_id=world.sites["lanting"].pk,
            channel="phone",
            title=title,
            customer_id=world.customers["owner"].pk,
            data={"repair_item": title, "service_type": "free"},
        )
    return world


def manifest_of(path: Path) -> dict[str, Any]:
    with tarfile.open(path) as archive:
        member = archive.extractfile(backup.MANIFEST)
        assert member is not None
        return dict(json.loads(member.read()))


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_backup_restores_into_a_fresh_database_with_equal_counts_and_clean_events(
    committed_world: World, tmp_path: Path
) -> None:
    path = tmp_path / "fuwu.tar"
    said = run("backup", "--output", str(path))
    assert "Verified" in said and path.is_file()
    assert path.stat().st_mode & 0o077 == 0  # every customer's data: the owner's eyes only
    manifest = manifest_of(path)
    assert manifest["engine"] == connection.vendor
    assert manifest["fuwu_version"] and manifest["created_at"]
    assert manifest["tables"]["cases_case"] == Case.objects.count() == 2
    assert manifest["tables"]["cases_event"] == Event.objects.count()
    assert manifest["tables"]["customers_customer"] == Customer.objects.count()
    assert manifest["migrations"]["cases"].startswith("00")
    with backup.fresh_database() as fresh:
        assert not backup.holds_data(fresh)
        report = backup.restore(path, using=fresh)
        assert report.verification.ok, report.verification.problems()
        assert backup.counts_of(fresh) == {
            t: n for t, n in backup.counts_of("default").items() if t in manifest["tables"]
        }
        assert Case.objects.using(fresh).count() == 2
        assert differences(using=fresh) == []
        fresh_name = connections[fresh].settings_dict["NAME"]
    if connection.vendor == "postgresql":  # the fresh database is dropped again
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [fresh_name])
            assert cursor.fetchone() is None


def test_restore_refuses_a_database_holding_data_unless_told_then_puts_it_back(
    committed_world: World, tmp_path: Path
) -> None:
    path = tmp_path / "fuwu.tar"
    run("backup", "-o", str(path))
    Customer.objects.filter(pk=committed_world.customers["driver"].pk).delete()
    with pytest.raises(CommandError, match="holds data"):
        run("restore", str(path))
    assert not Customer.objects.filter(pk=committed_world.customers["driver"].pk).exists()
    said = run("restore", str(path), "--yes")
    assert "Verified" in said
    assert Customer.objects.filter(pk=committed_world.customers["driver"].pk).exists()
    assert differences() == []


def test_a_backup_that_does_not_match_is_reported_and_not_kept(
    committed_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = backup.verify

    def losing_a_row(manifest: dict[str, Any], using: str) -> backup.Verification:
        result = real(manifest, using)
        result.mismatched["cases_case"] = (manifest["tables"]["cases_case"], 1)
        return result

    monkeypatch.setattr(backup, "verify", losing_a_row)
    path = tmp_path / "fuwu.tar"
    with pytest.raises(CommandError, match="did not restore to the same counts"):
        run("backup", "-o", str(path))
    assert list(tmp_path.iterdir()) == []


def test_errors_are_clear_and_exit_non_zero(
    committed_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CommandError, match="no backup file"):
        run("restore", str(tmp_path / "missing.tar"))
    junk = tmp_path / "junk.tar"
    junk.write_text("not a backup")
    with pytest.raises(CommandError, match="not a Fuwu backup"):
        run("restore", str(junk))
    path = tmp_path / "fuwu.tar"
    run("backup", "-o", str(path))
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    forged = tmp_path / "other-engine.tar"
    manifest = {**manifest_of(path), "engine": other}
    with tarfile.open(forged, "w") as archive:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo(backup.MANIFEST)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(CommandError, match=f"backup is of a {other} database"):
        run("restore", str(forged), "--yes")
    newer = tmp_path / "newer.tar"
    manifest = {**manifest_of(path), "migrations": {"cases": "9999_from_the_future"}}
    with tarfile.open(newer, "w") as archive:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo(backup.MANIFEST)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(CommandError, match="newer Fuwu"):
        run("restore", str(newer), "--yes")
    if connection.vendor == "postgresql":
        monkeypatch.setattr(backup.shutil, "which", lambda name: None)
        with pytest.raises(CommandError, match="pg_dump is not installed"):
            run("backup", "-o", str(tmp_path / "again.tar"))
    assert Case.objects.count() == 2  # none of the refusals touched the database


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (the SQLite test database lives in memory)",
)
def test_a_backup_taken_while_another_process_writes_is_one_consistent_instant(
    committed_world: World, tmp_path: Path
) -> None:
    """The counts in the manifest and the dump come from one snapshot, however the writes of
    the web and the worker fall around it: the verification restores to exactly the manifest."""
    import threading

    from django.db import close_old_connections

    stop = threading.Event()
    site = committed_world.sites["lanting"].pk

    def write() -> None:
        try:
            n = 0
            while not stop.is_set():
                n += 1
                Customer.objects.create(site_id=site, name=f"并发{n}", phone=f"1390000{n:04d}")
        finally:
            close_old_connections()
            connections["default"].close()

    writer = threading.Thread(target=write)
    before = Customer.objects.count()
    writer.start()
    try:
        path = tmp_path / "busy.tar"
        report = backup.write_backup(path)
    finally:
        stop.set()
        writer.join()
    assert report.verification.ok, report.verification.problems()
    assert before <= report.manifest["tables"]["customers_customer"] <= Customer.objects.count()


def test_the_scratch_database_gets_no_connection_pool_that_outlives_it():
    # The main settings lend connections from a pool on PostgreSQL (fuwu/settings.py); the
    # scratch database's one connection must not start a pool of its own, which would hold a
    # connection to it after the alias is gone and try to reconnect once it is dropped.
    pools = getattr(type(connection), "_connection_pools", {})
    with backup.fresh_database() as alias:
        scratch = connections[alias]
        assert "pool" not in scratch.settings_dict["OPTIONS"]
        with scratch.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    assert alias not in pools
