"""Case lists with filters, customers and assets, tokens from a browser session, procedures."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fuwu.cases import actions


def _open(world, title, *, priority="normal", customer=None, asset=None, site="lanting"):
    return actions.open_case(
        world.actor("agent" if site == "lanting" else "cc_agent"),
        procedure_key="property_repair" if site == "lanting" else "after_sales_call_center",
        site_id=world.sites[site].pk,
        channel="phone",
        title=title,
        priority=priority,
        customer_id=customer,
        asset_id=asset,
        data={"repair_item": title, "service_type": "free"}
        if site == "lanting"
        else {"request": title},
    )


def test_case_list_filters_search_and_pages(world, api):
    owner, unit = world.customers["owner"], world.assets["unit"]
    a = _open(world, "厨房漏水", priority="urgent", customer=owner.pk, asset=unit.pk)
    b = _open(world, "楼道灯坏")
    c = _open(world, "空调异响", site="dealer")
    actions.take_transition(
        world.actor("agent"),
        b.pk,
        "issue_work_order",
        version=b.version,
        form={"details_confirmed": True},
    )
    vp = api("vp")

    def ids(**params):
        r = vp.get("/api/cases", **params)
        assert r.status_code == 200, r.json()
        return [row["id"] for row in r.json()["results"]]

    assert ids() == [c.pk, b.pk, a.pk]  # newest first
    assert ids(ordering="created") == [a.pk, b.pk, c.pk]
    assert ids(step="dispatch") == [b.pk]
    assert ids(department="engineering") == [b.pk]
    assert ids(priority="urgent") == [a.pk]
    assert ids(site="dealer") == [c.pk]
    assert ids(procedure="after_sales_call_center") == [c.pk]
    assert ids(q="1381234") == [a.pk]  # customer phone (7 digits at least)
    assert ids(q="138123") == []  # a shorter fragment is never matched against phones
    assert ids(q="1502") == [a.pk]  # unit label
    assert ids(q="王芳") == [a.pk]
    assert ids(q=a.number) == [a.pk]
    assert ids(open="false") == []
    assert ids(overdue="true") == []
    assert ids(assignee="none") == [c.pk, b.pk, a.pk]
    page = vp.get("/api/cases", page_size=2, page=2).json()
    assert page["count"] == 3 and [r["id"] for r in page["results"]] == [a.pk]
    assert (page["has_next"], page["count_capped"]) == (False, False)
    first = vp.get("/api/cases", page_size=2).json()
    assert (first["count"], first["has_next"]) == (3, True)
    assert vp.get("/api/cases", page_size=500).status_code == 422
    assert vp.get("/api/cases", ordering="sideways").status_code == 422
    # Agents of the residential site see only its cases; phones are masked in lists.
    rows = api("agent").get("/api/cases").json()["results"]
    assert {r["id"] for r in rows} == {a.pk, b.pk}
    assert next(r for r in rows if r["id"] == a.pk)["customer"]["phone"] == "138****5678"


def test_case_list_query_count_does_not_grow_with_rows(world, api):
    for i in range(3):
        _open(world, f"报修 {i}")
    client = api("agent")
    client.get("/api/cases")  # warm caches (procedure definitions, actor)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/cases").status_code == 200
    for i in range(12):
        _open(world, f"更多报修 {i}")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/cases").status_code == 200
    assert len(many) == len(few) <= 8


def test_customers_and_assets(world, api):
    agent = api("agent")
    r = agent.post("/api/customers", {"site": "lanting", "name": "赵雷", "phone": "13700001111"})
    assert r.status_code == 201
    customer = r.json()
    r = agent.post(
        "/api/assets",
        {
            "site": "lanting",
            "kind": "unit",
            "label": "5栋1单元301",
            "owner_id": customer["id"],
            "attributes": {"area_m2": 89},
        },
    )
    assert r.status_code == 201
    asset = r.json()
    assert (
        agent.post(
            "/api/assets", {"site": "lanting", "kind": "unit", "label": "5栋1单元301"}
        ).status_code
        == 409
    )
    r = agent.post("/api/customers", {"site": "lanting", "name": "x", "phone": "call me"})
    assert r.status_code == 400
    assert "有效的电话号码" in r.json()["details"]["fields"]["phone"]
    assert (
        agent.post(
            "/api/assets", {"site": "lanting", "kind": "spaceship", "label": "x"}
        ).status_code
        == 422
    )
    assert agent.get(f"/api/customers/{customer['id']}").json()["name"] == "赵雷"
    assert [c["id"] for c in agent.get("/api/customers", q="1370000").json()] == [customer["id"]]
    assert [c["id"] for c in agent.get("/api/customers", q="5栋1单元").json()] == [customer["id"]]
    assert [a["id"] for a in agent.get("/api/assets", q="301", kind="unit").json()] == [asset["id"]]
    outsider = api("outsider")
    assert outsider.get(f"/api/customers/{customer['id']}").status_code == 404
    assert outsider.get(f"/api/assets/{asset['id']}").status_code == 404
    assert outsider.post("/api/customers", {"site": "lanting", "name": "x"}).status_code == 400


def test_a_logged_in_user_creates_and_revokes_tokens_with_csrf(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["agent"])
    assert (
        browser.post("/api/tokens", {"name": "脚本"}, content_type="application/json").status_code
        == 401
    )
    browser.get("/admin/login/")  # any page that sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    r = browser.post(
        "/api/tokens", {"name": "脚本"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert r.status_code == 201
    raw, prefix = r.json()["token"], r.json()["prefix"]
    assert Client().get("/api/cases", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    r = browser.post(
        f"/api/tokens/{prefix}/revoke", content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert Client().get("/api/cases", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_procedures_and_transitions_in_english(world, api):
    client = api("technician", "en")
    rows = {p["key"]: p for p in client.get("/api/procedures").json()}
    assert (
        rows["property_repair"]["name"] == "Property repair"
        and rows["property_repair"]["version"] == 1
    )
    detail = client.get("/api/procedures/property_repair").json()
    assert detail["definition"]["start"] == "reception"
    assert client.get("/api/procedures/nope").status_code == 404
    case = _open(world, "门锁坏")
    t = client.get(f"/api/cases/{case.pk}/transitions").json()
    assert t["step"]["name"] == "Reception"
    assert {x["key"]: (x["allowed"], x["reason"]) for x in t["transitions"]} == {
        "issue_work_order": (False, "role"),
        "notify_department": (False, "role"),
        "cancel": (False, "role"),
    }
    t = api("agent").get(f"/api/cases/{case.pk}/transitions").json()
    assert t["step"]["name"] == "接待受理"
    assert {x["key"]: x["allowed"] for x in t["transitions"]} == {
        "issue_work_order": True,
        "notify_department": True,  # its guard reads the reception form: judged on submission
        "cancel": True,
    }


def test_api_docs_load_nothing_from_the_internet(world, client):
    client.force_login(world.users["agent"])
    html = client.get("/api/docs").content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "http://" not in html and "https://" not in html


def test_internal_notes_follow_the_same_rule_in_the_api_as_on_the_page(world, api):
    """An internal note is read by its author's department and managers, not by other staff."""
    from fuwu.cases import actions
    from fuwu.web.tests.casesetup import open_repair

    case = open_repair(world)
    actions.comment(world.actor("agent"), case.pk, text="业主情绪激动，注意沟通", internal=True)
    actions.comment(world.actor("agent"), case.pk, text="已电话告知业主", internal=False)

    def texts(persona):
        response = api(persona).get(f"/api/cases/{case.pk}/events")
        assert response.status_code == 200
        return [e["data"].get("text") for e in response.json() if e["kind"] == "commented"]

    assert texts("agent2") == ["业主情绪激动，注意沟通", "已电话告知业主"]  # same department
    assert texts("sc_manager") == ["业主情绪激动，注意沟通", "已电话告知业主"]  # a manager
    assert texts("technician") == ["已电话告知业主"]  # engineering: not their note


def test_the_case_list_counts_like_the_queue_and_reads_each_procedure_once(world, api, monkeypatch):
    """The API list counts up to the cap the queue page uses (past it: "at least"), and its
    queries do not grow with the rows: each procedure version is read once per page."""
    from fuwu.cases import queries

    for i in range(4):
        _open(world, f"报修 {i}")
    _open(world, "空调异响", site="dealer")
    vp = api("vp")
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    page = vp.get("/api/cases", page_size=2).json()
    assert (page["count"], page["count_capped"], page["has_next"]) == (3, True, True)
    monkeypatch.setattr(queries, "COUNT_CAP", 1000)
    assert vp.get("/api/cases", page_size=2).json()["count"] == 5

    def queries_for(size):
        with CaptureQueriesContext(connection) as seen:
            assert len(vp.get("/api/cases", page_size=size).json()["results"]) == size
        versions = [q for q in seen.captured_queries if "procedures_procedureversion" in q["sql"]]
        return len(seen.captured_queries), len(versions)

    few, many = queries_for(1), queries_for(4)  # both with a next page, so both count
    assert few == many and many[1] == 1
