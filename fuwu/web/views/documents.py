"""A case's printed documents: print one as PDF, and take a customer's signature on a tablet.

`POST /cases/<id>/documents/<kind>/print/` prints (a number on the first print, a copy after
that: a change, so never on GET) and answers the PDF inline, or as a download with
`download=1`. `GET /cases/<id>/documents/<kind>/sign/` is the signing page for a phone or tablet
(the vendored signature_pad draws on a canvas); its POST stores the signature through
`fuwu.documents.actions.sign_document`. A case this person may not see is a 404; refusals come
back in the reader's language and change nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.cases.queries import get_case_for
from fuwu.documents import actions
from fuwu.documents import render as documents_render
from fuwu.documents.kinds import KINDS
from fuwu.documents.queries import entries
from fuwu.documents.signatures import check_signature, decode
from fuwu.procedures.engine.errors import EngineError, NotFound
from fuwu.web.access import actor_of, staff_required


def _language() -> str:
    return get_language() or "zh-hans"


@staff_required
@require_POST
def document_print(request: HttpRequest, case_id: int, kind: str) -> HttpResponse:
    actor = actor_of(request)
    try:
        made = actions.print_pdf(actor, case_id, kind, language=_language())
    except NotFound:
        raise Http404 from None
    except EngineError as refused:
        messages.error(request, refused.message(_language()))
        return redirect("web:case", case_id=case_id)
    except documents_render.RendererMissing as missing:
        messages.error(request, str(missing))
        return redirect("web:case", case_id=case_id)
    response = HttpResponse(made.content, content_type="application/pdf")
    how = "attachment" if request.POST.get("download") == "1" else "inline"
    response["Content-Disposition"] = f'{how}; filename="{made.filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _sign_context(request: HttpRequest, case_id: int, kind: str) -> dict[str, Any]:
    actor = actor_of(request)
    try:
        case = get_case_for(actor, case_id)
    except NotFound:
        raise Http404 from None
    entry = next((e for e in entries(actor, case, _language()) if e.kind.key == kind), None)
    if entry is None or kind not in KINDS:
        raise Http404
    sheet = documents_render.sheet(actor, case, entry.kind, None, copy=False, language=_language())
    return {
        "case": case,
        "entry": entry,
        "facts": [f for f in sheet.facts if f.text][:12],
        "note": sheet.note,
        "signer": case.customer.name if case.customer else "",
        "box": entry.kind.signatures[0].get(_language()) if entry.kind.signatures else "",
    }


@staff_required
def document_sign(request: HttpRequest, case_id: int, kind: str) -> HttpResponse:
    context = _sign_context(request, case_id, kind)
    if request.method != "POST":
        if not context["entry"].signable:
            raise Http404
        return render(request, "web/document_sign.html", context)
    signer = request.POST.get("signer", "")
    context["signer"] = signer
    try:
        picture = check_signature(decode(request.POST.get("signature", "")))
        signature = actions.sign_document(
            actor_of(request), case_id, kind, signer=signer, picture=picture
        )
    except NotFound:
        raise Http404 from None
    except EngineError as refused:
        context["errors"] = {k: e.message(_language()) for k, e in refused.fields.items()}
        context["error"] = refused.message(_language())
        return render(request, "web/document_sign.html", context, status=400)
    messages.success(
        request,
        _("%(signer)s 已在%(document)s %(number)s 上签名。")
        % {
            "signer": signature.signer_name,
            "document": context["entry"].name,
            "number": signature.document.number,
        },
    )
    return redirect(reverse("web:document-sign", args=[case_id, kind]) + "?signed=1")


urlpatterns = [
    path(
        "cases/<int:case_id>/documents/<slug:kind>/print/",
        document_print,
        name="document-print",
    ),
    path(
        "cases/<int:case_id>/documents/<slug:kind>/sign/",
        document_sign,
        name="document-sign",
    ),
]
