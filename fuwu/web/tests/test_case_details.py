"""The case page's details card and print view (issue 10, item 1): every value a case holds,
grouped by the step that captured it (intake first), typed as people read it, personal values
masked as on the rest of the page; through the Django test client."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.core.models import Staff
from fuwu.web.tests.casesetup import (
    at_prepare,
    at_repair,
    fresh,
    move,
    open_repair,
    signed_in,
)

pytestmark = pytest.mark.django_db

PHONE = "13911112222"


def page(persona: str, case: Case, language: str = "zh-hans", suffix: str = "") -> str:
    response = signed_in(persona, language).get(f"/cases/{case.pk}/{suffix}")
    assert response.status_code == 200
    return response.content.decode()


def group(html: str, key: str) -> str:
    """The HTML of one group (`details-<key>`)."""
    start = html.index(f'data-testid="details-{key}"')
    return html[start : html.index("</section>", start)]


def groups(html: str) -> list[str]:
    return re.findall(r'data-testid="details-([a-z_]+)"', html)


def value(html: str, key: str) -> str:
    found = re.search(rf'data-testid="value-{key}">(.*?)</(dd|td)>', html, re.S)
    assert found, key
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def complaint(world: Any, **data: Any) -> Case:
    repair = open_repair(world)
    return actions.open_case(
        world.actor("agent"),
        procedure_key="complaint",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="维修后仍漏水",
        customer_id=world.customers["owner"].pk,
        data={
            "complaint_content": "上周修过的水龙头又漏水，师傅没有按约定时间来",
            "complainant_name": "王芳",
            "contact_phone": PHONE,
            "customer_request": "免费重修并道歉",
            "related_case": repair.pk,
            **data,
        },
    )


def investigated(world: Any) -> Case:
    """A complaint worked through to the customer centre's feedback step."""
    Staff.objects.filter(user=world.users["technician"]).update(display_name="张师傅")
    case = complaint(world)
    case = move(
        world,
        case,
        "agent",
        "analyse",
        {"intake_method": "call_record", "complaint_summary": "返修未按约上门"},
    )
    form = {"complaint_nature": "responsible", "analysis": "派工未确认时间"}
    case = move(world, case, "agent", "responsible", form)
    form = {"apology_method": "phone", "responsible_department": "engineering"}
    case = move(world, case, "agent", "transfer", form)
    form = {
        "cause": "调度漏排",
        "remedy": "已重新上门更换阀芯",
        "compensation": "200",
        "handled_by": "technician",
    }
    return move(world, case, "eng_manager", "report_result", form)


# -- the page --------------------------------------------------------------------------------


def test_a_repairs_intake_values_are_on_its_page_grouped_by_step(world):
    case = open_repair(world, location="厨房水槽下方", contact_time="工作日晚上七点后")
    case = move(world, case, "agent", "issue_work_order", {"details_confirmed": True})
    case = move(world, case, "dispatcher", "repair_now", {"repair_mode": "immediate"})
    html = page("technician", case)
    assert groups(html) == ["_intake", "reception", "dispatch"]  # intake first, then as worked
    intake = group(html, "_intake")
    assert "受理信息" in intake
    assert value(intake, "repair_item") == "水龙头"
    assert value(intake, "location") == "厨房水槽下方"
    assert value(intake, "contact_time") == "工作日晚上七点后"
    assert value(intake, "service_type") == "免费维修"  # a choice by its label
    assert value(group(html, "reception"), "details_confirmed") == "是"
    dispatch = group(html, "dispatch")
    assert "派工" in dispatch and value(dispatch, "repair_mode") == "立即维修"
    assert "dispatcher" in dispatch  # who filled the step


def test_the_same_page_in_english(world):
    html = page("technician", at_repair(world), "en")
    intake = group(html, "_intake")
    assert "At intake" in intake and "Repair item" in intake
    assert value(group(html, "dispatch"), "repair_mode") == "Immediate"


def test_checklist_answers_show_under_their_step(world):
    case = at_repair(world)
    form = {"diagnosis": "阀芯老化", "solution": "更换阀芯", "owner_agreed": True}
    case = move(world, case, "technician", "complete", form)
    repair = group(page("technician", case), "repair")
    assert value(repair, "diagnosis") == "阀芯老化"
    assert 'data-testid="check-fault_fixed"' in repair and "bi-check-square" in repair
    assert 'data-testid="check-site_clean"' in repair


def test_a_complaints_content_complainant_and_demand_are_on_its_page(world):
    case = investigated(world)
    html = page("agent", case)  # an agent sees personal values in full
    intake = group(html, "_intake")
    assert value(intake, "complaint_content") == "上周修过的水龙头又漏水，师傅没有按约定时间来"
    assert value(intake, "complainant_name") == "王芳"
    assert value(intake, "contact_phone") == PHONE
    assert value(intake, "customer_request") == "免费重修并道歉"
    related = Case.objects.get(pk=case.data["related_case"])
    assert value(intake, "related_case") == f"{related.number} {related.title}"
    assert f'href="/cases/{related.pk}/"' in intake  # the linked case by number, as a link
    assert groups(html) == ["_intake", "record", "analyse", "apologise", "investigate"]
    assert value(group(html, "analyse"), "complaint_nature") == "责任投诉"
    # A transition's own field belongs to the step it leaves.
    assert value(group(html, "apologise"), "responsible_department") == "工程部"
    investigate = group(html, "investigate")
    assert value(investigate, "compensation") == "¥200.00"
    assert value(investigate, "handled_by") == "张师傅"  # a person by name, not username
    assert "处理人：张师傅" in html  # and so in the timeline


