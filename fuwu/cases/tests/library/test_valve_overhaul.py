"""Valve overhaul (SPEC §9 row 18, valve_overhaul.yaml) walked through the HTTP API.

Seed 阀门检修 (1.2阀门解体检查, 1.3阀门修理): disassembly in a fixed order, inspection with measured
items and accepted ranges, repair or replacement of what failed, reassembly in reverse order,
test. The test world runs 24×7, so every deadline is exactly "moment + limit".
"""

from __future__ import annotations

from fuwu.cases.models import Event
from fuwu.cases.replay import differences
from fuwu.testing.scenario import assign, notes, owners, since, take

H = 3600
M = 60


def refused(client, case, key, form=None, checklist=None, *, status=400, code, fields=()):
    """A refused move: the status, the error code, every named field — and nothing changed."""
    body = take(client, case, key, form, checklist, expect=status)
    assert body["code"] == code, body
    for name in fields:
        assert name in body["details"].get("fields", {}), body
    after = client.get(f"/api/cases/{case['id']}").json()
    assert after["version"] == case["version"] and after["step"]["key"] == case["step"]["key"]
    return body


def where(case, step, status="open", department="engineering", assignee=None):
    assert case["step"]["key"] == step, case["step"]
    assert case["status"] == status, case["status"]
    assert case["department"]["code"] == department, case["department"]
    assert (case["assignee"] or {}).get("username") == assignee, case["assignee"]


def moves(case) -> list[str]:
    return [
        e.data["to"]
        for e in Event.objects.filter(case_id=case["id"], kind="transitioned").order_by("seq")
    ]


# 1.阀门解体顺序: (step, its checklist) in the seed's order.
DISASSEMBLY = [
    ("clean_outside", {"outside_cleaned": True}),
    ("mark_and_open", {"marks_made": True, "valve_opened": True}),
    ("remove_drive", {"drive_removed": True, "drive_dismantled": True}),
    ("remove_packing", {"gland_nuts_removed": True, "old_packing_removed": True}),
    ("remove_bonnet", {"bonnet_removed": True, "gasket_removed": True}),
    ("remove_disc", {"stem_removed": True, "disc_stored": True}),
    ("remove_sleeve", {"sleeve_removed": True, "bearing_removed": True}),
    ("clean_parts", {"parts_washed": True}),
]
SOUND = {
    "body_no_cracks": True,
    "joint_faces_ok": True,
    "radial_clearance": 0.35,
    "seal_faces_ok": True,
    "stem_bend": 0.12,
    "stem_ovality": 0.03,
    "stem_wear_depth": 0.15,
    "stem_thread_ok": True,
    "gland_clearance": 0.15,
    "bolts_ok": True,
    "bearing_ok": True,
    "drive_ok": True,
    "handwheel_ok": True,
}
REASSEMBLED = {
    "reverse_order": True,
    "marks_aligned": True,
    "new_gasket": True,
    "new_packing": True,
    "bolts_even": True,
}
TIGHT = {"shell_tight": True, "seat_tight": True, "packing_tight": True, "operates_freely": True}


def open_overhaul(client, priority=None, **data):
    body = {
        "procedure": "valve_overhaul",
        "site": "lanting",
        "channel": "walk_in",
        "title": "2号泵房给水总阀检修",
        "data": {
            "valve_tag": "V-B2-017",
            "valve_location": "2号楼地下泵房给水总管",
            "valve_type": "globe",
            "nominal_size": 100,
            "body_material": "alloy_steel",
            "overhaul_reason": "阀门关闭不严，填料处渗水",
            **data,
        },
    }
    if priority:
        body["priority"] = priority
    r = client.post("/api/cases", body)
    assert r.status_code == 201, r.json()
    case = r.json()
    where(case, "plan")
    return case


