"""The work log, corrected (issue 10, item 13): a tool row with its price counts in the totals;
a wrong row is voided with a reason, through the action (event `work_voided`, shown in the
timeline), leaves the totals and stays on the page struck through. Bad input changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fuwu.cases import actions
from fuwu.cases.choices import EventKind
from fuwu.cases.models import Event, WorkLog
from fuwu.procedures.engine.errors import EngineError
from fuwu.web.tests.casesetup import at_repair, signed_in

pytestmark = pytest.mark.django_db


def _logged(world):
    case = at_repair(world)
    tech = world.actor("technician")
    entry = actions.WorkEntry
    actions.log_work(tech, case.pk, entry("labour", "拆装水龙头", hours=Decimal("1.5")))
    part = actions.log_work(
        tech, case.pk, entry("part", "阀芯", quantity=Decimal(2), unit_price=Decimal(35))
    )
    actions.log_work(
        tech, case.pk, entry("tool", "管钳租用", quantity=Decimal(1), unit_price=Decimal(20))
    )
    return case, part


def test_a_tool_row_counts_and_a_voided_row_leaves_the_totals(world):
    case, part = _logged(world)
    client = signed_in("technician")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "工时合计 1.50 小时 · 配件 ¥70.00 · 工具 ¥20.00" in page
    r = client.post(f"/cases/{case.pk}/work/{part.pk}/void/", {"reason": "数量记错，应为 1 个"})
    assert r.status_code == 302
    row = WorkLog.objects.get(pk=part.pk)
    assert row.voided_at is not None and row.void_reason == "数量记错，应为 1 个"
    event = Event.objects.filter(case=case, kind=EventKind.WORK_VOIDED).get()
    assert event.data["id"] == part.pk and event.data["reason"] == "数量记错，应为 1 个"
    assert event.actor_id == world.users["technician"].pk
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "工时合计 1.50 小时 · 配件 ¥0.00 · 工具 ¥20.00" in page
    assert "已作废：数量记错，应为 1 个" in page
    assert "作废了工作记录：阀芯" in page  # the timeline


def test_voiding_needs_a_reason_a_row_of_this_case_and_the_right_to_log_work(world):
    case, part = _logged(world)
    tech = world.actor("technician")
    with pytest.raises(EngineError):
        actions.void_work(tech, case.pk, part.pk, "   ")
    with pytest.raises(EngineError):
        actions.void_work(tech, case.pk, 999999, "不存在")
    with pytest.raises(EngineError):
        actions.void_work(world.actor("outsider"), case.pk, part.pk, "无权")
    assert WorkLog.objects.get(pk=part.pk).voided_at is None
    assert not Event.objects.filter(case=case, kind=EventKind.WORK_VOIDED).exists()
    actions.void_work(tech, case.pk, part.pk, "记错了")
    with pytest.raises(EngineError):  # once only
        actions.void_work(tech, case.pk, part.pk, "再次")
    client = signed_in("technician")
    r = client.post(f"/cases/{case.pk}/work/{part.pk}/void/", {"reason": ""})
    assert r.status_code == 400
    assert Event.objects.filter(case=case, kind=EventKind.WORK_VOIDED).count() == 1
