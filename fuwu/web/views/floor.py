"""The floor manager's table board (/floor/): every table of the restaurant with its state (free,
or the step its sitting stands on and that step's clock in seconds), a table opened in one tap
and its sitting moved on by tap. The table list refreshes itself by htmx polling.

Tables are the site's assets of kind `table` (customers.AssetKind.TABLE); a sitting is a case of
the hot-pot table service on that table (its `asset`), opened and moved through the actions like
any other case. The board offers a move only when all it needs fits on a tap: yes/no checklist
items (ticked as done, to be unticked when not) and numbers still blank (the guests); anything
else (the order, the read-back) is the case page's, linked from the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.cases import actions, policy
from fuwu.cases.choices import CLOSED_STATUSES
from fuwu.cases.models import Case
from fuwu.cases.queries import cases_for, get_case_for
from fuwu.core.actors import Actor
from fuwu.core.models import Site
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset
from fuwu.procedures.engine.definition import ChecklistKind, FieldType, Procedure
from fuwu.procedures.engine.errors import EngineError, NotFound
from fuwu.procedures.engine.machine import applicable, guard_context, is_blank, options
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.web.access import actor_of, staff_required
from fuwu.web.lists import definitions

PROCEDURE = "hotpot_table_service"
TABLE_FIELD = "table_no"  # the procedure's intake field naming the table
POLL_SECONDS = 5
CHECK = "check."  # posted checklist answers: check.<item>=yes
NUMBER = "number."  # posted numbers: number.<field>=4


@dataclass(frozen=True)
class Number:
    key: str
    label: str
    min: float | None
    max: float | None


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    ticked: bool  # a required item starts ticked (done as the standard says); untick a miss


@dataclass(frozen=True)
class Tap:
    key: str
    label: str
    numbers: list[Number]
    checks: list[Check]


@dataclass(frozen=True)
class Table:
    asset: Asset
    case: Case | None
    step: str
    due: datetime | None
    start: datetime | None
    taps: list[Tap]
    more: bool  # the step has moves that need the case page


def _sites(actor: Actor) -> list[Site]:
    """The sites this person sees that have tables."""
    with_tables = Asset.objects.filter(kind=AssetKind.TABLE).values("site_id")
    sites = Site.objects.filter(pk__in=with_tables).order_by("name")
    return list(sites if actor.superuser else sites.filter(pk__in=actor.site_ids))


def _site(request: HttpRequest, actor: Actor) -> tuple[Site | None, list[Site]]:
    sites = _sites(actor)
    code = request.GET.get("site") or request.POST.get("site")
    chosen = next((s for s in sites if s.code == code), None)
    return chosen or (sites[0] if sites else None), sites


def _procedure() -> Procedure | None:
    version = ProcedureVersion.objects.filter(key=PROCEDURE, is_current=True).first()
    return definition_of(version) if version else None


def _taps(procedure: Procedure, case: Case, actor: Actor, lang: str) -> tuple[list[Tap], bool]:
    """The moves this person may take from the board, and whether others need the case page."""
    step = procedure.steps.get(case.step)
    if step is None or case.is_closed:
        return [], False
    if step.branches:
        return [], True
    roles, everything = policy.step_roles(actor, case)
    view = actions.view_of(case)
    fields = procedure.all_fields()
    items = applicable(step.checklist, guard_context(procedure, view))
    taps, more = [], False
    for option in options(procedure, view, roles, superuser=everything):
        if not option.allowed:
            continue
        t = option.transition
        needed = [f.key for f in t.fields if f.required]
        if not t.skip_form:
            needed += [f.key for f in step.form if f.required]
        needed += list(t.require)
        blank = [k for k in dict.fromkeys(needed) if is_blank(case.data.get(k))]
        checks = [] if t.skip_form else items
        fits = all(k in fields and fields[k].type is FieldType.NUMBER for k in blank) and all(
            i.type is ChecklistKind.YES_NO for i in checks
        )
        if not fits:
            more = True
            continue
        taps.append(
            Tap(
                key=t.key,
                label=t.label.get(lang),
                numbers=[
                    Number(k, fields[k].label.get(lang), fields[k].min, fields[k].max)
                    for k in blank
                ],
                checks=[Check(i.key, i.label.get(lang), i.required) for i in checks],
            )
        )
    return taps, more


def tables(actor: Actor, site: Site, lang: str) -> list[Table]:
    """The site's tables, each with its open sitting (the newest, should there be two)."""
    assets = list(Asset.objects.filter(site=site, kind=AssetKind.TABLE).order_by("label"))
    sittings: dict[int, Case] = {}
    for sitting in (
        cases_for(actor)
        .filter(site=site, procedure_key=PROCEDURE, asset_id__in=[a.pk for a in assets])
        .exclude(status__in=CLOSED_STATUSES)
        .order_by("created_at", "pk")
    ):
        sittings[sitting.asset_id or 0] = sitting  # the newest wins
    versions = list(
        ProcedureVersion.objects.filter(pk__in={c.procedure_id for c in sittings.values()}).only(
            "id", "checksum"
        )
    )
    parsed = definitions(versions)
    out = []
    for asset in assets:
        case = sittings.get(asset.pk)
        if case is None:
            out.append(Table(asset, None, "", None, None, [], False))
            continue
        procedure = parsed[case.procedure_id]
        step = procedure.steps.get(case.step)
        taps, more = _taps(procedure, case, actor, lang)
        out.append(
            Table(
                asset,
                case,
                step.name.get(lang) if step else case.step,
                case.step_due,
                case.step_start,
                taps,
                more,
            )
        )
    return out