def test_overhaul_with_failed_inspection_repair_and_failed_test(world, api):
    dispatcher, tech, manager = api("dispatcher"), api("technician"), api("eng_manager")
    case = open_overhaul(dispatcher)
    # normal priority: response 4 h, resolution 24 h (three working days), planning 2 h.
    assert since(case, "response_due", "created_at") == 4 * H
    assert since(case, "resolution_due", "created_at") == 24 * H
    assert since(case, "step_due", "created_at") == 2 * H

    refused(tech, case, "start", {"isolation_confirmed": True}, status=403, code="role_not_allowed")
    refused(dispatcher, case, "start", {}, code="invalid_form", fields=["isolation_confirmed"])
    refused(dispatcher, case, "start", {"isolation_confirmed": False}, code="guard_failed")
    case = assign(dispatcher, case, "technician")  # the same department: kept on every step
    case = take(dispatcher, case, "start", {"isolation_confirmed": True, "small_valve": False})
    where(case, "clean_outside", assignee="technician")

    # The order cannot be skipped: each step has one way on, and only after its own checklist.
    refused(tech, case, "passed", checklist=SOUND, code="unknown_transition")
    refused(tech, case, "done", code="invalid_form", fields=["checklist.outside_cleaned"])
    refused(
        dispatcher,
        case,
        "done",
        checklist={"outside_cleaned": True},
        status=403,
        code="role_not_allowed",
    )
    for i, (step, checklist) in enumerate(DISASSEMBLY):
        where(case, step, assignee="technician")
        assert since(case, "step_due") == 1 * H
        nxt = DISASSEMBLY[i + 1][0] if i + 1 < len(DISASSEMBLY) else "inspect"
        allowed = tech.get(f"/api/cases/{case['id']}/transitions").json()["transitions"]
        assert [(t["key"], t["to"]) for t in allowed] == [("done", nxt)]
        case = take(tech, case, "done", checklist=checklist)
    where(case, "inspect", assignee="technician")
    assert since(case, "step_due") == 2 * H

    # 2.阀门检查项目: the stem is bent 0.32 mm (≤ 0.25), the gland gap is 0.25 mm (0.1–0.2), a crack.
    found = {**SOUND, "body_no_cracks": False, "stem_bend": 0.32, "gland_clearance": 0.25}
    incomplete = {k: v for k, v in found.items() if k != "stem_ovality"}
    refused(
        tech,
        case,
        "failed",
        {"defects": "x"},
        incomplete,
        code="invalid_form",
        fields=["checklist.stem_ovality"],
    )
    body = refused(tech, case, "passed", checklist=found, code="guard_failed")
    failed = body["details"]["fields"]  # the two measurements out of range, each explained
    assert set(failed) == {"checklist.stem_bend", "checklist.gland_clearance"}
    assert failed["checklist.stem_bend"] == "测量值 0.32mm 超出允许范围 ≤ 0.25 mm"
    assert failed["checklist.gland_clearance"] == "测量值 0.25mm 超出允许范围 0.1–0.2 mm"
    refused(tech, case, "failed", checklist=found, code="invalid_form", fields=["defects"])
    refused(tech, case, "failed", {"defects": "x"}, SOUND, code="guard_failed")  # nothing failed
    case = take(
        tech, case, "failed", {"defects": "阀杆弯曲0.32mm；填料间隙0.25mm；阀体有砂眼"}, found
    )
    where(case, "repair", assignee="technician")
    assert since(case, "step_due") == 16 * H
    checks = case["checks"]["inspect"]
    assert checks["stem_bend"] == {"value": 0.32, "passed": False}
    assert checks["gland_clearance"] == {"value": 0.25, "passed": False}
    assert checks["radial_clearance"] == {"value": 0.35, "passed": True}
    assert checks["body_no_cracks"] == {"value": False, "passed": False}

    # 1.3阀门修理: alloy steel is preheated to 250–300 ℃ before the weld repair; the bent stem
    # is replaced (2.(3)).
    repair = {
        "repair_done": "砂眼处开坡口补焊；更换阀杆；更换填料压盖",
        "parts_replaced": "阀杆(2Cr13)、填料压盖",
        "body_welded": True,
    }
    weld = {
        "weld_bevel_prepared": True,
        "slow_cooled": True,
        "same_material": True,
        "stem_replaced": True,
    }
    refused(
        tech,
        case,
        "repaired",
        {},
        {**weld, "preheat_temperature": 280},
        code="invalid_form",
        fields=["repair_done"],
    )
    body = refused(
        tech, case, "repaired", repair, {**weld, "preheat_temperature": 220}, code="guard_failed"
    )
    assert "checklist.preheat_temperature" in body["details"]["fields"]
    case = take(tech, case, "repaired", repair, {**weld, "preheat_temperature": 280})
    where(case, "inspect", assignee="technician")

    # Inspect again: every item is checked anew (the earlier answers stay in the events).
    refused(
        tech,
        case,
        "passed",
        checklist={"stem_bend": 0.25},
        code="invalid_form",
        fields=["checklist.body_no_cracks", "checklist.gland_clearance"],
    )
    case = take(
        tech,
        case,
        "passed",
        checklist={**SOUND, "stem_bend": 0.25, "gland_clearance": 0.1},
    )
    where(case, "reassemble", assignee="technician")
    assert since(case, "step_due") == 4 * H
    assert case["checks"]["inspect"]["stem_bend"] == {"value": 0.25, "passed": True}
    refused(
        tech,
        case,
        "assembled",
        checklist={**REASSEMBLED, "marks_aligned": False},
        code="guard_failed",
    )
    case = take(tech, case, "assembled", checklist=REASSEMBLED)
    where(case, "test", assignee="technician")
    assert since(case, "step_due") == 2 * H

    # The seat leaks on test: back to repair, and the engineering manager is told.
    leaking = {**TIGHT, "seat_tight": False}
    refused(tech, case, "accept", {"test_pressure": 1.6}, leaking, code="guard_failed")
    refused(tech, case, "test_failed", {}, leaking, code="invalid_form", fields=["test_failure"])
    case = take(
        tech,
        case,
        "test_failed",
        {"test_pressure": 1.6, "test_failure": "1.6MPa下关闭后阀座渗漏"},
        leaking,
    )
    where(case, "repair", assignee="technician")
    assert notes(case, "notify") == ["eng_manager"]
    # No weld this time (the form shows the last answer; the technician unticks it) and the
    # stem passed the last inspection: neither the preheat nor the stem replacement applies.
    case = take(
        tech, case, "repaired", {"repair_done": "研磨阀瓣与阀座密封面", "body_welded": False}
    )
    case = take(tech, case, "passed", checklist=SOUND)
    case = take(tech, case, "assembled", checklist=REASSEMBLED)
    refused(
        tech, case, "accept", {}, leaking, code="guard_failed"
    )  # the earlier leak stays on file
    case = take(
        manager,
        case,
        "accept",
        {"test_pressure": 1.6, "test_notes": "1.6MPa保压5分钟无泄漏"},
        TIGHT,
    )
    where(case, "completed", "closed", assignee="technician")
    assert case["closed_at"] == case["resolved_at"] == case["updated_at"]

    assert moves(case) == [
        "clean_outside",
        *[s for s, _ in DISASSEMBLY[1:]],
        "inspect",
        "repair",
        "inspect",
        "reassemble",
        "test",
        "repair",
        "inspect",
        "reassemble",
        "test",
        "completed",
    ]
    assert owners(case) == ["engineering"]
    kinds = list(
        Event.objects.filter(case_id=case["id"]).order_by("seq").values_list("kind", flat=True)
    )
    assert kinds[:3] == ["opened", "assigned", "transitioned"]
    assert kinds.count("transitioned") == len(moves(case)) and len(kinds) == len(moves(case)) + 2
    assert differences() == []


