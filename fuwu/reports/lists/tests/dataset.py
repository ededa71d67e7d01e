"""A small fixed data set for the lists, walked through the real actions at frozen times on 兰亭苑
(Asia/Shanghai; the test world's calendar runs 24×7). "Today" is Friday 4 December 2026, 10:00.

Fee notices of the December billing run (opened Tuesday 1 December 09:00, 物业管理费):

| unit            | building | due    | paid                     | pay by     | state          |
|-----------------|----------|--------|--------------------------|------------|----------------|
| 1栋1单元101     | 1        | 356.40 | 356.40 on 12-02 10:00    | 2026-12-03 | paid           |
| 1栋1单元102     | 1        | 200.00 | 50.00 on 12-02 11:00     | 2026-12-03 | arrears (past) |
| 2栋1单元201     | 2        | 300.00 | —, chased, arrears recorded | 2026-12-03 | arrears     |
| 2栋1单元202     | 2        | 120.00 | —                        | 2026-12-10 | not due        |
| 3栋2单元1502    | (none)   | —      | notice not printed       |            | unbilled       |

and one notice opened on 1 November (outside the period). By hand: building 1 due 556.40,
received 406.40, outstanding 150.00, rate 73.0 %; building 2 due 420.00, received 0, rate 0.0 %;
total due 976.40, received 406.40, outstanding 570.00, rate 41.6 %, two households in arrears
owing 450.00.

Parking: 粤B·12345 leased to 2026-12-31 (600.00 paid 12-03 09:30, permit TC-1231) and 粤B·67890
leased to 2027-01-15 (permit TC-0115, paid 12-03 09:40, 900.00). The fee report: 12-02 two
payments 406.40, 12-03 two payments 1500.00; the week of 30 November 1906.40 in four payments.

Gas, this week (30 November – 6 December): 1栋1单元101 and 1栋1单元102 on Thursday 3 December
(the first turned on, nobody at home at the second), 2栋1单元201 on Saturday 5 December (waiting);
2栋1单元202 is on next week's list (10 December). This week: three households — one waiting,
one on, one not at home.
Keys: K-101 lent on 12-01, due back 12-02 18:00 (overdue 2 days at "today"); K-202 due 12-20.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.customers.models import Asset, Customer
from fuwu.testing.factories import World

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, h: int, m: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, h, m, tzinfo=SHANGHAI)


TODAY = local(4, 10)


@dataclass
class Data:
    units: dict[str, Asset]
    fees: dict[str, Case]
    leases: dict[str, Case]
    gas: dict[str, Case]
    keys: dict[str, Case]


def _take(world: World, persona: str, at: datetime, case: Case, key: str, form=None, checks=None):  # type: ignore[no-untyped-def]
    with time_machine.travel(at, tick=False):
        return actions.take_transition(
            world.actor(persona), case.pk, key, version=None, form=form or {}, checklist=checks
        )


def _open(
    world: World, procedure: str, at: datetime, title: str, data: dict[str, Any], **kw: Any
) -> Case:
    with time_machine.travel(at, tick=False):
        return actions.open_case(
            world.actor("agent"),
            procedure_key=procedure,
            site_id=world.sites["lanting"].pk,
            title=title,
            data=data,
            **kw,
        )


def _units(world: World) -> dict[str, Asset]:
    site = world.sites["lanting"]
    out = {}
    for label, building in (
        ("1栋1单元101", 1),
        ("1栋1单元102", 1),
        ("2栋1单元201", 2),
        ("2栋1单元202", 2),
    ):
        owner = Customer.objects.create(
            site=site, name=f"业主{label[-3:]}", phone=f"1381234{label[-3:]}0"
        )
        out[label] = Asset.objects.create(
            site=site, kind="unit", label=label, owner=owner, attributes={"building": building}
        )
    return out


def _notice(
    world: World, unit: Asset | None, due: str, pay_by: str, at: datetime = local(1, 9)
) -> Case:
    label = unit.label if unit else world.assets["unit"].label
    case = _open(
        world,
        "fee_collection",
        at,
        f"2026年12月物业管理费 {label}",
        {"billing_period": "2026年12月", "fee_type": "management_fee"},
        channel="system",
        customer_id=(unit.owner_id if unit else world.customers["owner"].pk),
        asset_id=(unit.pk if unit else world.assets["unit"].pk),
    )
    if not due:
        return case
    notice = {
        "notice_no": f"JF-{label}",
        "amount_due": due,
        "fee_details": "面积×单价",
        "pay_by": pay_by,
    }
    case = _take(world, "agent", at.replace(minute=10), case, "printed", notice)
    case = _take(world, "finance", at.replace(minute=20), case, "correct", {"notice_correct": True})
    return _take(
        world, "agent", at.replace(minute=30), case, "handed_out", {"hand_out_method": "mailbox"}
    )


def _pay(world: World, at: datetime, case: Case, key: str, amount: str, receipt: str) -> Case:
    form = {"amount_paid": amount, "receipt_no": receipt, "payment_method": "mobile"}
    return _take(world, "agent", at, case, key, form)


def fees(world: World, units: dict[str, Asset]) -> dict[str, Case]:
    f1 = _notice(world, units["1栋1单元101"], "356.40", "2026-12-03")
    f1 = _pay(world, local(2, 10), f1, "paid", "356.40", "SJ-1")
    f2 = _notice(world, units["1栋1单元102"], "200.00", "2026-12-03")
    f2 = _pay(world, local(2, 11), f2, "part_paid", "50.00", "SJ-2")
    f3 = _notice(world, units["2栋1单元201"], "300.00", "2026-12-03")
    f3 = _take(world, "agent", local(3, 18), f3, "overdue")
    f3 = _take(
        world,
        "agent",
        local(4, 9),
        f3,
        "arrears_recorded",
        {"chase_method": "phone", "arrears_reason": "业主在外地"},
    )
    f4 = _notice(world, units["2栋1单元202"], "120.00", "2026-12-10")
    f5 = _notice(world, None, "", "")
    old = _notice(world, units["1栋1单元101"], "", "", at=local(1, 9, month=11))
    return {"f1": f1, "f2": f2, "f3": f3, "f4": f4, "unbilled": f5, "november": old}


def _lease(
    world: World, plate: str, space: str, end: str, amount: str, permit: str, at: datetime
) -> Case:
    case = _open(
        world,
        "parking_lease",
        at,
        f"车位租赁 {plate}",
        {"lease_type": "new", "plate_no": plate, "space_no": space, "space_kind": "underground"},
        channel="walk_in",
        customer_id=world.customers["owner"].pk,
        asset_id=world.assets["unit"].pk,
    )
    docs = {"driving_licence": True, "insurance_card": True}
    case = _take(world, "agent", at.replace(minute=at.minute + 1), case, "documents_ok", {}, docs)
    case = _take(
        world,
        "agent",
        at.replace(minute=at.minute + 2),
        case,
        "signed",
        {"commitment_no": f"CN-{permit}"},
        {"commitment_signed": True},
    )
    case = _take(
        world,
        "agent",
        at.replace(minute=at.minute + 3),
        case,
        "recorded",
        {
            "vehicle_model": "卡罗拉",
            "vehicle_colour": "白",
            "licence_holder": "王芳",
            "insurance_until": "2027-06-30",
        },
    )
    pay = {
        "lease_start": "2026-12-01",
        "lease_end": end,
        "amount_paid": amount,
        "receipt_no": f"CW-{permit}",
    }
    case = _take(world, "agent", at.replace(minute=at.minute + 4), case, "paid", pay)
    return _take(
        world, "agent", at.replace(minute=at.minute + 5), case, "issued", {"permit_no": permit}
    )


def leases(world: World) -> dict[str, Case]:
    return {
        "december": _lease(
            world, "粤B·12345", "B2-018", "2026-12-31", "600.00", "TC-1231", local(3, 9, 26)
        ),
        "january": _lease(
            world, "粤B·67890", "B2-019", "2027-01-15", "900.00", "TC-0115", local(3, 9, 36)
        ),
    }


def _gas(world: World, unit: Asset, day: str, outcome: str | None) -> Case:
    at = local(1, 14)
    case = _open(
        world,
        "gas_activation",
        at,
        f"开通煤气 {unit.label}",
        {"applicant_name": f"业主{unit.label[-3:]}", "contact_phone": "13812345678"},
        channel="walk_in",
        customer_id=unit.owner_id,
        asset_id=unit.pk,
    )
    case = _take(
        world,
        "agent",
        at.replace(minute=5),
        case,
        "registered",
        {"gas_meter_no": f"M-{unit.label[-3:]}"},
        {"owner_verified": True},
    )
    case = _take(world, "agent", at.replace(minute=10), case, "date_set", {"activation_date": day})
    told = {"date_told": True, "precautions_told": True}
    case = _take(
        world, "agent", at.replace(minute=15), case, "informed", {"inform_method": "phone"}, told
    )
    handed = {"list_handed_over": True}
    if outcome == "activated":
        form = {"activated_on": day, "meter_reading": 0}
        case = _take(world, "agent", local(3, 16), case, "activated", form, handed)
    elif outcome == "absent":
        case = _take(world, "agent", local(3, 16, 30), case, "nobody_home", {}, handed)
    return case


def gas(world: World, units: dict[str, Asset]) -> dict[str, Case]:
    return {
        "on": _gas(world, units["1栋1单元101"], "2026-12-03", "activated"),
        "absent": _gas(world, units["1栋1单元102"], "2026-12-03", "absent"),
        "waiting": _gas(world, units["2栋1单元201"], "2026-12-05", None),
        "next_week": _gas(world, units["2栋1单元202"], "2026-12-10", None),
    }


def _key(world: World, key_no: str, due: str) -> Case:
    at = local(1, 10)
    case = _open(
        world,
        "key_lending",
        at,
        f"借用钥匙 {key_no}",
        {"borrower_name": "王芳", "borrower_phone": "13812345678", "purpose": "装修进场"},
        channel="walk_in",
        customer_id=world.customers["owner"].pk,
        asset_id=world.assets["unit"].pk,
    )
    who = {
        "borrower_relation": "owner",
        "identity_confirmed": True,
        "identity_check": "owner_present",
    }
    case = _take(world, "agent", at.replace(minute=2), case, "owner_borrows", who)
    lend = {"key_no": key_no, "key_count": 1, "expected_return": due}
    return _take(
        world, "agent", at.replace(minute=5), case, "lent", lend, {"register_signed": True}
    )


def keys(world: World) -> dict[str, Case]:
    return {
        "late": _key(world, "K-101", "2026-12-02T18:00:00+08:00"),
        "in_time": _key(world, "K-202", "2026-12-20T18:00:00+08:00"),
    }


ALL_OK = {"structure_ok": True, "fittings_ok": True, "keys_ok": True, "hygiene_ok": True}


def _vacant(world: World, unit: Asset, at: str, problem: str | None) -> Case:
    case = _open(
        world,
        "vacant_unit_inspection",
        local(1, 8),
        f"空房巡视 {unit.label}",
        {"round_label": "2026年12月第1周"},
        channel="visit",
        asset_id=unit.pk,
    )
    when = local(2, int(at[11:13]))
    if problem is None:
        form = {"inspected_at": at, "findings": "门窗完好，室内整洁"}
        return _take(world, "agent", when, case, "normal", form, ALL_OK)
    form = {"inspected_at": at, "problem_description": problem}
    form["responsible_department"] = "engineering"
    return _take(
        world, "agent", when, case, "problem_found", form, {**ALL_OK, "fittings_ok": False}
    )


def _survey(world: World, unit: Asset, method: str, path: list[tuple[str, dict[str, Any]]]) -> Case:
    case = _open(
        world,
        "opinion_survey",
        local(1, 9),
        f"2026年下半年意见征询 {unit.label}",
        {"survey_method": method, "survey_round": "2026年下半年", "respondent": unit.owner.name},
        channel="visit",
        customer_id=unit.owner_id,
        asset_id=unit.pk,
    )
    for i, (key, form) in enumerate(path):
        case = _take(world, "agent", local(2, 9 + i), case, key, form)
    return case


def rounds(world: World, units: dict[str, Asset]) -> dict[str, Case]:
    """Vacant-unit rounds: 101 normal (12-02 10:00), 202 a leak for engineering (11:00).
    Surveys of the round 2026年下半年: 101 written, returned, no problem; 102 written, not
    returned; 201 written, returned, a problem for engineering; 202 an area walk, a problem for
    security. By hand — building 1: 2 households, 2 forms out, 1 back (50.0 %), no problem;
    building 2: 2 households, 1 form out and back (100.0 %), 2 problems (engineering 1,
    security 1); in all 3 forms out, 2 back (66.7 %), 2 problems."""
    form = {"form_no": "ZX-1", "hand_out_method": "mailbox"}
    fine = {"opinions": "服务很好", "problem_found": False}
    problem = {"opinions": "楼道灯不亮", "problem_found": True}
    return {
        "vacant_ok": _vacant(world, units["1栋1单元101"], "2026-12-02T10:00:00+08:00", None),
        "vacant_leak": _vacant(
            world, units["2栋1单元202"], "2026-12-02T11:00:00+08:00", "卫生间下水管渗水"
        ),
        "s101": _survey(
            world,
            units["1栋1单元101"],
            "written_survey",
            [("hand_out", form), ("collected", {}), ("no_problem", fine)],
        ),
        "s102": _survey(
            world,
            units["1栋1单元102"],
            "written_survey",
            [("hand_out", {**form, "form_no": "ZX-2"}), ("not_returned", {})],
        ),
        "s201": _survey(
            world,
            units["2栋1单元201"],
            "written_survey",
            [
                ("hand_out", {**form, "form_no": "ZX-3"}),
                ("collected", {}),
                ("problem", problem),
                (
                    "other_problem",
                    {"problem_description": "灯具损坏", "responsible_department": "engineering"},
                ),
            ],
        ),
        "s202": _survey(
            world,
            units["2栋1单元202"],
            "area_walk",
            [
                ("visited", {}),
                ("problem", problem),
                (
                    "other_problem",
                    {"problem_description": "夜间陌生人出入", "responsible_department": "security"},
                ),
            ],
        ),
    }


def build(world: World) -> Data:
    units = _units(world)
    return Data(units, fees(world, units), leases(world), gas(world, units), keys(world))
