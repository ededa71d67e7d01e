"""Actors and site organisations live in Django's cache and follow every admin change at once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fuwu.cases import policy
from fuwu.core.actors import actor_for, generation
from fuwu.core.models import Role, Staff
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db
User = get_user_model()


def fresh_actor(world: World, persona: str):  # type: ignore[no-untyped-def]
    return actor_for(User.objects.get(pk=world.users[persona].pk))


def test_a_removed_role_is_enforced_at_once(world: World) -> None:
    assert "dispatcher" in fresh_actor(world, "dispatcher").roles
    with CaptureQueriesContext(connection) as reads:
        fresh_actor(world, "dispatcher")
    assert len(reads) == 1  # the user row only: roles and sites come from the cache
    staff = Staff.objects.get(user=world.users["dispatcher"])
    staff.roles.remove(Role.objects.get(code="dispatcher"))
    assert "dispatcher" not in fresh_actor(world, "dispatcher").roles
    staff.sites.clear()
    assert fresh_actor(world, "dispatcher").site_ids == frozenset()


def test_a_new_department_manager_oversees_at_once(world: World) -> None:
    lanting = world.sites["lanting"].pk
    security = world.dept("lanting", "security")
    assert world.users["sc_manager"].pk not in policy.site_org(lanting).get(security.pk).overseers
    security.manager = world.users["sc_manager"]
    security.save()
    info = policy.site_org(lanting).get(security.pk)
    assert world.users["sc_manager"].pk in info.overseers and info.managers == {
        world.users["sc_manager"].pk
    }


def test_the_cache_is_djangos_and_signing_in_does_not_empty_it(world: World) -> None:
    before = generation()
    assert cache.get("fuwu:org:generation") == before  # shared by every process using the cache
    user = world.users["agent"]
    user.last_login = user.date_joined
    user.save(update_fields=["last_login"])
    assert generation() == before
    user.first_name = "芳"
    user.save()
    assert generation() != before
