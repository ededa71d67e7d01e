"""Notices by e-mail: one message per `Delivery`, through Django's mailer (SMTP in production).

The subject carries the case tag `[#<number>]` and the message our own Message-ID (recorded as
the delivery's provider id), `In-Reply-To`/`References` naming the customer's earlier mail on the
case, `Reply-To` our mailbox, `Auto-Submitted: auto-generated` (RFC 3834: auto-responders stay
silent) and `X-Fuwu-Loop` (our own mail come back is recognised). Django encodes a Chinese subject
per RFC 2047. Files named in the delivery's `data["attachments"]` (ids of the case's
attachments) go with it.
"""

from __future__ import annotations

from django.core.mail import EmailMessage, make_msgid

from fuwu.cases.models import Attachment
from fuwu.channels.email import settings as mail_settings
from fuwu.channels.models import Delivery, InboundMessage
from fuwu.channels.senders import PermanentError


def case_tag(number: str) -> str:
    return f"[#{number}]"


def build(delivery: Delivery) -> EmailMessage:
    if not delivery.address or "@" not in delivery.address:
        raise PermanentError(f"not an e-mail address: {delivery.address!r}")
    number = str(delivery.data.get("number") or (delivery.case.number if delivery.case else ""))
    subject = delivery.subject.replace("\n", " ").replace("\r", " ")
    if number and case_tag(number) not in subject:
        subject = f"{subject} {case_tag(number)}"
    message_id = make_msgid(domain=mail_settings.domain())
    headers = {
        "Message-ID": message_id,
        "Auto-Submitted": "auto-generated",
        "X-Fuwu-Loop": mail_settings.loop_token(),
    }
    if delivery.case_id is not None:
        earlier = list(
            InboundMessage.objects.filter(case_id=delivery.case_id, channel="email")
            .exclude(external_id="")
            .order_by("-received_at")
            .values_list("external_id", flat=True)[:10]
        )
        if earlier:
            headers["In-Reply-To"] = earlier[0]
            headers["References"] = " ".join(reversed(earlier))
    message = EmailMessage(
        subject=subject,
        body=delivery.body,
        from_email=mail_settings.from_address(),
        to=[delivery.address],
        reply_to=[mail_settings.reply_to()],
        headers=headers,
    )
    ids = [int(i) for i in delivery.data.get("attachments") or [] if str(i).isdigit()]
    if ids and delivery.case_id is not None:
        for row in Attachment.objects.filter(case_id=delivery.case_id, pk__in=ids).order_by("pk"):
            with row.file.open("rb") as f:
                message.attach(row.name, f.read(), row.content_type)
    return message


class EmailSender:
    def send(self, delivery: Delivery) -> str:
        message = build(delivery)
        message.send()
        return str(message.extra_headers["Message-ID"])
