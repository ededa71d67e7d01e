"""Scheduled reports: a person subscribes to a report with its filters (daily, weekly or
monthly) and the worker e-mails it to them as PDF and xlsx once per period.

Each send covers one whole period in the subscriber's time zone (their first site's): a day,
a week from Monday to Sunday, or a calendar month. A subscription starts with the period that
is running when it is made; the worker sends each period after it has ended (from
`SEND_HOUR` local time the next morning, when the reporting model holds the period's last
events), one period at a time, so a worker that was down catches up on every period it
missed. The period is claimed by a conditional UPDATE before the mail goes out: two workers
never send it twice, and a mail server error gives the claim back to be retried.

The report is read with the subscriber's rights when it is sent, not when it was ordered
(`fuwu.reports.lists.rights`): a person who may no longer read it (a manager no longer one, a
finance clerk moved to another post), or is no longer on a site, receives nothing of it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from fuwu.core.actors import Actor, actor_for
from fuwu.documents.render import FONTS
from fuwu.procedures.engine.errors import (
    EngineError,
    FieldError,
    Forbidden,
    NotFound,
    Unprocessable,
)
from fuwu.reports.choices import Frequency
from fuwu.reports.exports import EXPORTS, LIST_PARAMS, Export, period_params
from fuwu.reports.lists import building_label, fees
from fuwu.reports.models import Subscription
from fuwu.sheets.tables import Kind, SimpleTable
from fuwu.sheets.writer import text_value, write_xlsx

# Local hour from which the last period's report is sent (the fold runs every sweep).
SEND_HOUR = 7
# The filters a subscription keeps (the period is the subscription's own).
KEPT_PARAMS = ("site", "department", "procedure", "person", *LIST_PARAMS)
PER_SWEEP = 50


@dataclass(frozen=True)
class Printed:
    """A report for a mail: its title and period, and its table as the exporter reads it
    (`fuwu.sheets.tables`), the rows in a list: the PDF and the workbook read them both."""

    title: str
    period: str
    table: SimpleTable

    def lines(self) -> list[list[str]]:
        """Each row's cells as text, as the spreadsheet's CSV reads them (per cents with %)."""
        columns = list(self.table.columns)
        return [
            [
                text_value(c, v) + ("%" if c.kind == Kind.PERCENT and v is not None else "")
                for c, v in zip(columns, row, strict=True)
            ]
            for row in self.table.rows
        ]


@dataclass(frozen=True)
class Family:
    key: str
    title: Promise
    url_name: str
    # (actor, filters, start, end, language) → the report; raises EngineError on bad filters.
    build: Callable[[Actor, Mapping[str, str], date, date, str], Printed]
    # (start, end) → the period as the report page's filters (for the mail's link).
    period: Callable[[date, date], dict[str, str]]


def _family(export: Export) -> Family:
    def build(
        actor: Actor, params: Mapping[str, str], start: date, end: date, language: str
    ) -> Printed:
        filters = {**params, **period_params(export, start, end)}
        table = export.table(actor, filters, language)
        return Printed(
            str(export.title),
            period_text(start, end),
            SimpleTable(table.name, table.columns, list(table.rows)),
        )

    return Family(
        export.key, export.title, export.url_name, build, lambda a, b: period_params(export, a, b)
    )


# Every exportable report (`fuwu.reports.exports`) can be subscribed to.
FAMILIES: dict[str, Family] = {e.key: _family(e) for e in EXPORTS.values()}


def describe(params: Mapping[str, str], language: str) -> str:
    """The kept filters in words: site, department, procedure and person by name."""
    from fuwu.core.models import Department, Site, Staff
    from fuwu.procedures.models import ProcedureVersion

    en = language.startswith("en")
    parts = []
    if code := params.get("site"):
        site = Site.objects.filter(code=code).first()
        parts.append(site.name if site else code)
    if (raw := params.get("department", "")).isdigit():
        dept = Department.objects.filter(pk=int(raw)).first()
        parts.append((dept.name_en or dept.name) if dept and en else dept.name if dept else raw)
    if key := params.get("procedure"):
        version = ProcedureVersion.objects.filter(key=key, is_current=True).first()
        parts.append((version.name_en if en else version.name_zh) if version else key)
    if (raw := params.get("person", "")).isdigit():
        staff = Staff.objects.filter(user_id=int(raw)).first()
        parts.append(staff.display_name if staff else raw)
    if building := params.get("building"):
        parts.append(building_label("" if building == fees.NO_BUILDING else building))
    if state := params.get("state"):
        parts.append(fees.state_labels().get(state, state))
    if grain := params.get("grain"):
        parts.append({"day": _("收费日报"), "week": _("收费周报")}.get(grain, grain))
    if survey_round := params.get("round"):
        parts.append(survey_round)
    return " · ".join(p for p in parts if p) or _("全部")


def period_text(start: date, end: date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} – {end.isoformat()}"


def period_of(frequency: str, day: date) -> tuple[date, date]:
    """The period of this frequency that holds `day`: the day, its week (Monday to Sunday) or
    its calendar month."""
    if frequency == Frequency.DAILY:
        return day, day
    if frequency == Frequency.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if frequency == Frequency.MONTHLY:
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(days=1)
    raise ValueError(frequency)


def zone_of(user: Any) -> ZoneInfo:
    """The subscriber's time zone: their first site's (by name), else the installation's."""
    staff = getattr(user, "staff", None)
    site = staff.sites.order_by("name").first() if staff is not None else None
    return ZoneInfo(site.timezone if site else settings.TIME_ZONE)


