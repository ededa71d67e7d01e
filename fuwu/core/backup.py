"""`fuwu backup` and `fuwu restore`: a copy of the whole database that is known to restore.

A backup is one tar file holding the database (PostgreSQL: a `pg_dump -Fc` archive; SQLite: a
database file written by SQLite's online backup API) and `manifest.json`: the row count of every
table, the last migration of every app, the Fuwu version, the database engine and when it was
made. `dumpdata` is not used: it serialises every row through Python (one deeply nested value
once made it fail for the whole database) and is not a consistent snapshot.

Why the copy is consistent while the web and the worker write: on PostgreSQL the counts are
taken in a REPEATABLE READ transaction whose snapshot is exported and handed to `pg_dump
--snapshot`, so the dump and the manifest see the same instant; on SQLite the backup API copies
the database in one step under a read lock (WAL lets writers go on), and the counts are read
from the copy itself.

A backup is verified before it is called done: restored into a scratch database (a new
PostgreSQL database, dropped after; a temporary SQLite file), every table's count must equal
the manifest and `events verify` must find no case disagreeing with its events. `restore` does
the same checks on the database it restored into, and refuses one holding data unless told.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.utils import load_backend
from django.utils import timezone

MANIFEST = "manifest.json"
FORMAT = 1
DUMP_NAME = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
# Tables `migrate` fills by itself: rows in them do not make a database "holding data".
MIGRATE_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})


class BackupError(Exception):
    """A backup or restore that could not be done or did not verify; the message says why."""


# What may go wrong outside Fuwu's own checks: the server, the disk, the SQLite file.
FAILURES = (BackupError, psycopg.Error, sqlite3.Error, DatabaseError, OSError)


def describe(exc: BaseException) -> str:
    """One line for the person at the command line."""
    if isinstance(exc, BackupError):
        return str(exc)
    what = "PostgreSQL" if isinstance(exc, psycopg.Error) else type(exc).__name__
    text = " ".join(str(exc).split()) or repr(exc)
    return f"{what}: {text}"


@dataclass
class Verification:
    """What a restored copy showed: tables whose count differs from the manifest
    (table: (expected, found)) and the cases `events verify` found disagreeing."""

    mismatched: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    event_differences: list[tuple[int, str, Any, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatched and not self.event_differences

    def problems(self) -> list[str]:
        lines = [
            f"table {table}: {expected} rows in the backup, {'no table' if found is None else found} restored"
            for table, (expected, found) in sorted(self.mismatched.items())
        ]
        lines += [
            f"case {case_id}: {name} is {stored!r} but the events say {rebuilt!r}"
            for case_id, name, stored, rebuilt in self.event_differences
        ]
        return lines


@dataclass
class Report:
    path: Path
    manifest: dict[str, Any]
    verification: Verification

    @property
    def rows(self) -> int:
        return sum(self.manifest["tables"].values())


def engine_of(using: str = DEFAULT_DB_ALIAS) -> str:
    """'postgresql' or 'sqlite' (the only engines Fuwu runs on)."""
    vendor = connections[using].vendor
    if vendor not in DUMP_NAME:
        raise BackupError(f"backups support PostgreSQL and SQLite, not {vendor}")
    return vendor


def default_path(now: Any = None) -> Path:
    moment = now or timezone.now()
    return Path(settings.VAR_DIR) / "backups" / f"fuwu-{moment:%Y%m%d-%H%M%S}.tar"


# -- counting (the same rule for the live snapshot, the scratch copy and a restored target) -----


def _count(cursor: Any, tables: list[str], quote: Any) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 — names from the catalogue
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _last_migrations(cursor: Any) -> dict[str, str]:
    cursor.execute("SELECT app, name FROM django_migrations")
    last: dict[str, str] = {}
    for app, name in cursor.fetchall():
        last[app] = max(last.get(app, name), name)  # numbered names: the greatest is the last
    return dict(sorted(last.items()))


def counts_of(using: str) -> dict[str, int]:
    connection = connections[using]
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        return _count(cursor, tables, connection.ops.quote_name)


def holds_data(using: str) -> bool:
    """Rows in any table but those `migrate` fills: restoring over it would lose them."""
    return any(n for t, n in counts_of(using).items() if t not in MIGRATE_TABLES)


def verify(manifest: dict[str, Any], using: str) -> Verification:
    """A restored database against the manifest: equal counts, and `events verify` clean."""
    from fuwu.cases.replay import differences  # the case model's own rule; loaded only here

    found = counts_of(using)
    result = Verification()
    for table, expected in manifest["tables"].items():
        if found.get(table) != expected:
            result.mismatched[table] = (expected, found.get(table))
    result.event_differences = differences(using=using)
    return result


# -- scratch and fresh databases --------------------------------------------------------------


def _pg_params(settings_dict: dict[str, Any], dbname: str | None = None) -> dict[str, Any]:
    params = {
        "dbname": dbname or settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
    }
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if key in settings_dict.get("OPTIONS", {}):
            params[key] = settings_dict["OPTIONS"][key]
    return {k: v for k, v in params.items() if v is not None}


def _pg_env(settings_dict: dict[str, Any], dbname: str | None = None) -> dict[str, str]:
    names = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD"}
    names |= {"host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE"}
    names |= {"sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}
    env = dict(os.environ)
    for key, value in _pg_params(settings_dict, dbname).items():
        env[names[key]] = str(value)
    return env


@contextmanager
def attached(settings_dict: dict[str, Any]) -> Iterator[str]:
    """A Django connection alias for another database, removed again afterwards."""
    alias = f"fuwu_backup_{uuid.uuid4().hex[:8]}"
    # Made directly, not added to the settings: a connection of this thread only, which
    # Django's test cases also allow beside the databases they declare. Without the pool of
    # the main settings: a pool would keep a connection to the scratch database open (and try
    # to reconnect to it once dropped) after this alias is gone.
    options = {k: v for k, v in settings_dict.get("OPTIONS", {}).items() if k != "pool"}
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
        {**settings_dict, "OPTIONS": options}, alias
    )
    connections[alias] = wrapper
    try:
        yield alias
    finally:
        wrapper.close()
        del connections[alias]


@contextmanager
def fresh_database(using: str = DEFAULT_DB_ALIAS) -> Iterator[str]:
    """An empty database of the same engine and server as `using`, as a connection alias;
    dropped (PostgreSQL) or deleted (SQLite) afterwards."""
    base = connections[using].settings_dict
    if engine_of(using) == "sqlite":
        with (
            tempfile.TemporaryDirectory(prefix="fuwu-restore-") as folder,
            attached({**base, "NAME": str(Path(folder) / "fresh.sqlite3")}) as alias,
        ):
            yield alias
        return
    name = f"fuwu_scratch_{uuid.uuid4().hex[:12]}"
    admin = _pg_params(base, "postgres")
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with attached({**base, "NAME": name}) as alias:
            yield alias
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- writing ------------------------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client programs of the server's"
            " version (Debian: apt-get install postgresql-client)"
        )
    return found


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip() or done.returncode}")


def _snapshot_postgresql(using: str, target: Path) -> tuple[dict[str, int], dict[str, str]]:
    """pg_dump of one exported snapshot, and the counts and migrations of that same snapshot."""
    pg_dump = _tool("pg_dump")
    base = connections[using].settings_dict
    with psycopg.connect(**_pg_params(base)) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        snapshot = row[0]
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        with conn.cursor() as cursor:
            counts = _count(cursor, tables, connections[using].ops.quote_name)
            migrations = _last_migrations(cursor)
        # The exporting transaction stays open until pg_dump has taken the snapshot (and done).
        _run([pg_dump, "-Fc", f"--snapshot={snapshot}", "-f", str(target)], _pg_env(base))
        conn.rollback()
    return counts, migrations


def _snapshot_sqlite(using: str, target: Path) -> tuple[dict[str, int], dict[str, str]]:
    """The online backup API in one step (a consistent copy), then counts read from the copy."""
    connection = connections[using]
    connection.ensure_connection()
    with closing(sqlite3.connect(target)) as copy:
        connection.connection.backup(copy)
        tables = [
            r[0]
            for r in copy.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        ]
        cursor = copy.cursor()
        counts = _count(cursor, tables, connection.ops.quote_name)
        migrations = _last_migrations(cursor)
    return counts, migrations


def _version() -> str:
    try:
        return importlib.metadata.version("fuwu")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def write_backup(path: Path, *, using: str = DEFAULT_DB_ALIAS) -> Report:
    """Write a backup to `path` (a file; its folder is created), then verify it.

    The file appears under its name only when its counts verified; a copy whose cases disagree
    with their events is kept (the live database says the same) and reported as a failure."""
    engine = engine_of(using)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fuwu-backup-") as folder:
        dump = Path(folder) / DUMP_NAME[engine]
        snapshot = _snapshot_postgresql if engine == "postgresql" else _snapshot_sqlite
        counts, migrations = snapshot(using, dump)
        manifest = {
            "format": FORMAT,
            "fuwu_version": _version(),
            "engine": engine,
            "created_at": timezone.now().isoformat(),
            "tables": counts,
            "migrations": migrations,
            "database": DUMP_NAME[engine],
        }
        partial = path.with_name(path.name + ".partial")
        # Created 0600 before a byte is written: it holds every customer's personal data.
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as archive:
            archive.add(dump, arcname=DUMP_NAME[engine])
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o600
            archive.addfile(info, io.BytesIO(data))
    try:
        with fresh_database(using) as scratch:
            load(partial, scratch, manifest)
            verification = verify(manifest, scratch)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if verification.mismatched:
        partial.unlink(missing_ok=True)
    else:
        partial.replace(path)
    return Report(path, manifest, verification)


# -- reading and restoring ----------------------------------------------------------------------


def read_manifest(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    try:
        with tarfile.open(path, "r") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest: dict[str, Any] = json.loads(member.read())
    except tarfile.TarError:
        raise BackupError(f"{path} is not a Fuwu backup (not a tar archive)") from None
    except (KeyError, ValueError):
        raise BackupError(f"{path} is not a Fuwu backup (no readable {MANIFEST})") from None
    if manifest.get("format") != FORMAT or manifest.get("engine") not in DUMP_NAME:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}")
    return manifest


def _same_engine(manifest: dict[str, Any], using: str) -> str:
    engine = engine_of(using)
    if manifest["engine"] != engine:
        raise BackupError(
            f"this backup is of a {manifest['engine']} database but the target is {engine}:"
            " restore it into the same engine"
        )
    return engine


def load(path: Path, using: str, manifest: dict[str, Any]) -> None:
    """Put the backup's database into `using` (replacing what it holds)."""
    engine = _same_engine(manifest, using)
    with tempfile.TemporaryDirectory(prefix="fuwu-restore-") as folder:
        with tarfile.open(path, "r") as archive:
            archive.extract(manifest["database"], folder, filter="data")
        dump = Path(folder) / manifest["database"]
        connection = connections[using]
        if engine == "sqlite":
            connection.ensure_connection()
            with closing(sqlite3.connect(dump)) as source:
                # Page by page into the open database, under its lock: other connections wait
                # on their busy timeout instead of reading a half-copied file.
                source.backup(connection.connection)
            return
        connection.close()  # pg_restore drops and recreates the tables this connection may hold
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                "-d",
                connection.settings_dict["NAME"],
                str(dump),
            ],
            _pg_env(connection.settings_dict),
        )


