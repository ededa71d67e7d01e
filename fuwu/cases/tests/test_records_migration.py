"""Migration 0011 moves the system's records out of `Case.data` and back, leaving fields alone."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from fuwu.cases import actions
from fuwu.cases.models import Case

pytestmark = pytest.mark.django_db

migration = importlib.import_module("fuwu.cases.migrations.0011_case_records")

CHECKS = {"inspect": {"stem_bend": {"value": 0.2, "passed": True}}}
CONFIRMED = {"cycle": 0, "at": "2026-12-01T10:00:00+08:00"}
RATING = {"score": 4, "comment": "好", "cycle": 0, "at": "2026-12-01T10:00:00+08:00"}


def test_records_move_out_of_data_and_back(world):
    case = actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="漏水",
        data={"repair_item": "漏水", "service_type": "free"},
    )
    # How a case looked before: the system's records inside the fields' namespace.
    old = {**case.data, "checks": CHECKS, "customer_confirmed": CONFIRMED, "rating": RATING}
    Case.objects.filter(pk=case.pk).update(data=old, records={})
    # A procedure's own `customer_confirmed` field (a bool) is a field, not the record.
    own = actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="漏水",
        data={"repair_item": "漏水", "service_type": "free"},
    )
    Case.objects.filter(pk=own.pk).update(data={**own.data, "customer_confirmed": True})

    migration.forwards(apps, None)
    moved = Case.objects.get(pk=case.pk)
    assert moved.data == case.data
    assert moved.records == {"checks": CHECKS, "confirmation": CONFIRMED, "rating": RATING}
    kept = Case.objects.get(pk=own.pk)
    assert kept.data["customer_confirmed"] is True and kept.records == {}

    migration.backwards(apps, None)
    assert Case.objects.get(pk=case.pk).data == old
    assert Case.objects.get(pk=case.pk).records == {}
    assert Case.objects.get(pk=own.pk).data["customer_confirmed"] is True
