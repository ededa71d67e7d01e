"""A case's on-site visit: what the `book_visit` effect asks of `fuwu.scheduling.routes`, read
from the case (its fields, its asset's place, its site's workshop), and the visits the case page
shows with their technician and planned arrival once routed.

The place is the case's asset's: its `lat` and `lon` attributes (a unit, an installed product),
its `address` attribute or else its label as the address the technician reads, unless the effect
names an `address_field`. No geocoding is done: an asset without coordinates refuses the visit
(`visit_needs_place`) and the move with it, so nothing is booked that no route could reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from fuwu.cases.models import Case
from fuwu.core.models import Skill
from fuwu.procedures.engine.definition import BookVisit, Procedure
from fuwu.procedures.engine.errors import Unprocessable
from fuwu.scheduling.models import FieldBase, RouteStop, Visit, Workshop
from fuwu.scheduling.routes import LIVE, reason_text


@dataclass(frozen=True)
class VisitRequest:
    """What `routes.add_visit` is given for a case, or why nothing is booked (`skipped`)."""

    skipped: str = ""  # no_workshop, no_field_base or no_time
    values: dict[str, Any] = field(default_factory=dict)

    def arguments(self) -> dict[str, Any]:
        return self.values


def live_visits(case: Case) -> list[int]:
    """The case's visits still to be done (open or planned), oldest first."""
    return list(
        Visit.objects.filter(case=case, status__in=LIVE).order_by("pk").values_list("pk", flat=True)
    )


def _coordinate(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number.quantize(Decimal("0.000001")) if number.is_finite() else None


def _clock(value: Any) -> time | None:
    """A window option `t0930` as 09:30 (the validator has checked the options' shape)."""
    text = str(value or "")
    if len(text) != 5 or not text.startswith("t") or not text[1:].isdigit():
        return None
    return time(int(text[1:3]), int(text[3:5]))


def visit_request(case: Case, spec: BookVisit) -> VisitRequest:
    """Read the visit from the case. Skipped (nothing booked, the timeline says why) where the
    site's department has no workshop or its workshop no field base, or the day is blank;
    refused (`visit_needs_place`) when the case's asset has no coordinates."""
    code = spec.department or str(case.data.get(spec.department_field or "") or "")
    workshop = (
        Workshop.objects.select_related("department__site")
        .filter(department__site_id=case.site_id, department__code=code)
        .first()
        if code
        else None
    )
    if workshop is None:
        return VisitRequest(skipped="no_workshop")
    if not FieldBase.objects.filter(workshop=workshop).exists():
        return VisitRequest(skipped="no_field_base")
    site = workshop.site
    raw_day = case.data.get(spec.day_field)
    if not raw_day:
        return VisitRequest(skipped="no_time")
    agreed: time | None = None
    if "T" in str(raw_day) or " " in str(raw_day).strip():
        moment = datetime.fromisoformat(str(raw_day))
        zone = ZoneInfo(site.timezone)
        moment = moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)
        day, agreed = moment.date(), moment.time().replace(second=0, microsecond=0)
    else:
        day = date.fromisoformat(str(raw_day))
    start = _clock(case.data.get(spec.window_from_field or "")) or agreed or site.work_start
    end = _clock(case.data.get(spec.window_to_field or "")) or (
        agreed if agreed is not None else site.work_end
    )
    minutes = spec.minutes
    if minutes is None:
        given = case.data.get(spec.minutes_field or "")
        if given in (None, ""):
            return VisitRequest(skipped="no_time")
        minutes = max(1, round(float(given)))
    asset = case.asset
    attributes = asset.attributes if asset is not None else {}
    lat, lon = _coordinate(attributes.get("lat")), _coordinate(attributes.get("lon"))
    if asset is None or lat is None or lon is None:
        raise Unprocessable("visit_needs_place", asset=asset.label if asset else "—")
    address = str(case.data.get(spec.address_field or "") or "").strip() or str(
        attributes.get("address") or asset.label
    )
    skill = Skill.objects.filter(code=spec.skill).first() if spec.skill else None
    return VisitRequest(
        values={
            "workshop": workshop,
            "address": address[:300],
            "lat": lat,
            "lon": lon,
            "day": day,
            "window_start": start,
            "window_end": end,
            "service_minutes": minutes,
            "skill": skill,
            "customer": case.customer,
            "note": case.title[:500],
        }
    )


@dataclass(frozen=True)
class CaseVisit:
    """A visit as the case page shows it."""

    visit: Visit
    stop: RouteStop | None  # its place on a technician's route, once planned

    @property
    def technician(self) -> str:
        return self.stop.route.technician.staff.display_name if self.stop else ""

    @property
    def reason(self) -> str:
        """Why the last plan left it out, in the reader's language; empty when planned."""
        return reason_text(self.visit.unplanned_reason) if self.visit.unplanned_reason else ""


def books_visits(procedure: Procedure) -> bool:
    """Whether any of the procedure's effects books a visit: only then does the page look."""
    return any(
        e.book_visit is not None
        for step in procedure.steps.values()
        for e in [*step.effects, *(e for t in step.transitions for e in t.effects)]
    )


def case_visits(case: Case) -> list[CaseVisit]:
    """The case's visits, newest first, with their route stop (two queries)."""
    visits = list(
        Visit.objects.filter(case=case)
        .select_related("workshop__department", "skill")
        .order_by("-pk")
    )
    if not visits:
        return []
    stops = {
        s.visit_id: s
        for s in RouteStop.objects.filter(visit__in=visits).select_related(
            "route__technician__staff"
        )
    }
    return [CaseVisit(v, stops.get(v.pk)) for v in visits]
