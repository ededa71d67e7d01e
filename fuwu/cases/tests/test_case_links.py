"""A complaint that names the case it is about (`type: case`): through the API and on the page."""

from __future__ import annotations

from fuwu.cases.models import Case
from fuwu.web.tests.casesetup import signed_in

REPAIR = {
    "procedure": "property_repair",
    "site": "lanting",
    "channel": "phone",
    "title": "厨房水管漏水",
    "data": {"repair_item": "厨房水管漏水", "location": "厨房水槽下", "service_type": "free"},
}
CAR = {
    "procedure": "toyota_seven_step",
    "site": "dealer",
    "channel": "phone",
    "title": "粤B·3K5X8 保养",
    "data": {"plate_no": "粤B·3K5X8", "customer_request": "保养"},
}


def complaint(world, related):
    return {
        "procedure": "complaint",
        "site": "lanting",
        "channel": "phone",
        "title": "漏水修了三次还在漏",
        "customer_id": world.customers["owner"].pk,
        "data": {
            "complaint_content": "厨房水管修过后又漏",
            "complainant_name": "王芳",
            "related_case": related,
        },
    }


def test_a_complaint_names_the_repair_by_its_number(world, api):
    agent = api("agent")
    repair = agent.post("/api/cases", REPAIR).json()
    r = agent.post("/api/cases", complaint(world, repair["number"]))
    assert r.status_code == 201, r.json()
    case = r.json()
    assert case["data"]["related_case"] == repair["id"]  # stored as the id
    # The id is accepted too.
    r = agent.post("/api/cases", complaint(world, repair["id"]))
    assert r.status_code == 201 and r.json()["data"]["related_case"] == repair["id"]
    # The case page links to it.
    page = signed_in("agent").get(f"/cases/{case['id']}/").content.decode()
    assert 'data-testid="case-link"' in page
    assert f'href="/cases/{repair["id"]}/"' in page and repair["number"] in page


def test_a_case_that_is_not_there_or_elsewhere_is_refused(world, api):
    agent = api("agent")
    repair = agent.post("/api/cases", REPAIR).json()
    car = api("engineer").post("/api/cases", CAR).json()
    before = Case.objects.count()
    day, _, pk = repair["number"].partition("-")
    wrong_day = f"{int(day) - 1}-{pk}"
    for related in [car["number"], car["id"], "20261203-999999", wrong_day, "漏水那次"]:
        r = agent.post("/api/cases", complaint(world, related))
        assert r.status_code == 400, (related, r.json())
        assert r.json()["details"]["fields"]["related_case"].startswith(
            "应为本项目中您可查看的工单编号"
        )
    r = api("agent", "en").post("/api/cases", complaint(world, car["number"]))
    assert (
        "Must be the number of a case of this site" in r.json()["details"]["fields"]["related_case"]
    )
    assert Case.objects.count() == before
