"""Customer, unit and vehicle history at the intake desk and on the case page (fuwu.cases.history),
and the warning when the same unit already has an open case of the same procedure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from fuwu.cases import actions, history
from fuwu.cases.models import Case
from fuwu.testing.factories import World
from fuwu.web.tests.casesetup import open_repair, signed_in

# The page's own queries differ by database: it runs on PostgreSQL too.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

HTMX = {"HX-Request": "true"}
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _close(case: Case) -> None:
    # A finished case, as the history sees it; walking the whole procedure is other tests' job.
    Case.objects.filter(pk=case.pk).update(status="closed", closed_at=case.created_at)


def _complaint(world: World) -> Case:
    return actions.open_case(
        world.actor("agent"),
        procedure_key="complaint",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="噪音投诉",
        customer_id=world.customers["owner"].pk,
        data={"complaint_content": "楼上装修噪音", "complainant_name": "王芳"},
    )


def _panel(client: Any, world: World, **params: Any) -> str:
    query = {
        "site": world.sites["lanting"].pk,
        "customer": world.customers["owner"].pk,
        "asset": world.assets["unit"].pk,
        "procedure": "property_repair",
        **params,
    }
    page = client.get("/intake/history/", {k: v for k, v in query.items() if v is not None}, **HTMX)
    assert page.status_code == 200
    return page.content.decode()


def test_the_desk_warns_of_an_open_repair_on_the_same_unit(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        earlier = open_repair(world, repair_item="门锁")
        _close(earlier)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        still_open = open_repair(world)
    html = _panel(signed_in("agent"), world)
    assert 'data-testid="duplicate-warning"' in html
    assert f'href="/cases/{still_open.pk}/#act-comment"' in html
    assert still_open.number in html and earlier.number in html
    # Open ones first, then the earlier ones: the open repair is listed before the closed one.
    assert html.index(f'data-case="{still_open.pk}"') < html.index(f'data-case="{earlier.pk}"')


def test_no_warning_for_another_procedure_or_a_closed_case(world: World) -> None:
    repair = open_repair(world)
    client = signed_in("agent")
    html = _panel(client, world, procedure="complaint")
    assert "duplicate-warning" not in html
    assert repair.number in html  # the history is shown all the same
    _close(repair)
    html = _panel(client, world)
    assert "duplicate-warning" not in html
    assert 'data-testid="history-earlier"' in html


def test_without_an_asset_the_same_customers_open_case_is_the_duplicate(world: World) -> None:
    complaint = _complaint(world)
    html = _panel(signed_in("agent"), world, asset=None, procedure="complaint")
    assert 'data-testid="duplicate-warning"' in html and complaint.number in html


def test_a_customer_with_no_cases_has_an_empty_history(world: World) -> None:
    html = _panel(signed_in("agent"), world)
    assert 'data-testid="history-empty"' in html
    assert "duplicate-warning" not in html


def test_the_list_is_bounded_and_says_so(world: World) -> None:
    for i in range(history.LIMIT + 2):
        with time_machine.travel(T0 + timedelta(hours=i), tick=False):
            open_repair(world, repair_item=f"第{i}处")
    html = _panel(signed_in("agent"), world)
    assert html.count('data-testid="history-row"') == history.LIMIT
    assert "仅显示最近 10 张" in html


def test_the_panel_speaks_english(world: World) -> None:
    open_repair(world)
    html = _panel(signed_in("agent", "en"), world)
    assert "already has an open case of this kind" in html
    assert "Property repair" in html


def test_the_desk_loads_the_panel_and_submitting_anyway_opens_a_second_case(world: World) -> None:
    first = open_repair(world)
    client = signed_in("agent")
    owner = world.customers["owner"].pk
    page = client.get(f"/intake/?customer={owner}&procedure=property_repair").content.decode()
    assert 'hx-get="/intake/history/"' in page
    body = {
        "site": world.sites["lanting"].pk,
        "customer": owner,
        "procedure": "property_repair",
        "channel": "phone",
        "priority": "normal",
        "asset": world.assets["unit"].pk,
        "title": "卫生间漏水",
        "step-repair_item": "卫生间",
        "step-location": "卫生间",
        "step-service_type": "free",
        "step-details_confirmed": "yes",
    }
    answer = client.post("/intake/cases/", body)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert Case.objects.filter(asset=world.assets["unit"]).exclude(pk=first.pk).count() == 1


def test_the_case_page_shows_the_other_cases_of_its_customer_and_unit(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        earlier = open_repair(world, repair_item="门锁")
        _close(earlier)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        case = open_repair(world)
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        twin = open_repair(world)
    client = signed_in("agent")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="case-history"' in page
    assert f'hx-get="/cases/{case.pk}/history/"' in page
    html = client.get(f"/cases/{case.pk}/history/", **HTMX).content.decode()
    assert f'data-case="{case.pk}"' not in html  # not itself
    assert f'data-case="{earlier.pk}"' in html and f'data-case="{twin.pk}"' in html
    assert 'data-testid="duplicate-warning"' in html


def test_the_case_history_is_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    case = open_repair(world)
    for i in range(6):
        _close(open_repair(world, repair_item=f"第{i}处"))
    client = signed_in("agent")
    client.get(f"/cases/{case.pk}/history/", **HTMX)
    # session, user, the case, its ids, open, earlier, the duplicate, versions, departments, people
    with django_assert_max_num_queries(10):
        client.get(f"/cases/{case.pk}/history/", **HTMX)
