"""House handover (SPEC §9 row 11, house_handover.yaml) walked through the HTTP API.

Seed 11、房屋交接: the owner comes to receive the house → identity confirmed (further with the
real-estate sales department; not confirmed → no handover) → earlier steps of the handover sheet
done and property fees settled → owner handbook signed (two copies) → registration form with an ID
copy per family member and two 1-inch photos each → keys → engineering shows the owner round and
records the water and electricity meters. The paperwork runs while engineering gets the house
ready (a parallel step). The test world runs 24×7: every deadline is exactly "moment + limit".
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from fuwu.campaigns.actions import matching_assets, start_campaign
from fuwu.cases.models import Case, Event
from fuwu.cases.replay import differences
from fuwu.core.models import Department, Role, Staff
from fuwu.customers import actions as customer_actions
from fuwu.customers.models import RecordChange
from fuwu.notifications.models import Notification
from fuwu.procedures.engine.errors import EngineError
from fuwu.testing.scenario import at, complete, kinds, refused, since, take, where

H, M = 3600, 60
PROCEDURE = "house_handover"


# -- helpers (each library test file is self-contained) ----------------------------------------


def add_sales_clerk(world) -> None:
    """The test world has nobody in 地产销售部; add one clerk (role agent) there."""
    user = get_user_model().objects.create_user("sales_clerk", "sales@example.com", "pw-sales")
    member = Staff.objects.create(
        user=user, display_name="sales_clerk", department=world.dept("lanting", "sales")
    )
    member.sites.set([world.sites["lanting"]])
    member.roles.set([Role.objects.get(code="agent")])
    world.users["sales_clerk"] = user


def open_case(world, client, *, channel="walk_in", expect=201):
    r = client.post(
        "/api/cases",
        {
            "procedure": PROCEDURE,
            "site": "lanting",
            "channel": channel,
            "title": "3栋2单元1502 收房",
            "customer_id": world.customers["owner"].pk,
            "asset_id": world.assets["unit"].pk,
            "data": {
                "owner_name": "王芳",
                "unit_no": "3栋2单元1502",
                "contact_phone": "13812345678",
            },
        },
    )
    assert r.status_code == expect, r.json()
    return r.json()


def path(case) -> list[tuple[str, str]]:
    return [
        (e.kind, e.data["to"])
        for e in Event.objects.filter(case_id=case["id"]).order_by("seq")
        if e.kind in ("transitioned", "joined", "timed_out") and "to" in e.data
    ]


def owners(case) -> list[str]:
    codes = dict(Department.objects.values_list("pk", "code"))
    return [
        codes[e.data["set"]["department"]]
        for e in Event.objects.filter(case_id=case["id"]).order_by("seq")
        if "department" in e.data.get("set", {})
    ]


def notified(case) -> list[str]:
    return sorted(
        Notification.objects.filter(case_id=case["id"], kind="notify").values_list(
            "recipient__username", flat=True
        )
    )


IDENTITY = {
    "id_type": "id_card",
    "id_number": "440301198805061234",
    "purchase_contract_no": "LT-2025-0815",
}
ID_OK = {"id_matches_person": True, "id_matches_contract": True}
ALL_DONE = {"prior_steps_done": True, "fees_settled": True}


def to_prerequisites(world, api):
    agent, sales = api("agent"), api("sales_clerk")
    case = open_case(world, agent)
    case = take(agent, case, "confirm_with_sales", IDENTITY, ID_OK)
    case = take(sales, case, "confirmed", {"buyer_on_record": True})
    where(case, "check_prerequisites", "open", "service_center")
    return case


def paperwork_done(api, case, *, members=3, copies=3, photos=6):
    agent, tech = api("agent"), api("technician")
    case = complete(
        agent,
        case,
        "handbook",
        checklist={"handbook_owner_copy": True, "handbook_office_copy": True},
    )
    case = complete(
        agent,
        case,
        "registration",
        {"family_members": members, "id_copies": copies, "photos": photos},
        {"registration_form_filled": True},
    )
    case = complete(
        tech,
        case,
        "inspection_prep",
        checklist={"water_power_on": True, "unit_cleaned": True, "inspection_sheet_ready": True},
    )
    where(case, "hand_over_keys", "open", "service_center")
    return case


# -- the seed's path, with unpaid fees sent away first and problems found on the inspection ------


def test_handover_with_fees_outstanding_and_problems_found(world, api):
    add_sales_clerk(world)
    agent, sales, tech, dispatcher = (
        api("agent"),
        api("sales_clerk"),
        api("technician"),
        api("dispatcher"),
    )
    # 业主到客户中心收房: walk-in only.
    assert open_case(world, agent, channel="phone", expect=400)["code"] == "channel_not_allowed"
    case = open_case(world, agent)
    where(case, "verify_identity", "open", "service_center")
    assert since(case, "response_due", "created_at") == 15 * M
    assert since(case, "resolution_due", "created_at") == 6 * H
    assert since(case, "step_due", "created_at") == 15 * M

    # 确认业主身份: the ID, the contract and the person must agree.
    refused(
        agent,
        case,
        "confirm_with_sales",
        code="invalid_form",
        fields=[
            "id_type",
            "id_number",
            "purchase_contract_no",
            "checklist.id_matches_person",
            "checklist.id_matches_contract",
        ],
    )
    refused(
        agent,
        case,
        "confirm_with_sales",
        IDENTITY,
        {"id_matches_person": True, "id_matches_contract": False},
        code="guard_failed",
    )
    refused(tech, case, "confirm_with_sales", IDENTITY, ID_OK, status=403, code="role_not_allowed")
    case = take(agent, case, "confirm_with_sales", IDENTITY, ID_OK)
    # 与地产销售部衔接进一步确认: the sales department owns the case meanwhile.
    where(case, "sales_confirmation", "open", "sales")
    assert since(case, "step_due") == 30 * M
    assert notified(case) == ["sales_clerk"]
    refused(tech, case, "confirmed", {"buyer_on_record": True}, status=403, code="role_not_allowed")
    refused(sales, case, "confirmed", {"buyer_on_record": False}, code="guard_failed")
    case = take(sales, case, "confirmed", {"buyer_on_record": True, "sales_note": "购房款已付清"})
    where(case, "check_prerequisites", "open", "service_center")
    assert since(case, "step_due") == 30 * M

    # 交房流程表之前流程 / 物业管理费: fees unpaid → the owner pays first; the clock pauses.
    unpaid = {"prior_steps_done": True, "fees_settled": False}
    refused(agent, case, "proceed", checklist=unpaid, code="guard_failed")
    refused(agent, case, "outstanding", {"outstanding_items": "x"}, ALL_DONE, code="guard_failed")
    refused(
        agent,
        case,
        "outstanding",
        checklist=unpaid,
        code="invalid_form",
        fields=["outstanding_items"],
    )
    case = take(
        agent, case, "outstanding", {"outstanding_items": "物业管理费 2026 年度未缴"}, unpaid
    )
    where(case, "waiting_owner", "waiting", "service_center")
    assert case["paused"] and case["step_due"] is None
    paused_at = at(case, "updated_at")
    case = take(agent, case, "owner_returns")
    where(case, "check_prerequisites", "open", "service_center")
    assert not case["paused"]
    # The paused time is given back: resolution due = opened + 6 h + time away.
    paused_for = (at(case, "updated_at") - paused_at).total_seconds()
    assert abs(since(case, "resolution_due", "created_at") - (6 * H + paused_for)) < 0.002

    case = take(agent, case, "proceed", checklist=ALL_DONE)
    # 签业主手册 + 入住登记 at the customer centre while engineering gets the house ready.
    where(case, "prepare_handover", "open", "service_center")
    assert since(case, "step_due") == 1 * H
    assert {t["branch"]: t["department"] for t in case["tasks"]} == {
        "handbook": "service_center",
        "registration": "service_center",
        "inspection_prep": "engineering",
    }
    assert notified(case) == ["dispatcher", "eng_manager", "sales_clerk", "technician"]
    assert complete(tech, case, "handbook", expect=403)["code"] == "branch_owned_elsewhere"
    assert complete(agent, case, "inspection_prep", expect=403)["code"] == "branch_owned_elsewhere"
    bad = complete(agent, case, "handbook", checklist={"handbook_owner_copy": True}, expect=400)
    assert "checklist.handbook_office_copy" in bad["details"]["fields"]
    bad = complete(agent, case, "registration", {"family_members": 3, "photos": 1}, expect=400)
    assert {"id_copies", "photos"} <= set(bad["details"]["fields"])
    # Three family members, but only two ID copies brought.
    case = paperwork_done(api, case, members=3, copies=2, photos=6)
    assert since(case, "step_due") == 15 * M

    # 交与业主钥匙: not before one ID copy and two photos per family member.
    keys = {"keys_handed": 4}
    refused(agent, case, "keys_handed_over", keys, {"keys_signed_for": True}, code="guard_failed")
    refused(
        agent,
        case,
        "keys_handed_over",
        {**keys, "id_copies": 3},
        code="invalid_form",
        fields=["checklist.keys_signed_for"],
    )
    case = take(
        agent, case, "keys_handed_over", {**keys, "id_copies": 3}, {"keys_signed_for": True}
    )
    # 由工程部带业主看房、记录水电表读数.
    where(case, "inspection", "open", "engineering")
    assert since(case, "step_due") == 2 * H
    assert "eng_manager" in notified(case)
    readings = {"water_meter": 12.5, "electricity_meter": 86, "defects_found": True}
    refused(
        agent,
        case,
        "handed_over",
        readings,
        {"owner_present": True},
        status=403,
        code="role_not_allowed",
    )
    refused(tech, case, "handed_over", readings, {"owner_present": True}, code="guard_failed")
    refused(
        tech,
        case,
        "handed_over_with_repairs",
        readings,
        {"owner_present": True},
        code="invalid_form",
        fields=["repair_item"],
    )
    case = take(
        dispatcher,
        case,
        "handed_over_with_repairs",
        {**readings, "repair_item": "主卧窗户密封条脱落"},
        {"owner_present": True},
    )
    where(case, "handed_over", "closed", "engineering")
    assert case["data"]["water_meter"] == 12.5 and case["data"]["electricity_meter"] == 86
    assert case["resolved_at"] == case["closed_at"] == case["updated_at"]

    # The problems become a property repair case for the customer centre.
    child = Case.objects.get(parent_id=case["id"])
    assert child.procedure_key == "property_repair" and child.step == "reception"
    assert child.channel == "system" and child.department.code == "service_center"
    assert child.data == {"repair_item": "主卧窗户密封条脱落", "service_type": "free"}
    assert child.asset_id == world.assets["unit"].pk

    assert path(case) == [
        ("transitioned", "sales_confirmation"),
        ("transitioned", "check_prerequisites"),
        ("transitioned", "waiting_owner"),
        ("transitioned", "check_prerequisites"),
        ("transitioned", "prepare_handover"),
        ("joined", "hand_over_keys"),
        ("transitioned", "inspection"),
        ("transitioned", "handed_over"),
    ]
    assert owners(case) == ["service_center", "sales", "service_center", "engineering"]
    k = kinds(case)
    assert k.count("paused") == 1 and k.count("resumed") == 1
    assert k.count("task_completed") == 3 and k.count("joined") == 1
    # The repair case is opened, then the unit is written to as the case ends (its end step).
    assert k[-2:] == ["linked_case_opened", "asset_updated"]
    assert differences() == []


def test_clean_handover(world, api):
    add_sales_clerk(world)
    agent, tech = api("agent"), api("technician")
    case = to_prerequisites(world, api)
    case = take(agent, case, "proceed", checklist=ALL_DONE)
    case = paperwork_done(api, case, members=2, copies=2, photos=4)
    case = take(agent, case, "keys_handed_over", {"keys_handed": 3}, {"keys_signed_for": True})
    where(case, "inspection", "open", "engineering")
    refused(
        tech,
        case,
        "handed_over",
        {"water_meter": 3, "electricity_meter": 10, "defects_found": False},
        {"owner_present": False},
        code="guard_failed",
    )
    case = take(
        tech,
        case,
        "handed_over",
        {"water_meter": 3, "electricity_meter": 10, "defects_found": False},
        {"owner_present": True},
    )
    where(case, "handed_over", "closed", "engineering")
    assert not Case.objects.filter(parent_id=case["id"]).exists()
    assert [to for _, to in path(case)] == [
        "sales_confirmation",
        "check_prerequisites",
        "prepare_handover",
        "hand_over_keys",
        "inspection",
        "handed_over",
    ]
    assert differences() == []


# -- 不能确认身份: at the desk, or by the sales department; and an owner who does not come back ---


def test_identity_not_confirmed_or_owner_withdraws(world, api):
    add_sales_clerk(world)
    agent, sales = api("agent"), api("sales_clerk")
    case = open_case(world, agent)
    refused(agent, case, "not_confirmed", code="invalid_form", fields=["refusal_reason"])
    case = take(agent, case, "not_confirmed", {"refusal_reason": "来人无法出示身份证件"})
    where(case, "refused", "rejected", "service_center")
    assert path(case) == [("transitioned", "refused")]

    case = open_case(world, agent)
    case = take(agent, case, "confirm_with_sales", IDENTITY, ID_OK)
    refused(
        sales,
        case,
        "not_buyer",
        {"buyer_on_record": True, "refusal_reason": "x"},
        code="guard_failed",
    )
    case = take(
        sales, case, "not_buyer", {"buyer_on_record": False, "refusal_reason": "购房人另有其人"}
    )
    where(case, "refused", "rejected", "sales")
    assert case["closed_at"] and case["data"]["refusal_reason"] == "购房人另有其人"
    assert path(case) == [("transitioned", "sales_confirmation"), ("transitioned", "refused")]
    assert owners(case) == ["service_center", "sales"]

    # An owner sent away to settle the fees who decides not to take the house now.
    case = to_prerequisites(world, api)
    case = take(
        agent,
        case,
        "outstanding",
        {"outstanding_items": "《交房流程表》银行按揭手续未办"},
        {"prior_steps_done": False, "fees_settled": True},
    )
    where(case, "waiting_owner", "waiting", "service_center")
    refused(agent, case, "withdraw", code="invalid_form", fields=["withdraw_reason"])
    case = take(agent, case, "withdraw", {"withdraw_reason": "业主决定暂缓收房"})
    where(case, "withdrawn", "cancelled", "service_center")
    assert kinds(case).count("paused") == 1
    assert differences() == []


def test_branch_refusal_lists_every_problem_at_once(world, api):
    add_sales_clerk(world)
    agent = api("agent")
    case = to_prerequisites(world, api)
    case = take(agent, case, "proceed", checklist=ALL_DONE)
    bad = complete(agent, case, "registration", {"family_members": 3}, expect=400)
    assert set(bad["details"]["fields"]) == {
        "id_copies",
        "photos",
        "checklist.registration_form_filled",
    }


# -- the unit is written to: occupied, with its meters, so the vacant-unit rounds stop visiting it


def test_handover_marks_the_unit_occupied_with_its_meters(world, api):
    add_sales_clerk(world)
    agent, tech = api("agent"), api("technician")
    unit = world.assets["unit"]
    sc_manager = world.actor("sc_manager")
    customer_actions.update_asset(sc_manager, unit.pk, attributes={"occupied": False})
    vacant = {"occupied": False}
    assert unit in matching_assets(unit.site_id, "unit", vacant)
    round_before = start_campaign(
        sc_manager,
        site_id=unit.site_id,
        procedure_key="vacant_unit_inspection",
        title="空房巡视 第1周",
        asset_kind="unit",
        asset_filter=vacant,
        data={"round_label": "第1周"},
    )
    assert list(Case.objects.filter(campaign=round_before).values_list("asset", flat=True)) == [
        unit.pk
    ]

    case = to_prerequisites(world, api)
    case = take(agent, case, "proceed", checklist=ALL_DONE)
    case = paperwork_done(api, case, members=2, copies=2, photos=4)
    case = take(agent, case, "keys_handed_over", {"keys_handed": 3}, {"keys_signed_for": True})
    readings = {"water_meter": 3.5, "electricity_meter": 10, "defects_found": False}
    case = take(tech, case, "handed_over", readings, {"owner_present": True})
    where(case, "handed_over", "closed", "engineering")

    unit.refresh_from_db()
    assert unit.attributes == {
        "occupied": True,
        "handed_over": True,
        "water_meter": 3.5,
        "electricity_meter": 10,
    }
    event = Event.objects.get(case_id=case["id"], kind="asset_updated")
    assert event.actor == world.users["technician"]
    assert event.data == {
        "record": unit.pk,
        "changes": {
            "occupied": {"from": False, "to": True},
            "handed_over": {"from": None, "to": True},
            "water_meter": {"from": None, "to": 3.5},
            "electricity_meter": {"from": None, "to": 10},
        },
    }
    history = RecordChange.objects.filter(asset=unit).order_by("pk").last()
    assert history is not None
    assert (history.case_id, history.actor, history.action) == (
        case["id"],
        world.users["technician"],
        "updated",
    )
    assert history.changes["attributes.occupied"] == {"from": False, "to": True}
    # The next round of vacant units does not include it: there is none left to visit.
    assert unit not in matching_assets(unit.site_id, "unit", vacant)
    with pytest.raises(EngineError) as caught:
        start_campaign(
            sc_manager,
            site_id=unit.site_id,
            procedure_key="vacant_unit_inspection",
            title="空房巡视 第2周",
            asset_kind="unit",
            asset_filter=vacant,
            data={"round_label": "第2周"},
        )
    assert caught.value.fields["asset_filter"].code == "no_assets"
    assert differences() == []


def test_a_handover_without_a_unit_says_the_unit_was_not_written(world, api):
    add_sales_clerk(world)
    agent, tech = api("agent"), api("technician")
    case = to_prerequisites(world, api)
    Case.objects.filter(pk=case["id"]).update(asset=None)  # a case taken without its unit
    case = take(agent, case, "proceed", checklist=ALL_DONE)
    case = paperwork_done(api, case, members=1, copies=1, photos=2)
    case = take(agent, case, "keys_handed_over", {"keys_handed": 2}, {"keys_signed_for": True})
    readings = {"water_meter": 1, "electricity_meter": 2, "defects_found": False}
    case = take(tech, case, "handed_over", readings, {"owner_present": True})
    where(case, "handed_over", "closed", "engineering")
    event = Event.objects.get(case_id=case["id"], kind="asset_updated")
    assert event.data == {"skipped": "no_asset"}
    assert not RecordChange.objects.filter(case_id=case["id"]).exists()
