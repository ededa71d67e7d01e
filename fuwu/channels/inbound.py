"""Messages that come in on any channel, turned into cases by one function: `receive`.

Each channel's adapter (e-mail, WeChat, SMS …) parses what its provider sent into an `Incoming`
and calls `receive`, which in one transaction:

1. stores the message once: `(channel, external_id)` is unique, and a message delivered again
   returns what the first delivery did and writes nothing new;
2. logs and stops at what the adapter refused (`refuse`: malformed, too large …) or recognised
   as not for a person (`ignore`: an auto-reply, a bounce, our own mail come back) — such a
   message writes no case and is never answered;
3. finds the customer by the sender's identity (a bound `Identity`, else the customer's own
   e-mail address or phone number on the site);
4. adds a reply to its case — the case the adapter threaded it to (`case_id`), when that case
   is the same customer's — as a public comment (`fuwu.cases.actions.comment`);
5. else opens a new case through `fuwu.cases.actions.open_case` on the procedure the first
   matching `Route` names, on the real channel, for the customer (a new customer record for an
   unknown sender).

A refusal of the action layer (a closed procedure, a bad value) rolls back what was begun for
the case and leaves the message `refused` with the reason.
"""

from __future__ import annotations

import fnmatch
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fuwu.cases import actions
from fuwu.cases.attachments import MAX_PHOTOS, Photo, attach, check_files
from fuwu.cases.models import Case
from fuwu.channels.choices import InboundStatus, Medium
from fuwu.channels.models import Identity, InboundAttachment, InboundMessage, Route
from fuwu.core.actors import SYSTEM
from fuwu.customers import actions as customer_actions
from fuwu.customers.models import Customer
from fuwu.procedures.engine.errors import EngineError

log = logging.getLogger("fuwu.channels")


@dataclass(frozen=True)
class IncomingFile:
    name: str
    content_type: str
    content: bytes


@dataclass
class Incoming:
    """A message as its adapter parsed it."""

    channel: str  # a `Medium`
    account: str  # the address / account / number it came to
    external_id: str  # the provider's id of the message (Message-ID, MsgId …)
    sender: str  # the sender's address / openid / phone number
    sender_name: str = ""
    subject: str = ""
    body: str = ""
    headers: dict[str, Any] = field(default_factory=dict)
    files: list[IncomingFile] = field(default_factory=list)
    case_id: int | None = None  # the case the adapter's threading found, if any
    ignore: str = ""  # a reason code: auto_reply, bounce, loop …
    refuse: str = ""  # a reason code: malformed, too_large …
    detail: str = ""  # the refusal in words, for the log
    received_at: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    message: InboundMessage
    duplicate: bool = False

    @property
    def case(self) -> Case | None:
        return self.message.case


def route_for(channel: str, account: str) -> Route | None:
    """The first active route of the channel whose address pattern matches (case-insensitive)."""
    for route in Route.objects.filter(channel=channel, active=True).order_by("order", "pk"):
        if fnmatch.fnmatchcase(account.lower(), (route.address or "*").lower()):
            return route
    return None


def find_customer(channel: str, sender: str, site_id: int | None) -> Customer | None:
    """The customer an identity belongs to: a bound identity first, then the record's own
    e-mail address (e-mail) or phone number (SMS, phone) — on the site when one is known."""
    if not sender:
        return None
    bound = (
        Identity.objects.filter(channel=channel, value=sender, customer__merged_into__isnull=True)
        .select_related("customer")
        .order_by("-created_at")
        .first()
    )
    if bound is not None:
        return bound.customer
    people = Customer.objects.live()
    if site_id is not None:
        people = people.filter(site_id=site_id)
    if channel == Medium.EMAIL:
        return people.filter(email__iexact=sender).order_by("pk").first()
    if channel in (Medium.SMS, Medium.PHONE):
        return people.filter(phone=sender).order_by("pk").first()
    return None


def bind(customer: Customer, channel: str, value: str, *, account: str = "") -> Identity:
    """Bind a channel identity (an openid …) to a customer; a re-bind moves it to them."""
    identity, _created = Identity.objects.update_or_create(
        channel=channel, account=account, value=value, defaults={"customer": customer}
    )
    return identity


def receive(incoming: Incoming) -> Outcome:
    """Store the message once and act on it (see the module docstring). Never raises for what
    a sender sent: every message ends `accepted`, `threaded`, `ignored` or `refused`."""
    with transaction.atomic():
        if incoming.external_id:
            first = _first(incoming)
            if first is not None:
                return Outcome(first, duplicate=True)
        message = InboundMessage(
            channel=incoming.channel,
            account=incoming.account[:200],
            external_id=incoming.external_id[:255],
            sender=incoming.sender[:255],
            sender_name=incoming.sender_name[:200],
            subject=incoming.subject[:300],
            body=incoming.body,
            headers=incoming.headers,
            received_at=incoming.received_at or timezone.now(),
            status=InboundStatus.REFUSED,
        )
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:
            # Delivered twice at the same moment: the other delivery stored it first.
            first = _first(incoming)
            if first is None:
                raise
            return Outcome(first, duplicate=True)
        if incoming.refuse or incoming.ignore:
            _close(
                message,
                InboundStatus.REFUSED if incoming.refuse else InboundStatus.IGNORED,
                incoming.refuse or incoming.ignore,
                incoming.detail,
            )
            return Outcome(message)
        try:
            with transaction.atomic():
                _act(message, incoming)
        except EngineError as exc:
            # What was begun for the case (a customer record, the case) is rolled back.
            problems = "; ".join(f"{k}: {e.message('en')}" for k, e in exc.fields.items())
            message.case, message.customer, message.site = None, None, None
            message.save(update_fields=["case", "customer", "site"])
            _close(message, InboundStatus.REFUSED, exc.code, f"{exc} {problems}".strip())
        return Outcome(message)


