"""The reminder before an appointment ("在预约时间前跟进客户，减少出现失约客户"), sent once.

When: the day before the appointment at `REMIND_AT` (10:00) site time. A reminder the customer
receives by itself (the portal inbox with its e-mail, or an e-mail) goes out on the calendar day
before, a Sunday included; one a person must make (a phone call, or an SMS or WeChat message:
Fuwu has no SMS or WeChat gateway, so the advisor sends it) is due on the site's last working day
before, when the advisor is at the desk (an appointment on Monday: Friday 10:00, or a 调休
Saturday's). An appointment booked after that moment gets none: the customer has just been told.

The moment is stored on the appointment (`remind_at`) at booking and rebooking, so the sweep
selects due rows by an index; each is claimed by a conditional UPDATE of `reminded_at`, so two
workers never remind twice, and rebooking clears it for the new time. An appointment that belongs
to a case is reminded by its procedure's own timer (the Toyota seven steps: `appointment_at - 1d`),
not here.

The channel is the customer's preference `contact_channel` (`portal`, `email`, `phone`, `sms`,
`wechat`); without one: the portal when they have an account, else e-mail when they have an
address, else a phone call.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from fuwu.customers.models import Customer
from fuwu.scheduling.models import Appointment, AppointmentStatus, Workshop
from fuwu.sla.clocks import site_calendar

REMIND_AT = time(10, 0)
PREFERENCE = "contact_channel"
AUTOMATIC = ("portal", "email")  # the customer receives these without anyone at the desk
BY_PERSON = ("phone", "sms", "wechat")  # the advisor makes the call or sends the message
CHANNELS = AUTOMATIC + BY_PERSON


def channel_of(customer: Customer) -> str:
    """The channel the customer prefers, or the best one their record allows."""
    chosen = str((customer.preferences or {}).get(PREFERENCE) or "")
    if chosen == "portal" and not customer.user_id:
        chosen = ""  # no account (any more): fall back
    if chosen == "email" and not customer.email:
        chosen = ""
    if chosen in CHANNELS:
        return chosen
    if customer.user_id:
        return "portal"
    return "email" if customer.email else "phone"


def remind_at(
    workshop: Workshop, starts_at: datetime, now: datetime, *, channel: str | None = None
) -> datetime | None:
    """When the reminder for an appointment at `starts_at` is due; None when that moment has
    passed already (booked the day before after 10:00, or on the day)."""
    site = workshop.site
    zone = ZoneInfo(site.timezone)
    day = starts_at.astimezone(zone).date() - timedelta(days=1)
    if channel in BY_PERSON:
        calendar = site_calendar(site)
        for _n in range(31):  # the longest holiday is a week; a month is plenty
            if calendar.is_working_day(day):
                break
            day -= timedelta(days=1)
    moment = datetime.combine(day, REMIND_AT, zone)
    return moment if moment > now else None


def remind_due(now: datetime | None = None) -> int:
    """Send the reminders that are due (run by the worker's sweep); returns how many."""
    from fuwu.notifications.services import notify
    from fuwu.scheduling.tasks import send_reminder_email

    now = now or timezone.now()
    due = (
        Appointment.objects.filter(
            reminded_at__isnull=True,
            remind_at__lte=now,
            status=AppointmentStatus.BOOKED,
            starts_at__gt=now,
        )
        .select_related("customer__user", "asset", "advisor", "workshop__department__site")
        .order_by("remind_at", "pk")[:500]
    )
    sent = 0
    for appointment in due:
        customer = appointment.customer
        channel = channel_of(customer)
        with transaction.atomic():
            if not Appointment.objects.filter(
                pk=appointment.pk,
                reminded_at__isnull=True,
                status=AppointmentStatus.BOOKED,
                starts_at=appointment.starts_at,  # not rebooked meanwhile
            ).update(reminded_at=now, reminder_channel=channel):
                continue  # another worker took it, or it changed
            zone = ZoneInfo(appointment.workshop.site.timezone)
            data = {
                "appointment": appointment.pk,
                "customer": customer.name,
                "vehicle": appointment.asset.label if appointment.asset else "—",
                "at": f"{appointment.starts_at.astimezone(zone):%Y-%m-%d %H:%M}",
                "workshop": str(appointment.workshop.department.site.name),
                "channel": channel,
            }
            if channel == "portal":
                notify([customer.user], case=None, kind="appointment_reminder", data=data)
            elif channel == "email":
                # Queued in this transaction (database task backend): sent after commit, by id.
                send_reminder_email.enqueue(appointment.pk)
            else:
                notify(
                    [appointment.advisor], case=None, kind="appointment_reminder_call", data=data
                )
            sent += 1
    return sent
