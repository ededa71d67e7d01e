"""Business centre services (SPEC §9 row 23, business_centre.yaml) at the hotel, through the HTTP API.

Seed 商务中心服务工作程序: registration → office space viewing (fees explained) → information and
directions → facility guidance; IT support, sending a technician where needed; equipment checks,
faults repaired by engineering or the equipment replaced.
The test world runs on a 24×7 calendar, so every deadline is exactly "moment + limit".
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from fuwu.cases.replay import differences
from fuwu.sla.escalation import fire_due
from fuwu.testing.scenario import allowed, at, kinds, notes, owners, since, take

# Also on PostgreSQL (room bookings read back): fuwu.testing.placement.runs_on_postgres.
pytestmark = pytest.mark.postgres_too

H = 3600
M = 60


@pytest.fixture
def hotel_engineer(world):
    """The hotel's engineering department has no persona in the test world: add a technician."""
    from django.contrib.auth import get_user_model

    from fuwu.core.models import Role, Staff

    user = get_user_model().objects.create_user("hotel_engineer", "he@example.com", "pw-he")
    staff = Staff.objects.create(
        user=user, display_name="hotel_engineer", department=world.dept("hotel", "engineering")
    )
    staff.sites.set([world.sites["hotel"]])
    staff.roles.set([Role.objects.get(code="technician")])
    world.users["hotel_engineer"] = user
    return user


def refused(client, case, key, form=None, checklist=None, *, status=400, code, fields=()):
    """A refused move: the status, the error code, every named field — and nothing changed."""
    body = take(client, case, key, form, checklist, expect=status)
    assert body["code"] == code, body
    for name in fields:
        assert name in body["details"].get("fields", {}), body
    after = client.get(f"/api/cases/{case['id']}").json()
    assert after["version"] == case["version"] and after["step"]["key"] == case["step"]["key"]
    return body


def where(case, step, status, department="business_centre"):
    assert case["step"]["key"] == step, case["step"]
    assert case["status"] == status, case["status"]
    assert case["department"]["code"] == department, case["department"]


def moves(client, case) -> list[str]:
    """Every step change, by a person (transitioned) or by the system (timed_out)."""
    timeline = client.get(f"/api/cases/{case['id']}/events").json()
    assert [e["seq"] for e in timeline] == list(range(1, len(timeline) + 1))
    return [e["data"]["to"] for e in timeline if e["kind"] in ("transitioned", "timed_out")]


def open_request(client, request_type, *, priority=None, title="商务中心服务", **extra):
    body = {
        "procedure": "business_centre",
        "site": "hotel",
        "channel": "walk_in",
        "title": title,
        "data": {
            "client_name": "陈明",
            "company": "深圳明达贸易有限公司",
            "contact_phone": "13700001111",
            "request_type": request_type,
            **extra,
        },
    }
    if priority:
        body["priority"] = priority
    r = client.post("/api/cases", body)
    assert r.status_code == 201, r.json()
    return r.json()


REGISTRATION = {
    "expected_stay": "3个月",
    "space_type": "private_office",
    "services_needed": "前台代收快递、打印复印",
}
GREETED = {"greeted": True}
SHOWN = {"configuration_shown": True, "fees_explained": True}
INFORMED = {
    "floor_layout": True,
    "department_locations": True,
    "resource_locations": True,
    "contacts_given": True,
}
GUIDED = {"equipment_operation": True, "shared_area_rules": True, "usage_limits": True}