def language_of(user: Any) -> str:
    return getattr(getattr(user, "staff", None), "language", None) or "zh-hans"


def _clean(params: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(params[k]).strip() for k in KEPT_PARAMS if str(params.get(k) or "").strip()}


def subscribe(
    user: Any,
    report: str,
    frequency: str,
    params: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> Subscription:
    """Order a report. Refused, with nothing written, for an unknown report or frequency,
    filters the person may not use (the report's own checks), or the same order twice."""
    errors: dict[str, FieldError] = {}
    family = FAMILIES.get(report)
    if family is None:
        errors["report"] = FieldError("subscription_unknown_report")
    if frequency not in Frequency.values:
        errors["frequency"] = FieldError("subscription_bad_frequency")
    if errors:
        raise Unprocessable("invalid_subscription", fields=errors)
    assert family is not None
    kept = _clean(params)
    actor = actor_for(user)
    now = now or timezone.now()
    today = timezone.localtime(now, zone_of(user)).date()
    family.build(actor, kept, today, today, language_of(user))  # the filters' checks
    start, end = period_of(frequency, today)
    try:
        with transaction.atomic():
            return Subscription.objects.create(
                user=user,
                report=report,
                frequency=frequency,
                params=kept,
                created_at=now,
                # The running period is the first one sent: everything before it is "sent".
                sent_through=start - timedelta(days=1),
                due_on=end + timedelta(days=1),
            )
    except IntegrityError:
        raise EngineError("subscription_exists") from None


def unsubscribe(user: Any, subscription_id: int) -> None:
    deleted, _rows = Subscription.objects.filter(pk=subscription_id, user=user).delete()
    if not deleted:
        raise NotFound("not_found")


def next_period(sub: Subscription) -> tuple[date, date]:
    """The first period not yet sent."""
    return period_of(sub.frequency, sub.sent_through + timedelta(days=1))


def _due_on(frequency: str, sent_through: date) -> date:
    return period_of(frequency, sent_through + timedelta(days=1))[1] + timedelta(days=1)


def is_due(sub: Subscription, now: datetime) -> bool:
    local = timezone.localtime(now, zone_of(sub.user))
    _start, end = next_period(sub)
    if end >= local.date():
        return False  # still running
    return end < local.date() - timedelta(days=1) or local.hour >= SEND_HOUR


def xlsx_of(report: Printed) -> bytes:
    """The table as a workbook, by the exporter (`fuwu.sheets.writer`)."""
    out = io.BytesIO()
    write_xlsx(report.table, out, title=f"{report.title} {report.period}")
    return out.getvalue()


def pdf_of(report: Printed, language: str) -> bytes:
    """The table printed on A4 landscape (WeasyPrint, the documents' vendored Chinese font)."""
    from weasyprint import HTML

    html = render_to_string(
        "reports/subscription_report.html",
        {
            "report": report,
            "lines": report.lines(),
            "language": language,
            "now": timezone.now(),
            "fonts": FONTS.as_uri(),
        },
    )
    return bytes(HTML(string=html).write_pdf())


def _message(sub: Subscription, family: Family, report: Printed, start: date, end: date) -> Any:
    query = urlencode({k: v for k, v in {**sub.params, **family.period(start, end)}.items() if v})
    link = f"{settings.FUWU_BASE_URL.rstrip('/')}{reverse(family.url_name)}?{query}"
    body = _(
        "您订阅的{title}（{period}）见附件：PDF 与 Excel 各一份。\n\n在系统中查看：{link}\n\n"
        "退订：{manage}"
    ).format(
        title=report.title,
        period=report.period,
        link=link,
        manage=f"{settings.FUWU_BASE_URL.rstrip('/')}{reverse('web:report-subscriptions')}",
    )
    message = EmailMessage(
        subject=f"{report.title}（{report.period}）", body=body, to=[sub.user.email]
    )
    name = f"{sub.report}-{start.isoformat()}-{end.isoformat()}"
    message.attach(f"{name}.pdf", pdf_of(report, language_of(sub.user)), "application/pdf")
    message.attach(
        f"{name}.xlsx",
        xlsx_of(report),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return message


def send(sub: Subscription, now: datetime) -> bool:
    """Send the subscription's next period if it is due. True when a mail went out."""
    if not is_due(sub, now):
        return False
    start, end = next_period(sub)
    before = sub.sent_through
    claimed = Subscription.objects.filter(pk=sub.pk, sent_through=before).update(
        sent_through=end, due_on=_due_on(sub.frequency, end)
    )
    if not claimed:
        return False  # another worker has it
    family = FAMILIES.get(sub.report)
    try:
        if family is None or not sub.user.is_active or not sub.user.email:
            raise Forbidden("subscription_undeliverable")
        with translation.override(language_of(sub.user)):
            report = family.build(
                actor_for(sub.user), sub.params, start, end, language_of(sub.user)
            )
            _message(sub, family, report, start, end).send()
    except EngineError as exc:
        # The person may no longer read this report (or has no address): the period is passed
        # over, and the reason kept for their subscriptions page.
        lang = language_of(sub.user)
        reason = "；".join([exc.message(lang), *(e.message(lang) for e in exc.fields.values())])
        Subscription.objects.filter(pk=sub.pk).update(last_error=reason[:300])
        return False
    except Exception as exc:  # a mail server error: give the period back, to be retried
        Subscription.objects.filter(pk=sub.pk, sent_through=end).update(
            sent_through=before, due_on=end + timedelta(days=1), last_error=str(exc)[:300]
        )
        return False
    Subscription.objects.filter(pk=sub.pk).update(last_sent_at=now, last_error="")
    return True


def send_due(*, now: datetime | None = None) -> int:
    """The worker's sweep: each due subscription's next period (at most PER_SWEEP mails)."""
    now = now or timezone.now()
    # Read only those due somewhere on Earth by now (local dates run up to UTC+14).
    horizon = (now + timedelta(hours=14)).date()
    sent = 0
    candidates = (
        Subscription.objects.filter(due_on__lte=horizon, user__is_active=True)
        .select_related("user", "user__staff")
        .order_by("due_on", "pk")
    )
    for sub in candidates[: PER_SWEEP * 4]:
        if sent >= PER_SWEEP:
            break
        sent += send(sub, now)
    return sent
