"""Registers: who holds which key or permit, since when, due back when."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema

from fuwu.api.common import READ_ERRORS, actor
from fuwu.procedures.engine.errors import NotFound
from fuwu.registers.models import Entry, Register

router = Router(tags=["registers"])


class EntryOut(Schema):
    id: int
    kind: str
    site: str
    item: str
    holder: str
    case_id: int
    out_at: datetime
    due_back: datetime | None
    returned_at: datetime | None
    overdue: bool


@router.get(
    "/registers/{kind}",
    response={200: list[EntryOut], **READ_ERRORS},
    summary="A register's entries (open ones only by default)",
)
def entries(
    request: HttpRequest,
    kind: str,
    open: bool = Query(True),
    site: str | None = None,
) -> list[EntryOut]:
    if kind not in Register.values:
        raise NotFound("not_found", what=kind)
    who = actor(request)
    qs = who.scope(Entry.objects.select_related("site").filter(register=kind))
    if site:
        qs = qs.filter(site__code=site)
    if open:
        qs = qs.filter(returned_at__isnull=True)
    now = timezone.now()
    return [
        EntryOut(
            id=e.pk,
            kind=e.register,
            site=e.site.code,
            item=e.item,
            holder=e.holder,
            case_id=e.case_id,
            out_at=e.out_at,
            due_back=e.due_back,
            returned_at=e.returned_at,
            overdue=e.returned_at is None and e.due_back is not None and e.due_back < now,
        )
        for e in qs.order_by("-out_at")[:500]
    ]
