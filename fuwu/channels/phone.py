"""The call centre's screen-pop: who is calling, by the number the telephony system reports.

A number arrives however the switch writes it (+86 138…, 0086…, 138 1234 5678, a landline
with its area code 010-…); customer records hold what an agent typed. Both sides are read
with `phonenumbers` (region CN) and compared as E.164, so every writing of one number finds
the same customers. The candidate rows are narrowed in SQL by the number's last digits (any
writing ends with them), then compared exactly in Python.

The call id the telephony system gives travels with the agent's screen (the intake desk's
links and forms) and is kept with the case or consultation the call leads to
(`record_call`): an inbound message of channel `phone` whose external id is the call id —
never in the case's data, which belongs to the procedure's fields.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from django.db.models import QuerySet

from fuwu.cases.choices import CLOSED_STATUSES
from fuwu.cases.models import Case
from fuwu.channels.choices import InboundStatus, Medium
from fuwu.channels.models import InboundMessage
from fuwu.core.actors import Actor
from fuwu.customers.models import Customer

CALL_ID_MAX = 120
CALL_ID_RE = re.compile(rf"^[A-Za-z0-9_.:\-]{{1,{CALL_ID_MAX}}}$")
_PHONE_CHARS = re.compile(r"^[\d\s\-().+]+$")
MATCH_LIMIT = 20


def e164(text: str) -> str | None:
    """The number in E.164 (+8613812345678), or None when it is no valid phone number."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not _PHONE_CHARS.match(text) or sum(c.isdigit() for c in text) < 6:
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def customers_calling(actor: Actor, number: str) -> list[Customer]:
    """The live customers of the actor's sites whose phone is `number` (E.164)."""
    tail = re.sub(r"\D", "", number)[-7:]
    candidates = (
        actor.scope(Customer.objects.live())
        .filter(phone__contains=tail[-4:])
        .select_related("site")
        .order_by("name", "pk")
    )
    found = []
    for customer in candidates.iterator():
        if re.sub(r"\D", "", customer.phone).endswith(tail) and e164(customer.phone) == number:
            found.append(customer)
            if len(found) >= MATCH_LIMIT:
                break
    return found


def open_cases(customers: list[Customer]) -> QuerySet[Case]:
    """Their cases still open, newest first (one query for all of them)."""
    return (
        Case.objects.filter(customer__in=customers)
        .exclude(status__in=CLOSED_STATUSES)
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class Call:
    """A ringing call the screen-pop named, carried by the intake desk to what it leads to."""

    call_id: str
    caller: str  # E.164

    @classmethod
    def of(cls, call_id: str | None, caller: str | None) -> Call | None:
        """The call a request carries, or None when its values are missing or malformed."""
        call_id = (call_id or "").strip()
        number = e164(caller or "")
        if not CALL_ID_RE.match(call_id) or number is None:
            return None
        return cls(call_id, number)


def record_call(
    call: Call,
    *,
    site_id: int,
    customer_id: int | None = None,
    case_id: int | None = None,
    consultation_id: int | None = None,
) -> InboundMessage:
    """Keep the call with the case or consultation it led to: one inbound message of channel
    `phone` per call id (external id), linked to the case; a consultation is named in its
    metadata. A second case from the same call keeps the first link (the call led there
    first); call it inside the transaction that opened the case or logged the consultation."""
    row = (
        InboundMessage.objects.select_for_update()
        .filter(channel=Medium.PHONE, external_id=call.call_id)
        .first()
    )
    if row is None:
        row = InboundMessage(
            channel=Medium.PHONE,
            external_id=call.call_id,
            sender=call.caller,
            site_id=site_id,
            customer_id=customer_id,
            status=InboundStatus.ACCEPTED,
            headers={},
        )
    if case_id is not None and row.case_id is None:
        row.case_id = case_id
    if consultation_id is not None:
        row.headers = {
            **row.headers,
            "consultations": [*row.headers.get("consultations", []), consultation_id],
        }
        row.reason = row.reason or "consultation"
    row.customer_id = row.customer_id or customer_id
    row.save()
    return row
