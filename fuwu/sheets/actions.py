"""Imports: upload (read and check everything, keep the file), preview, confirm (check again,
then write in one transaction). Every write of an `ImportBatch` is here.

Managers (and VPs, administrators) of a site import into it; anyone else is refused. A file with
any problem writes nothing: the batch keeps the problems (codes, rows, columns) to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from fuwu.core.actors import Actor
from fuwu.core.models import Site
from fuwu.procedures.engine.errors import EngineError, FieldError, Forbidden, NotFound
from fuwu.sheets.kinds import KINDS
from fuwu.sheets.kinds.base import PREVIEW_ROWS, Outcome, text
from fuwu.sheets.models import BatchStatus, ImportBatch
from fuwu.sheets.problems import Problem
from fuwu.sheets.reader import Sheet, Unreadable, read

# A preview is confirmed within this time, or uploaded again.
CONFIRM_WITHIN = timedelta(hours=24)


def may_import(actor: Actor, site_id: int) -> bool:
    return actor.is_manager and actor.may_see_site(site_id)


def import_sites(actor: Actor) -> list[Site]:
    sites = Site.objects.order_by("name")
    if not actor.superuser:
        sites = sites.filter(pk__in=actor.site_ids)
    return [s for s in sites if may_import(actor, s.pk)]


def _site(actor: Actor, site_id: int | None) -> Site:
    site = Site.objects.filter(pk=site_id).first() if site_id else None
    if site is None or not actor.may_see_site(site.pk):
        raise EngineError("invalid_form", fields={"site": FieldError("bad_choice", options="")})
    if not may_import(actor, site.pk):
        raise Forbidden("forbidden")
    return site


def _check(actor: Actor, batch: ImportBatch, site: Site) -> tuple[Sheet | None, Outcome]:
    try:
        sheet = read(bytes(batch.content))
    except Unreadable as exc:
        return None, Outcome(problems=[Problem(exc.code, params=exc.params)])
    return sheet, KINDS[batch.kind].check(actor, site, sheet)


@transaction.atomic
def upload(
    actor: Actor, *, kind: str, site_id: int | None, filename: str, content: bytes
) -> ImportBatch:
    """Keep the file and what checking it found (nothing else is written)."""
    if kind not in KINDS:
        raise EngineError(
            "invalid_form", fields={"kind": FieldError("bad_choice", options=", ".join(KINDS))}
        )
    site = _site(actor, site_id)
    if not KINDS[kind].allowed(actor, site):
        raise Forbidden("forbidden")
    batch = ImportBatch(
        site=site,
        kind=kind,
        created_by=actor.user,
        filename=(filename or "upload")[:200],
        content=content,
    )
    sheet, outcome = _check(actor, batch, site)
    batch.rows = len(sheet.rows) if sheet else 0
    batch.problems = [p.as_dict() for p in outcome.problems]
    batch.status = BatchStatus.PENDING if outcome.ok else BatchStatus.REFUSED
    batch.save()
    return batch


def batch_of(actor: Actor, batch_id: int) -> ImportBatch:
    """One's own batch (anyone else's is as if it did not exist)."""
    batch = ImportBatch.objects.filter(pk=batch_id, created_by_id=actor.user_id).first()
    if batch is None or not may_import(actor, batch.site_id):
        raise NotFound("not_found", what="import")
    return batch


@dataclass(frozen=True)
class Preview:
    batch: ImportBatch
    headers: list[str]
    rows: list[tuple[int, list[str]]]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def preview(batch: ImportBatch) -> Preview:
    problems = [Problem.from_dict(p) for p in batch.problems]
    try:
        sheet = read(bytes(batch.content))
    except Unreadable:
        return Preview(batch, [], [], problems)
    rows = [(n, [text(c) for c in cells]) for n, cells in sheet.rows[:PREVIEW_ROWS]]
    return Preview(batch, sheet.headers, rows, problems)


def confirm(actor: Actor, batch_id: int) -> ImportBatch:
    """Check the file again (the records may have changed since the preview) and write it, all
    or nothing. A batch with problems, already imported or too old is refused."""
    with transaction.atomic():
        batch = batch_of(actor, batch_id)
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != BatchStatus.PENDING:
            raise EngineError("import_not_pending")
        if timezone.now() - batch.created_at > CONFIRM_WITHIN:
            raise EngineError("import_expired")
        site = Site.objects.get(pk=batch.site_id)
        if not KINDS[batch.kind].allowed(actor, site):
            raise Forbidden("forbidden")
        _sheet, outcome = _check(actor, batch, site)
        if outcome.ok:
            batch.written = KINDS[batch.kind].write(actor, site, outcome.plan)
            batch.status = BatchStatus.DONE
            batch.done_at = timezone.now()
        else:
            batch.problems = [p.as_dict() for p in outcome.problems]
            batch.status = BatchStatus.REFUSED
        batch.save(update_fields=["written", "status", "done_at", "problems"])
    return batch


def template_of(kind: str, language: str | None) -> Any:
    if kind not in KINDS:
        raise NotFound("not_found", what=kind)
    return KINDS[kind].template(language)
