"""Parking space lease and renewal (SPEC §9 row 8, parking_lease.yaml) through the HTTP API, every branch.

Seeds 7、机动车位租赁管理流程 and 8、机动车位租赁办理流程: new lease — driving licence and insurance
card → commitment letter → the vehicle recorded → fees paid → permit issued; renewal — paid →
vehicle information updated → permit; the lease to security, who check it again; elevated and
underground space plates made by general management; expiring vehicles listed in writing to
security, who remind the owner at the gates. One case = one lease period. 24×7: due = moment + limit.
"""

from __future__ import annotations

import pytest

from fuwu.cases.models import Case
from fuwu.cases.replay import differences
from fuwu.testing.scenario import kinds, path, refused, since, take, transitions_taken, where
from fuwu.testing.scenario import notes_in_order as notes
from fuwu.testing.scenario import reasons as allowed

# Also on PostgreSQL (lease registers and dates read back): fuwu.testing.placement.runs_on_postgres.
pytestmark = pytest.mark.postgres_too

H, M = 3600, 60
PROCEDURE = "parking_lease"
TITLE = "车位租赁 粤B·12345"
CHANNEL = "walk_in"
SC, SEC, MGT = "service_center", "security", "management"
NEW = {"lease_type": "new", "plate_no": "粤B·12345", "space_no": "B2-018", "space_kind": "surface"}
DOCS = {"driving_licence": True, "insurance_card": True}
VEHICLE = {
    "vehicle_model": "丰田卡罗拉",
    "vehicle_colour": "白",
    "licence_holder": "王芳",
    "insurance_until": "2026-01-31",
}
PAY = {
    "lease_start": "2025-03-01",
    "lease_end": "2025-08-31",
    "amount_paid": "1800.00",
    "receipt_no": "CW-0308",
}
CHECKED = {"plate_matches": True, "vehicle_matches": True, "space_matches": True}


# -- helpers (each library test file is self-contained) ----------------------------------------


def open_case(world, client, data, *, channel=CHANNEL, title=TITLE, priority=None, expect=201):
    body = {
        "procedure": PROCEDURE,
        "site": "lanting",
        "channel": channel,
        "title": title,
        "customer_id": world.customers["owner"].pk,
        "asset_id": world.assets["unit"].pk,
        "data": data,
    }
    if priority:
        body["priority"] = priority
    r = client.post("/api/cases", body)
    assert r.status_code == expect, r.json()
    return r.json()


# -- the scenarios ------------------------------------------------------------------------------


def lease(world, client, data=None, **kw):
    return open_case(world, client, {**NEW, **(data or {})}, **kw)


def counter(agent, case):
    """A new lease at the counter: documents, letter, vehicle record, payment, permit."""
    case = take(agent, case, "documents_ok", {}, DOCS)
    case = take(agent, case, "signed", {"commitment_no": "CN-0308"}, {"commitment_signed": True})
    case = take(agent, case, "recorded", VEHICLE)
    case = take(agent, case, "paid", PAY)
    return take(agent, case, "issued", {"permit_no": "TC-2025-0308"})


