"""`make bench` fills its databases with bench.fill: keep it working as the engine changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bench import fill
from fuwu.cases.models import Case
from fuwu.cases.replay import differences
from fuwu.reports import fold
from fuwu.reports.models import Fact
from fuwu.testing.factories import build_world


@pytest.mark.django_db
def test_the_bench_fill_writes_cases_their_events_agree_with(library):
    build_world(always_open=True)
    result = fill.fill(60, log=False)
    assert result["summary"]["cases_in_db"] == Case.objects.count() == 60
    assert list(differences()) == []
    # The events carry the service levels as Change.finish stamps them: the reports fold them.
    fold.rebuild()
    assert fold.check() == []
    measures = set(Fact.objects.values_list("measure", flat=True))
    assert {"intake", "responded_on_time", "closed", "fixed_first_time"} <= measures
    assert measures & {"resolved_on_time", "resolved_late"}


def _index_words() -> dict[int, set[str]]:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT case_id, strip(words)::text FROM search_case_text")
            return {pk: {w.strip("'") for w in words.split()} for pk, words in cur.fetchall()}
        cur.execute("SELECT rowid, words FROM search_case_fts")
        return {pk: set(words.split()) for pk, words in cur.fetchall()}


@pytest.mark.django_db
def test_the_fill_writes_the_search_index_that_a_rebuild_writes(library):
    from fuwu.search.actions import reindex

    build_world(always_open=True)
    fill.fill(40, log=False)
    written = _index_words()
    assert len(written) == 40 and all(written.values())
    assert reindex() == 40
    assert _index_words() == written


@pytest.mark.django_db
def test_the_sweep_timing_fires_due_rungs_and_leaves_the_database_as_filled(library):
    from bench import sweep
    from fuwu.cases.models import Event
    from fuwu.sla.models import Firing

    build_world(always_open=True)
    fill.fill(80, log=False)
    events = Event.objects.count()
    scheduled = Case.objects.filter(next_escalation_at__isnull=False).count()
    assert scheduled >= 2
    result = sweep.run(due=scheduled, limit=1)
    assert result["idle"]["median_s"] >= 0
    due = result["due"]
    assert "error" not in due, result
    assert due["cases"] >= scheduled and due["fired"] >= scheduled and due["left"] == 0
    assert len(due["sweeps"]) >= scheduled  # 1 case a sweep
    # rolled back: nothing fired stays
    assert Event.objects.count() == events and not Firing.objects.exists()


@pytest.mark.django_db
def test_insert_rows_writes_what_bulk_create_writes(library):
    """The fill writes its rows through the driver with bulk_create's values and ids."""
    from datetime import UTC, datetime

    from fuwu.cases.models import WorkLog

    build_world(always_open=True)
    fill.fill(3, log=False)
    case = Case.objects.order_by("pk").first()
    assert case is not None
    by = case.created_by_id

    def rows(tag: str) -> list[WorkLog]:
        at = datetime(2026, 11, 30, 8, 15, 30, 123456, tzinfo=UTC)
        return [
            WorkLog(
                case=case, by_id=by, kind="part", description=tag, quantity=Decimal("1.5"), at=at
            ),
            WorkLog(
                case=case, by_id=by, kind="labour", description=tag, hours=Decimal("0.50"), at=at
            ),
        ]

    bulk = WorkLog.objects.bulk_create(rows("bulk"))
    ours = fill.create(WorkLog, rows("ours"))
    assert [w.pk for w in ours] == [bulk[-1].pk + 1, bulk[-1].pk + 2]  # the next ids

    def stored(tag: str) -> list[dict[str, object]]:
        return list(
            WorkLog.objects.filter(description=tag)
            .order_by("pk")
            .values(
                *(
                    f.attname
                    for f in WorkLog._meta.concrete_fields
                    if f.attname not in ("id", "description")
                )
            )
        )

    assert stored("ours") == stored("bulk")
    assert (
        WorkLog.objects.create(case=case, by_id=by, kind="tool", at=ours[0].at).pk
        == ours[-1].pk + 1
    )
