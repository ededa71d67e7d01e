"""Engine features through the action layer: parallel branches, approvals, versions, transfer, linked cases."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from fuwu.cases import actions
from fuwu.cases.models import Case, CaseTask, Event
from fuwu.cases.replay import differences
from fuwu.procedures.engine.errors import EngineError, Forbidden, Stale
from fuwu.procedures.registry import sync_library

LIBRARY = Path(__file__).resolve().parents[2] / "procedures" / "library"
EVENT_YAML = textwrap.dedent("""
    key: test_event
    name: {zh: 测试活动, en: Test event}
    seed: 社区文化活动管理规程
    owner: {department: service_center}
    start: plan
    limits: {resolution: 10d}
    steps:
      plan:
        kind: task
        name: {zh: 提出活动计划, en: Plan}
        form:
          - {key: plan_text, type: text, required: true, label: {zh: 计划, en: Plan}}
        transitions:
          - {key: submit, to: approve, label: {zh: 报批, en: Submit}, roles: [agent]}
      approve:
        kind: approval
        name: {zh: 公司领导审批, en: Approval}
        owner: {department: management, role: vp}
        transitions:
          - {key: approve, to: prepare, label: {zh: 通过, en: Approve}, roles: [vp]}
          - key: reject
            to: rejected
            label: {zh: 未通过, en: Reject}
            roles: [vp]
            fields:
              - {key: reject_reason, type: text, required: true, label: {zh: 理由, en: Reason}}
      prepare:
        kind: parallel
        name: {zh: 准备, en: Preparation}
        next: notify_done
        branches:
          - key: venue
            name: {zh: 布置场地, en: Venue}
            owner: {department: engineering}
            checklist:
              - {key: stage, type: yes_no, label: {zh: 舞台, en: Stage}}
          - key: safety
            name: {zh: 安全措施, en: Safety}
            owner: {department: security}
      notify_done:
        kind: automatic
        name: {zh: 通知, en: Notify}
        next: run
        effects:
          - {set: {prepared: true}}
          - notify: {to: department_manager}
      run:
        kind: task
        name: {zh: 活动进行, en: Run}
        owner: {department: service_center}
        transitions:
          - key: finish
            to: done
            label: {zh: 完成, en: Finish}
            roles: [agent]
            guard: data.prepared == true
            effects:
              - open_linked_case: {procedure: property_repair}
      done: {kind: end, name: {zh: 归档, en: Archived}}
      rejected: {kind: end, name: {zh: 终止, en: Stopped}, outcome: rejected}
