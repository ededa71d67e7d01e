"""What the page frame needs on every staff page: who is signed in and what the menu shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from fuwu.core.actors import Actor, actor_for


@dataclass(frozen=True)
class Nav:
    actor: Actor
    is_staff_member: bool
    is_manager: bool
    is_admin: bool
    unread: int


def is_staff_member(actor: Actor) -> bool:
    return actor.superuser or bool(actor.roles)


def is_manager(actor: Actor) -> bool:
    return actor.is_manager


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/portal/"):
        return {}
    actor = actor_for(user)
    if not is_staff_member(actor):
        return {}
    from fuwu.notifications.models import Notification

    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
    return {
        "nav": Nav(
            actor=actor,
            is_staff_member=True,
            is_manager=is_manager(actor),
            is_admin=actor.superuser or "admin" in actor.roles or bool(user.is_staff),
            unread=unread,
        )
    }