def test_new_client_registers_views_rents_and_is_guided(world, api):
    clerk, housekeeper = api("bc_clerk"), api("housekeeper")
    case = open_request(clerk, "new_client", title="新客户租用办公室")
    where(case, "register", "open")
    assert since(case, "response_due", "created_at") == 15 * M  # normal
    assert since(case, "resolution_due", "created_at") == 8 * H
    assert since(case, "step_due", "created_at") == 10 * M
    # Staff of other sites do not see it.
    assert api("agent").get(f"/api/cases/{case['id']}").status_code == 404

    # 2.1 客户登记
    assert allowed(clerk, case) == {
        "view_space": True,
        "give_information": True,
        "it_request": True,
        "equipment_request": True,
        "routine_check": False,  # only a routine maintenance case (a schedule's) starts one
        "cancel": True,
    }
    refused(
        housekeeper, case, "view_space", REGISTRATION, GREETED, status=403, code="role_not_allowed"
    )
    refused(
        clerk,
        case,
        "view_space",
        {"space_type": "private_office"},
        GREETED,
        code="invalid_form",
        fields=["expected_stay", "services_needed"],
    )
    refused(
        clerk, case, "view_space", REGISTRATION, code="invalid_form", fields=["checklist.greeted"]
    )
    refused(clerk, case, "give_information", REGISTRATION, GREETED, code="guard_failed")
    refused(clerk, case, "it_request", {"problem_description": "x"}, GREETED, code="guard_failed")
    case = take(clerk, case, "view_space", REGISTRATION, GREETED)
    # 2.2 显示客户办公空间
    where(case, "space_viewing", "open")
    assert since(case, "step_due") == 1 * H
    viewing = {
        "spaces_shown": "801私人办公室、会议室A",
        "quoted_fee": "6800",
        "client_decision": "rent",
    }
    refused(
        clerk,
        case,
        "rent",
        viewing,
        {"configuration_shown": True},
        code="invalid_form",
        fields=["checklist.fees_explained"],
    )
    refused(clerk, case, "rent", viewing, {**SHOWN, "fees_explained": False}, code="guard_failed")
    refused(clerk, case, "think_it_over", viewing, SHOWN, code="guard_failed")
    case = take(clerk, case, "rent", viewing, SHOWN)
    assert case["data"]["quoted_fee"] == "6800.00"
    # 2.3 提供信息指引
    where(case, "information", "open")
    assert since(case, "step_due") == 30 * M
    refused(housekeeper, case, "informed", checklist=INFORMED, status=403, code="role_not_allowed")
    refused(
        clerk,
        case,
        "informed",
        checklist={**INFORMED, "contacts_given": False},
        code="guard_failed",
    )
    case = take(clerk, case, "informed", checklist=INFORMED)
    # 3.1 办公设施使用指导
    where(case, "facility_guidance", "open")
    assert since(case, "step_due") == 1 * H
    refused(housekeeper, case, "guided", checklist=GUIDED, status=403, code="role_not_allowed")
    refused(
        clerk,
        case,
        "guided",
        checklist={"equipment_operation": True},
        code="invalid_form",
        fields=["checklist.usage_limits"],
    )
    case = take(clerk, case, "guided", checklist=GUIDED)
    where(case, "settled", "closed")
    assert case["resolved_at"] == case["closed_at"] == case["updated_at"]
    assert moves(clerk, case) == ["space_viewing", "information", "facility_guidance", "settled"]
    assert owners(case) == ["business_centre"]
    assert case["checks"]["facility_guidance"]["usage_limits"] == {
        "value": True,
        "passed": True,
    }
    assert differences() == []


def test_client_thinks_it_over_and_walk_in_without_space(world, api):
    clerk, mgr = api("bc_clerk"), api("hotel_manager")
    case = open_request(clerk, "new_client")
    case = take(clerk, case, "view_space", {**REGISTRATION, "space_type": "shared_desk"}, GREETED)
    viewing = {"spaces_shown": "共享办公区", "quoted_fee": "1200", "client_decision": "undecided"}
    case = take(clerk, case, "think_it_over", viewing, SHOWN)
    # Waiting for the client's answer pauses the clock; the answer is due within 24 h.
    where(case, "client_deciding", "waiting")
    assert case["paused"] and since(case, "step_due") == 24 * H
    assert allowed(clerk, case) == {"decided_rent": True, "decided_not": True, "no_answer": False}

    step_due = at(case, "step_due")
    assert fire_due(case["id"], now=step_due - timedelta(seconds=1)) == []
    fired = fire_due(case["id"], now=step_due + timedelta(seconds=1))
    assert len(fired) == 1 and fired[0].startswith("timeout:")
    case = clerk.get(f"/api/cases/{case['id']}").json()
    where(case, "not_rented", "cancelled")
    assert not case["paused"] and case["closed_at"]
    assert moves(clerk, case) == ["space_viewing", "client_deciding", "not_rented"]
    assert kinds(case) == [
        "opened",
        "transitioned",
        "transitioned",
        "paused",
        "timed_out",
        "resumed",
    ]

    # Another client thinks it over and comes back to rent.
    second = open_request(clerk, "new_client")
    second = take(clerk, second, "view_space", REGISTRATION, GREETED)
    second = take(clerk, second, "think_it_over", {**viewing, "spaces_shown": "802"}, SHOWN)
    second = take(mgr, second, "decided_rent")
    where(second, "information", "open")
    assert not second["paused"]

    # A walk-in who needs no office space gets the directions straight away; one declines.
    third = open_request(clerk, "new_client")
    refused(
        clerk,
        third,
        "view_space",
        {**REGISTRATION, "space_type": "none"},
        GREETED,
        code="guard_failed",
    )
    third = take(clerk, third, "give_information", {**REGISTRATION, "space_type": "none"}, GREETED)
    where(third, "information", "open")
    fourth = open_request(clerk, "new_client")
    fourth = take(clerk, fourth, "view_space", REGISTRATION, GREETED)
    fourth = take(clerk, fourth, "decline", {**viewing, "client_decision": "decline"}, SHOWN)
    where(fourth, "not_rented", "cancelled")
    fifth = open_request(clerk, "new_client")
    fifth = take(clerk, fifth, "cancel", {"cancel_reason": "走错楼层"})
    where(fifth, "cancelled", "cancelled")
    assert differences() == []


