"""E-mail delivery of inbox notifications, by id and idempotent: a retried task sends nothing twice."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from fuwu.notifications.messages import render
from fuwu.notifications.models import Notification


@task(queue_name="notifications")
def send_email(notification_ids: list[int]) -> int:
    sent = 0
    for n in Notification.objects.filter(
        pk__in=notification_ids, emailed_at__isnull=True
    ).select_related("recipient", "recipient__staff"):
        address = n.recipient.email
        if not address:
            continue
        # Claim first (conditional update): if two workers run this task, only one sends.
        with transaction.atomic():
            claimed = Notification.objects.filter(pk=n.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()
            )
        if not claimed:
            continue
        language = getattr(getattr(n.recipient, "staff", None), "language", "zh-hans")
        text = render(n.kind, n.data, language)
        try:
            send_mail(subject=text[:120], message=text, from_email=None, recipient_list=[address])
            sent += 1
        except Exception as exc:  # a mail server error is recorded, never raised into the worker
            Notification.objects.filter(pk=n.pk).update(emailed_at=None, email_error=str(exc)[:300])
    return sent
