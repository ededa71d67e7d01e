"""Spreadsheets in and out over the API.

Out: `GET /api/cases/export?format=xlsx|csv&<the list's filters>` (every matching case, not a
page: the list's `CaseFilter`, scope and order), `GET /api/reports/{family}/export` (any report's
main table, `fuwu.reports.exports`; `service-levels` among them).
In: `POST /api/imports` (multipart: kind, site code, file) checks the whole file and answers
the problems (row, column, message) and the first rows, writing nothing; `POST
/api/imports/{id}/confirm` checks again and writes it all; `GET /api/imports/templates/{kind}`.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, ErrorOut, actor, language, site_for
from fuwu.cases.queries import CaseFilter, cases_for
from fuwu.procedures.engine.errors import EngineError
from fuwu.reports import exports
from fuwu.reports.lists import rights
from fuwu.sheets import actions, writer
from fuwu.sheets.cases import CaseTable
from fuwu.sheets.kinds import KINDS
from fuwu.sheets.models import ImportBatch
from fuwu.sheets.reader import MAX_BYTES

router = Router(tags=["spreadsheets"])

Format = Literal["xlsx", "csv"]
FILE_RESPONSE = {
    "responses": {
        "200": {
            "description": "the spreadsheet",
            "content": {writer.XLSX_TYPE: {}, "text/csv": {}},
        }
    }
}


@router.get(
    "/cases/export",
    response={**READ_ERRORS},
    summary="Every case the list's filters match, as xlsx or CSV (phones masked)",
    openapi_extra=FILE_RESPONSE,
)
def export_cases(
    request: HttpRequest, filters: Query[CaseFilter], format: Format = "xlsx"
) -> StreamingHttpResponse:
    who = actor(request)
    qs = filters.apply(cases_for(who), who)
    return writer.response(CaseTable(qs, language(request)), format)


@router.get(
    "/reports/{family}/export",
    response={**READ_ERRORS, 403: ErrorOut},
    summary="A report as xlsx (its main table, then a sheet per secondary table) or CSV (the main table)",
    description=(
        "`family`: " + ", ".join(exports.EXPORTS) + ". The other query parameters are the "
        "report's own filters (as its page and its API read them). Read with its rights "
        "(403 otherwise): managers, and besides them by role "
        + "; ".join(
            f"{r}: {', '.join(sorted(roles))}" for r, roles in rights.READERS.items() if roles
        )
        + "."
    ),
    openapi_extra=FILE_RESPONSE,
)
def export_report(
    request: HttpRequest, family: str, format: Format = "xlsx"
) -> StreamingHttpResponse:
    params = {k: str(v) for k, v in request.GET.items() if k != "format"}
    table = exports.table(actor(request), family, params, language(request))
    return writer.response(table, format)


class ImportProblemOut(Schema):
    row: int | None
    column: str
    code: str
    message: str


class ImportOut(Schema):
    id: int
    kind: str
    site: int
    filename: str
    status: str
    rows: int
    written: int
    problems: list[ImportProblemOut]
    headers: list[str]
    preview: list[list[str]]


def _out(batch: ImportBatch) -> ImportOut:
    shown = actions.preview(batch)
    return ImportOut(
        id=batch.pk,
        kind=batch.kind,
        site=batch.site_id,
        filename=batch.filename,
        status=batch.status,
        rows=batch.rows,
        written=batch.written,
        problems=[
            ImportProblemOut(row=p.row, column=p.column, code=p.code, message=p.message)
            for p in shown.problems
        ],
        headers=shown.headers,
        preview=[cells for _n, cells in shown.rows],
    )


@router.post(
    "/imports",
    response={201: ImportOut, **WRITE_ERRORS},
    summary="Upload a spreadsheet to import: checked whole, nothing written (see confirm)",
)
def upload(
    request: HttpRequest,
    kind: Form[str],
    site: Form[str],
    file: File[UploadedFile],
) -> Status[ImportOut]:
    who = actor(request)
    target = site_for(who, site)
    content = file.read(MAX_BYTES + 1)  # more is refused by the reader
    batch = actions.upload(
        who, kind=kind, site_id=target.pk, filename=file.name or "", content=content
    )
    return Status(201, _out(batch))


@router.get(
    "/imports/{int:batch_id}", response={200: ImportOut, **READ_ERRORS}, summary="An import"
)
def get_import(request: HttpRequest, batch_id: int) -> ImportOut:
    return _out(actions.batch_of(actor(request), batch_id))


@router.post(
    "/imports/{int:batch_id}/confirm",
    response={200: ImportOut, **WRITE_ERRORS},
    summary="Check the upload again and write it all (or nothing, with the problems)",
)
def confirm(request: HttpRequest, batch_id: int) -> Any:
    batch = actions.confirm(actor(request), batch_id)
    if batch.status != "done":
        return Status(
            422,
            ErrorOut(
                code="import_refused",
                message=EngineError("import_not_pending").message(language(request)),
                details={"problems": [p.model_dump() for p in _out(batch).problems]},
            ),
        )
    return _out(batch)


@router.get(
    "/imports/templates/{kind}",
    response={**READ_ERRORS},
    summary="The xlsx template of an import kind (headers in the caller's language)",
    openapi_extra=FILE_RESPONSE,
)
def template(request: HttpRequest, kind: str) -> HttpResponse:
    table = actions.template_of(kind, language(request))
    response = HttpResponse(writer.xlsx_bytes(table), content_type=writer.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="fuwu-{kind}.xlsx"'
    return response


__all__ = ["KINDS", "router"]