def test_it_support_with_a_technician_sent(world, api, hotel_engineer):
    clerk, front, eng = api("bc_clerk"), api("front_desk"), api("hotel_engineer")
    case = open_request(clerk, "it_support", priority="high", title="客户电脑无法上网")
    assert since(case, "resolution_due", "created_at") == 4 * H  # high
    refused(
        clerk,
        case,
        "it_request",
        checklist=GREETED,
        code="invalid_form",
        fields=["problem_description"],
    )
    case = take(clerk, case, "it_request", {"problem_description": "笔记本连不上无线网络"}, GREETED)
    # 3.2 IT支持
    where(case, "it_support", "open")
    assert since(case, "step_due") == 30 * M  # high
    # The front office holds an agent, but this is the business centre's step.
    assert allowed(front, case) == {"fixed": False, "dispatch_technician": False}
    refused(
        front,
        case,
        "fixed",
        {"it_problem_type": "network", "fix_description": "x"},
        status=403,
        code="role_not_allowed",
    )
    refused(
        clerk,
        case,
        "fixed",
        {"it_problem_type": "network"},
        code="invalid_form",
        fields=["fix_description"],
    )
    refused(
        clerk,
        case,
        "dispatch_technician",
        {"it_problem_type": "network"},
        code="invalid_form",
        fields=["dispatch_note"],
    )
    case = take(
        clerk,
        case,
        "dispatch_technician",
        {"it_problem_type": "network", "dispatch_note": "无线网卡驱动异常,需上门"},
    )
    # Sent to engineering in one move; its members are told.
    where(case, "it_onsite", "open", "engineering")
    assert since(case, "step_due") == 2 * H and case["assignee"] is None
    assert notes(case) == ["hotel_engineer"]
    # Engineering's step now: the business centre's clerk and the front office may not fix it.
    refused(clerk, case, "fixed", {"fix_description": "x"}, status=403, code="step_owned_elsewhere")
    refused(front, case, "fixed", {"fix_description": "x"}, status=403, code="role_not_allowed")
    case = take(eng, case, "fixed", {"fix_description": "重装无线网卡驱动"})
    where(case, "client_confirm", "resolved")
    assert since(case, "step_due") == 30 * M

    # Still a problem: back to IT support, reopened.
    refused(
        clerk,
        case,
        "it_not_fixed",
        {"client_satisfied": False},
        code="invalid_form",
        fields=["client_feedback"],
    )
    refused(
        clerk,
        case,
        "equipment_not_fixed",
        {"client_satisfied": False, "client_feedback": "x"},
        code="guard_failed",
    )
    refused(clerk, case, "confirm", {"client_satisfied": False}, code="guard_failed")
    case = take(
        clerk, case, "it_not_fixed", {"client_satisfied": False, "client_feedback": "网络时断时续"}
    )
    where(case, "it_support", "open")
    assert case["comeback_count"] == 1 and since(case, "resolution_due") == 4 * H
    case = take(
        clerk, case, "fixed", {"it_problem_type": "network", "fix_description": "更换信道,信号稳定"}
    )
    case = take(clerk, case, "confirm", {"client_satisfied": True})
    where(case, "resolved", "closed")
    assert moves(clerk, case) == [
        "it_support",
        "it_onsite",
        "client_confirm",
        "it_support",
        "client_confirm",
        "resolved",
    ]
    assert owners(case) == ["business_centre", "engineering", "business_centre"]
    assert differences() == []


