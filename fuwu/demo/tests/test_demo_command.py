"""The demo command on an empty database: it loads once, skips procedures not loaded and walks
new ones. (The read-only checks of a built demo share one build in test_demo.py.)"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from fuwu.campaigns.models import Campaign, Schedule
from fuwu.cases.models import Case, Event
from fuwu.cases.replay import differences
from fuwu.customers.models import Customer
from fuwu.procedures.engine.validate import definition_checksum
from fuwu.procedures.models import ProcedureVersion

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_once]


def test_the_command_loads_once_skipping_procedures_not_loaded_and_walking_new_ones() -> None:
    """One build (the demo is the suite's slowest fixture, so this one is kept small): the
    command on an empty database with all but two procedures retired (among them the survey
    its campaign runs and those its stories tell) and one it has never heard of, then again
    (nothing)."""
    kept = {"fee_collection", "property_repair"}
    gone = list(
        ProcedureVersion.objects.filter(is_current=True)
        .exclude(key__in=kept)
        .values_list("key", flat=True)
    )
    assert {"gas_activation", "opinion_survey", "hotel_vip", "valve_overhaul"} <= set(gone)
    # A procedure the demo has never heard of: walked all the same, on the site it fits.
    valve = ProcedureVersion.objects.get(key="valve_overhaul", is_current=True)
    pump = {
        **valve.definition,
        "key": "pump_overhaul",
        "name": {"zh": "水泵检修", "en": "Pump overhaul"},
    }
    ProcedureVersion.objects.create(
        key="pump_overhaul",
        version=1,
        # The real checksum: parsed definitions are cached by (id, checksum) and ids are reused.
        checksum=definition_checksum(pump),
        name_zh="水泵检修",
        name_en="Pump overhaul",
        definition=pump,
        source="pump_overhaul.yaml",
    )
    ProcedureVersion.objects.filter(key__in=gone).update(is_current=False)

    out, err = StringIO(), StringIO()
    call_command("demo", "--if-empty", stdout=out, stderr=err)
    assert "wang.jianguo" in out.getvalue() and "/api/docs" in out.getvalue()
    assert "failed:" not in err.getvalue()  # the build's problems
    assert not Case.objects.filter(procedure_key__in=gone).exists()
    assert not Schedule.objects.filter(procedure_key__in=gone).exists()
    assert not Campaign.objects.exists()
    assert Case.objects.filter(procedure_key="fee_collection").count() >= 2
    pumps = Case.objects.filter(procedure_key="pump_overhaul")
    assert pumps.count() >= 2 and pumps.exclude(step="plan").exists()
    assert set(pumps.values_list("site__code", flat=True)) == {"lanting"}
    assert differences() == []

    counts = (
        Case.objects.count(),
        Event.objects.count(),
        Customer.objects.count(),
        get_user_model().objects.count(),
        Schedule.objects.count(),
    )
    call_command("demo", "--if-empty", stdout=StringIO())
    assert counts == (
        Case.objects.count(),
        Event.objects.count(),
        Customer.objects.count(),
        get_user_model().objects.count(),
        Schedule.objects.count(),
    )
    with pytest.raises(CommandError):
        call_command("demo", stdout=StringIO())
