"""Loading the procedure library into the database and reading definitions back, cached."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from fuwu.core.choices import RoleCode
from fuwu.core.prepared import Prepared
from fuwu.procedures.engine.definition import Procedure
from fuwu.procedures.engine.validate import Loaded, load_directory
from fuwu.procedures.models import ProcedureVersion

ROLES = frozenset(RoleCode.values) | {"customer"}


def library_dirs() -> list[Path]:
    return [Path(d) for d in settings.FUWU_PROCEDURE_DIRS]


_CHECKED: dict[tuple[tuple[str, int, int], ...], list[Loaded]] = {}


def check_library(dirs: list[Path] | None = None) -> list[Loaded]:
    """Read and validate every definition; cached while no file changes (name, size, mtime)."""
    files = sorted(p for d in dirs or library_dirs() for p in Path(d).glob("*.yaml"))
    stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    cached = _CHECKED.get(stamp)
    if cached is None:
        cached = []
        for directory in dirs or library_dirs():
            cached.extend(load_directory(directory, roles=ROLES))
        if len(_CHECKED) > 16:  # tests read many small temporary libraries
            _CHECKED.clear()
        _CHECKED[stamp] = cached
    return cached


@dataclass(frozen=True)
class SyncResult:
    created: list[ProcedureVersion]
    unchanged: list[str]
    problems: list[str]


def sync_library(dirs: list[Path] | None = None) -> SyncResult:
    """Store each valid definition whose content changed as a new current version.

    Nothing is stored if any file has a problem: a half-loaded library would let cases start
    on a mix of old and new procedures.
    """
    loaded = check_library(dirs)
    problems = [str(p) for item in loaded for p in item.problems]
    if problems:
        return SyncResult([], [], problems)
    created: list[ProcedureVersion] = []
    unchanged: list[str] = []
    with transaction.atomic():
        for item in loaded:
            assert item.procedure is not None and item.raw is not None
            p = item.procedure
            current = ProcedureVersion.objects.filter(key=p.key, is_current=True).first()
            if current and current.checksum == item.checksum:
                unchanged.append(p.key)
                continue
            number = 1
            if current:
                number = current.version + 1
                ProcedureVersion.objects.filter(pk=current.pk).update(is_current=False)
            created.append(
                ProcedureVersion.objects.create(
                    key=p.key,
                    version=number,
                    checksum=item.checksum,
                    name_zh=p.name.zh,
                    name_en=p.name.en,
                    definition=item.raw,
                    source=Path(item.path).name,
                )
            )
    return SyncResult(created, unchanged, [])


# Versions never change once stored, so a parsed definition can be kept for the process's life.
# Keyed by (id, checksum) so that a reused id (a test database rolled back) never returns stale content.
_PARSED: dict[tuple[int, str], Procedure] = {}


def definition_of(version: ProcedureVersion) -> Procedure:
    key = (version.pk, version.checksum)
    parsed = _PARSED.get(key)
    if parsed is None:
        parsed = _PARSED[key] = Procedure.model_validate(version.definition)
    return parsed


_CURRENT = Prepared(
    lambda key: ProcedureVersion.objects.filter(key=key, is_current=True).defer("definition"),
    text=True,
)


def current_version(key: str) -> ProcedureVersion | None:
    """The version new cases of `key` start on; its definition is read (once) by `definition_of`.
    One row at most (`procedure_one_current`), read by SQL compiled once per process."""
    return _CURRENT.get(key)