def _first(incoming: Incoming) -> InboundMessage | None:
    return (
        InboundMessage.objects.select_related("case")
        .filter(channel=incoming.channel, external_id=incoming.external_id[:255])
        .first()
    )


def _close(message: InboundMessage, status: str, reason: str, detail: str = "") -> None:
    message.status, message.reason, message.detail = status, reason[:50], detail[:500]
    message.save(update_fields=["status", "reason", "detail"])
    log.log(
        logging.WARNING if status == InboundStatus.REFUSED else logging.INFO,
        "inbound %s message %s from %s %s: %s %s",
        message.channel,
        message.external_id or message.pk,
        message.sender,
        status,
        reason,
        detail,
    )


def _act(message: InboundMessage, incoming: Incoming) -> None:
    threaded = _threaded_case(incoming)
    if threaded is not None:
        customer = find_customer(incoming.channel, incoming.sender, threaded.site_id)
        if customer is not None and threaded.customer_id == customer.pk:
            _reply(message, incoming, threaded, customer)
            return
    route = route_for(incoming.channel, incoming.account)
    if route is None:
        _close(message, InboundStatus.REFUSED, "no_route", incoming.account)
        return
    customer = find_customer(incoming.channel, incoming.sender, route.site_id)
    if customer is None:
        customer = _new_customer(incoming, route.site_id)
    title = (incoming.subject or incoming.body.strip().split("\n", 1)[0]).strip()
    label = Medium(incoming.channel).label
    case = actions.open_case(
        SYSTEM,
        procedure_key=route.procedure_key,
        site_id=route.site_id,
        channel=incoming.channel,
        title=title[:200] or _("来自%(channel)s的消息") % {"channel": label},
        description=incoming.body[:10000],
        customer_id=customer.pk if customer else None,
    )
    message.site_id, message.customer, message.case = route.site_id, customer, case
    message.status = InboundStatus.ACCEPTED
    message.save(update_fields=["site", "customer", "case", "status"])
    _keep_files(message, incoming.files, case)


def _reply(message: InboundMessage, incoming: Incoming, case: Case, customer: Customer) -> None:
    """The customer answers on their case: a public comment that names them and the message."""
    message.site_id, message.customer, message.case = case.site_id, customer, case
    message.status = InboundStatus.THREADED
    message.save(update_fields=["site", "customer", "case", "status"])
    text = incoming.body.strip() or incoming.subject.strip()
    if text:
        actions.comment(
            SYSTEM,
            case.pk,
            text=text[:10000],
            via={"channel": incoming.channel, "message": message.pk, "customer": customer.pk},
        )
    _keep_files(message, incoming.files, case)


def _threaded_case(incoming: Incoming) -> Case | None:
    if incoming.case_id is None:
        return None
    return Case.objects.select_related("site").filter(pk=incoming.case_id).first()


def _new_customer(incoming: Incoming, site_id: int) -> Customer | None:
    """A record for a sender we do not know, so that the answer reaches them (None when the
    sender's identity makes no valid record: the case is opened without a customer)."""
    email = incoming.sender if incoming.channel == Medium.EMAIL else ""
    phone = incoming.sender if incoming.channel in (Medium.SMS, Medium.PHONE) else ""
    name = incoming.sender_name.strip() or incoming.sender.split("@", 1)[0] or _("未署名客户")
    try:
        with transaction.atomic():
            customer = customer_actions.create_customer(
                SYSTEM, site_id=site_id, name=name[:100], email=email, phone=phone
            )
    except EngineError:
        return None
    if incoming.channel not in (Medium.EMAIL, Medium.SMS, Medium.PHONE) and incoming.sender:
        bind(customer, incoming.channel, incoming.sender)
    return customer


def _keep_files(message: InboundMessage, files: list[IncomingFile], case: Case) -> None:
    """Keep every file with the message; put the pictures and documents the case accepts on
    the case (cleaned, as staff uploads are: one `attached` event). The rest stay with the
    message only."""
    kept: list[tuple[InboundAttachment, Photo]] = []
    for f in files:
        row = InboundAttachment(
            message=message,
            name=f.name[:200] or "attachment",
            content_type=f.content_type[:100],
            size=len(f.content),
        )
        row.file.save(uuid.uuid4().hex, ContentFile(f.content), save=False)
        row.save()
        upload = SimpleUploadedFile(f.name or "attachment", f.content, f.content_type)
        try:
            kept.extend((row, photo) for photo in check_files([upload]))
        except ValidationError:
            continue  # a file the case does not take (an archive, a broken picture)
    if not kept or case.is_closed:
        return
    rows = attach(SYSTEM, case.pk, [photo for _row, photo in kept[:MAX_PHOTOS]])
    for (row, _photo), on_case in zip(kept, rows, strict=False):
        row.case_attachment = on_case
        row.save(update_fields=["case_attachment"])
