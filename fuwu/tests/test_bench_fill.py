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