def test_equipment_fault_repair_and_replacement(world, api, hotel_engineer):
    clerk, mgr, eng, front = (
        api("bc_clerk"),
        api("hotel_manager"),
        api("hotel_engineer"),
        api("front_desk"),
    )
    case = open_request(clerk, "equipment", title="复印机卡纸", client_name="商务中心")
    refused(
        clerk,
        case,
        "equipment_request",
        checklist=GREETED,
        code="invalid_form",
        fields=["equipment_name"],
    )
    case = take(clerk, case, "equipment_request", {"equipment_name": "复印机 BC-01"}, GREETED)
    # 3.3 维护设备: the check fails by itself when an item is not OK.
    where(case, "equipment_check", "open")
    assert since(case, "step_due") == 1 * H
    faulty = {
        "powers_on": True,
        "test_output_ok": False,
        "consumables_ok": True,
        "network_ok": True,
    }
    refused(clerk, case, "all_ok", {"check_result": "反复卡纸"}, faulty, code="guard_failed")
    refused(
        front,
        case,
        "send_for_repair",
        {"check_result": "x"},
        faulty,
        status=403,
        code="role_not_allowed",
    )
    case = take(clerk, case, "send_for_repair", {"check_result": "反复卡纸,定影器异响"}, faulty)
    where(case, "repair", "open", "engineering")
    assert since(case, "step_due") == 8 * H and notes(case) == ["hotel_engineer"]

    refused(
        eng,
        case,
        "replace",
        {"replacement_reason": "定影器老化"},
        code="invalid_form",
        fields=["replacement_cost"],
    )
    case = take(
        eng, case, "replace", {"replacement_reason": "定影器老化无配件", "replacement_cost": "4200"}
    )
    # Replacement needs the business centre manager's approval.
    where(case, "replace_approval", "open")
    assert since(case, "step_due") == 8 * H
    assert allowed(clerk, case) == {"approve": False, "reject": False}
    refused(clerk, case, "approve", status=403, code="role_not_allowed")
    refused(mgr, case, "reject", code="invalid_form", fields=["reject_reason"])
    case = take(mgr, case, "reject", {"reject_reason": "先尝试维修"})
    where(case, "repair", "open", "engineering")
    assert case["data"]["replacement_approved"] is False
    case = take(
        eng, case, "replace", {"replacement_reason": "维修无效", "replacement_cost": "4200"}
    )
    case = take(mgr, case, "approve")
    where(case, "repair", "open", "engineering")
    assert case["data"]["replacement_approved"] is True
    refused(eng, case, "repaired", code="invalid_form", fields=["repair_action"])
    case = take(eng, case, "repaired", {"repair_action": "更换新复印机", "repair_cost": "4200"})
    # Back to the business centre to check again.
    where(case, "equipment_check", "open")
    ok = {"powers_on": True, "test_output_ok": True, "consumables_ok": True, "network_ok": True}
    refused(clerk, case, "send_for_repair", {"check_result": "x"}, ok, code="guard_failed")
    case = take(clerk, case, "all_ok", {"check_result": "新机测试正常"}, ok)
    where(case, "client_confirm", "resolved")
    refused(
        clerk,
        case,
        "it_not_fixed",
        {"client_satisfied": False, "client_feedback": "x"},
        code="guard_failed",
    )
    case = take(
        clerk, case, "equipment_not_fixed", {"client_satisfied": False, "client_feedback": "缺纸盒"}
    )
    where(case, "equipment_check", "open")
    assert case["comeback_count"] == 1
    case = take(clerk, case, "all_ok", {"check_result": "已补纸盒"}, ok)
    case = take(clerk, case, "confirm", {"client_satisfied": True})
    where(case, "resolved", "closed")
    assert moves(clerk, case) == [
        "equipment_check",
        "repair",
        "replace_approval",
        "repair",
        "replace_approval",
        "repair",
        "equipment_check",
        "client_confirm",
        "equipment_check",
        "client_confirm",
        "resolved",
    ]
    assert owners(case) == [
        "business_centre",
        "engineering",
        "business_centre",
        "engineering",
        "business_centre",
        "engineering",
        "business_centre",
    ]
    assert differences() == []