def test_urgent_overhaul_limits_and_cancel(world, api):
    dispatcher, tech = api("dispatcher"), api("technician")
    r = dispatcher.post(
        "/api/cases",
        {
            "procedure": "valve_overhaul",
            "site": "lanting",
            "channel": "walk_in",
            "title": "阀门检修",
            "data": {},
        },
    )
    assert r.status_code == 400 and set(r.json()["details"]["fields"]) == {"valve_tag"}
    case = open_overhaul(dispatcher, priority="urgent")
    assert since(case, "response_due", "created_at") == 30 * M
    assert since(case, "resolution_due", "created_at") == 8 * H
    assert since(case, "step_due", "created_at") == 30 * M
    refused(tech, case, "cancel", {"cancel_reason": "x"}, status=403, code="role_not_allowed")
    refused(dispatcher, case, "cancel", {}, code="invalid_form", fields=["cancel_reason"])
    case = take(dispatcher, case, "cancel", {"cancel_reason": "系统停水计划推迟，改期检修"})
    where(case, "cancelled", "cancelled")
    assert case["closed_at"] and moves(case) == ["cancelled"]
    assert differences() == []


# -- the seed's per-size limits, the alloy-steel weld rules and the forced stem replacement ----


def to_inspect(api, **data):
    dispatcher, tech = api("dispatcher"), api("technician")
    case = open_overhaul(dispatcher, **data)
    case = take(dispatcher, case, "start", {"isolation_confirmed": True})
    for _step, checklist in DISASSEMBLY:
        case = take(tech, case, "done", checklist=checklist)
    where(case, "inspect")
    return case