def _context(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    site, sites = _site(request, actor)
    lang = get_language() or "zh-hans"
    procedure = _procedure()
    may_open = bool(site and procedure and policy.may_open(actor, procedure, site.pk))
    return {
        "site": site,
        "sites": sites,
        "tables": tables(actor, site, lang) if site else [],
        "may_open": may_open,
        "poll": POLL_SECONDS,
    }


@staff_required
def board(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    context = _context(request, actor)
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return render(request, "web/_floor_tables.html", context)
    return render(request, "web/floor.html", context)


def _back(request: HttpRequest, site: Site | None) -> HttpResponse:
    """The board again: the table list alone for htmx, else the whole page."""
    if getattr(request, "htmx", None):
        return render(request, "web/_floor_tables.html", _context(request, actor_of(request)))
    return redirect(reverse("web:floor") + (f"?site={site.code}" if site else ""))


def _problem(request: HttpRequest, exc: EngineError) -> None:
    lang = get_language() or "zh-hans"
    details = [f"{_field(k, lang)}{e.message(lang)}" for k, e in (exc.fields or {}).items()]
    messages.error(request, " ".join([exc.message(lang), *details]))


def _field(key: str, lang: str) -> str:
    procedure = _procedure()
    if procedure is None:
        return ""
    name = key.removeprefix("checklist.")
    for step in procedure.steps.values():
        for item in step.checklist:
            if item.key == name:
                return item.label.get(lang) + _("：")
    field = procedure.all_fields().get(name)
    return field.label.get(lang) + _("：") if field else ""


@require_POST
@staff_required
def open_table(request: HttpRequest, asset_id: int) -> HttpResponse:
    """Open a sitting on a free table: one tap, nothing to fill (the table names itself)."""
    actor = actor_of(request)
    asset = Asset.objects.filter(pk=asset_id, kind=AssetKind.TABLE).select_related("site").first()
    if asset is None or not actor.may_see_site(asset.site_id):
        raise Http404
    try:
        with transaction.atomic():
            # Two taps on one table at once: the second waits here, then finds the sitting.
            Asset.objects.select_for_update().filter(pk=asset.pk).first()
            busy = (
                Case.objects.filter(asset=asset, procedure_key=PROCEDURE)
                .exclude(status__in=CLOSED_STATUSES)
                .exists()
            )
            if busy:
                messages.error(request, _("%(table)s 桌已在服务中。") % {"table": asset.label})
            else:
                actions.open_case(
                    actor,
                    procedure_key=PROCEDURE,
                    site_id=asset.site_id,
                    channel="walk_in",
                    title=_("%(table)s 桌") % {"table": asset.label},
                    asset_id=asset.pk,
                    data={TABLE_FIELD: asset.label},
                )
    except EngineError as exc:
        _problem(request, exc)
    return _back(request, asset.site)


def _number(raw: str) -> Any:
    try:
        return int(raw)
    except ValueError:
        return raw.strip()  # the action says what is wrong with it


@require_POST
@staff_required
def move(request: HttpRequest, case_id: int, transition: str) -> HttpResponse:
    """Take a move from the board: the numbers it asked for, the checklist ticked or not."""
    actor = actor_of(request)
    try:
        case = get_case_for(actor, case_id)
    except NotFound:
        raise Http404 from None
    procedure = definition_of(case.procedure)
    taps, _more = _taps(procedure, case, actor, get_language() or "zh-hans")
    tap = next((t for t in taps if t.key == transition), None)
    form = {
        n.key: _number(request.POST.get(NUMBER + n.key, ""))
        for n in (tap.numbers if tap else [])
        if request.POST.get(NUMBER + n.key, "").strip()
    }
    checklist: dict[str, Any] = {}
    for c in tap.checks if tap else []:
        ticked = request.POST.get(CHECK + c.key) == "yes"
        if ticked or c.ticked:  # an optional item left unticked is not answered
            checklist[c.key] = ticked
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        actions.take_transition(
            actor, case_id, transition, version=version, form=form, checklist=checklist
        )
    except EngineError as exc:
        _problem(request, exc)
    return _back(request, case.site)


urlpatterns = [
    path("floor/", board, name="floor"),
    path("floor/tables/<int:asset_id>/open/", open_table, name="floor-open"),
    path("floor/cases/<int:case_id>/<slug:transition>/", move, name="floor-move"),
]
