"""The person pickers: a case page's person fields (a dispatch step's picks the assignee), its
assign panel, and the person fields of the intake desk (the site's staff, no case yet).

Whom each offers is the policy's answer (`policy.pick_candidates` for a person field,
`policy.eligible_assignees` for the assign panel); `fuwu.web.people` describes them. The
search endpoint answers the picker's box as the person types (htmx, GET, changes nothing).
"""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import get_language

from fuwu.cases import policy
from fuwu.cases.models import Case
from fuwu.cases.queries import get_case_for
from fuwu.core.actors import Actor
from fuwu.core.models import Site
from fuwu.procedures.engine.definition import FieldType
from fuwu.procedures.engine.errors import NotFound
from fuwu.procedures.registry import definition_of
from fuwu.web.access import actor_of, staff_required
from fuwu.web.dynforms import DynamicForm
from fuwu.web.people import Candidate, Picker, describe, picker

ASSIGNEE = "assignee"  # the assign panel's input
INPUT_NAME = re.compile(r"[\w.-]{1,100}")  # a form input's name, as the pickers post it


def _url(case: Case, name: str) -> str:
    return f"{reverse('web:case-people', args=[case.pk])}?field={name}"


def field_candidates(case: Case, key: str, language: str) -> list[Candidate]:
    step = definition_of(case.procedure).steps[case.step]
    return describe(policy.pick_candidates(case, step, key), case.site, language)


def assign_candidates(case: Case, language: str) -> list[Candidate]:
    step = definition_of(case.procedure).steps.get(case.step)
    return describe(policy.eligible_assignees(case, step), case.site, language)


def add_pickers(form: DynamicForm, case: Case, language: str) -> None:
    """Draw the form's person fields as pickers of the people each may name."""
    for name, spec in list(form.specs.items()):
        if spec.kind != "person" or spec.checklist:
            continue
        bf = form[name]
        form.specs[name] = spec.with_picker(
            picker(
                bf.html_name,
                _url(case, bf.html_name),
                field_candidates(case, spec.key, language),
                chosen=bf.value(),
            )
        )


def assign_picker(case: Case, language: str, *, chosen: Any = None) -> Picker | None:
    """The assign panel's picker, or None when nobody may work the step."""
    candidates = assign_candidates(case, language)
    if not candidates:
        return None
    return picker(
        ASSIGNEE,
        _url(case, ASSIGNEE),
        candidates,
        chosen=case.assignee_id if chosen is None else chosen,
        by_id=True,
    )


def add_site_pickers(form: DynamicForm, site: Site, language: str) -> None:
    """Draw the person fields of a form that has no case yet (the intake desk) as pickers of
    the site's staff (`policy.site_people`)."""
    names = [n for n, spec in form.specs.items() if spec.kind == "person" and not spec.checklist]
    if not names:
        return
    candidates = describe(policy.site_people(site.pk), site, language)
    for name in names:
        bf = form[name]
        url = f"{reverse('web:site-people')}?site={site.pk}&field={bf.html_name}"
        form.specs[name] = form.specs[name].with_picker(
            picker(bf.html_name, url, candidates, chosen=bf.value())
        )


def _may_pick(actor: Actor, case: Case, name: str) -> bool:
    if case.is_closed:
        return False
    if name == ASSIGNEE:
        return policy.may_assign_others(actor, case)
    step = definition_of(case.procedure).steps[case.step]
    fields = [*step.form, *(f for t in step.transitions for f in t.fields)]
    if not any(f.key == name and f.type is FieldType.PERSON for f in fields):
        return False
    roles, everything = policy.step_roles(actor, case)
    return everything or any(policy.transition_allowed(t, roles, False) for t in step.transitions)


@staff_required
def people(request: HttpRequest, case_id: int) -> HttpResponse:
    """The picker's list narrowed to what was typed (`<field>.q`), the chosen one kept."""
    actor = actor_of(request)
    try:
        case = get_case_for(actor, case_id)
    except NotFound:
        raise Http404 from None
    name = request.GET.get("field", "")
    if not _may_pick(actor, case, name):
        raise Http404
    language = get_language() or "zh-hans"
    query = request.GET.get(f"{name}.q", "")[:50]
    by_id = name == ASSIGNEE
    candidates = (
        assign_candidates(case, language) if by_id else field_candidates(case, name, language)
    )
    chosen = request.GET.get(name, "")
    shown = picker(name, _url(case, name), candidates, query=query, chosen=chosen, by_id=by_id)
    return render(request, "web/_person_options.html", {"picker": shown})


@staff_required
def site_people(request: HttpRequest) -> HttpResponse:
    """The intake desk's picker narrowed to what was typed: staff of a site the person works at."""
    actor = actor_of(request)
    try:
        site_id = int(request.GET.get("site", ""))
    except ValueError:
        raise Http404 from None
    if not (actor.superuser or site_id in actor.site_ids):
        raise Http404
    site = Site.objects.filter(pk=site_id).first()
    name = request.GET.get("field", "")
    if site is None or not INPUT_NAME.fullmatch(name):
        raise Http404
    language = get_language() or "zh-hans"
    candidates = describe(policy.site_people(site.pk), site, language)
    url = f"{reverse('web:site-people')}?site={site.pk}&field={name}"
    query = request.GET.get(f"{name}.q", "")[:50]
    shown = picker(name, url, candidates, query=query, chosen=request.GET.get(name, ""))
    return render(request, "web/_person_options.html", {"picker": shown})


urlpatterns = [
    path("cases/<int:case_id>/people/", people, name="case-people"),
    path("people/", site_people, name="site-people"),
]
