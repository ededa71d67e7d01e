"""fuwu.cases.history without pages: the duplicate rule and the ids-first read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fuwu.cases import history
from fuwu.cases.models import Case
from fuwu.web.tests.casesetup import open_repair

pytestmark = pytest.mark.django_db


def test_the_duplicate_is_the_same_units_open_case_of_the_procedure(world):
    agent = world.actor("agent")
    owner, unit = world.customers["owner"].pk, world.assets["unit"].pk
    case = open_repair(world)
    found = history.open_duplicate(agent, procedure_key="property_repair", asset_id=unit)
    assert found == case
    assert history.open_duplicate(agent, procedure_key="complaint", asset_id=unit) is None
    assert (
        history.open_duplicate(
            agent, procedure_key="property_repair", asset_id=unit, exclude=case.pk
        )
        is None
    )
    # No asset named: the customer's open case of the procedure.
    assert history.open_duplicate(agent, procedure_key="property_repair", customer_id=owner) == case
    Case.objects.filter(pk=case.pk).update(status="cancelled")
    assert history.open_duplicate(agent, procedure_key="property_repair", asset_id=unit) is None
    # Someone of another site does not learn of it.
    assert (
        history.open_duplicate(
            world.actor("cc_agent"), procedure_key="property_repair", asset_id=unit
        )
        is None
    )


def test_cases_are_found_by_id_not_by_walking_the_site(world):
    open_repair(world)
    with CaptureQueriesContext(connection) as seen:
        rows = list(history.cases_of(world.actor("agent"), customer_id=world.customers["owner"].pk))
    assert len(rows) == 1
    last = seen.captured_queries[-1]["sql"]
    assert '"id" IN (' in last.replace("`", '"') or "id IN (" in last


def test_past_the_id_limit_the_cases_are_matched_by_subquery(world, monkeypatch):
    first, second = open_repair(world), open_repair(world)
    monkeypatch.setattr(history, "MATCH_IDS", 1)
    rows = list(history.cases_of(world.actor("agent"), asset_id=world.assets["unit"].pk))
    assert rows == [second, first]
    assert list(history.cases_of(world.actor("cc_agent"), asset_id=world.assets["unit"].pk)) == []
