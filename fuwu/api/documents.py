"""A case's printed documents: which it has, print one (a PDF), record a customer's signature.

The same actions as the staff pages (`fuwu.documents.actions`): the first print numbers the
document in its site's sequence for that kind, every later one is a copy (副本) with that
number; each print is a case event. A case the caller may not see is a 404.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, actor, language
from fuwu.cases.queries import get_case_for
from fuwu.documents import actions
from fuwu.documents.queries import entries
from fuwu.documents.signatures import check_signature, decode

router = Router(tags=["documents"])


class CaseDocumentOut(Schema):
    kind: str = Field(description="The document's kind, e.g. work_order, repair_order, receipt")
    name: str = Field(description="Its name in the caller's language")
    number: str | None = Field(description="Its number once printed or signed, else null")
    prints: int = Field(description="How many times it was printed (the first is the original)")
    signable: bool = Field(description="The customer signs it, and the caller may take it")
    signed_by: str | None
    signed_at: datetime | None


class SignatureIn(Schema):
    signer: str = Field(max_length=100, description="The name the customer gave")
    image: str = Field(
        max_length=3_000_000, description="The drawn signature: data:image/png;base64,…"
    )


class DocumentSignatureOut(Schema):
    kind: str
    number: str
    signer: str
    signed_at: datetime
    attachment: int = Field(description="The case attachment that holds the picture")


@router.get(
    "/cases/{int:case_id}/documents",
    response={200: list[CaseDocumentOut], **READ_ERRORS},
    summary="The documents a case's procedure prints, with their numbers and signatures",
)
def case_documents(request: HttpRequest, case_id: int) -> list[CaseDocumentOut]:
    who = actor(request)
    case = get_case_for(who, case_id)
    return [
        CaseDocumentOut(
            kind=e.kind.key,
            name=e.name,
            number=e.number or None,
            prints=e.prints,
            signable=e.signable,
            signed_by=e.signed_by or None,
            signed_at=e.signed_at,
        )
        for e in entries(who, case, language(request))
    ]


PDF = {
    "responses": {
        200: {
            "description": "The document as PDF (a copy when printed before)",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.post(
    "/cases/{int:case_id}/documents/{kind}/print",
    response=WRITE_ERRORS,
    openapi_extra=PDF,
    summary="Print a document: numbered on the first print, a copy after; recorded on the case",
)
def print_document(request: HttpRequest, case_id: int, kind: str) -> HttpResponse:
    made = actions.print_pdf(actor(request), case_id, kind, language=language(request))
    response = HttpResponse(made.content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{made.filename}"'
    response["X-Document-Number"] = made.printed.document.number
    response["X-Document-Copy"] = "true" if made.printed.copy else "false"
    return response


@router.post(
    "/cases/{int:case_id}/documents/{kind}/signatures",
    response={201: DocumentSignatureOut, **WRITE_ERRORS},
    summary="Record a customer's drawn signature on a document (stored as a case attachment)",
)
def sign_document(
    request: HttpRequest, case_id: int, kind: str, payload: SignatureIn
) -> Status[DocumentSignatureOut]:
    picture = check_signature(decode(payload.image))
    signature = actions.sign_document(
        actor(request), case_id, kind, signer=payload.signer, picture=picture
    )
    return Status(
        201,
        DocumentSignatureOut(
            kind=kind,
            number=signature.document.number,
            signer=signature.signer_name,
            signed_at=signature.signed_at,
            attachment=signature.attachment_id,
        ),
    )
