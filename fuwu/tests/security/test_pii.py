"""Personal data under PIPL (issue 9, item 4), through the pages and the API as people use them:
masks per role, the phone-fragment oracle refused, reveals logged and shown to managers, and the
retention period anonymising closed cases with `events verify` still clean.

Who is who (fuwu.testing.factories): at the lanting site `agent` (service centre) and the
managers see full details; `technician` (engineering) works the test case once it reaches the
visit step, and reveals; `security` and `finance` never work it and see masks.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from fuwu.cases import actions
from fuwu.cases.models import Case, Event
from fuwu.customers.masks import ANONYMISED
from fuwu.customers.models import Customer, RecordChange, RevealLog
from fuwu.procedures.registry import sync_library
from fuwu.web.tests.casesetup import signed_in

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}

PHONE, ID_NO = "13900001111", "110101199003071234"
ADDRESS = "北京市朝阳区建国路88号3栋"
COMPANION_PHONE = "13700002222"

PII_YAML = textwrap.dedent("""
    key: test_pii
    name: {zh: 测试个人信息, en: Test personal data}
    seed: 测试
    owner: {department: service_center}
    start: reception
    fields:
      - {key: applicant_name, type: text, personal: name, label: {zh: 申请人, en: Applicant}}
      - {key: contact_phone, type: text, personal: phone, label: {zh: 联系电话, en: Phone}}
      - {key: id_no, type: text, personal: id_card, label: {zh: 证件号码, en: ID number}}
      - {key: address, type: text, personal: address, label: {zh: 上门地址, en: Address}}
      - {key: request, type: text, label: {zh: 需求, en: Request}}
      - key: companions
        type: lines
        label: {zh: 同行人员, en: Companions}
        columns:
          - {key: name, type: text, personal: name, label: {zh: 姓名, en: Name}}
          - {key: phone, type: text, personal: phone, label: {zh: 电话, en: Phone}}
    steps:
      reception:
        kind: task
        name: {zh: 受理, en: Reception}
        owner: {department: service_center}
        transitions:
          - key: send
            to: visit
            label: {zh: 派工, en: Send}
            roles: [agent]
            fields:
              - {key: id_no, type: text, personal: id_card, label: {zh: 证件号码, en: ID number}}
      visit:
        kind: task
        name: {zh: 上门, en: Visit}
        owner: {department: engineering}
        transitions:
          - {key: finish, to: done, label: {zh: 完成, en: Finish}, roles: [technician]}
      done: {kind: end, name: {zh: 完成, en: Done}}
