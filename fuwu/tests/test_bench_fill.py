"""`make bench` fills its databases with bench.fill: keep it working as the engine changes."""

from __future__ import annotations

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