def test_new_lease_at_the_counter_then_expiry_reminded_at_the_gate(world, api):
    agent, agent2, security, tech, finance = (
        api("agent"),
        api("agent2"),
        api("security"),
        api("technician"),
        api("finance"),
    )
    body = open_case(world, agent, {"lease_type": "new"}, expect=400)
    assert set(body["details"]["fields"]) == {"plate_no", "space_no", "space_kind"}
    assert lease(world, agent, channel="phone", expect=400)["code"] == "channel_not_allowed"

    case = lease(world, agent)
    where(case, "documents", "open", SC)
    assert since(case, "response_due", "created_at") == 30 * M
    assert since(case, "resolution_due", "created_at") == 4 * H
    assert since(case, "step_due", "created_at") == 30 * M
    refused(tech, case, "documents_ok", {}, DOCS, status=403, code="role_not_allowed")
    refused(
        agent,
        case,
        "documents_ok",
        {},
        {"driving_licence": True},
        code="invalid_form",
        fields=["checklist.insurance_card"],
    )
    refused(agent, case, "documents_ok", {}, {**DOCS, "insurance_card": False}, code="guard_failed")
    refused(agent, case, "renewal", code="guard_failed")  # a new lease, not a renewal
    case = take(agent, case, "documents_ok", {}, {**DOCS, "copies": "upload://parking/0308.jpg"})
    where(case, "commitment", "open", SC)
    assert since(case, "step_due") == 30 * M

    refused(agent, case, "signed", {}, {"commitment_signed": False}, code="guard_failed")
    case = take(agent, case, "signed", {"commitment_no": "CN-0308"}, {"commitment_signed": True})
    where(case, "register_vehicle", "open", SC)
    refused(
        agent,
        case,
        "recorded",
        {"vehicle_model": "丰田卡罗拉"},
        code="invalid_form",
        fields=["licence_holder"],
    )
    case = take(agent, case, "recorded", VEHICLE)
    where(case, "payment", "open", SC)

    refused(finance, case, "paid", PAY, status=403, code="role_not_allowed")
    refused(
        agent,
        case,
        "paid",
        {"lease_start": "2025-03-01"},
        code="invalid_form",
        fields=["lease_end", "amount_paid", "receipt_no"],
    )
    refused(agent, case, "paid_renewal", PAY, code="guard_failed")
    case = take(agent, case, "paid", PAY)
    where(case, "issue_permit", "open", SC)
    refused(agent, case, "issued", {}, code="invalid_form", fields=["permit_no"])
    case = take(agent, case, "issued", {"permit_no": "TC-2025-0308"})
    # The permit register: the plate holds permit TC-2025-0308 until the lease ends.
    permits = agent.get("/api/registers/parking_permit").json()
    assert [(e["holder"], e["case_id"], e["due_back"] is not None) for e in permits] == [
        ("TC-2025-0308", case["id"], True)
    ]
    # The lease goes to security, who check the vehicle again; the owner's service is done.
    where(case, "security_check", "resolved", SEC)
    assert case["resolved_at"] == case["updated_at"] and since(case, "step_due") == 16 * H
    assert notes(case) == ["security"]

    assert allowed(agent, case)["verified"] == (False, "role")
    refused(agent, case, "verified", {}, CHECKED, status=403, code="role_not_allowed")
    refused(
        security,
        case,
        "verified",
        {},
        {"plate_matches": True},
        code="invalid_form",
        fields=["checklist.vehicle_matches", "checklist.space_matches"],
    )
    refused(security, case, "verified_plate_needed", {}, CHECKED, code="guard_failed")  # surface
    refused(security, case, "discrepancy", {"discrepancy": "x"}, CHECKED, code="guard_failed")
    case = take(security, case, "verified", {"check_note": "车辆信息一致"}, CHECKED)
    where(case, "in_force", "resolved", SC)
    # In force through 租期止 (2025-08-31): the case leaves by itself when that day is over.
    assert case["paused"] and case["step_due"] == "2025-09-01T00:00:00+08:00"

    # The fees run out: the service centre lists the vehicle in writing to security.
    refused(agent2, case, "expiring", {}, code="invalid_form", fields=["expiry_list_no"])
    refused(
        security,
        case,
        "expiring",
        {"expiry_list_no": "DQ-2508"},
        status=403,
        code="role_not_allowed",
    )
    case = take(agent2, case, "expiring", {"expiry_list_no": "DQ-2508"})
    where(case, "gate_reminder", "resolved", SEC)
    assert not case["paused"] and since(case, "step_due") == 24 * H
    assert notes(case) == ["security", "security"]

    refused(agent, case, "not_met", status=403, code="role_not_allowed")
    case = take(security, case, "not_met")  # not seen at the gate today: keep reminding
    where(case, "gate_reminder", "resolved", SEC)
    assert since(case, "step_due") == 24 * H
    reply = {"reminded_at": "2025-08-25T08:10:00+08:00", "owner_reply": "will_renew"}
    refused(security, case, "will_not_renew", reply, code="guard_failed")
    refused(
        security,
        case,
        "will_renew",
        {"owner_reply": "will_renew"},
        code="invalid_form",
        fields=["reminded_at"],
    )
    case = take(security, case, "will_renew", reply)
    where(case, "renewal_opened", "closed", SEC)

    # The renewal is a new case, linked to this one, with the vehicle and the space copied.
    child = Case.objects.get(parent_id=case["id"])
    assert (
        child.procedure_key == PROCEDURE and child.channel == "system" and child.step == "documents"
    )
    assert child.department.code == SC
    assert {
        k: child.data.get(k) for k in ("plate_no", "space_no", "vehicle_model", "lease_type")
    } == {
        "plate_no": "粤B·12345",
        "space_no": "B2-018",
        "vehicle_model": "丰田卡罗拉",
        "lease_type": None,
    }
    assert path(case) == [
        ("commitment", SC),
        ("register_vehicle", SC),
        ("payment", SC),
        ("issue_permit", SC),
        ("security_check", SEC),
        ("in_force", SC),
        ("gate_reminder", SEC),
        ("gate_reminder", SEC),
        ("renewal_opened", SEC),
    ]
    assert transitions_taken(case) == [
        "documents_ok",
        "signed",
        "recorded",
        "paid",
        "issued",
        "verified",
        "expiring",
        "not_met",
        "will_renew",
    ]
    k = kinds(case)
    assert k[-3:] == ["transitioned", "linked_case_opened", "registered"]  # the permit is returned
    assert k.count("paused") == 1 and k.count("resumed") == 1
    assert differences() == []