def applies(client, case) -> dict[str, bool]:
    body = client.get(f"/api/cases/{case['id']}/transitions").json()
    return {c["key"]: c["applies"] for c in body["checklist"]}


def test_disassembly_starts_only_when_size_and_material_are_known(world, api):
    dispatcher = api("dispatcher")
    case = open_overhaul(dispatcher, nominal_size=None, body_material=None)
    refused(
        dispatcher,
        case,
        "start",
        {"isolation_confirmed": True},
        code="invalid_form",
        fields=["nominal_size", "body_material"],
    )
    case = take(
        dispatcher,
        case,
        "start",
        {"isolation_confirmed": True, "nominal_size": 40, "body_material": "carbon_steel"},
    )
    where(case, "clean_outside")


def test_a_small_valve_is_held_to_the_strict_end_of_the_seeds_limits(world, api):
    """2.(3): stem bend 0.1~0.25 mm, ovality 0.02~0.05 mm, wear 0.1~0.2 mm: DN ≤ 50 gets the first."""
    tech = api("technician")
    small = to_inspect(api, nominal_size=40)
    shown = applies(tech, small)
    assert shown["stem_bend_small"] and not shown["stem_bend"]
    assert shown["stem_ovality_small"] and shown["stem_wear_depth_small"]
    assert not shown["stem_ovality"] and not shown["stem_wear_depth"]
    sized = {
        **{k: v for k, v in SOUND.items() if not k.startswith("stem_") or k == "stem_thread_ok"},
        "stem_bend_small": 0.12,  # fine on a DN100 valve, too bent on a DN40 one
        "stem_ovality_small": 0.02,
        "stem_wear_depth_small": 0.1,
    }
    body = refused(tech, small, "passed", checklist=sized, code="guard_failed")
    assert body["details"]["fields"] == {
        "checklist.stem_bend_small": "测量值 0.12mm 超出允许范围 ≤ 0.1 mm"
    }
    # The large valve's items are not the small valve's: answering them is refused.
    refused(
        tech, small, "passed", checklist=SOUND, code="invalid_form", fields=["checklist.stem_bend"]
    )
    small = take(tech, small, "passed", checklist={**sized, "stem_bend_small": 0.1})
    where(small, "reassemble")
    assert small["checks"]["inspect"]["stem_bend_small"] == {"value": 0.1, "passed": True}

    large = to_inspect(api, nominal_size=100)
    shown = applies(tech, large)
    assert shown["stem_bend"] and not shown["stem_bend_small"]
    large = take(tech, large, "passed", checklist=SOUND)  # 0.12 mm on DN100 is within 0.25
    where(large, "reassemble")


