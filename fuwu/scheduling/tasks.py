"""Deliveries the scheduling sweep queues, by id and after commit."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.core.mail import send_mail
from django.tasks import task

from fuwu.notifications.messages import render
from fuwu.scheduling.models import Appointment, AppointmentStatus


@task(queue_name="notifications")
def send_reminder_email(appointment_id: int) -> bool:
    """E-mail the reminder to a customer without a portal account, in their language. Queued in
    the transaction that claimed the reminder (`reminders.remind_due`), so it runs once for a
    claimed reminder; an appointment cancelled or moved since is not reminded."""
    appointment = (
        Appointment.objects.select_related("customer", "asset", "workshop__department__site")
        .filter(pk=appointment_id, status=AppointmentStatus.BOOKED, reminded_at__isnull=False)
        .first()
    )
    if appointment is None or not appointment.customer.email:
        return False
    zone = ZoneInfo(appointment.workshop.site.timezone)
    text = render(
        "appointment_reminder",
        {
            "customer": appointment.customer.name,
            "vehicle": appointment.asset.label if appointment.asset else "—",
            "at": f"{appointment.starts_at.astimezone(zone):%Y-%m-%d %H:%M}",
            "workshop": appointment.workshop.department.site.name,
        },
        appointment.customer.language,
    )
    send_mail(
        subject=text[:120],
        message=text,
        from_email=None,
        recipient_list=[appointment.customer.email],
    )
    return True