def test_personal_values_stay_masked_for_those_who_may_not_read_them(world):
    case = investigated(world)
    html = page("security", case)  # never works the complaint: masks, no reveal
    assert value(group(html, "_intake"), "contact_phone") == "139****2222"
    assert PHONE not in html
    assert 'data-testid="reveal-contact_phone"' not in html


def test_the_people_working_the_case_reveal_from_the_details(world):
    case = complaint(world)
    # The eng department investigates: its manager works the case and may reveal.
    case = move(
        world,
        case,
        "agent",
        "analyse",
        {"intake_method": "call_record", "complaint_summary": "返修未按约上门"},
    )
    case = move(
        world, case, "agent", "responsible", {"complaint_nature": "responsible", "analysis": "x"}
    )
    form = {"apology_method": "phone", "responsible_department": "engineering"}
    case = move(world, case, "agent", "transfer", form)
    html = page("dispatcher", case)
    assert value(group(html, "_intake"), "contact_phone").startswith("139****2222")
    assert 'data-testid="reveal-contact_phone"' in html and PHONE not in html


def test_a_parallel_steps_branches_show_their_values_and_checks_under_it(world):
    case = at_prepare(world)
    actions.complete_task(
        world.actor("cook"),
        case.pk,
        branch="kitchen",
        version=case.version,
        form={"kitchen_note": "缺鸭肠"},
        checklist={"dishes_ready": True},
    )
    html = page("floor_manager", fresh(case))
    prepare = group(html, "prepare")
    assert value(prepare, "kitchen_note") == "缺鸭肠"
    assert 'data-testid="check-dishes_ready"' in prepare
    assert "锅底与菜品已按点菜单配齐" in prepare
    assert 'data-testid="check-towels_collected"' not in prepare  # not done yet: not shown


def test_values_never_captured_are_not_shown(world):
    html = page("agent", open_repair(world))  # no location, no contact time
    assert groups(html) == ["_intake"]
    assert 'data-testid="value-location"' not in html
    assert 'data-testid="value-contact_time"' not in html
    assert "—" not in group(html, "_intake")


def test_a_field_two_steps_declare_shows_under_the_one_worked(world):
    case = at_repair(world)
    Case.objects.filter(pk=case.pk).update(
        data={**case.data, "feedback": "很满意"}
    )  # set by no event: where the definition first declares it
    html = page("agent", fresh(case))
    assert value(group(html, "return_visit"), "feedback") == "很满意"


def test_line_items_are_a_table_with_totals_in_their_step(world):
    case = at_repair(world)
    form = {"diagnosis": "阀芯老化", "solution": "更换阀芯", "owner_agreed": True}
    case = move(world, case, "technician", "complete", form)
    lines = [
        {"item": "阀芯", "quantity": "2", "unit_price": "35"},
        {"item": "软管", "quantity": "1", "unit_price": "20"},
    ]
    case = move(
        world, case, "technician", "to_return_visit", {"result": "已修好", "materials": lines}
    )
    html = page("agent", case)
    result = group(html, "record_result")
    assert 'data-testid="lines-view-materials"' in result
    assert "¥90.00" in result  # the total


def test_the_customers_confirmation_and_rating_close_the_list(world):
    case = at_repair(world)
    records = {
        "confirmation": {"cycle": 0, "at": "2026-12-03T10:00:00+08:00"},
        "rating": {"score": 4, "comment": "师傅很细心", "cycle": 0, "at": "2026-12-03T11:00:00"},
    }
    Case.objects.filter(pk=case.pk).update(records=records)
    html = page("agent", case)
    assert groups(html)[-1] == "_customer"
    feedback = group(html, "_customer")
    assert value(feedback, "confirmation") == "2026-12-03 10:00"
    assert value(feedback, "rating") == "4 分（满分 5 分）"
    assert value(feedback, "rating_comment") == "师傅很细心"


# -- the print view -------------------------------------------------------------------------


def test_print_view_has_number_procedure_customer_values_and_timeline(world):
    case = investigated(world)
    html = page("agent", case, suffix="print/")
    assert case.number in html and "投诉处理" in html
    assert "王芳" in html and "13812345678" in html  # the customer, in full for an agent
    assert groups(html) == ["_intake", "record", "analyse", "apologise", "investigate"]
    assert value(html, "complaint_content").startswith("上周修过的水龙头")
    assert value(html, "compensation") == "¥200.00"
    assert html.count("print-at") >= 5  # the timeline in short
    assert "data-print" in html and "onclick" not in html
    assert 'href="/cases/' in html  # back to the case


def test_print_view_in_english(world):
    html = page("agent", at_repair(world), "en", "print/")
    assert "At intake" in html and "Print" in html and "Property repair" in html


def test_the_case_page_links_to_the_print_view(world):
    case = at_repair(world)
    html = page("technician", case)
    assert f'href="/cases/{case.pk}/print/"' in html


def test_details_cost_no_query_per_step(world, django_assert_max_num_queries):
    case = investigated(world)
    client = signed_in("agent")
    client.get(f"/cases/{case.pk}/")  # warm the per-process caches (actor, definition)
    with django_assert_max_num_queries(14):  # + the person named and the case linked
        assert client.get(f"/cases/{case.pk}/").status_code == 200
    with django_assert_max_num_queries(11):  # + the attachments
        assert client.get(f"/cases/{case.pk}/print/").status_code == 200