""")


@pytest.fixture
def event_procedure(world, tmp_path):
    (tmp_path / "test_event.yaml").write_text(EVENT_YAML, encoding="utf-8")
    # The linked procedure must be in the same library folder (links are checked across files).
    shutil.copy(LIBRARY / "property_repair.yaml", tmp_path / "property_repair.yaml")
    result = sync_library([tmp_path])
    assert not result.problems, result.problems
    return tmp_path


def _open_event(world):
    return actions.open_case(
        world.actor("agent"),
        procedure_key="test_event",
        site_id=world.sites["lanting"].pk,
        channel="walk_in",
        title="中秋晚会",
        data={"plan_text": "中秋晚会"},
    )


def test_parallel_branches_join_when_all_are_done(world, event_procedure):
    case = _open_event(world)
    case = actions.take_transition(world.actor("agent"), case.pk, "submit", version=case.version)
    assert case.step == "approve" and case.department.code == "management"
    with pytest.raises(Forbidden):
        actions.take_transition(world.actor("agent"), case.pk, "approve", version=case.version)
    case = actions.take_transition(world.actor("vp"), case.pk, "approve", version=case.version)
    assert case.step == "prepare"
    tasks = {t.branch: t for t in CaseTask.objects.filter(case=case)}
    assert {b: t.department.code for b, t in tasks.items()} == {
        "venue": "engineering",
        "safety": "security",
    }
    # Only the branch's department does its task; the checklist is enforced.
    with pytest.raises(Forbidden):
        actions.complete_task(world.actor("agent"), case.pk, branch="venue", version=case.version)
    with pytest.raises(EngineError) as err:
        actions.complete_task(
            world.actor("technician"), case.pk, branch="venue", version=case.version
        )
    assert "checklist.stage" in err.value.fields
    case = actions.complete_task(
        world.actor("technician"),
        case.pk,
        branch="venue",
        version=case.version,
        checklist={"stage": True},
    )
    assert case.step == "prepare"  # still waiting for security
    with pytest.raises(EngineError):
        actions.complete_task(
            world.actor("technician"), case.pk, branch="venue", version=case.version
        )
    case = actions.complete_task(
        world.actor("security"), case.pk, branch="safety", version=case.version
    )
    # joined, passed through the automatic step (its effects applied) and arrived at `run`
    assert (
        case.step == "run"
        and case.data["prepared"] is True
        and case.department.code == "service_center"
    )
    kinds = list(Event.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds.count("task_completed") == 2 and "joined" in kinds
    case = actions.take_transition(world.actor("agent"), case.pk, "finish", version=case.version)
    assert case.status == "closed"
    child = Case.objects.get(parent=case)
    assert child.procedure_key == "property_repair" and child.step == "reception"
    assert Event.objects.filter(case=case, kind="linked_case_opened", data__case=child.pk).exists()
    assert differences() == []


def test_rejection_ends_the_case_with_a_reason(world, event_procedure):
    case = _open_event(world)
    case = actions.take_transition(world.actor("agent"), case.pk, "submit", version=case.version)
    with pytest.raises(EngineError) as err:
        actions.take_transition(world.actor("vp"), case.pk, "reject", version=case.version)
    assert set(err.value.fields) == {"reject_reason"}
    case = actions.take_transition(
        world.actor("vp"),
        case.pk,
        "reject",
        version=case.version,
        form={"reject_reason": "预算不足"},
    )
    assert case.status == "rejected" and case.closed_at and case.data["reject_reason"] == "预算不足"


def test_running_cases_keep_their_version(world, event_procedure, tmp_path):
    old = _open_event(world)
    changed = EVENT_YAML.replace(
        "name: {zh: 提出活动计划, en: Plan}", "name: {zh: 提出活动方案, en: Proposal}"
    )
    (event_procedure / "test_event.yaml").write_text(changed, encoding="utf-8")
    result = sync_library([event_procedure])
    assert [(v.key, v.version) for v in result.created] == [("test_event", 2)]
    assert sync_library([event_procedure]).created == []  # same content: no new version
    new = _open_event(world)
    assert old.procedure.version == 1 and new.procedure.version == 2
    old = actions.take_transition(world.actor("agent"), old.pk, "submit", version=old.version)
    assert Case.objects.get(pk=old.pk).procedure.version == 1


def test_transfer_moves_ownership_in_one_step(world):
    agent = world.actor("agent")
    case = actions.open_case(
        agent,
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="车库道闸故障",
        data={"repair_item": "道闸", "service_type": "free"},
    )
    case = actions.assign(
        world.actor("sc_manager"),
        case.pk,
        assignee_id=world.users["agent2"].pk,
        version=case.version,
    )
    with pytest.raises(EngineError) as err:
        actions.transfer(agent, case.pk, department_code="service_center", version=case.version)
    assert err.value.code == "same_department"
    with pytest.raises(EngineError):
        actions.transfer(agent, case.pk, department_code="kitchen", version=case.version)
    with pytest.raises(Stale):
        actions.transfer(agent, case.pk, department_code="security", version=case.version - 1)
    case = actions.transfer(
        agent, case.pk, department_code="security", version=case.version, note="道闸归秩序维护部"
    )
    assert case.department.code == "security" and case.assignee is None
    event = Event.objects.get(case=case, kind="transferred")
    assert event.data["set"] == {
        "department": world.dept("lanting", "security").pk,
        "assignee": None,
    }
    assert differences() == []


def test_assignee_must_be_on_the_site(world):
    agent = world.actor("agent")
    case = actions.open_case(
        agent,
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="x",
        data={"repair_item": "x", "service_type": "free"},
    )
    with pytest.raises(EngineError) as err:
        actions.assign(
            world.actor("sc_manager"),
            case.pk,
            assignee_id=world.users["cc_agent"].pk,
            version=case.version,
        )
    assert err.value.code == "assignee_not_in_department"
    with pytest.raises(Forbidden):
        actions.assign(
            world.actor("technician"),
            case.pk,
            assignee_id=world.users["agent2"].pk,
            version=case.version,
        )
    with pytest.raises(Forbidden):  # not their department's case to take
        actions.assign(
            world.actor("technician"),
            case.pk,
            assignee_id=world.users["technician"].pk,
            version=case.version,
        )
    case = actions.assign(
        world.actor("agent2"),
        case.pk,
        assignee_id=world.users["agent2"].pk,
        version=case.version,
    )  # taking a case of your own department yourself is allowed
    assert case.assignee_id == world.users["agent2"].pk


AGENCY_YAML = textwrap.dedent("""
    key: test_agency
    name: {zh: 测试代办, en: Test agency}
    seed: 物业部代办服务工作程序
    owner: {department: service_center}
    start: review
    fields:
      - key: service_type
        type: choice
        required: true
        label: {zh: 代办事项, en: Service}
        options:
          - {value: rental, label: {zh: 房屋出租, en: House rental}}
          - {value: vehicle_pass, label: {zh: 车辆通行证, en: Vehicle pass}}
      - {key: guests, type: number, label: {zh: 人数, en: Guests}}
      - {key: dishes, type: number, label: {zh: 菜品数, en: Dishes}}
    steps:
      review:
        kind: task
        name: {zh: 审核材料, en: Review}
        checklist:
          - {key: lease, type: document, label: {zh: 租赁合同, en: Lease}, when: 'data.service_type == "rental"'}
          - {key: id_card, type: document, label: {zh: 身份证明, en: ID}}
          - {key: licence, type: document, label: {zh: 行驶证, en: Licence},
             when: 'data.service_type == "vehicle_pass"'}
        transitions:
          - key: complete
            to: done
            label: {zh: 材料齐全, en: Complete}
            roles: [agent]
            guard: checklist.passed
            warnings:
              - when: 'data.dishes > data.guests * 3'
                message: {zh: 按每人 2–3 份为宜, en: About 2–3 dishes per person}
          - key: supplement
            to: review
            label: {zh: 通知补充, en: Ask to supplement}
            roles: [agent]
            guard: '!checklist.passed'
      done: {kind: end, name: {zh: 完成, en: Done}}