def test_renewal_from_the_gate_reminder_is_paid_updated_and_issued(world, api):
    agent, security = api("agent"), api("security")
    case = counter(agent, lease(world, agent))
    case = take(security, case, "verified", {}, CHECKED)
    case = take(agent, case, "expiring", {"expiry_list_no": "DQ-2508"})
    case = take(
        security,
        case,
        "will_renew",
        {"reminded_at": "2025-08-25T08:10:00+08:00", "owner_reply": "will_renew"},
    )
    child = agent.get(f"/api/cases/{Case.objects.get(parent_id=case['id']).pk}").json()
    where(child, "documents", "open", SC)
    assert child["parent_id"] == case["id"]
    assert since(child, "resolution_due", "created_at") == 4 * H

    # Renewal: no documents again; the kind of lease is given on the way.
    refused(agent, child, "renewal", {}, code="invalid_form", fields=["lease_type"])
    refused(agent, child, "renewal", {"lease_type": "new"}, code="guard_failed")
    child = take(agent, child, "renewal", {"lease_type": "renewal"})
    where(child, "payment", "open", SC)
    refused(
        agent,
        child,
        "paid",
        {**PAY, "lease_start": "2025-09-01", "lease_end": "2026-02-28"},
        code="guard_failed",
    )
    child = take(
        agent,
        child,
        "paid_renewal",
        {**PAY, "lease_start": "2025-09-01", "lease_end": "2026-02-28", "receipt_no": "CW-0901"},
    )
    where(child, "update_vehicle", "open", SC)
    assert since(child, "step_due") == 30 * M
    refused(agent, child, "updated", {}, {}, code="invalid_form", fields=["checklist.info_updated"])
    assert child["data"]["insurance_until"] == "2026-01-31"  # copied from the expiring lease
    child = take(
        agent,
        child,
        "updated",
        {"vehicle_changes": "保险已续保", "insurance_until": "2027-01-31"},
        {"info_updated": True},
    )
    where(child, "issue_permit", "open", SC)
    assert child["data"]["insurance_until"] == "2027-01-31"
    child = take(agent, child, "issued", {"permit_no": "TC-2025-0901"})
    where(child, "security_check", "resolved", SEC)
    child = take(security, child, "verified", {}, CHECKED)
    where(child, "in_force", "resolved", SC)

    # The owner later gives the space up.
    refused(agent, child, "terminate", {}, code="invalid_form", fields=["end_reason"])
    child = take(agent, child, "terminate", {"end_reason": "车辆已出售"})
    where(child, "lease_ended", "closed", SC)
    assert path(child) == [
        ("payment", SC),
        ("update_vehicle", SC),
        ("issue_permit", SC),
        ("security_check", SEC),
        ("in_force", SC),
        ("lease_ended", SC),
    ]
    assert transitions_taken(child) == [
        "renewal",
        "paid_renewal",
        "updated",
        "issued",
        "verified",
        "terminate",
    ]
    assert differences() == []