def test_welding_an_alloy_steel_body_needs_the_preheat_and_slow_cooling(world, api):
    """1.3(一)(1): 对合金钢制成的阀体与阀盖，补焊前要进行250~300℃的预热，焊后放石棉灰内缓冷."""
    tech = api("technician")
    cracked = {**SOUND, "body_no_cracks": False}
    alloy = take(
        tech, to_inspect(api, body_material="alloy_steel"), "failed", {"defects": "砂眼"}, cracked
    )
    where(alloy, "repair")
    welded = {"repair_done": "开坡口补焊", "body_welded": True}
    refused(
        tech,
        alloy,
        "repaired",
        welded,
        {"weld_bevel_prepared": True},
        code="invalid_form",
        fields=["checklist.preheat_temperature", "checklist.slow_cooled"],
    )
    body = refused(
        tech,
        alloy,
        "repaired",
        welded,
        {"weld_bevel_prepared": True, "preheat_temperature": 320, "slow_cooled": True},
        code="guard_failed",
    )
    assert body["details"]["fields"] == {
        "checklist.preheat_temperature": "测量值 320℃ 超出允许范围 250–300 ℃"
    }
    alloy = take(
        tech,
        alloy,
        "repaired",
        welded,
        {"weld_bevel_prepared": True, "preheat_temperature": 260, "slow_cooled": True},
    )
    where(alloy, "inspect")

    # Carbon steel is welded without the preheat: the items do not apply (and are refused).
    carbon = take(
        tech,
        to_inspect(api, body_material="carbon_steel"),
        "failed",
        {"defects": "砂眼"},
        cracked,
    )
    refused(
        tech,
        carbon,
        "repaired",
        welded,
        {"preheat_temperature": 260},
        code="invalid_form",
        fields=["checklist.preheat_temperature"],
    )
    carbon = take(tech, carbon, "repaired", welded, {"weld_bevel_prepared": True})
    where(carbon, "inspect")


def test_a_stem_out_of_limits_at_the_inspection_must_be_replaced(world, api):
    """2.(3): 不符合上述要求时要换新 — the repair reads the inspection's answers (checks.inspect)."""
    tech = api("technician")
    bent = take(
        tech,
        to_inspect(api),
        "failed",
        {"defects": "阀杆弯曲0.3mm"},
        {**SOUND, "stem_bend": 0.3},
    )
    where(bent, "repair")
    assert applies(tech, bent)["stem_replaced"] is True
    fixed = {"repair_done": "校直阀杆"}
    refused(
        tech, bent, "repaired", fixed, {}, code="invalid_form", fields=["checklist.stem_replaced"]
    )
    refused(tech, bent, "repaired", fixed, {"stem_replaced": False}, code="guard_failed")
    bent = take(
        tech,
        bent,
        "repaired",
        {"repair_done": "更换阀杆", "parts_replaced": "阀杆(2Cr13)"},
        {"stem_replaced": True, "same_material": True},
    )
    where(bent, "inspect")
    # The inspection again: its answers are new, and the new stem is within the limit.
    bent = take(tech, bent, "passed", checklist=SOUND)
    assert bent["checks"]["inspect"]["stem_bend"] == {"value": 0.12, "passed": True}
    assert bent["checks"]["repair"]["stem_replaced"] == {"value": True, "passed": True}

    # A worn thread is a stem failure too; a leaking gland alone is not.
    worn = take(
        tech,
        to_inspect(api),
        "failed",
        {"defects": "阀杆螺纹损坏"},
        {**SOUND, "stem_thread_ok": False},
    )
    assert applies(tech, worn)["stem_replaced"] is True
    gland = take(
        tech,
        to_inspect(api),
        "failed",
        {"defects": "填料间隙0.25mm"},
        {**SOUND, "gland_clearance": 0.25},
    )
    assert applies(tech, gland)["stem_replaced"] is False
    refused(
        tech,
        gland,
        "repaired",
        fixed,
        {"stem_replaced": True},
        code="invalid_form",
        fields=["checklist.stem_replaced"],
    )
    gland = take(tech, gland, "repaired", {"repair_done": "更换填料压盖"})
    where(gland, "inspect")
