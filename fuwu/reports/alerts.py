"""The rising-complaints alert (seed: 每月投诉数量不断上升的情况，应报告给主管副总).

Per site, once a month, from the worker's sweep: when each of the last `quality.RISES` complete
months (in the site's time zone) had more complaints taken in than the month before it, the
person at the top of the reporting line above the manager of the department that owns the
complaint procedure on that site (the customer centre; the manager themself when they report to
nobody) gets an inbox notification (`complaints_rising`), naming the months and their counts.
"Once" is per site and month: a notification of that kind for that site and month exists.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from fuwu.core.models import Department, Site, Staff
from fuwu.notifications.models import Notification
from fuwu.notifications.services import notify, top_of_line
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.reports.fold import COMPLAINT_PROCEDURES
from fuwu.reports.quality import RISES, month_start, monthly_complaints, rising
from fuwu.reports.service_levels import Filters

KIND = "complaints_rising"
# A site told for a month is remembered in the cache, so the sweep (every 30 s) reads the inbox
# about it once per cache, not on every sweep.
TOLD = "reports:complaints_rising:{site}:{month}"
TOLD_FOR = 40 * 24 * 3600


def _owner_codes() -> set[str]:
    codes = set()
    for version in ProcedureVersion.objects.filter(key__in=COMPLAINT_PROCEDURES, is_current=True):
        owner = definition_of(version).owner
        if owner and owner.department:
            codes.add(owner.department)
    return codes


def top_for(site: Site, codes: set[str]) -> list[Any]:
    """The top of the reporting line above the complaint departments' managers on `site`."""
    users = []
    managers = Department.objects.filter(
        site=site, code__in=codes, manager__isnull=False
    ).values_list("manager_id", flat=True)
    for staff in Staff.objects.select_related("user").filter(user_id__in=list(managers)):
        users.append(top_of_line(staff).user)
    return users


def alert_rising_complaints(*, now: datetime | None = None) -> list[Notification]:
    """Tell the top of the line about each site whose complaints keep rising; returns the
    notifications written (none for a site already told this month)."""
    now = now or timezone.now()
    written: list[Notification] = []
    codes: set[str] | None = None
    for site in Site.objects.order_by("pk"):
        today = timezone.localtime(now, ZoneInfo(site.timezone)).date()
        last = month_start(today, 1)  # the last complete month
        month = last.strftime("%Y-%m")
        told = TOLD.format(site=site.pk, month=month)
        if cache.get(told):
            continue
        # The indexed count first; the inbox (large, not indexed by kind) only when rising.
        filters = Filters(site_ids=(site.pk,), start=last, end=last)
        months = monthly_complaints(filters, last, months=RISES + 1)
        if not rising([m.count for m in months]):
            continue
        if Notification.objects.filter(kind=KIND, data__site=site.code, data__month=month).exists():
            cache.set(told, True, TOLD_FOR)
            continue
        codes = _owner_codes() if codes is None else codes
        users = top_for(site, codes)
        if not users:
            continue
        data = {
            "site": site.code,
            "site_name": site.name,
            "month": month,
            "rises": RISES,
            "trend": " → ".join(f"{m.label}: {m.count}" for m in months),
        }
        with transaction.atomic():
            written += notify(users, case=None, kind=KIND, data=data)
            transaction.on_commit(partial(cache.set, told, True, TOLD_FOR))
    return written
