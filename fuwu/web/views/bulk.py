"""Work on the rows ticked in the queue: assign, transfer, change the priority, export.

Each case goes through its own single-case action (fuwu/cases/actions.py) in its own
transaction, so one refusal (the policy's, a closed case, a stale row) changes nothing on that
case and does not undo the others. Every refusal is reported with the case number and the
reason; nothing is skipped silently. The export is a read: the ticked rows through the one
exporter (fuwu.sheets), phone numbers masked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.cases import actions
from fuwu.cases.choices import Priority
from fuwu.cases.queries import cases_for
from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import EngineError, NotFound
from fuwu.sheets import writer
from fuwu.sheets.cases import CaseTable
from fuwu.web.access import actor_of, staff_required
from fuwu.web.lists import is_english, parse_filter, query_string

# At most a page of the largest size: a bulk change is a page of work, not the whole table.
MAX_CASES = 200
# Refusals listed one by one; past this, a count.
MAX_REPORTED = 20


@dataclass(frozen=True)
class Outcome:
    done: list[str]  # case numbers
    refused: list[tuple[str, str]]  # (case number or id, the reason in the reader's language)


def _selected(request: HttpRequest) -> list[int]:
    ids: list[int] = []
    for raw in request.POST.getlist("case"):
        if raw.isdigit() and int(raw) not in ids:
            ids.append(int(raw))
    return ids[:MAX_CASES]


def _each(actor: Actor, ids: list[int], act: Callable[[int], Any]) -> Outcome:
    """Run `act` on each case; the action's transaction is the case's own."""
    visible = cases_for(actor).filter(pk__in=ids).only("pk", "created_at")
    numbers = {case.pk: case.number for case in visible}
    language = get_language()
    done: list[str] = []
    refused: list[tuple[str, str]] = []
    for pk in ids:
        number = numbers.get(pk)
        if number is None:  # not one this person may see: as if it did not exist
            refused.append((str(pk), NotFound("not_found", what=_("工单")).message(language)))
            continue
        try:
            act(pk)
        except EngineError as exc:
            refused.append((number, exc.message(language)))
        else:
            done.append(number)
    return Outcome(done, refused)


def _report(request: HttpRequest, outcome: Outcome) -> None:
    if outcome.done:
        messages.success(
            request,
            _("已处理 %(n)d 个工单：%(numbers)s")
            % {"n": len(outcome.done), "numbers": _list(outcome.done)},
        )
    for number, reason in outcome.refused[:MAX_REPORTED]:
        messages.warning(
            request, _("%(number)s 未处理：%(reason)s") % {"number": number, "reason": reason}
        )
    if len(outcome.refused) > MAX_REPORTED:
        rest = len(outcome.refused) - MAX_REPORTED
        messages.warning(request, _("另有 %(n)d 个工单未处理。") % {"n": rest})


def _list(numbers: list[str]) -> str:
    return (", " if is_english(get_language()) else "、").join(numbers)


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the queue as it was filtered (the canonical query: nothing else is carried)."""
    filters, _problems = parse_filter(QueryDict(request.POST.get("query", "").lstrip("?")))
    query = query_string(filters, without=())
    return redirect(reverse("web:queue") + ("?" + query if query else ""))


@require_POST
@staff_required
def bulk(request: HttpRequest) -> HttpResponseBase:
    actor = actor_of(request)
    ids = _selected(request)
    action = request.POST.get("action", "")
    if action in ("export", "export_xlsx"):
        return export(actor, ids, "xlsx" if action == "export_xlsx" else "csv")
    if not ids:
        messages.warning(request, _("请先勾选工单。"))
        return _back(request)
    act: Callable[[int], Any]
    if action == "assign":
        username = request.POST.get("assignee", "").strip()
        assignee: int | None = None
        if not username:
            messages.warning(request, _("请选择处理人。"))
            return _back(request)
        if username != "none":
            try:
                assignee = actions.staff_user_by_username(username).pk
            except EngineError as exc:
                messages.warning(request, exc.message(get_language()))
                return _back(request)

        def act(pk: int) -> Any:
            return actions.assign(actor, pk, assignee_id=assignee, version=None)

    elif action == "transfer":
        code = request.POST.get("department", "").strip()
        if not code:
            messages.warning(request, _("请选择部门。"))
            return _back(request)

        def act(pk: int) -> Any:
            return actions.transfer(actor, pk, department_code=code, version=None)

    elif action == "priority":
        priority = request.POST.get("priority", "")
        if priority not in Priority.values:
            messages.warning(request, _("请选择优先级。"))
            return _back(request)

        def act(pk: int) -> Any:
            return actions.set_priority(actor, pk, priority=priority, version=None)

    else:
        messages.warning(request, _("请选择要执行的操作。"))
        return _back(request)
    _report(request, _each(actor, ids, act))
    return _back(request)


def export(actor: Actor, ids: list[int], fmt: str) -> HttpResponseBase:
    """The ticked rows (those this person may see) as a spreadsheet: the exporter the whole
    queue uses (fuwu.sheets), phones masked for everyone (an export leaves the system)."""
    qs = cases_for(actor).filter(pk__in=ids).order_by("-pk")
    return writer.response(CaseTable(qs, get_language() or "zh-hans"), fmt)


urlpatterns = [path("queue/bulk/", bulk, name="queue_bulk")]
