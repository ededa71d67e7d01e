"""Printing a case's document and signing it: the two writes of the documents app.

Both lock the case (`fuwu.cases.flow.lock_case`) and record what they did as a case event
through `Change`, in one transaction with the rows they write. Neither changes the case's state,
so its version does not move and a colleague's open form still submits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from fuwu.cases import policy as case_policy
from fuwu.cases.attachments import Photo, save_photos
from fuwu.cases.choices import EventKind
from fuwu.cases.flow import Change, lock_case
from fuwu.cases.models import Case
from fuwu.core.actors import Actor
from fuwu.documents import policy
from fuwu.documents.kinds import KINDS, DocKind
from fuwu.documents.models import Counter, Document, Signature
from fuwu.procedures.engine.errors import EngineError, FieldError
from fuwu.procedures.engine.machine import is_blank
from fuwu.procedures.registry import definition_of

# The case event of a print (a string, like the portal's own kinds: `fuwu.web.timeline` reads it).
DOCUMENT_PRINTED = EventKind.DOCUMENT_PRINTED.value
MAX_SIGNER = 100


@dataclass(frozen=True)
class Printed:
    document: Document
    copy: bool  # a reprint: marked 副本 on the paper


def kind_of(key: str) -> DocKind:
    kind = KINDS.get(key)
    if kind is None:
        raise EngineError("document_unknown")
    return kind


def number_for(site_code: str, kind: DocKind, seq: int) -> str:
    return f"{site_code.upper()}-{kind.prefix}-{seq:06d}"


def check_complete(case: Case, kind: DocKind) -> None:
    """A document with `needs` prints only when one of those fields holds a value."""
    if not kind.needs or any(not is_blank(case.data.get(k)) for k in kind.needs):
        return
    fields = definition_of(case.procedure).all_fields()
    present = [fields[k] for k in kind.needs if k in fields]
    raise EngineError(
        "document_incomplete",
        document_zh=kind.name.zh,
        document_en=kind.name.en,
        fields_zh="、".join(f.label.zh for f in present),
        fields_en=", ".join(f.label.en for f in present),
    )


def _applicable(case: Case, key: str) -> DocKind:
    kind = kind_of(key)
    if not kind.applies_to(case.procedure.key):
        raise EngineError("document_not_applicable")
    return kind


def _issue(case: Case, kind: DocKind, actor: Actor) -> Document:
    """The case's document of this kind, numbered now if it has none yet.

    The counter row is created once per site and kind (a race to create it is settled by the
    unique constraint inside `get_or_create`), then locked: the next number is taken under that
    lock and the document written in the same transaction, so a rollback returns the number.
    """
    existing = Document.objects.filter(case=case, kind=kind.key).first()
    if existing is not None:
        return existing
    Counter.objects.get_or_create(site_id=case.site_id, kind=kind.key)
    counter = Counter.objects.select_for_update().get(site_id=case.site_id, kind=kind.key)
    counter.last += 1
    counter.save(update_fields=["last"])
    return Document.objects.create(
        case=case,
        site_id=case.site_id,
        kind=kind.key,
        seq=counter.last,
        number=number_for(case.site.code, kind, counter.last),
        issued_by=actor.user,
    )


@transaction.atomic
def print_document(actor: Actor, case_id: int, key: str) -> Printed:
    """Print the case's document `key`: the first print gets the next number of the case's site
    and kind, every later one is a copy (副本) with the same number.

    Preconditions: the actor may see the case (else 404) and is staff (`policy.may_print`); the
    kind belongs to the case's procedure; its `needs` are filled. A closed case prints too (a
    receipt after the case is done). Writes `document_printed` with the kind, number, whether it
    is a copy and the print count.
    """
    case = lock_case(case_id, actor, version=None, write=False)
    case_policy.check(policy.may_print(actor, case), "print_not_allowed", case)
    kind = _applicable(case, key)
    check_complete(case, kind)
    document = _issue(case, kind, actor)
    document.prints += 1
    document.save(update_fields=["prints"])
    copy = document.prints > 1
    change = Change(case, actor)
    change.event(
        DOCUMENT_PRINTED,
        document=kind.key,
        number=document.number,
        copy=copy,
        print=document.prints,
    )
    change.finish()
    return Printed(document, copy)


@transaction.atomic
def sign_document(
    actor: Actor, case_id: int, key: str, *, signer: str, picture: Photo
) -> Signature:
    """Store a customer's drawn signature on the case's document `key` (numbered now if it is
    not yet), as an attachment of the case.

    `picture` is the checked, cleaned PNG (`fuwu.documents.signatures.check_signature`).
    Preconditions: the case is open; the actor may attach files to it (`may_attach`: the people
    who work it); the kind belongs to the procedure and is signed by the customer; `signer` (the
    name the customer gave) is not blank. Writes `attached` with the attachment's id, the
    document's kind and number and the signer's name.
    """
    name = " ".join((signer or "").split())
    if not name:
        raise EngineError("invalid_form", fields={"signer": FieldError("required")})
    if len(name) > MAX_SIGNER:
        raise EngineError("invalid_form", fields={"signer": FieldError("too_long", max=MAX_SIGNER)})
    case = lock_case(case_id, actor, version=None)
    case_policy.check(case_policy.may_attach(actor, case), "attach_not_allowed", case)
    kind = _applicable(case, key)
    if not kind.customer_signs:
        raise EngineError("document_not_signable")
    document = _issue(case, kind, actor)
    change = Change(case, actor)
    (attachment,) = save_photos(case, [picture], by=actor.user)
    signature = Signature.objects.create(
        document=document, attachment=attachment, signer_name=name, taken_by=actor.user
    )
    data: dict[str, Any] = {
        "ids": [attachment.pk],
        "names": [attachment.name],
        "document": kind.key,
        "number": document.number,
        "signer": name,
    }
    change.event(EventKind.ATTACHED, **data)
    change.finish()
    return signature


@dataclass(frozen=True)
class Pdf:
    printed: Printed
    content: bytes

    @property
    def filename(self) -> str:
        suffix = "-copy" if self.printed.copy else ""
        return f"{self.printed.document.number}{suffix}.pdf"


@transaction.atomic
def print_pdf(actor: Actor, case_id: int, key: str, *, language: str) -> Pdf:
    """`print_document` and the PDF it prints, in one transaction: when the PDF cannot be made
    (WeasyPrint missing its libraries) the number and the event are rolled back with it."""
    from fuwu.documents import render

    printed = print_document(actor, case_id, key)
    case = Case.objects.select_related("procedure", "site", "customer", "asset").get(pk=case_id)
    sheet = render.sheet(
        actor, case, KINDS[key], printed.document, copy=printed.copy, language=language
    )
    return Pdf(printed, render.pdf(sheet, language))
