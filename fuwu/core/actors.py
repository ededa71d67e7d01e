"""Who is acting (a user's roles and sites, or the system) and the organisation they act in.

Both are read on every request and change only when an administrator edits a department, a
person, their roles or sites. They are kept in Django's cache (`settings.CACHES`), never in a
per-process dict: every key carries the organisation's *generation*, and any save or delete of
a Department, Staff (with its roles and sites) or User starts a new generation (see
`core/apps.py`), so a role removed in the admin is enforced at once in every process that
shares the cache. With the default local-memory cache each process has its own copy; entries
then live at most `ORG_SECONDS`, which bounds how long another process can lag.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast

from django.core.cache import cache
from django.db import transaction

MANAGER_ROLES = frozenset({"manager", "vp", "admin", "specialist"})

# Upper bound on staleness when processes do not share the cache (local memory).
ORG_SECONDS = 30
_GENERATION_KEY = "fuwu:org:generation"


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
    def is_staff(self) -> bool:
        """A member of staff: holds a role (customers and bare accounts hold none), or a superuser."""
        return self.superuser or bool(self.roles)

    @property
    def is_customer(self) -> bool:
        return not self.superuser and self.roles == frozenset({"customer"})

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


def generation() -> int:
    """The organisation's current generation: part of every cached key below."""
    value = cache.get(_GENERATION_KEY)
    if value is None:
        cache.add(_GENERATION_KEY, time.time_ns(), None)
        value = cache.get(_GENERATION_KEY) or 0
    return int(value)


def forget_actors() -> None:
    """The organisation changed: start a new generation now and again after commit (a process
    that reloads between the two would otherwise cache the rows it read before the commit)."""
    cache.set(_GENERATION_KEY, time.time_ns(), None)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache.set(_GENERATION_KEY, time.time_ns(), None))


def org_key(*parts: object) -> str:
    return ":".join(["fuwu:org", str(generation()), *(str(p) for p in parts)])


def org_cached[T](build: Callable[[], T], *parts: object) -> T:
    """What `build` makes of the organisation (people, departments, sites), kept in the cache
    under this generation for ORG_SECONDS: a change to the organisation is seen at once."""
    key = org_key(*parts)
    hit = cache.get(key)
    if hit is None:
        hit = build()
        cache.set(key, hit, ORG_SECONDS)
    return cast("T", hit)


_LOCAL: dict[str, tuple[float, Any]] = {}


def org_local[T](build: Callable[[], T], *parts: object) -> T:
    """Like `org_cached`, kept in this process (for tables a page reads whole, such as every
    department's name, that would cost more to unpickle from the cache than to look up): under
    this generation, and at most ORG_SECONDS, as the cache would keep it."""
    key = org_key(*parts)
    hit = _LOCAL.get(key)
    now = time.monotonic()
    if hit is None or now - hit[0] > ORG_SECONDS:
        if len(_LOCAL) > 64:  # old generations' entries
            _LOCAL.clear()
        hit = _LOCAL[key] = (now, build())
    return cast("T", hit[1])


def actor_for(user: Any) -> Actor:
    """The actor for a user: cached on the user object for the request, and in Django's cache."""
    cached = getattr(user, "_fuwu_actor", None)
    if cached is not None:
        return cached
    key = org_key("actor", user.pk)
    hit = cache.get(key)
    if hit is not None and hit.superuser == bool(user.is_superuser):
        actor = replace(hit, user=user)
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
    cache.set(key, replace(actor, user=None), ORG_SECONDS)
    return actor


def _forget_on_change(**kwargs: Any) -> None:
    # Signing in saves `last_login` only: nothing the cache holds.
    if set(kwargs.get("update_fields") or ()) == {"last_login"}:
        return
    forget_actors()
