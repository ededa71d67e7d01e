"""Reading cases: who may see what (one place), and the one filter definition for lists.

`CaseFilter` serves the API list and (later) the queue page and its htmx fragment alike.
"""

from __future__ import annotations

from typing import Literal

from django.db.models import Q, QuerySet
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field

from fuwu.cases.choices import CLOSED_STATUSES
from fuwu.cases.models import Case
from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import NotFound

ORDERINGS = {
    "created": "created_at",
    "-created": "-created_at",
    "updated": "updated_at",
    "-updated": "-updated_at",
    "due": "resolution_due",
    "-due": "-resolution_due",
    "priority": "priority",
    "-priority": "-priority",
}


def cases_for(actor: Actor) -> QuerySet[Case]:
    """Cases this actor may see: those of their sites (all for a superuser)."""
    return actor.scope(Case.objects.all())


def get_case_for(actor: Actor, case_id: int) -> Case:
    case = (
        cases_for(actor)
        .select_related("procedure", "site", "department", "assignee__staff", "customer", "asset")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound("not_found", what="case")
    return case


class CaseFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: list[str] | None = None
    open: bool | None = Field(
        None, description="only cases not yet closed (true) or only closed (false)"
    )
    step: str | None = None
    procedure: str | None = None
    department: str | None = Field(None, description="department code")
    assignee: str | None = Field(None, description="username, or 'me', or 'none'")
    priority: list[str] | None = None
    site: str | None = Field(None, description="site code")
    channel: str | None = None
    overdue: bool | None = None
    major: bool | None = None
    q: str | None = Field(
        None, max_length=100, description="case number, title, customer name or phone, asset label"
    )
    ordering: Literal[
        "created", "-created", "updated", "-updated", "due", "-due", "priority", "-priority"
    ] = "-created"
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(25, ge=1, le=200)

    def apply(self, qs: QuerySet[Case], actor: Actor) -> QuerySet[Case]:
        if self.status:
            qs = qs.filter(status__in=self.status)
        if self.open is not None:
            qs = (
                qs.exclude(status__in=CLOSED_STATUSES)
                if self.open
                else qs.filter(status__in=CLOSED_STATUSES)
            )
        if self.step:
            qs = qs.filter(step=self.step)
        if self.procedure:
            qs = qs.filter(procedure_key=self.procedure)
        if self.department:
            qs = qs.filter(department__code=self.department)
        if self.assignee == "me":
            qs = qs.filter(assignee_id=actor.user_id)
        elif self.assignee == "none":
            qs = qs.filter(assignee__isnull=True)
        elif self.assignee:
            qs = qs.filter(assignee__username=self.assignee)
        if self.priority:
            qs = qs.filter(priority__in=self.priority)
        if self.site:
            qs = qs.filter(site__code=self.site)
        if self.channel:
            qs = qs.filter(channel=self.channel)
        if self.major is not None:
            qs = qs.filter(is_major=self.major)
        if self.overdue is not None:
            now = timezone.now()
            late = Q(resolution_due__lt=now, resolved_at__isnull=True, paused_at__isnull=True) | Q(
                step_due__lt=now
            )
            qs = qs.exclude(status__in=CLOSED_STATUSES)
            qs = qs.filter(late) if self.overdue else qs.exclude(late)
        if self.q:
            text = self.q.strip()
            match = (
                Q(title__icontains=text)
                | Q(customer__name__icontains=text)
                | Q(customer__phone__contains=text)
                | Q(asset__label__icontains=text)
            )
            pk = Case.pk_from_number(text)
            if pk is not None:
                match |= Q(pk=pk)
            qs = qs.filter(match)
        return qs.order_by(ORDERINGS[self.ordering], "-pk")
