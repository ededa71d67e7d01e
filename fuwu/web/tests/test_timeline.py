"""The timeline: every event kind as a plain sentence, in both languages, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from fuwu.cases import actions
from fuwu.cases.choices import EventKind, WorkKind
from fuwu.cases.models import Case, Event
from fuwu.sla.escalation import fire_due
from fuwu.testing.factories import World
from fuwu.web.timeline import SENTENCES, TimelineEntry, timeline


def _open(world: World, **extra: Any) -> Case:
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="厨房水管漏水",
        customer_id=world.customers["owner"].pk,
        asset_id=world.assets["unit"].pk,
        data={"repair_item": "厨房水管", "service_type": "free"},
        **extra,
    )


def _history(world: World) -> Case:
    """A case with a bit of everything people do to it."""
    case = _open(world)
    agent, dispatcher = world.actor("agent"), world.actor("dispatcher")
    actions.comment(agent, case.pk, text="业主下午在家")
    actions.comment(agent, case.pk, text="业主脾气急，注意沟通", internal=True)
    case = actions.take_transition(
        agent,
        case.pk,
        "issue_work_order",
        version=Case.objects.get(pk=case.pk).version,
        form={"details_confirmed": True},
    )
    case = actions.assign(
        dispatcher, case.pk, assignee_id=world.users["technician"].pk, version=case.version
    )
    actions.log_work(
        world.actor("technician"),
        case.pk,
        actions.WorkEntry(kind=WorkKind.LABOUR, description="更换水管", hours=Decimal("2.00")),
    )
    actions.log_work(
        world.actor("technician"),
        case.pk,
        actions.WorkEntry(
            kind=WorkKind.PART,
            description="PPR 水管",
            quantity=Decimal("3"),
            unit_price=Decimal("12.50"),
        ),
    )
    return Case.objects.select_related("procedure").get(pk=case.pk)


def _texts(entries: list[TimelineEntry]) -> list[str]:
    return [f"{e.actor} {e.text}" for e in entries]


def test_a_history_reads_as_sentences_in_chinese(world: World) -> None:
    case = _history(world)
    entries = timeline(case, Event.objects.filter(case=case), "zh-hans", show_internal=True)
    texts = _texts(entries)
    assert texts[0] == "agent 通过电话受理了工单"
    assert "服务程序：物业报修" in entries[0].details
    assert "当前步骤：接待受理" in entries[0].details
    assert "负责部门：客服中心" in entries[0].details
    assert texts[1] == "agent 添加了备注" and entries[1].details == ["业主下午在家"]
    assert entries[2].internal and texts[2] == "agent 添加了内部备注"
    assert texts[3] == "agent 将工单从“接待受理”转到“派工”（开具维修工作单并通知工程部）"
    assert "已与业主核对报修内容：是" in entries[3].details
    assert "转交工程部处理" in entries[3].details
    assert texts[4] == "dispatcher 将工单指派给 technician"
    assert texts[5] == "technician 记录了工时 2 小时" and entries[5].details == ["更换水管"]
    assert texts[6] == "technician 记录了配件：PPR 水管 × 3"
    assert entries[6].details == ["单价：12.50"]
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)


def test_the_same_history_in_english(world: World) -> None:
    case = _history(world)
    texts = _texts(timeline(case, Event.objects.filter(case=case), "en", show_internal=True))
    assert texts[0] == "agent opened the case by phone"
    assert texts[3] == (
        "agent moved the case from “Reception” to “Dispatch” (Issue work order to engineering)"
    )
    assert texts[4] == "dispatcher assigned the case to technician"
    assert texts[5] == "technician logged 2 h of labour"
    assert texts[2] == "agent added an internal note"


def test_customers_see_no_internal_notes_escalations_or_form_values(world: World) -> None:
    case = _history(world)
    assert case.resolution_due is not None
    fire_due(case.pk, now=case.resolution_due + timedelta(hours=100))
    staff = timeline(case, Event.objects.filter(case=case), "zh-hans", show_internal=True)
    customer = timeline(case, Event.objects.filter(case=case), "zh-hans", show_internal=False)
    assert any(e.kind == EventKind.ESCALATED for e in staff)
    assert not any(e.internal or e.kind == EventKind.ESCALATED for e in customer)
    moved = next(e for e in customer if e.kind == EventKind.TRANSITIONED)
    assert moved.details == ["转交工程部处理"]
    part = next(e for e in customer if "配件" in e.text)
    assert part.details == []


def test_escalations_name_the_rung_and_the_people_told(world: World) -> None:
    case = _open(world)
    assert case.resolution_due is not None
    fire_due(case.pk, now=case.resolution_due + timedelta(hours=100))
    entries = timeline(
        case, Event.objects.filter(case=case, kind="escalated"), "zh-hans", show_internal=True
    )
    texts = [e.text for e in entries]
    assert "升级至部门经理：已超过响应时限" in texts
    assert "提醒处理人：解决时限已用去 80%" in texts
    assert "升级至第 1 级上级：已超过解决时限（达到 150%）" in texts
    assert "升级至主管副总：已超过解决时限（达到 200%）" in texts
    manager = next(e for e in entries if e.text == "升级至部门经理：已超过响应时限")
    assert manager.details == ["已通知：sc_manager"]
    assert all(e.actor == "系统" for e in entries)
    english = timeline(
        case, Event.objects.filter(case=case, kind="escalated"), "en", show_internal=True
    )
    assert "escalated to the department manager: response time limit passed" in [
        e.text for e in english
    ]
    assert all(e.actor == "System" for e in english)


def test_the_query_count_does_not_grow_with_the_history(
    world: World, django_assert_num_queries: Any
) -> None:
    case = _history(world)
    with django_assert_num_queries(3):  # events, people named by id, departments named by id
        short = timeline(case, Event.objects.filter(case=case), "zh-hans", show_internal=True)
    for i in range(30):
        if i % 2 == 0:  # while engineering has it, its dispatcher assigns
            actions.assign(
                world.actor("dispatcher"),
                case.pk,
                assignee_id=world.users["technician"].pk,
                version=None,
            )
        actions.transfer(  # the VP stands above both departments
            world.actor("vp"),
            case.pk,
            department_code="engineering" if i % 2 else "security",
            version=None,
        )
    case = Case.objects.select_related("procedure").get(pk=case.pk)
    with django_assert_num_queries(3):
        long = timeline(case, Event.objects.filter(case=case), "zh-hans", show_internal=True)
    assert len(long) > len(short) + 30


# One event of each kind, with the data the actions and the clock job write.
SAMPLES: dict[str, dict[str, Any]] = {
    EventKind.OPENED: {"procedure": "property_repair", "channel": "wechat", "priority": "high"},
    EventKind.TRANSITIONED: {
        "transition": "repair_now",
        "from": "dispatch",
        "to": "repair",
        "values": {"repair_mode": "immediate"},
        "checks": {},
    },
    EventKind.ASSIGNED: {"from": None, "to": None},
    EventKind.TRANSFERRED: {"from": None, "to": None, "note": "请协助"},
    EventKind.COMMENTED: {"text": "已电话联系业主", "internal": False},
    EventKind.WORK_LOGGED: {"kind": "tool", "description": "管钳"},
    EventKind.WORK_VOIDED: {"id": 1, "kind": "part", "description": "阀芯", "reason": "数量记错"},
    EventKind.PAUSED: {"reason": "manual"},
    EventKind.RESUMED: {"reason": "manual"},
    EventKind.TASK_COMPLETED: {"branch": "security", "values": {}, "checks": {}},
    EventKind.JOINED: {"from": "dispatch", "to": "repair"},
    EventKind.ESCALATED: {
        "key": "step:0:1",
        "clock": "step",
        "percent": "100%",
        "target": "department_manager",
        "level": 1,
        "recipients": [],
    },
    EventKind.MAJOR_FLAGGED: {},
    EventKind.RETURN_VISIT_SCHEDULED: {"due": "2025-05-06T10:00:00+08:00"},
    EventKind.LINKED_CASE_OPENED: {"case": 42, "procedure": "complaint"},
    EventKind.TIMED_OUT: {
        "key": "timeout:1",
        "transition": "repair_now",
        "refused": "guard_failed",
    },
    EventKind.APPOINTMENT: {"appointment": 7, "at": "2026-12-07T09:00:00+08:00", "hours": "2.30"},
    EventKind.REGISTERED: {
        "register": "key",
        "entry": 1,
        "item": "1502 钥匙",
        "holder": "王芳",
        "due_back": None,
    },
    "customer_confirmed": {"cycle": 0},
    "rated": {"score": 2, "comment": "师傅迟到了", "cycle": 0, "outcome": "reopened"},
    EventKind.ASSET_UPDATED: {
        "record": 3,
        "changes": {
            "occupied": {"from": False, "to": True},
            "family": {"from": None, "to": [{"name": "王芳"}, {"name": "李强"}]},
        },
        "blank": ["water_meter"],
    },
    EventKind.CUSTOMER_UPDATED: {"skipped": "no_customer"},
    EventKind.PRIORITY_CHANGED: {"from": "normal", "to": "urgent"},
    EventKind.ATTACHED: {"ids": [1], "names": ["before.jpg"], "step": "repair", "item": "x"},
    EventKind.FIELD_VISIT: {
        "visit": 3,
        "day": "2026-12-08",
        "window": ["09:00", "11:00"],
        "minutes": 90,
        "replaced": [2],
    },
    EventKind.DOCUMENT_PRINTED: {
        "document": "work_order",
        "number": "LANTING-PG-000001",
        "copy": True,
        "print": 2,
    },
}


def test_every_event_kind_has_a_sentence() -> None:
    """Fails when a new EventKind is added without a sentence (and a sample here)."""
    assert set(EventKind.values) <= set(SENTENCES)
    assert set(EventKind.values) <= set(SAMPLES)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_event_kind_reads_as_a_sentence(world: World, language: str) -> None:
    case = _open(world)
    case = Case.objects.select_related("procedure").get(pk=case.pk)
    events = [
        Event(case=case, seq=i, kind=kind, actor=None, at=timezone.now(), data=data)
        for i, (kind, data) in enumerate(SAMPLES.items(), start=1)
    ]
    entries = timeline(case, events, language, show_internal=True)
    assert [e.kind for e in entries] == list(SAMPLES)
    for entry in entries:
        assert entry.text and entry.text != "记录了一项变更", entry
        assert "%(" not in entry.text and all("%(" not in d for d in entry.details), entry
    if language == "en":
        texts = _texts(entries)
        assert "System opened the case from a WeChat message" in texts
        assert "System moved the case from “Dispatch” to “Repair on site” (Repair now)" in texts
        assert any(d == "Repair mode: Immediate" for e in entries for d in e.details)
        assert "System escalated to the department manager: step time limit passed" in texts
        assert any("Workshop hours booked: " in t and t.endswith(", 2.30 h") for t in texts)
        linked = next(e for e in entries if e.kind == EventKind.LINKED_CASE_OPENED)
        assert linked.linked_case_id == 42 and "Complaint" in linked.text
        updated = next(e for e in entries if e.kind == EventKind.ASSET_UPDATED)
        assert updated.text == "updated the asset's attributes"
        assert updated.details == [
            "occupied: No → Yes",
            "family: — → 2 rows",
            "Not filled in, not updated: water_meter",
        ]
        assert "System did not update the customer record: the case has no customer" in texts
        visit = next(e for e in entries if e.kind == EventKind.FIELD_VISIT)
        assert visit.text == (
            "booked an on-site visit: 2026-12-08, starting between 09:00 and 11:00,"
            " about 90 minutes"
        )
        assert visit.details == ["The visit booked before was cancelled"]


def test_the_template_renders_entries_and_marks_internal_notes(world: World) -> None:
    case = _history(world)
    entries = timeline(case, Event.objects.filter(case=case), "zh-hans", show_internal=True)
    html = render_to_string("web/_timeline.html", {"entries": entries})
    assert html.count('data-testid="timeline-entry"') == len(entries)
    assert 'class="internal"' in html
    assert "业主脾气急" in html
    # Rendered outside a request: in the thread's language, which an earlier test's English
    # request may have left active (the middleware activates, nothing deactivates).
    with translation.override("zh-hans"):
        assert "暂无记录" in render_to_string("web/_timeline.html", {"entries": []})
