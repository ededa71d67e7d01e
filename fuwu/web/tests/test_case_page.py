"""The staff case page: what it shows, who may see it, and every POST (success, bad input,
forbidden, stale), through the Django test client."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import reverse

from fuwu.cases import actions
from fuwu.cases.models import Attachment, Case, Event, WorkLog
from fuwu.web.tests.casesetup import (
    at_dispatch,
    at_inspect,
    at_prepare,
    at_repair,
    at_take_order,
    fresh,
    open_repair,
    signed_in,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(case: Case, action: str = "") -> str:
    return f"/cases/{case.pk}/" + (f"{action}/" if action else "")


def text(response) -> str:
    return response.content.decode()


# -- what the page shows ------------------------------------------------------------------------


def test_page_in_chinese(world):
    case = at_repair(world)
    response = signed_in("technician").get(url(case))
    assert response.status_code == 200
    html = text(response)
    assert case.number in html and "厨房水龙头漏水" in html
    assert "物业报修" in html and "现场维修" in html  # procedure and step in Chinese
    assert "王芳" in html and "138****5678" in html and "13812345678" not in html
    assert "3栋2单元1502" in html and "工程部" in html
    assert 'class="deadline deadline-' in html  # live countdowns
    assert "class repair current" in html and "reception,dispatch" in html  # diagram path
    assert "检查结果与原因" in html and "故障已排除并试用正常" in html  # generated form
    assert 'data-testid="take-complete"' in html and 'data-testid="take-wait_for_owner"' in html
    assert 'data-testid="timeline-entry"' in html


def test_page_in_english(world):
    case = at_repair(world)
    html = text(signed_in("technician", "en").get(url(case)))
    assert "Property repair" in html and "Repair on site" in html
    assert "Diagnosis and cause" in html and "Fault fixed and tested" in html
    assert "Owning department" in html and "Checklist" in html
    assert "&quot;Repair on site&quot;" in html  # diagram labels in English


def test_checklist_items_that_do_not_apply_to_this_case_are_not_shown(world):
    case = at_inspect(world)  # a DN100 valve: the larger valve's stem limits
    html = text(signed_in("technician").get(url(case)))
    assert 'name="checklist.stem_bend"' in html
    assert 'name="checklist.stem_bend_small"' not in html
    Case.objects.filter(pk=case.pk).update(data={**case.data, "nominal_size": 40})
    html = text(signed_in("technician").get(url(case)))
    assert 'name="checklist.stem_bend_small"' in html
    assert 'name="checklist.stem_bend"' not in html


def test_moves_this_person_may_not_take_are_not_shown_and_refused(world):
    case = at_repair(world)
    client = signed_in("agent")  # the repair is the technician's
    html = text(client.get(url(case)))
    assert 'data-testid="no-moves"' in html and "take-complete" not in html
    response = client.post(url(case, "take/complete"), {"version": case.version})
    assert response.status_code == 403
    assert "您的角色不能执行" in text(response)
    assert fresh(case).version == case.version


def test_other_sites_cases_do_not_exist(world):
    case = at_repair(world)
    client = signed_in("cc_agent")  # works at the dealer, not at 兰亭苑
    assert client.get(url(case)).status_code == 404
    assert (
        client.post(url(case, "comment"), {"text": "x", "visibility": "public"}).status_code == 404
    )
    assert not Event.objects.filter(case=case, kind="commented").exists()


def test_customers_are_sent_to_the_portal(world):
    user = get_user_model().objects.create_user("wangfang", password="pw-wangfang")
    owner = world.customers["owner"]
    owner.user = user
    owner.save(update_fields=["user"])
    client = signed_in("wangfang")
    response = client.get(url(at_repair(world)))
    assert response.status_code == 302 and response["Location"] == "/portal/"


def test_attachments_are_listed(world):
    case = at_repair(world)
    photo = Attachment.objects.create(
        case=case,
        file=ContentFile(b"x", name="leak.jpg"),
        name="漏水照片.jpg",
        content_type="image/jpeg",
        size=1,
    )
    html = text(signed_in("technician").get(url(case)))
    assert "漏水照片.jpg" in html
    assert f'href="{reverse("web:attachment", args=[photo.pk])}"' in html


@pytest.mark.parametrize("events", [3, 30])
def test_query_count_does_not_grow_with_the_history(world, django_assert_max_num_queries, events):
    case = at_repair(world)
    technician = world.actor("technician")
    while Event.objects.filter(case=case).count() < events:
        actions.comment(technician, case.pk, text="检查中", internal=True)
        actions.log_work(
            technician, case.pk, actions.WorkEntry("part", "阀芯", quantity=Decimal(1))
        )
    client = signed_in("technician")
    client.get(url(case))  # warm the per-process caches (actor, definition)
    with django_assert_max_num_queries(13):  # 13th: the notices sent to the customer
        response = client.get(url(case))
    assert response.status_code == 200
    assert text(response).count('data-testid="timeline-entry"') >= events


# -- the step's moves ----------------------------------------------------------------------------


def repair_done(case: Case, **extra: str) -> dict[str, str]:
    return {
        "version": str(case.version),
        "step": case.step,
        "cycle": str(case.step_cycle),
        "diagnosis": "阀芯老化",
        "solution": "更换阀芯",
        "owner_agreed": "yes",
        "checklist.fault_fixed": "yes",
        "checklist.site_clean": "yes",
        "wait_reason": "typed for the other move",
        **extra,
    }


def test_take_a_move_plain_post_redirects(world):
    case = at_repair(world)
    client = signed_in("technician")
    response = client.post(url(case, "take/complete"), repair_done(case))
    assert response.status_code == 302 and response["Location"] == url(case)
    after = fresh(case)
    assert after.step == "record_result"
    assert after.data["diagnosis"] == "阀芯老化" and after.data["owner_agreed"] is True
    assert "wait_reason" not in after.data  # another move's field is not sent along
    assert after.records["checks"]["repair"]["fault_fixed"] == {"value": True, "passed": True}
    assert "已执行：维修完成" in text(client.get(url(case)))


def test_take_a_move_with_htmx_swaps_the_body(world):
    case = at_repair(world)
    response = signed_in("technician").post(url(case, "take/complete"), repair_done(case), **HTMX)
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith("{% load") is False and 'id="case-body"' in html
    assert "<html" not in html and 'data-testid="notice-success"' in html
    assert "记录服务结果" in html


def test_bad_input_is_shown_next_to_the_fields_and_kept(world):
    case = at_repair(world)
    client = signed_in("technician", "en")
    data = repair_done(case, diagnosis="", **{"checklist.fault_fixed": "no"})
    response = client.post(url(case, "take/complete"), data)
    assert response.status_code == 400
    html = text(response)
    assert 'data-testid="error-diagnosis"' in html and "This field is required" in html
    assert "更换阀芯" in html  # what was typed is kept
    assert fresh(case).version == case.version and fresh(case).step == "repair"


def test_skip_form_move_sends_only_its_own_fields(world):
    case = at_repair(world)
    client = signed_in("technician")
    data = repair_done(case, wait_reason="", diagnosis="", **{"checklist.fault_fixed": "maybe"})
    response = client.post(url(case, "take/wait_for_owner"), data)
    assert response.status_code == 400
    assert 'data-testid="error-wait_reason"' in text(response)
    assert 'data-testid="error-diagnosis"' not in text(response)
    data["wait_reason"] = "业主不在家"
    assert client.post(url(case, "take/wait_for_owner"), data).status_code == 302
    assert fresh(case).step == "waiting_owner"


def test_a_stale_step_form_keeps_the_input_and_shows_the_fresh_state(world):
    case = at_repair(world)
    seen = repair_done(case)
    # Meanwhile the dispatcher hands the case to the technician: the version moves on.
    actions.assign(
        world.actor("dispatcher"),
        case.pk,
        assignee_id=world.users["technician"].pk,
        version=case.version,
    )
    response = signed_in("technician").post(url(case, "take/complete"), seen)
    assert response.status_code == 409
    html = text(response)
    assert "此工单刚刚被 dispatcher 修改" in html and "已为您保留" in html
    assert "阀芯老化" in html  # kept for a re-submit
    assert f'name="version" value="{fresh(case).version}"' in html  # the fresh version
    assert fresh(case).step == "repair" and "diagnosis" not in fresh(case).data


def test_a_stale_form_of_a_step_left_behind_is_not_kept(world):
    case = at_dispatch(world)
    seen = {
        "version": str(case.version),
        "step": "dispatch",
        "cycle": str(case.step_cycle),
        "repair_mode": "booked",
        "appointment_at": "2031-03-04T10:30",
    }
    actions.take_transition(
        world.actor("dispatcher"),
        case.pk,
        "repair_now",
        version=case.version,
        form={"repair_mode": "immediate"},
    )
    response = signed_in("eng_manager", "en").post(url(case, "take/book"), seen, **HTMX)
    assert response.status_code == 409
    html = text(response)
    assert "dispatcher" in html and "your input was not saved" in html.lower()
    assert "2031-03-04T10:30" not in html
    assert fresh(case).step == "repair"


def test_warnings_are_confirmed_before_the_move(world):
    case = at_take_order(world)
    # The order lines are there already (one dish for four guests); the page posts the rest.
    Case.objects.filter(pk=case.pk).update(
        data={**case.data, "order_items": [{"dish": "毛肚", "size": None, "quantity": 1}]}
    )
    client = signed_in("waiter")
    data = {
        "version": str(case.version),
        "step": case.step,
        "cycle": str(case.step_cycle),
        "soup_base": "清汤锅",
    }
    data.update(
        {
            f"checklist.{k}": "yes"
            for k in (
                "asked_to_order",
                "suggestion_sequence",
                "priority_items",
                "specific_suggestions",
                "no_repeat",
                "stopped_on_request",
            )
        }
    )
    response = client.post(url(case, "take/read_back"), data)
    assert response.status_code == 400
    html = text(response)
    assert "请确认菜品数量" in html and 'name="confirm" value="read_back"' in html
    assert fresh(case).step == "take_order"
    response = client.post(url(case, "take/read_back"), {**data, "confirm": "read_back"})
    assert response.status_code == 302
    assert fresh(case).step == "read_back"


# -- parallel tasks -----------------------------------------------------------------------------


def test_each_department_completes_its_own_task(world):
    case = at_prepare(world)
    cook = signed_in("cook")
    html = text(cook.get(url(case)))
    assert 'data-testid="complete-kitchen"' in html and "complete-floor_wait" not in html
    refused = cook.post(
        url(case, "task/floor_wait"),
        {"version": case.version, "task-floor_wait-checklist.towels_collected": "yes"},
    )
    assert refused.status_code == 403
    bad = cook.post(url(case, "task/kitchen"), {"version": case.version})
    assert bad.status_code == 400 and 'data-testid="error-dishes_ready"' in text(bad)
    done = cook.post(
        url(case, "task/kitchen"),
        {
            "version": case.version,
            "task-kitchen-checklist.dishes_ready": "yes",
            "task-kitchen-kitchen_note": "缺鸭肠",
        },
    )
    assert done.status_code == 302
    waiter = signed_in("waiter")
    stale = waiter.post(url(case, "task/floor_wait"), {"version": case.version})
    assert stale.status_code == 409
    case = fresh(case)
    ok = waiter.post(
        url(case, "task/floor_wait"),
        {
            "version": case.version,
            "task-floor_wait-checklist.towels_collected": "yes",
            "task-floor_wait-checklist.chair_covers_on": "yes",
        },
    )
    assert ok.status_code == 302 and fresh(case).step == "serve_dishes"


# -- assign, transfer, comment, work, clock, major --------------------------------------------------


def test_assign(world):
    case = at_repair(world)
    client = signed_in("dispatcher")
    html = text(client.get(url(case)))
    assert 'data-testid="person-technician"' in html and "工程部" in html
    tech = world.users["technician"].pk
    assert (
        client.post(url(case, "assign"), {"version": case.version, "assignee": tech}).status_code
        == 302
    )
    assert fresh(case).assignee_id == tech
    # Bad input: a person of another site.
    outsider = world.users["cc_agent"].pk
    bad = client.post(url(case, "assign"), {"version": fresh(case).version, "assignee": outsider})
    assert bad.status_code == 400 and fresh(case).assignee_id == tech
    # Stale: the version seen before the first assignment.
    stale = client.post(url(case, "assign"), {"version": case.version, "assignee": tech})
    assert stale.status_code == 409 and "此工单刚刚被 dispatcher 修改" in text(stale)


def test_assign_someone_else_is_forbidden_but_taking_it_oneself_is_not(world):
    case = at_repair(world)
    client = signed_in("technician")
    html = text(client.get(url(case)))
    assert 'data-testid="assign-form"' not in html and 'data-testid="take-myself"' in html
    other = world.users["dispatcher"].pk
    forbidden = client.post(url(case, "assign"), {"version": case.version, "assignee": other})
    assert forbidden.status_code == 403 and "只有工程部的调度员或经理可以指派此工单" in text(
        forbidden
    )
    mine = client.post(url(case, "assign"), {"version": case.version, "self": "1"}, **HTMX)
    assert mine.status_code == 200 and fresh(case).assignee_id == world.users["technician"].pk


def test_transfer(world):
    case = at_repair(world)
    client = signed_in("eng_manager")
    security = world.dept("lanting", "security").pk
    bad = client.post(
        url(case, "transfer"), {"version": case.version, "department": security, "note": ""}
    )
    assert bad.status_code == 400 and fresh(case).department.code == "engineering"
    ok = client.post(
        url(case, "transfer"), {"version": case.version, "department": security, "note": "涉及门禁"}
    )
    assert ok.status_code == 302 and fresh(case).department.code == "security"
    stale = client.post(
        url(case, "transfer"), {"version": case.version, "department": security, "note": "x"}
    )
    assert stale.status_code == 409


def test_comments_and_who_reads_internal_notes(world):
    case = at_repair(world)
    tech = signed_in("technician")
    assert (
        tech.post(url(case, "comment"), {"text": "  ", "visibility": "public"}).status_code == 400
    )
    assert (
        tech.post(
            url(case, "comment"), {"text": "阀门型号特殊,需订货", "visibility": "internal"}
        ).status_code
        == 302
    )
    assert (
        tech.post(url(case, "comment"), {"text": "已联系业主", "visibility": "public"}).status_code
        == 302
    )
    # The author's department and managers read the internal note …
    for persona in ("technician", "dispatcher", "sc_manager", "vp"):
        html = text(signed_in(persona).get(url(case)))
        assert "阀门型号特殊" in html and "已联系业主" in html, persona
    # … another department's staff only the public one, and that a note is hidden.
    html = text(signed_in("agent").get(url(case)))
    assert "已联系业主" in html and "阀门型号特殊" not in html
    assert 'data-testid="hidden-notes"' in html


def test_work_log(world):
    case = at_repair(world)
    client = signed_in("technician")
    labour = {
        "version": case.version,
        "kind": "labour",
        "description": "拆装水龙头",
        "hours": "1.5",
    }
    assert client.post(url(case, "work"), labour).status_code == 302
    part = {"version": case.version, "kind": "part", "description": "阀芯", "unit_price": "35"}
    bad = client.post(url(case, "work"), part)
    assert bad.status_code == 400 and "必填" in text(bad)
    part["quantity"] = "2"
    assert client.post(url(case, "work"), part, **HTMX).status_code == 200
    tool = {"version": case.version, "kind": "tool", "description": "管钳"}
    assert client.post(url(case, "work"), tool).status_code == 302
    rows = list(
        WorkLog.objects.filter(case=case).order_by("pk").values_list("kind", "hours", "quantity")
    )
    assert rows == [
        ("labour", Decimal("1.50"), None),
        ("part", None, Decimal("2.00")),
        ("tool", None, None),
    ]
    html = text(client.get(url(case)))
    assert "1.50" in html and "¥70.00" in html  # hours and parts totals


def test_pause_resume_and_major(world):
    case = at_repair(world)
    client = signed_in("technician")
    assert (
        client.post(url(case, "resume"), {"version": case.version}).status_code == 400
    )  # not paused
    assert (
        client.post(url(case, "pause"), {"version": case.version, "reason": "等业主"}).status_code
        == 302
    )
    paused = fresh(case)
    assert paused.paused_at is not None
    assert client.post(url(case, "pause"), {"version": case.version}).status_code == 409
    assert client.post(url(case, "resume"), {"version": paused.version}).status_code == 302
    assert fresh(case).paused_at is None
    assert client.post(url(case, "major"), {"version": "x"}).status_code == 400
    assert client.post(url(case, "major"), {"version": fresh(case).version}).status_code == 302
    assert fresh(case).is_major
    assert 'data-testid="major-badge"' in text(client.get(url(case)))


def test_closed_case_offers_only_comments(world):
    case = open_repair(world)
    actions.take_transition(
        world.actor("agent"),
        case.pk,
        "cancel",
        version=case.version,
        form={"cancel_reason": "业主自行修好"},
    )
    client = signed_in("agent")
    html = text(client.get(url(case)))
    assert "工单已结束" in html and 'data-testid="comment-form"' in html
    assert 'data-testid="work-form"' not in html and 'data-testid="pause-form"' not in html
    response = client.post(url(case, "pause"), {"version": fresh(case).version})
    assert response.status_code == 400 and "工单已关闭" in text(response)


def test_gets_never_change_anything(world):
    case = at_repair(world)
    client = signed_in("technician")
    for action in ("take/complete", "assign", "comment", "work", "pause", "resume", "major"):
        assert client.get(url(case, action)).status_code == 405


def test_only_the_moves_own_fields_when_the_step_is_someone_elses(world):
    case = at_repair(world)
    html = text(signed_in("dispatcher").get(url(case)))  # may only make the repair wait
    assert 'data-testid="take-wait_for_owner"' in html and "take-complete" not in html
    assert "检查结果与原因" not in html and 'data-testid="checklist"' not in html
    assert "等待原因" in html
