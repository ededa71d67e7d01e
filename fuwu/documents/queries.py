"""What a case's print menu and the API list: its procedure's documents, with what was issued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fuwu.cases.models import Case
from fuwu.core.actors import Actor
from fuwu.documents import policy
from fuwu.documents.kinds import DocKind, kinds_for, signable
from fuwu.documents.models import Document, Signature


@dataclass(frozen=True)
class Entry:
    kind: DocKind
    name: str
    number: str  # "" until first printed or signed
    prints: int
    signable: bool  # the customer signs it on the tablet (and this person may hold it)
    signed_by: str
    signed_at: datetime | None


def entries(actor: Actor, case: Case, language: str) -> list[Entry]:
    """The documents of the case's procedure for a reader who may see the case (two queries)."""
    kinds = kinds_for(case.procedure.key)
    if not kinds or not policy.may_print(actor, case):
        return []
    issued = {d.kind: d for d in Document.objects.filter(case=case)}
    latest: dict[int, Signature] = {}
    for s in Signature.objects.filter(document__case=case).order_by("signed_at", "pk"):
        latest[s.document_id] = s
    may_sign = policy.may_take_signature(actor, case)
    out = []
    for kind in kinds:
        document = issued.get(kind.key)
        signature = latest.get(document.pk) if document else None
        out.append(
            Entry(
                kind=kind,
                name=kind.name.get(language),
                number=document.number if document else "",
                prints=document.prints if document else 0,
                signable=may_sign and signable(kind),
                signed_by=signature.signer_name if signature else "",
                signed_at=signature.signed_at if signature else None,
            )
        )
    return out
