"""Delivering survey invitations by e-mail, by id and idempotent (`actions.send_invitations`)."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from fuwu.notifications.messages import render
from fuwu.surveys.choices import Delivery
from fuwu.surveys.models import Response


@task(queue_name="notifications")
def send_invitation_emails(response_ids: list[int]) -> int:
    """E-mail each invitation's one-time link to its customer, in their language; how many went.
    Each is claimed first (a conditional update of `emailed_at`), so a retried task or a second
    worker sends nothing twice; a mail server's refusal is recorded by releasing the claim."""
    from fuwu.surveys.actions import link_url

    sent = 0
    for response in Response.objects.filter(
        pk__in=response_ids, delivery=Delivery.EMAIL, emailed_at__isnull=True
    ).select_related("customer", "round"):
        customer = response.customer
        if customer is None or not customer.email:
            continue
        with transaction.atomic():
            claimed = Response.objects.filter(pk=response.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()
            )
        if not claimed:
            continue
        expires = timezone.localtime(response.expires_at) if response.expires_at else None
        text = render(
            "survey_invitation",
            {
                "title": response.round.title,
                "link": link_url(response),
                "expires": f"{expires:%Y-%m-%d}" if expires else "",
            },
            customer.language,
        )
        try:
            send_mail(
                subject=text.split("：")[0].split(":")[0][:120],
                message=text,
                from_email=None,
                recipient_list=[customer.email],
            )
            sent += 1
        except Exception:  # a mail server's error: released, so a retry may send it
            Response.objects.filter(pk=response.pk).update(emailed_at=None)
    return sent
