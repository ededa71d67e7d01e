"""Who is acting: a user's roles and sites, loaded once per request; or the system itself."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

MANAGER_ROLES = frozenset({"manager", "vp", "admin", "specialist"})


@dataclass(frozen=True)
class Actor:
    user: Any  # a User, or None for the system
    roles: frozenset[str]
    site_ids: frozenset[int]
    department_id: int | None
    superuser: bool
    language: str = "zh-hans"

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def is_system(self) -> bool:
        return self.user is None

    @property
    def is_manager(self) -> bool:
        """Managers (and VPs, specialists, administrators) see more: dashboards, others' notes."""
        return self.superuser or bool(self.roles & MANAGER_ROLES)

    def may_see_site(self, site_id: int) -> bool:
        return self.superuser or site_id in self.site_ids

    def scope(self, qs: Any) -> Any:
        """The rows of a queryset with a `site` this actor may see (all for a superuser)."""
        return qs if self.superuser else qs.filter(site_id__in=self.site_ids)


SYSTEM = Actor(
    user=None, roles=frozenset(), site_ids=frozenset(), department_id=None, superuser=True
)


# Roles and sites change rarely; reading them is three queries a request. A change reaches
# every process within ACTOR_SECONDS (and this process at once: see forget_actors).
ACTOR_SECONDS = 10.0
_ACTORS: dict[int, tuple[float, Actor]] = {}


def forget_actors() -> None:
    _ACTORS.clear()


def actor_for(user: Any) -> Actor:
    """The actor for a user: cached on the user object for the request, and briefly per process."""
    cached = getattr(user, "_fuwu_actor", None)
    if cached is not None:
        return cached
    hit = _ACTORS.get(user.pk)
    if (
        hit
        and time.monotonic() - hit[0] < ACTOR_SECONDS
        and hit[1].superuser == bool(user.is_superuser)
    ):
        actor = replace(hit[1], user=user)
        user._fuwu_actor = actor
        return actor
    from fuwu.core.models import Staff

    staff = (
        Staff.objects.filter(user_id=user.pk)
        .prefetch_related("roles", "sites")
        .only("id", "department_id", "language")
        .first()
    )
    actor = Actor(
        user=user,
        roles=frozenset(r.code for r in staff.roles.all()) if staff else frozenset(),
        site_ids=frozenset(s.pk for s in staff.sites.all()) if staff else frozenset(),
        department_id=staff.department_id if staff else None,
        superuser=bool(getattr(user, "is_superuser", False)),
        language=staff.language if staff else "zh-hans",
    )
    user._fuwu_actor = actor
    _ACTORS[user.pk] = (time.monotonic(), actor)
    return actor


def _forget_on_change(**kwargs: Any) -> None:
    forget_actors()
