"""Spreadsheets in and out on the staff pages.

Out: the whole filtered queue (`/queue/export/?…&format=xlsx|csv`, the queue's own `CaseFilter`
and scope) and every report's main table (`/reports/<family>/export/?<the page's
filters>&format=…`, `fuwu.reports.exports`; the service levels' `/reports/service-levels/export/`). The ticked rows
of the queue go through the bulk bar (fuwu.web.views.bulk). All through `fuwu.sheets.writer`.
In: `/imports/` upload → `/imports/<id>/` preview (first rows, every problem with its row and
column) → confirm; `/imports/templates/<kind>/` the template of each kind (xlsx, headers in the
reader's language). The rules and writes are `fuwu.sheets.actions`'.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.cases.queries import cases_for
from fuwu.procedures.engine.errors import EngineError
from fuwu.reports import exports
from fuwu.reports.lists import rights
from fuwu.sheets import actions, writer
from fuwu.sheets.cases import CaseTable
from fuwu.sheets.kinds import KINDS
from fuwu.sheets.models import ImportBatch
from fuwu.sheets.reader import MAX_BYTES
from fuwu.web.access import actor_of, staff_required
from fuwu.web.lists import parse_filter
from fuwu.web.views.queues import _params

RECENT = 10


def _format(raw: str | None) -> str:
    return raw if raw in writer.FORMATS else "xlsx"


@staff_required
def queue_export(request: HttpRequest) -> HttpResponseBase:
    actor = actor_of(request)
    filters, problems = parse_filter(_params(request))
    if problems:
        for problem in problems:
            messages.warning(request, problem)
        return redirect(reverse("web:queue") + "?" + request.GET.urlencode())
    qs = filters.apply(cases_for(actor), actor)
    table = CaseTable(qs, get_language() or "zh-hans")
    return writer.response(table, _format(request.GET.get("format")))


@staff_required
def report_export(request: HttpRequest, family: str) -> HttpResponseBase:
    """Any report (`fuwu.reports.exports`) with the page's filters and rights (403 for a person
    who may not open it, `fuwu.reports.lists.rights`): its main table, and in the xlsx a sheet
    for each of the page's secondary tables."""
    export = exports.EXPORTS.get(family)
    if export is None:
        raise Http404
    if not rights.may_read(actor_of(request), family):
        raise PermissionDenied
    language = get_language() or "zh-hans"
    params = {k: str(v) for k, v in request.GET.items() if k != "format"}
    try:
        table = export.table(actor_of(request), params, language)
    except EngineError as exc:
        messages.warning(request, exc.message(language))
        return redirect(reverse(export.url_name) + "?" + urlencode(params))
    return writer.response(table, _format(request.GET.get("format")))


@staff_required(manager=True)
def imports(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    language = get_language() or "zh-hans"
    sites = actions.import_sites(actor)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        site = request.POST.get("site", "")
        try:
            if upload is None:
                raise EngineError("import_no_file")
            content = upload.read(MAX_BYTES + 1)  # more is refused by the reader
            batch = actions.upload(
                actor,
                kind=request.POST.get("kind", ""),
                site_id=int(site) if site.isdigit() else None,
                filename=upload.name or "",
                content=content,
            )
        except EngineError as exc:
            error = " ".join(
                [exc.message(language), *(e.message(language) for e in exc.fields.values())]
            )
        else:
            return redirect("web:import", batch_id=batch.pk)
    recent = ImportBatch.objects.filter(created_by_id=actor.user_id).defer("content")[:RECENT]
    return render(
        request,
        "web/imports.html",
        {
            "kinds": [(k.key, k.title) for k in KINDS.values()],
            "sites": sites,
            "recent": recent,
            "kind_titles": {k.key: k.title for k in KINDS.values()},
            "error": error,
            "chosen": request.POST if request.method == "POST" else request.GET,
        },
        status=422 if error else 200,
    )


def _batch(request: HttpRequest, batch_id: int) -> ImportBatch:
    try:
        return actions.batch_of(actor_of(request), batch_id)
    except EngineError:
        raise Http404 from None


@staff_required(manager=True)
def import_preview(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    shown = actions.preview(batch)
    return render(
        request,
        "web/import_preview.html",
        {"preview": shown, "batch": batch, "title": KINDS[batch.kind].title},
    )


@require_POST
@staff_required(manager=True)
def import_confirm(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = actor_of(request)
    batch = _batch(request, batch_id)
    try:
        batch = actions.confirm(actor, batch.pk)
    except EngineError as exc:
        messages.warning(request, exc.message(get_language()))
    else:
        if batch.written or batch.status == "done":
            messages.success(request, _("已导入 %(n)d 条记录。") % {"n": batch.written})
        else:
            messages.warning(request, _("文件有错误，未导入任何记录。"))
    return redirect("web:import", batch_id=batch.pk)


@staff_required(manager=True)
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in KINDS:
        raise Http404
    table = actions.template_of(kind, get_language())
    response = HttpResponse(writer.xlsx_bytes(table), content_type=writer.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="fuwu-{kind}.xlsx"'
    return response


urlpatterns = [
    path("queue/export/", queue_export, name="queue_export"),
    path(
        "reports/service-levels/export/",
        report_export,
        {"family": "service-levels"},
        name="report-service-levels-export",
    ),
    path("reports/<slug:family>/export/", report_export, name="report-export"),
    path("imports/", imports, name="imports"),
    path("imports/<int:batch_id>/", import_preview, name="import"),
    path("imports/<int:batch_id>/confirm/", import_confirm, name="import_confirm"),
    path("imports/templates/<slug:kind>/", import_template, name="import_template"),
]
