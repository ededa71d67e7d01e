"""The seeds' own lists (issue 12): arrears and payment statistics by building, the daily and
weekly fee reports, parking leases expiring in a month (the guards' paper list), the week's
gas-activation list, keys overdue. One module per family; they read cases, events and register
entries directly — a few grouped queries each, never one per row.

Who may read them and which sites: `rights` (managers, for the sites they work for; the finance
clerks the fee lists, the guards the parking list and the keys overdue, for the sites they work
at). `scope_from_params` asks it, and checks the filters, once for the pages, the API and the
exports alike; a bad filter is a field error in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import EngineError, FieldError, Forbidden, Unprocessable
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.reports import service_levels as sl
from fuwu.reports.lists import rights

MAX_BUILDING = 40


@dataclass(frozen=True)
class Scope:
    """The sites one list covers, in the first site's time zone, with the period asked for."""

    site_ids: tuple[int, ...]
    site_code: str | None
    zone: ZoneInfo
    today: date
    start: date
    end: date
    building: str | None = None

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes: [start 00:00, the day after end 00:00) local."""
        return (
            datetime.combine(self.start, time(), self.zone),
            datetime.combine(self.end + timedelta(days=1), time(), self.zone),
        )

    def local_day(self, moment: datetime) -> date:
        return timezone.localtime(moment, self.zone).date()

    def query(self) -> dict[str, str]:
        out = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.site_code:
            out["site"] = self.site_code
        if self.building:
            out["building"] = self.building
        return out


def parse_day(params: Mapping[str, str], name: str, errors: dict[str, FieldError]) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = FieldError("report_bad_date")
        return None


def scope_from_params(
    actor: Actor,
    params: Mapping[str, str],
    *,
    report: str,
    month_to_date: bool = False,
    default_days: int | None = None,
    now: datetime | None = None,
) -> Scope:
    """Site, period (`from`/`to`; by default the last 30 days, or with `month_to_date` the
    month of `to` up to that day, or `default_days` up to `to`) and building, checked against
    what the person may see of `report` (a slug of `rights.READERS`: Forbidden unless they may
    read it; only the sites `rights.sites_for` gives; at most a year)."""
    if not rights.may_read(actor, report):
        raise Forbidden("forbidden")
    errors: dict[str, FieldError] = {}
    start = parse_day(params, "from", errors)
    end = parse_day(params, "to", errors)
    building = (params.get("building") or "").strip() or None
    if building is not None and len(building) > MAX_BUILDING:
        errors["building"] = FieldError("too_long", max=MAX_BUILDING)
    site = (params.get("site") or "").strip() or None
    try:
        filters = sl.within(
            rights.sites_for(actor, report), site=site, start=start, end=end, now=now
        )
    except EngineError as exc:
        if exc.code != "invalid_filters":
            raise
        raise Unprocessable("invalid_filters", fields={**exc.fields, **errors}) from None
    if errors:
        raise Unprocessable("invalid_filters", fields=errors)
    zone = _zone(filters.site_ids)
    first = filters.start
    if month_to_date and start is None:
        first = filters.end.replace(day=1)
    elif default_days and start is None:
        first = filters.end - timedelta(days=default_days - 1)
    return Scope(
        site_ids=filters.site_ids,
        site_code=filters.site_code,
        zone=zone,
        today=timezone.localtime(now or timezone.now(), zone).date(),
        start=first,
        end=filters.end,
        building=building,
    )


def _zone(site_ids: tuple[int, ...]) -> ZoneInfo:
    from fuwu.core.models import Site

    first = Site.objects.filter(pk__in=site_ids).order_by("name").values_list("timezone").first()
    return ZoneInfo(first[0] if first else settings.TIME_ZONE)


def case_number(pk: int, created_at: datetime) -> str:
    """The number people quote for a case read as values (the model derives it)."""
    from fuwu.cases.models import Case

    return Case.number_of(pk, created_at)


def money(value: Any) -> Decimal:
    """A money value as the procedures store it (a string such as "356.40"); anything else 0."""
    if value is None or isinstance(value, bool):
        return Decimal(0)
    try:
        out = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)
    return out if out.is_finite() else Decimal(0)


def iso_day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def building_of(attributes: Any) -> str:
    """The building a unit belongs to (`attributes.building`, as the unit import and the demo
    write it), as text; "" when the case has no unit or the unit no building."""
    if isinstance(attributes, dict):
        value = attributes.get("building")
        if value is not None and value != "":
            return str(value)
    return ""


def option_labels(procedure_key: str, field_key: str, language: str) -> dict[str, str]:
    """The labels of a choice field's options, from the procedure's current version."""
    version = ProcedureVersion.objects.filter(key=procedure_key, is_current=True).first()
    if version is None:
        return {}
    procedure = definition_of(version)
    fields = list(procedure.fields)
    for step in procedure.steps.values():
        fields += list(step.form or [])
        for transition in step.transitions or []:
            fields += list(transition.fields or [])
    for field in fields:
        if field.key == field_key and field.options:
            return {o.value: o.label.get(language) for o in field.options}
    return {}


def procedure_name(procedure_key: str, language: str) -> str:
    version = ProcedureVersion.objects.filter(key=procedure_key, is_current=True).first()
    return definition_of(version).name.get(language) if version else procedure_key


def building_label(building: str) -> str:
    """A building as the lists name it: "3栋", a name as it is, or "no unit"."""
    if not building:
        return gettext("无房号")
    return gettext("%(building)s栋") % {"building": building} if building.isdigit() else building
