"""What the page frame needs on every staff page: who is signed in and what the menu shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from fuwu.core.actors import Actor, actor_for
from fuwu.core.prepared import Prepared


@dataclass(frozen=True)
class Nav:
    actor: Actor
    is_staff_member: bool
    is_manager: bool
    is_admin: bool
    unread: int
    # The name staff know each other by (李娜), not the user's "first last" (娜 李).
    name: str
    # May book at one of their sites that has a workshop: the menu links the workshop's capacity.
    workshop: bool = False
    # One of their sites has a workshop: the menu links its production board.
    board: bool = False
    # A workshop's technician: the menu links their jobs of the day (the phone page).
    technician: bool = False
    # The first workshop they see (the menu's calendar and KPIs link to it).
    workshop_id: int | None = None
    # The report pages they may open (`fuwu.reports.lists.rights`): the reports menu and its links.
    reports: tuple[str, ...] = ()


def is_staff_member(actor: Actor) -> bool:
    return actor.is_staff


def is_manager(actor: Actor) -> bool:
    return actor.is_manager


def _nav_row(user_id: Any, *, superuser: bool) -> Any:
    """The frame's one query: the person's display name, unread count, first workshop and
    whether they are a technician."""
    from fuwu.core.models import Staff
    from fuwu.notifications.models import Notification
    from fuwu.scheduling.models import Technician, Workshop

    unread_count = (
        Notification.objects.filter(recipient_id=OuterRef("user_id"), read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    # ... and, in the same query, whether one of their sites has a workshop.
    workshops = Workshop.objects.all()
    if not superuser:
        workshops = workshops.filter(department__site__staff=OuterRef("pk"))
    return (
        Staff.objects.filter(user_id=user_id)
        .annotate(
            unread=Coalesce(Subquery(unread_count), 0),
            # The first of their workshops (the menu's calendar and KPIs), as the pages order them.
            workshop_id=Subquery(
                workshops.order_by("department__site__name", "department__name", "pk").values("pk")[
                    :1
                ]
            ),
            is_technician=Exists(Technician.objects.filter(staff_id=OuterRef("pk"), active=True)),
        )
        .values("display_name", "unread", "workshop_id", "is_technician")
    )


# Compiled once per process (fuwu.core.prepared): it runs on every staff page, and building
# its subqueries cost more than answering them. One person has one staff row.
_NAV_ROW = {
    False: Prepared(lambda user_id: _nav_row(user_id, superuser=False)),
    True: Prepared(lambda user_id: _nav_row(user_id, superuser=True)),
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/portal/"):
        return {}
    actor = actor_for(user)
    if not is_staff_member(actor):
        return {}
    from fuwu.notifications.models import Notification
    from fuwu.reports.lists import rights
    from fuwu.scheduling.booking import BOOKING_ROLES, visible_workshops

    row = _NAV_ROW[actor.superuser].get(user.pk)
    if row is None:  # a superuser without a staff profile
        unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
        name = ""
        first = visible_workshops(actor).values_list("pk", flat=True).first()
        technician = False
    else:
        unread, name, first = row["unread"], row["display_name"], row["workshop_id"]
        technician = row["is_technician"]
    workshop = first is not None
    return {
        "nav": Nav(
            actor=actor,
            is_staff_member=True,
            is_manager=is_manager(actor),
            is_admin=actor.superuser or "admin" in actor.roles or bool(user.is_staff),
            unread=unread,
            name=name or user.get_full_name() or user.username,
            workshop=workshop and (actor.superuser or bool(actor.roles & BOOKING_ROLES)),
            board=workshop,
            workshop_id=first,
            technician=technician,
            reports=rights.readable(actor),
        )
    }
