"""Who is acting: a user's roles and sites, loaded once per request; or the system itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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

    def may_see_site(self, site_id: int) -> bool:
        return self.superuser or site_id in self.site_ids


SYSTEM = Actor(
    user=None, roles=frozenset(), site_ids=frozenset(), department_id=None, superuser=True
)


def actor_for(user: Any) -> Actor:
    """The actor for a user, cached on the user object for the rest of the request."""
    cached = getattr(user, "_fuwu_actor", None)
    if cached is not None:
        return cached
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
    return actor