def migration_gap(manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Apps whose last migration in the backup is newer than this code knows (the backup is
    from a later Fuwu: refused), and apps where it is older (restore, then `fuwu migrate`)."""
    from django.db.migrations.loader import MigrationLoader

    leaves = dict(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())
    newer, older = [], []
    for app, name in manifest["migrations"].items():
        known = leaves.get(app)
        if known is None or name > known:
            newer.append(f"{app}.{name}")
        elif name < known:
            older.append(f"{app}.{name}")
    return newer, older


def restore(path: Path, *, using: str = DEFAULT_DB_ALIAS, replace: bool = False) -> Report:
    """Restore a backup into `using`, then verify it there. A database holding data is
    refused unless `replace`; so is a backup made by a newer Fuwu (unknown migrations)."""
    manifest = read_manifest(path)
    _same_engine(manifest, using)
    newer, _ = migration_gap(manifest)
    if newer:
        raise BackupError(
            f"this backup was made by a newer Fuwu ({manifest.get('fuwu_version')}; migrations"
            f" unknown here: {', '.join(newer)}): upgrade Fuwu, then restore"
        )
    if not replace and holds_data(using):
        raise BackupError(
            "the target database holds data; restoring would replace all of it."
            " Run again with --yes to replace it"
        )
    load(path, using, manifest)
    return Report(path, manifest, verify(manifest, using))
