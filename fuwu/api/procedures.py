"""Procedures: the current versions and their definitions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from fuwu.api.common import READ_ERRORS, actor, language
from fuwu.cases.models import Event
from fuwu.cases.queries import get_case_for
from fuwu.procedures.engine.diagram import mermaid
from fuwu.procedures.engine.errors import NotFound
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of

router = Router(tags=["procedures"])


class ProcedureOut(Schema):
    key: str
    version: int
    name: str
    name_zh: str
    name_en: str
    steps: int
    open_to_customers: bool
    channels: list[str]


class ProcedureDetail(ProcedureOut):
    definition: dict[str, Any]


def _out(row: ProcedureVersion, lang: str) -> dict[str, Any]:
    p = definition_of(row)
    return {
        "key": p.key,
        "version": row.version,
        "name": p.name.get(lang),
        "name_zh": p.name.zh,
        "name_en": p.name.en,
        "steps": len(p.steps),
        "open_to_customers": p.open_to_customers,
        "channels": list(p.channels),
    }


@router.get(
    "", response={200: list[ProcedureOut], **READ_ERRORS}, summary="Procedures (current versions)"
)
def list_procedures(request: HttpRequest) -> list[dict[str, Any]]:
    lang = language(request)
    return [_out(r, lang) for r in ProcedureVersion.objects.filter(is_current=True).order_by("key")]


@router.get(
    "/{key}", response={200: ProcedureDetail, **READ_ERRORS}, summary="A procedure's definition"
)
def get_procedure(request: HttpRequest, key: str, version: int | None = None) -> dict[str, Any]:
    qs = ProcedureVersion.objects.filter(key=key)
    row = qs.filter(version=version).first() if version else qs.filter(is_current=True).first()
    if row is None:
        raise NotFound("procedure_unknown", procedure=key)
    return {**_out(row, language(request)), "definition": row.definition}


class DiagramOut(Schema):
    key: str
    version: int
    format: str
    diagram: str
    current: str | None
    visited: list[str]


@router.get(
    "/{key}/diagram",
    response={200: DiagramOut, **READ_ERRORS},
    summary="The procedure as a Mermaid flowchart, optionally marking a case's current step and path",
)
def diagram(request: HttpRequest, key: str, case: int | None = None) -> DiagramOut:
    current: str | None = None
    visited: list[str] = []
    row: ProcedureVersion | None
    if case is not None:
        found = get_case_for(actor(request), case)
        if found.procedure_key != key:
            raise NotFound("not_found", what="case")
        row, current = found.procedure, found.step
        for data in Event.objects.filter(case=found).order_by("seq").values_list("data", flat=True):
            visited.extend(data.get("visited") or [])
    else:
        row = ProcedureVersion.objects.filter(key=key, is_current=True).first()
    if row is None:
        raise NotFound("procedure_unknown", procedure=key)
    text = mermaid(definition_of(row), language=language(request), current=current, visited=visited)
    return DiagramOut(
        key=key,
        version=row.version,
        format="mermaid",
        diagram=text,
        current=current,
        visited=list(dict.fromkeys(visited)),
    )