""")


def test_document_checklist_per_service_type_and_warnings(world, api, tmp_path):
    (tmp_path / "test_agency.yaml").write_text(AGENCY_YAML, encoding="utf-8")
    assert not sync_library([tmp_path]).problems
    agent = api("agent", "en")
    case = agent.post(
        "/api/cases",
        {
            "procedure": "test_agency",
            "site": "lanting",
            "channel": "walk_in",
            "title": "出租代办",
            "data": {"service_type": "rental", "guests": 2, "dishes": 9},
        },
    ).json()
    t = agent.get(f"/api/cases/{case['id']}/transitions").json()
    assert {c["key"]: c["applies"] for c in t["checklist"]} == {
        "lease": True,
        "id_card": True,
        "licence": False,
    }
    url = f"/api/cases/{case['id']}/transitions/"
    r = agent.post(
        url + "complete", {"version": case["version"], "checklist": {"lease": "received"}}
    )
    assert r.status_code == 400 and r.json()["details"]["fields"] == {
        "checklist.id_card": "Checklist item not done"
    }
    r = agent.post(
        url + "complete",
        {
            "version": case["version"],
            "checklist": {"lease": "received", "id_card": "ok", "licence": "received"},
        },
    )
    assert r.json()["details"]["fields"] == {
        "checklist.id_card": "Must be received, missing or inconsistent",
        "checklist.licence": "This item does not apply",
    }
    # An inconsistent document fails the review: only "ask to supplement" goes through.
    r = agent.post(
        url + "complete",
        {"version": case["version"], "checklist": {"lease": "inconsistent", "id_card": "received"}},
    )
    assert r.json()["code"] == "guard_failed"
    case = agent.post(
        url + "supplement",
        {"version": case["version"], "checklist": {"lease": "inconsistent", "id_card": "received"}},
    ).json()
    # All received: the warning must be confirmed before the case moves on.
    body = {"version": case["version"], "checklist": {"lease": "received", "id_card": "received"}}
    r = agent.post(url + "complete", body)
    assert r.status_code == 400 and r.json()["code"] == "confirm_warnings"
    assert r.json()["details"]["warnings"] == ["About 2–3 dishes per person"]
    assert Case.objects.get(pk=case["id"]).step == "review"
    r = agent.post(url + "complete", {**body, "confirm": True})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    event = Event.objects.filter(case_id=case["id"], kind="transitioned").last()
    assert event.data["confirmed_warnings"] == ["按每人 2–3 份为宜"]
    assert event.data["checks"]["lease"] == {"value": "received", "passed": True}