def test_underground_space_rechecked_plate_made_and_not_renewed(world, api):
    agent, security, vp, tech = api("agent"), api("security"), api("vp"), api("technician")
    case = counter(agent, lease(world, agent, {"space_kind": "underground", "space_no": "B1-102"}))
    where(case, "security_check", "resolved", SEC)
    refused(security, case, "verified", {}, CHECKED, code="guard_failed")  # a plate is needed
    refused(
        security,
        case,
        "discrepancy",
        {},
        {**CHECKED, "vehicle_matches": False},
        code="invalid_form",
        fields=["discrepancy"],
    )
    case = take(
        security,
        case,
        "discrepancy",
        {"discrepancy": "登记为白色，实车为银色"},
        {**CHECKED, "vehicle_matches": False},
    )
    where(case, "correct_info", "resolved", SC)
    assert since(case, "step_due") == 8 * H
    refused(security, case, "corrected", {"correction": "x"}, status=403, code="role_not_allowed")
    case = take(agent, case, "corrected", {"correction": "颜色更正为银色", "vehicle_colour": "银"})
    where(case, "security_check", "resolved", SEC)
    # Re-checked: each check fills the checklist anew.
    refused(
        security,
        case,
        "verified_plate_needed",
        {},
        {},
        code="invalid_form",
        fields=["checklist.plate_matches", "checklist.vehicle_matches", "checklist.space_matches"],
    )
    case = take(security, case, "verified_plate_needed", {}, CHECKED)
    where(case, "make_plate", "resolved", MGT)
    assert since(case, "step_due") == 40 * H
    assert notes(case) == ["security", "vp"]  # general management's manager makes the plate

    refused(
        tech, case, "plate_done", {}, {"plate_installed": True}, status=403, code="role_not_allowed"
    )
    refused(vp, case, "plate_done", {}, {"plate_installed": False}, code="guard_failed")
    case = take(vp, case, "plate_done", {"plate_batch": "2025-03"}, {"plate_installed": True})
    where(case, "in_force", "resolved", SC)

    case = take(agent, case, "expiring", {"expiry_list_no": "DQ-2508"})
    case = take(
        security,
        case,
        "will_not_renew",
        {"reminded_at": "2025-08-26T18:30:00+08:00", "owner_reply": "will_not_renew"},
    )
    where(case, "lease_ended", "closed", SEC)
    assert not Case.objects.filter(parent_id=case["id"]).exists()
    assert path(case) == [
        ("commitment", SC),
        ("register_vehicle", SC),
        ("payment", SC),
        ("issue_permit", SC),
        ("security_check", SEC),
        ("correct_info", SC),
        ("security_check", SEC),
        ("make_plate", MGT),
        ("in_force", SC),
        ("gate_reminder", SEC),
        ("lease_ended", SEC),
    ]
    assert differences() == []


def test_renewed_early_while_in_force(world, api):
    agent, security = api("agent"), api("security")
    case = counter(agent, lease(world, agent))
    case = take(security, case, "verified", {}, CHECKED)
    refused(security, case, "renew_early", status=403, code="role_not_allowed")
    case = take(agent, case, "renew_early")
    where(case, "renewal_opened", "closed", SC)
    child = Case.objects.get(parent_id=case["id"])
    assert child.step == "documents" and child.data["plate_no"] == "粤B·12345"
    assert kinds(case)[-4:] == ["transitioned", "resumed", "linked_case_opened", "registered"]
    assert differences() == []


def test_not_leased_at_the_counter(world, api):
    agent = api("agent")
    case = lease(world, agent)
    refused(agent, case, "not_provided", {}, code="invalid_form", fields=["cancel_reason"])
    case = take(agent, case, "not_provided", {"cancel_reason": "车辆保险卡已过期"})
    where(case, "cancelled", "cancelled", SC)

    case = lease(world, agent)
    case = take(agent, case, "documents_ok", {}, DOCS)
    case = take(agent, case, "refuses_to_sign", {"cancel_reason": "不同意承诺书条款"})
    where(case, "cancelled", "cancelled", SC)

    case = lease(world, agent, {"lease_type": "renewal"})
    case = take(agent, case, "renewal")
    case = take(agent, case, "not_paid", {"cancel_reason": "业主暂不续缴"})
    where(case, "cancelled", "cancelled", SC)
    assert path(case) == [("payment", SC), ("cancelled", SC)]
    assert Case.objects.filter(status="cancelled").count() == 3
    assert differences() == []
