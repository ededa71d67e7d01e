"""A prepared read gives what the queryset gives, compiled once."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models.sql.compiler import SQLCompiler

from fuwu.cases import actions
from fuwu.cases.models import UNPARSED, Case
from fuwu.core.prepared import Prepared

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def a_case(world: Any) -> Case:
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="灯不亮",
        customer_id=world.customers["owner"].pk,
        asset_id=world.assets["unit"].pk,
        data={"repair_item": "灯", "service_type": "free"},
    )


def test_the_same_instances_as_the_queryset(world, django_assert_num_queries, monkeypatch):
    case = a_case(world)
    read = Prepared(
        lambda pk: (
            Case.objects.select_related("procedure", "site", "customer", "asset")
            .defer(*UNPARSED)
            .filter(pk=pk)
        )
    )
    expected = (case.site.code, case.customer.name, case.asset.label, case.procedure.version)
    compiled = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k)
    )
    for _ in range(3):
        with django_assert_num_queries(1):
            got = read.get(case.pk)
            # The joined rows came with it: no query for these.
            shown = (got.site.code, got.customer.name, got.asset.label, got.procedure.version)
            assert shown == expected
        assert got.pk == case.pk and got.title == "灯不亮" and got.data == case.data
        assert got.created_at == case.created_at  # converters applied (aware datetimes)
    assert len(compiled) == 1  # compiled on the first read only
    assert read.get(case.pk + 1000) is None


def test_values_list_reads_and_its_key_must_be_bound_once(world):
    case = a_case(world)
    sites = Prepared(lambda pk: Case.objects.filter(pk=pk).values_list("site_id", flat=True))
    assert sites.get(case.pk) == case.site_id
    twice = Prepared(lambda pk: Case.objects.filter(pk=pk, parent_id=pk))
    with pytest.raises(ValueError, match="once"):
        twice.get(case.pk)
