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
    compiled, converted = [], []
    original, original_converters = SQLCompiler.as_sql, SQLCompiler.get_converters
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k)
    )
    monkeypatch.setattr(
        SQLCompiler,
        "get_converters",
        lambda self, *a: converted.append(1) or original_converters(self, *a),
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
    assert len(converted) == 1  # and its columns' converters worked out once
    assert read.get(case.pk + 1000) is None


def test_values_list_reads_and_its_key_must_be_bound_once(world):
    case = a_case(world)
    sites = Prepared(lambda pk: Case.objects.filter(pk=pk).values_list("site_id", flat=True))
    assert sites.get(case.pk) == case.site_id
    twice = Prepared(lambda pk: Case.objects.filter(pk=pk, parent_id=pk))
    with pytest.raises(ValueError, match="once"):
        twice.get(case.pk)


def test_update_row_writes_what_save_with_update_fields_writes(world):
    from django.db import DatabaseError

    from fuwu.core.prepared import update_row

    case = a_case(world)
    case.title, case.data = "灯又不亮", {**case.data, "note": "第二次"}
    update_row(case, ["title", "data"])
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.title, fresh.data) == ("灯又不亮", case.data)
    gone = Case(pk=case.pk + 1000, title="x")
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        update_row(gone, ["title"])


def test_insert_rows_sets_each_primary_key_by_its_key(world):
    from fuwu.cases.flow import _EVENT_COLUMNS
    from fuwu.cases.models import Event
    from fuwu.core.prepared import insert_rows

    # Every column of an event but its id: a new column must be written too.
    assert (*_EVENT_COLUMNS, "id") == (
        *(f.attname for f in Event._meta.concrete_fields if not f.primary_key),
        "id",
    )
    case = a_case(world)
    base = case.last_seq
    rows = [
        Event(case=case, seq=base + i, kind="commented", data={"text": f"第{i}条"})
        for i in (3, 1, 2)
    ]
    insert_rows(Event, rows, _EVENT_COLUMNS, key="seq")
    for row in rows:
        stored = Event.objects.get(pk=row.pk)
        assert (stored.seq, stored.data, stored.at) == (row.seq, row.data, row.at)
        assert not row._state.adding