""")


@pytest.fixture
def pii_procedure(world: Any, tmp_path: Path) -> None:
    (tmp_path / "test_pii.yaml").write_text(PII_YAML, encoding="utf-8")
    result = sync_library([tmp_path])
    assert not result.problems, result.problems


def open_pii(world: Any, customer: Customer | None = None) -> Case:
    return actions.open_case(
        world.actor("agent"),
        procedure_key="test_pii",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="上门核实",
        customer_id=(customer or world.customers["owner"]).pk,
        data={
            "applicant_name": "张伟",
            "contact_phone": PHONE,
            "id_no": ID_NO,
            "address": ADDRESS,
            "request": "更换门锁",
            "companions": [{"name": "李娜", "phone": COMPANION_PHONE}],
        },
    )


def move(world: Any, case: Case, persona: str, key: str, **form: Any) -> Case:
    case = Case.objects.get(pk=case.pk)
    return actions.take_transition(
        world.actor(persona), case.pk, key, version=case.version, form=form
    )


def at_visit(world: Any, customer: Customer | None = None) -> Case:
    """At the technician's visit; the agent confirmed the ID number on the way (an event's
    values carry it)."""
    return move(world, open_pii(world, customer), "agent", "send", id_no=ID_NO)


FULL_VALUES = (PHONE, ID_NO, ADDRESS, COMPANION_PHONE, "13812345678", "wang@example.com")


def assert_masked(text: str) -> None:
    for value in FULL_VALUES:
        assert value not in text, value


# -- /api/customers -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["technician", "security", "finance", "dispatcher"])
def test_customers_api_masks_phone_and_email_for_roles_that_do_not_need_them(world, api, persona):
    owner = world.customers["owner"]
    one = api(persona).get(f"/api/customers/{owner.pk}")
    assert one.status_code == 200
    assert (one.json()["phone"], one.json()["email"]) == ("138****5678", "w***@example.com")
    assert one.json()["masked"] is True
    found = api(persona).get("/api/customers", q="王芳")
    assert found.status_code == 200 and found.json()
    assert_masked(found.content.decode())


@pytest.mark.parametrize("persona", ["agent", "sc_manager", "eng_manager"])
def test_agents_and_managers_of_the_site_see_customers_in_full(world, api, persona):
    owner = world.customers["owner"]
    body = api(persona).get(f"/api/customers/{owner.pk}").json()
    assert (body["phone"], body["email"], body["masked"]) == (
        "13812345678",
        "wang@example.com",
        False,
    )


# -- the phone-fragment oracle ------------------------------------------------------------------


def test_a_phone_fragment_is_refused_with_a_clear_error(world, api):
    for q in ("13812", "138 12", "5678", "+86 138"):
        r = api("agent").get("/api/customers", q=q)
        assert r.status_code == 400, q
        assert r.json()["code"] == "phone_search_too_short"
        assert r.json()["message"] == "按电话号码查找请至少输入 7 位数字"
    english = api("agent", "en").get("/api/customers", q="13812")
    assert english.json()["message"] == "Searching by phone number needs at least 7 digits"
    # Seven digits or the whole number find the customer; so do a name and a unit (digits alone
    # read as a phone number here: /api/assets finds units by number).
    for q in ("1381234", "13812345678", "王芳", "2单元1502"):
        r = api("agent").get("/api/customers", q=q)
        assert [c["name"] for c in r.json()] == ["王芳"], q


def test_the_case_search_never_matches_a_phone_fragment(world, api, pii_procedure):
    case = open_pii(world)

    def found(q: str) -> list[int]:
        r = api("agent").get("/api/cases", q=q)
        assert r.status_code == 200
        return [row["id"] for row in r.json()["results"]]

    assert found("13812") == [] and found("5678") == []
    assert found("1381234") == [case.pk] and found("13812345678") == [case.pk]
    page = signed_in("agent").get("/queue/", {"q": "13812"}).content.decode()
    assert 'data-testid="phone-too-short"' in page and case.number not in page
    page = signed_in("agent").get("/queue/", {"q": "13812345678"}).content.decode()
    assert case.number in page and 'data-testid="phone-too-short"' not in page


def test_the_intake_desk_does_not_find_customers_by_a_fragment(world):
    html = signed_in("agent").get("/intake/customers/", {"q": "13812"}).content.decode()
    assert "王芳" not in html and 'data-testid="phone-too-short"' in html


# -- the case page ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["security", "finance", "technician"])
def test_the_case_page_masks_personal_values_for_people_outside_the_case(
    world, pii_procedure, persona
):
    case = open_pii(world)  # at reception: the technician does not work it yet
    html = signed_in(persona).get(f"/cases/{case.pk}/").content.decode()
    assert_masked(html)  # values, the customer's phone, the timeline's opening entry
    assert "1101**********1234" in html and "139****1111" in html
    assert "北京市朝阳区****" in html and "137****2222" in html
    assert "138****5678" in html and "张伟" in html  # names are kept
    assert 'data-testid="reveal-' not in html  # nothing to reveal for them
    assert "tel:" not in html


def test_the_agent_sees_the_values_and_calls_with_a_tel_link(world, pii_procedure):
    case = open_pii(world)
    html = signed_in("agent").get(f"/cases/{case.pk}/").content.decode()
    assert ID_NO in html and PHONE in html and ADDRESS in html
    assert 'href="tel:13812345678"' in html
    assert 'data-testid="reveal-' not in html


def test_the_technician_working_the_case_reveals_in_one_click_and_it_is_logged(
    world, pii_procedure
):
    case = at_visit(world)
    tech = signed_in("technician")
    html = tech.get(f"/cases/{case.pk}/").content.decode()
    assert_masked(html)
    assert 'data-testid="reveal-customer.phone"' in html and 'data-testid="reveal-id_no"' in html
    assert 'data-testid="reveal-applicant_name"' not in html  # a name is shown, not revealed

    r = tech.post(f"/cases/{case.pk}/reveal/", {"field": "customer.phone"}, **HTMX)
    assert r.status_code == 200
    assert 'href="tel:13812345678"' in r.content.decode()
    r = tech.post(
        f"/cases/{case.pk}/reveal/", {"field": "id_no", "reason": "verify"}, **HTMX
    ).content.decode()
    assert ID_NO in r
    logs = list(RevealLog.objects.order_by("pk").values_list("field", "reason", "case_id"))
    assert logs == [("customer.phone", "contact", case.pk), ("id_no", "verify", case.pk)]
    log = RevealLog.objects.get(field="id_no")
    assert log.actor == world.users["technician"] and log.customer == world.customers["owner"]

    # The page itself stays masked; the log is for managers.
    assert_masked(tech.get(f"/cases/{case.pk}/").content.decode())
    assert 'data-testid="reveal-log"' not in tech.get(f"/cases/{case.pk}/").content.decode()
    manager = signed_in("eng_manager").get(f"/cases/{case.pk}/").content.decode()
    assert manager.count('data-testid="reveal-line"') == 2
    assert "technician 于" in manager and "查看了证件号码（核实身份）" in manager
    english = signed_in("sc_manager", "en").get(f"/cases/{case.pk}/").content.decode()
    assert "technician revealed ID number (Verify identity) at" in english


def test_a_reveal_without_htmx_answers_a_page_and_the_admin_lists_it(
    world, pii_procedure, admin_client
):
    case = at_visit(world)
    r = signed_in("technician").post(f"/cases/{case.pk}/reveal/", {"field": "address"})
    assert r.status_code == 200
    html = r.content.decode()
    assert ADDRESS in html and f'href="/cases/{case.pk}/"' in html and "<html" in html
    listing = admin_client.get("/admin/customers/reveallog/").content.decode()
    assert "technician" in listing and "address" in listing
    assert ADDRESS not in listing  # the log names the field, never the value
    owner = admin_client.get(f"/admin/customers/customer/{world.customers['owner'].pk}/change/")
    assert "个人信息查看记录" in owner.content.decode()


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_technician_reveals_and_calls_in_a_real_browser(web, world, pii_procedure):
    case = at_visit(world)
    page = web.page(phone=True)
    web.login(page, "technician")
    page.goto(f"/cases/{case.pk}/")
    assert PHONE not in page.content() and "13812345678" not in page.content()
    page.click('[data-testid="reveal-customer.phone"] button')
    page.wait_for_selector('[data-testid="revealed-customer.phone"]')
    link = page.locator('[data-testid="revealed-customer.phone"] a')
    assert link.get_attribute("href") == "tel:13812345678"
    web.shot(page, "pii-revealed-phone", full_page=False)
    assert page.js_errors == []
    assert RevealLog.objects.filter(case_id=case.pk, field="customer.phone").count() == 1


def test_people_outside_the_case_cannot_reveal(world, pii_procedure):
    case = at_visit(world)
    for persona in ("security", "finance"):
        r = signed_in(persona).post(f"/cases/{case.pk}/reveal/", {"field": "id_no"}, **HTMX)
        assert r.status_code == 403
        assert ID_NO not in r.content.decode()
    r = signed_in("cc_agent").post(f"/cases/{case.pk}/reveal/", {"field": "id_no"}, **HTMX)
    assert r.status_code == 404  # another site's case does not exist
    assert not RevealLog.objects.exists()


# -- the API: case detail, events, reveal -------------------------------------------------------


def test_case_detail_list_and_events_are_masked_in_the_api(world, api, pii_procedure):
    case = at_visit(world)
    for persona in ("security", "technician"):
        detail = api(persona).get(f"/api/cases/{case.pk}")
        assert detail.status_code == 200
        data = detail.json()["data"]
        assert data["id_no"] == "1101**********1234" and data["contact_phone"] == "139****1111"
        assert data["companions"] == [{"name": "李娜", "phone": "137****2222"}]
        assert data["request"] == "更换门锁"
        assert_masked(detail.content.decode())
        assert_masked(api(persona).get("/api/cases").content.decode())
        events = api(persona).get(f"/api/cases/{case.pk}/events")
        assert events.status_code == 200 and "1101**********1234" in events.content.decode()
        assert_masked(events.content.decode())
    full = api("agent").get(f"/api/cases/{case.pk}").json()["data"]
    assert full["id_no"] == ID_NO and full["companions"][0]["phone"] == COMPANION_PHONE


def test_reveal_through_the_api(world, api, pii_procedure):
    case = at_visit(world)
    owner = world.customers["owner"]
    tech = api("technician")
    r = tech.post(f"/api/cases/{case.pk}/reveal", {"field": "contact_phone", "reason": "visit"})
    assert r.status_code == 200
    assert (r.json()["value"], r.json()["tel"]) == (PHONE, f"tel:{PHONE}")
    r = tech.post(f"/api/customers/{owner.pk}/reveal", {"field": "email"})
    assert r.status_code == 200 and r.json()["value"] == "wang@example.com"
    assert r.json()["tel"] is None
    r = tech.post(f"/api/cases/{case.pk}/reveal", {"field": "companions"})
    assert r.json()["value"] == [{"name": "李娜", "phone": COMPANION_PHONE}]
    assert RevealLog.objects.filter(actor=world.users["technician"]).count() == 3

    refused = api("security").post(f"/api/cases/{case.pk}/reveal", {"field": "id_no"})
    assert refused.status_code == 403 and refused.json()["code"] == "reveal_not_allowed"
    refused = api("finance").post(f"/api/customers/{owner.pk}/reveal", {"field": "phone"})
    assert refused.status_code == 403
    bad = tech.post(f"/api/cases/{case.pk}/reveal", {"field": "request"})
    assert bad.status_code == 400 and "field" in bad.json()["details"]["fields"]
    assert RevealLog.objects.count() == 3  # refusals leave no row and no value


def test_a_closed_case_no_longer_justifies_a_reveal(world, api, pii_procedure):
    case = move(world, at_visit(world), "technician", "finish")
    assert case.is_closed
    r = api("technician").post(f"/api/cases/{case.pk}/reveal", {"field": "id_no"})
    assert r.status_code == 403


# -- exports --------------------------------------------------------------------------------------


def test_the_admin_customer_list_shows_masked_numbers(world, admin_client):
    # The only tabular listing of customers (there is no CSV or spreadsheet export).
    html = admin_client.get("/admin/customers/customer/").content.decode()
    assert "138****5678" in html and "13812345678" not in html


# -- retention ------------------------------------------------------------------------------------


def _closed_case(world: Any, customer: Customer, when: datetime) -> Case:
    with time_machine.travel(when, tick=False):
        return move(world, at_visit(world, customer), "technician", "finish")


def test_retention_anonymises_closed_cases_and_events_verify_stays_clean(
    world, pii_procedure, settings
):
    settings.FUWU_RETENTION_YEARS = 3
    lanting = world.sites["lanting"]
    with time_machine.travel(datetime(2022, 12, 1, tzinfo=UTC), tick=False):
        old = Customer.objects.create(
            site=lanting, name="赵敏", phone="13600003333", email="zhao@example.com"
        )
        kept = Customer.objects.create(site=lanting, name="孙丽", phone="13500004444")
    gone = _closed_case(world, old, datetime(2023, 1, 10, 9, tzinfo=UTC))
    recent = _closed_case(world, kept, datetime(2023, 1, 10, 9, tzinfo=UTC))
    _closed_case(world, kept, datetime(2025, 6, 1, 9, tzinfo=UTC))  # keeps 孙丽 herself
    young = _closed_case(world, world.customers["owner"], datetime(2024, 3, 1, 9, tzinfo=UTC))

    out = StringIO()
    with time_machine.travel(datetime(2026, 1, 11, 9, tzinfo=UTC), tick=False):
        call_command("privacy", "anonymise", "--dry-run", stdout=out)
        assert "would anonymise 2 case(s)" in out.getvalue()
        assert Case.objects.get(pk=gone.pk).data["id_no"] == ID_NO  # a dry run writes nothing
        call_command("privacy", "anonymise", stdout=out)
        assert "anonymised 2 case(s)" in out.getvalue() and "and 1 customer(s)" in out.getvalue()

    for case in (gone, recent):
        data = Case.objects.get(pk=case.pk).data
        assert data["id_no"] == data["contact_phone"] == data["applicant_name"] == ANONYMISED
        assert data["companions"] == [{"name": ANONYMISED, "phone": ANONYMISED}]
        assert data["request"] == "更换门锁"  # not personal: kept for the reports
        payloads = str(list(Event.objects.filter(case=case).values_list("data", flat=True)))
        assert ID_NO not in payloads and PHONE not in payloads and "张伟" not in payloads
    assert Case.objects.get(pk=young.pk).data["id_no"] == ID_NO  # closed within the period

    old.refresh_from_db()
    assert (old.name, old.phone, old.email) == (ANONYMISED, "", "")
    history = str(list(RecordChange.objects.filter(customer=old).values_list("changes")))
    assert "13600003333" not in history and "赵敏" not in history
    assert RecordChange.objects.filter(customer=old, action="anonymised").count() == 1
    kept.refresh_from_db()
    assert kept.phone == "13500004444"  # a case of hers closed within the period

    if connection.vendor == "postgresql":  # the append-only trigger is on again
        with pytest.raises(DatabaseError), transaction.atomic():
            Event.objects.filter(case=gone).update(data={})

    verify = StringIO()
    call_command("events", "verify", stdout=verify)
    assert "All cases agree with their events." in verify.getvalue()

    again = StringIO()  # a second run finds nothing more to do
    with time_machine.travel(datetime(2026, 1, 11, 9, tzinfo=UTC), tick=False):
        call_command("privacy", "anonymise", stdout=again)
    assert "anonymised 0 case(s) (0 event(s)) and 0 customer(s)" in again.getvalue()


def test_retention_zero_keeps_everything(world, pii_procedure, settings):
    settings.FUWU_RETENTION_YEARS = 0
    case = _closed_case(world, world.customers["owner"], datetime(2015, 1, 10, 9, tzinfo=UTC))
    out = StringIO()
    call_command("privacy", "anonymise", stdout=out)
    assert "kept" in out.getvalue()
    assert Case.objects.get(pk=case.pk).data["id_no"] == ID_NO
