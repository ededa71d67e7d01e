"""The procedure library, read-only: a searchable list and one page per procedure (its
diagram, steps, owners, limits, forms, warnings and effects). Editing stays in Django admin."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import get_language, pgettext

from fuwu.cases.choices import Channel
from fuwu.cases.usage import most_used_first
from fuwu.core.models import Department
from fuwu.procedures.engine.definition import Procedure
from fuwu.procedures.engine.diagram import mermaid
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.web.access import actor_of, staff_required
from fuwu.web.procedure_page import Names, describe


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    other_name: str  # the name in the other language, searched too
    version: int
    steps: int
    open_to_customers: bool
    channels: list[str]


def _language() -> str:
    return get_language() or "zh-hans"


def _rows(language: str) -> list[Row]:
    rows = []
    for version in ProcedureVersion.objects.filter(is_current=True).order_by("key"):
        p = definition_of(version)
        english = language.startswith("en")
        rows.append(
            Row(
                key=p.key,
                name=p.name.get(language),
                other_name=p.name.zh if english else p.name.en,
                version=version.version,
                steps=len(p.steps),
                open_to_customers=p.open_to_customers,
                channels=[str(Channel(c).label) for c in p.channels],
            )
        )
    return rows


@staff_required
def procedure_list(request: HttpRequest) -> HttpResponse:
    language = _language()
    q = request.GET.get("q", "").strip()[:100]
    actor = actor_of(request)
    rows = most_used_first(
        _rows(language),
        key=lambda r: r.key,
        name=lambda r: r.name,
        site_ids=None if actor.superuser else actor.site_ids,
    )
    total = len(rows)
    if q:
        needle = q.lower()
        rows = [
            r
            for r in rows
            if needle in r.name.lower() or needle in r.other_name.lower() or needle in r.key
        ]
    return render(request, "web/procedures.html", {"rows": rows, "q": q, "total": total})


def _names(procedure: Procedure, language: str) -> Names:
    """Department and procedure names for the codes and keys the definition mentions."""
    codes = {procedure.owner.department}
    linked = set()
    for step in procedure.steps.values():
        owners = [step.owner, *(b.owner for b in step.branches)]
        codes.update(o.department for o in owners if o is not None)
        effects = [*step.effects, *(e for t in step.transitions for e in t.effects)]
        for e in effects:
            if e.notify is not None:
                codes.add(e.notify.department)
            if e.open_linked_case is not None:
                linked.add(e.open_linked_case.procedure)
    codes.update(r.department for r in procedure.escalation)
    english = language.startswith("en")
    departments: dict[str, str] = {}
    # A code names the same department at every site; the first site's name serves.
    for code, name, name_en in (
        Department.objects.filter(code__in=[c for c in codes if c])
        .order_by("site_id")
        .values_list("code", "name", "name_en")
    ):
        departments.setdefault(code, (name_en if english else "") or name)
    procedures = {
        key: name_en if english else name_zh
        for key, name_zh, name_en in ProcedureVersion.objects.filter(
            key__in=linked, is_current=True
        ).values_list("key", "name_zh", "name_en")
    }
    return Names(language, procedure, departments, procedures)


@staff_required
def procedure_detail(request: HttpRequest, key: str) -> HttpResponse:
    row = ProcedureVersion.objects.filter(key=key, is_current=True).first()
    if row is None:
        raise Http404
    language = _language()
    procedure = definition_of(row)
    return render(
        request,
        "web/procedure.html",
        {
            "row": row,
            "p": describe(procedure, _names(procedure, language)),
            "diagram": mermaid(procedure, language=language),
            # How lists read in a sentence: 客服、部门经理 / Agent, Department manager.
            "sep": pgettext("list separator", "、"),
            "clauses": pgettext("separator between clauses", "；"),
            "colon": pgettext("after a label", "："),
        },
    )


urlpatterns = [
    path("procedures/", procedure_list, name="procedures"),
    path("procedures/<slug:key>/", procedure_detail, name="procedure"),
]
