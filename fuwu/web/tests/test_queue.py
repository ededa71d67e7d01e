"""The queue page: the API's CaseFilter from the query string, htmx fragment, access, query
counts, bad values, saved filters."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.customers.models import Customer
from fuwu.web.models import SavedFilter

# The page's own queries differ by database: it runs on PostgreSQL too.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

REPAIR = {"repair_item": "灯", "service_type": "free"}


def repair(world: Any, title: str = "灯不亮", **kw: Any) -> Case:
    kw.setdefault("customer_id", world.customers["owner"].pk)
    kw.setdefault("asset_id", world.assets["unit"].pk)
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel=kw.pop("channel", "phone"),
        title=title,
        data=dict(REPAIR),
        **kw,
    )


def to_dispatch(world: Any, case: Case) -> Case:
    return actions.take_transition(
        world.actor("agent"),
        case.pk,
        "issue_work_order",
        version=case.version,
        form={"details_confirmed": True},
    )


def dealer_case(world: Any) -> Case:
    return actions.open_case(
        world.actor("cc_agent"),
        procedure_key="after_sales_call_center",
        site_id=world.sites["dealer"].pk,
        channel="phone",
        title="车门异响",
        customer_id=world.customers["driver"].pk,
        asset_id=world.assets["car"].pk,
        data=_dealer_data(),
    )


def _dealer_data() -> dict[str, Any]:
    from fuwu.procedures.registry import current_version, definition_of

    version = current_version("after_sales_call_center")
    assert version is not None
    procedure = definition_of(version)
    data: dict[str, Any] = {}
    for f in procedure.fields:
        if f.required:
            data[f.key] = f.options[0].value if f.options else "x"
    return data


def signed_in(world: Any, persona: str) -> Client:
    client = Client()
    client.force_login(world.users[persona])
    return client


def numbers(response: Any) -> list[str]:
    """The case numbers of the rows shown, in order."""
    ids = [
        int(i)
        for i in re.findall(r'data-testid="case-row" data-case="(\d+)"', response.content.decode())
    ]
    by_id = {c.pk: c.number for c in Case.objects.filter(pk__in=ids)}
    return [by_id[i] for i in ids]


def test_sign_in_required_and_customers_go_to_their_portal(world):
    response = Client().get("/queue/?status=open")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/queue/")
    user = get_user_model().objects.create_user("owner", password="pw-owner")
    Customer.objects.filter(pk=world.customers["owner"].pk).update(user=user)
    client = Client()
    client.force_login(user)
    assert client.get("/queue/")["Location"] == "/portal/"
    assert client.post("/queue/filters/", {"name": "x", "query": ""}).status_code == 302
    assert not SavedFilter.objects.exists()


def test_lists_cases_with_their_columns(world):
    case = repair(world, "卫生间漏水", priority="urgent")
    actions.assign(
        world.actor("sc_manager"), case.pk, assignee_id=world.users["agent2"].pk, version=1
    )
    response = signed_in(world, "agent").get("/queue/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in [case.number, "卫生间漏水", "物业报修", "接待受理", "处理中", "紧急", "王芳"]:
        assert text in html, text
    assert "3栋2单元1502" in html and "客服中心" in html and "agent2" in html
    assert f'href="/cases/{case.pk}/"' in html
    assert 'class="deadline deadline-' in html


def test_row_texts_are_escaped_and_labels_in_the_readers_language(world):
    """The rows are written in Python (`case_rows`): every text a person typed is escaped."""
    repair(world, '<script>alert("x")</script> & 灯', priority="urgent", is_major=True)
    html = signed_in(world, "agent").get("/queue/").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 灯" in html
    assert 'class="badge priority-urgent">紧急<' in html and ">重大</span>" in html
    english = signed_in(world, "agent").get("/queue/", HTTP_ACCEPT_LANGUAGE="en")
    page = english.content.decode()
    assert 'class="badge priority-urgent">Urgent<' in page and 'data-label="Customer"' in page


def test_the_filters_show_what_is_chosen(world):
    """The filter selects are written in Python (`options`): the chosen values are selected,
    one value or several, and the rest are not."""
    repair(world)
    client = signed_in(world, "agent")
    html = client.get(
        "/queue/?status=open&status=waiting&priority=high&procedure=property_repair"
    ).content.decode()
    for value in ("open", "waiting", "high", "property_repair"):
        assert f'<option value="{value}" selected>' in html, value
    for value in ("closed", "urgent", "complaint"):
        assert f'<option value="{value}">' in html, value
    assert html.count("selected>") >= 4


def test_closed_cases_show_no_deadline(world):
    case = repair(world)
    actions.take_transition(
        world.actor("agent"),
        case.pk,
        "cancel",
        version=case.version,
        form={"cancel_reason": "重复"},
    )
    response = signed_in(world, "agent").get("/queue/?open=false")
    assert response.status_code == 200
    assert numbers(response) == [case.number] and "已取消" in response.content.decode()


def test_other_sites_cases_never_appear(world):
    ours = repair(world)
    theirs = dealer_case(world)
    agent = signed_in(world, "agent")
    assert numbers(agent.get("/queue/")) == [ours.number]
    for query in [f"q={theirs.number}", "site=dealer", "q=李强", "q=粤B"]:
        response = agent.get(f"/queue/?{query}")
        assert response.status_code == 200
        assert numbers(response) == [], query
    # Their own staff see it; the choice lists name only sites one may see.
    dealer = signed_in(world, "cc_agent")
    html = dealer.get("/queue/").content.decode()
    assert theirs.number in html and ours.number not in html
    assert "兰亭苑" not in html


def test_filters(world):
    a = repair(world, "灯不亮", priority="high")
    b = repair(world, "门锁坏了", channel="wechat")
    to_dispatch(world, b)
    c = repair(world, "空调不制冷", customer_id=None, asset_id=None)
    actions.assign(world.actor("agent"), c.pk, assignee_id=world.users["agent"].pk, version=1)
    actions.flag_major(world.actor("agent"), a.pk, version=1)
    agent = signed_in(world, "agent")

    def found(query: str) -> set[str]:
        response = agent.get("/queue/?" + query)
        assert response.status_code == 200, query
        return set(numbers(response))

    assert found("q=门锁") == {b.number}
    assert found("q=1381234") == {a.number, b.number}  # phone
    assert found("q=3栋2单元") == {a.number, b.number}  # unit
    assert found(f"q={c.number}") == {c.number}
    assert found("channel=wechat") == {b.number}
    assert found("priority=high") == {a.number}
    assert found("assignee=me") == {c.number}
    assert found("assignee=none") == {a.number, b.number}
    assert found("assignee=agent") == {c.number}
    assert found("major=true") == {a.number}
    assert found("procedure=property_repair&step=dispatch") == {b.number}
    assert found("department=engineering") == {b.number}
    assert found("status=open&open=true&site=lanting") == {a.number, b.number, c.number}
    assert found("open=false") == set()
    assert found("overdue=true") == set()
    # Empty values (a form sends every field) mean "any".
    assert found("q=&status=&step=&priority=&overdue=") == {a.number, b.number, c.number}


def test_step_choices_follow_the_procedure_in_the_reader_language(world):
    agent = signed_in(world, "agent")
    html = agent.get("/queue/").content.decode()
    assert "先选择服务程序" in html and "物业报修" in html
    html = agent.get("/queue/?procedure=property_repair").content.decode()
    assert '<option value="dispatch"' in html and "派工" in html
    agent.post("/language/", {"language": "en"})
    repair(world)
    html = agent.get("/queue/?procedure=property_repair").content.decode()
    assert "Property repair" in html and "Dispatch" in html and "Reception" in html
    assert "Select a procedure first" not in html


def test_sorting_and_paging(world):
    cases = [repair(world, f"报修{i}") for i in range(7)]
    agent = signed_in(world, "agent")
    first = agent.get("/queue/?page_size=3")
    assert numbers(first) == [c.number for c in reversed(cases[-3:])]
    html = first.content.decode()
    assert "共 7 个工单" in html and "第 1 / 3 页" in html and "page=2" in html
    last = agent.get("/queue/?page_size=3&page=3&ordering=-created")
    assert numbers(last) == [cases[0].number]
    oldest = agent.get("/queue/?page_size=3&ordering=created")
    assert numbers(oldest) == [c.number for c in cases[:3]]
    beyond = agent.get("/queue/?page=40")
    assert beyond.status_code == 200 and "没有符合条件的工单" in beyond.content.decode()


def test_invalid_values_give_a_message_and_the_rest_still_applies(world):
    a = repair(world, "灯不亮", priority="high")
    repair(world, "门锁坏了")
    agent = signed_in(world, "agent")
    response = agent.get(
        "/queue/?status=bogus&priority=high&ordering=sideways&page=abc&overdue=perhaps"
    )
    assert response.status_code == 200
    html = response.content.decode()
    for label in ["状态", "排序", "页码", "已超时"]:
        assert f"筛选条件“{label}”的值无效，已忽略。" in html, label
    assert numbers(response) == [a.number]
    long = agent.get("/queue/?q=" + "x" * 101)
    assert long.status_code == 200 and "搜索" in long.content.decode()
    agent.post("/language/", {"language": "en"})
    html = agent.get("/queue/?channel=pigeon").content.decode()
    assert "The value of the filter “Channel” is not valid and was ignored." in html


def test_htmx_gets_the_table_fragment_and_a_clean_url(world):
    case = repair(world)
    agent = signed_in(world, "agent")
    response = agent.get(
        "/queue/?q=&status=open&procedure=property_repair&step=&page=1", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="queue-results"' in html and case.number in html
    assert response["HX-Push-Url"] == "/queue/?status=open&procedure=property_repair"
    assert 'id="queue-steps" hx-swap-oob="true"' in html  # step choices follow the procedure
    assert 'id="saved-filters" class' in html and 'hx-swap-oob="true"' in html
    # Going back in the browser asks for the whole page again.
    restore = agent.get(
        "/queue/?status=open", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restore.content.decode()


@pytest.mark.parametrize("rows", [5, 50])
def test_a_fixed_number_of_queries_whatever_the_rows(world, rows, django_assert_max_num_queries):
    for i in range(rows):
        case = repair(world, f"报修{i}", priority=["urgent", "normal"][i % 2])
        if i % 3 == 0:
            case = to_dispatch(world, case)
        if i % 2:
            actions.assign(
                world.actor("sc_manager" if i % 3 else "dispatcher"),
                case.pk,
                assignee_id=world.users["agent2" if i % 3 else "technician"].pk,
                version=None,
            )
    agent = signed_in(world, "agent")
    SavedFilter.objects.create(user=world.users["agent"], name="紧急", query="priority=urgent")
    agent.get("/queue/")  # warm the per-process caches (actor, definitions) as a server would
    with django_assert_max_num_queries(14):
        response = agent.get("/queue/?page_size=50&procedure=property_repair")
    assert len(numbers(response)) == rows
    with django_assert_max_num_queries(12):
        response = agent.get("/queue/?page_size=50", HTTP_HX_REQUEST="true")
    assert len(numbers(response)) == rows


def test_saved_filters(world):
    a = repair(world, "灯不亮", priority="high")
    repair(world, "门锁坏了")
    agent = signed_in(world, "agent")
    response = agent.post(
        "/queue/filters/", {"name": "高优先级", "query": "?priority=high&page=3&q="}
    )
    assert response.status_code == 302 and response["Location"] == "/queue/?priority=high"
    saved = SavedFilter.objects.get(user=world.users["agent"])
    assert (saved.name, saved.query) == ("高优先级", "priority=high")
    html = agent.get("/queue/").content.decode()
    assert 'href="/queue/?priority=high"' in html and "高优先级" in html
    assert numbers(agent.get("/queue/?" + saved.query)) == [a.number]
    # The same name again replaces its query.
    agent.post("/queue/filters/", {"name": "高优先级", "query": "priority=high&major=true"})
    assert SavedFilter.objects.get(pk=saved.pk).query == "priority=high&major=true"
    # htmx: the list comes back as a fragment.
    fragment = agent.post(
        "/queue/filters/", {"name": "微信", "query": "channel=wechat"}, HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200 and "微信" in fragment.content.decode()
    # Bad input is refused with a message and saves nothing.
    bad = agent.post(
        "/queue/filters/", {"name": "坏", "query": "status=bogus"}, HTTP_HX_REQUEST="true"
    )
    assert "筛选条件无效，未保存。" in bad.content.decode()
    empty = agent.post("/queue/filters/", {"name": " ", "query": ""}, HTTP_HX_REQUEST="true")
    assert "请填写名称" in empty.content.decode()
    assert SavedFilter.objects.filter(user=world.users["agent"]).count() == 2
    # Filters are per user: nobody else sees or deletes them.
    other = signed_in(world, "agent2")
    assert "高优先级" not in other.get("/queue/").content.decode()
    assert other.post(f"/queue/filters/{saved.pk}/delete/").status_code == 302
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    assert agent.get(f"/queue/filters/{saved.pk}/delete/").status_code == 405
    agent.post(f"/queue/filters/{saved.pk}/delete/")
    assert not SavedFilter.objects.filter(pk=saved.pk).exists()


def test_dashboard_filters_without_a_control_are_kept_and_shown(world):
    repair(world)
    html = (
        signed_in(world, "agent").get("/queue/?created_from=2020-01-01&open=true").content.decode()
    )
    assert 'type="hidden" name="created_from" value="2020-01-01"' in html
    assert "受理日期起: 2020-01-01" in html


def test_priority_sorts_by_urgency_not_alphabet(world):
    from fuwu.cases.queries import CaseFilter, cases_for
    from fuwu.web.tests.casesetup import open_repair

    made = [open_repair(world) for _ in range(4)]
    from fuwu.cases.models import Case

    for case, priority in zip(made, ("low", "urgent", "normal", "high"), strict=True):
        Case.objects.filter(pk=case.pk).update(priority=priority)
    actor = world.actor("agent")
    ranked = CaseFilter(ordering="-priority").apply(cases_for(actor), actor)
    assert [c.priority for c in ranked] == ["urgent", "high", "normal", "low"]
    ranked = CaseFilter(ordering="priority").apply(cases_for(actor), actor)
    assert [c.priority for c in ranked] == ["low", "normal", "high", "urgent"]


def test_the_filter_choices_follow_a_change_to_the_organisation_at_once(world):
    """The people, department and site choices are kept in the organisation's cache
    (`org_cached`): a new colleague, a renamed site or department shows on the next page."""
    from fuwu.core.models import Staff

    case = repair(world)
    client = signed_in(world, "vp")  # of every site: the site filter is shown
    before = client.get("/queue/").content.decode()
    assert "新来的小王" not in before and "兰亭苑二期" not in before
    desk = case.department
    desk.name = "客户服务部"
    desk.save()
    assert "客户服务部" in client.get("/queue/").content.decode()  # the case row's department
    user = get_user_model().objects.create_user("xiao.wang", password="x-Secret-9")
    newcomer = Staff.objects.create(
        user=user, display_name="新来的小王", department=world.dept("lanting", "engineering")
    )
    newcomer.sites.add(world.sites["lanting"])
    site = world.sites["lanting"]
    site.name = "兰亭苑二期"
    site.save()
    department = world.dept("lanting", "engineering")
    department.name = "工程维修部"
    department.save()
    html = client.get("/queue/").content.decode()
    assert "兰亭苑二期" in html, "site"
    assert "工程维修部" in html, "department"
    assert "新来的小王" in html, "person"
