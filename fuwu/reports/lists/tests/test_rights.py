"""Who reads which report (`fuwu.reports.lists.rights`): the rule itself, then the same answer
from every door — the pages, the `/reports/` index, the menu, the API and the exports — for a
manager, the finance clerk, a guard, an agent, a technician and a finance clerk of another site;
a clerk reads her own site's fees only; the lists' readers may subscribe to them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fuwu.cases.models import Case
from fuwu.core.actors import Actor
from fuwu.reports.lists import rights
from fuwu.reports.lists.tests.dataset import Data
from fuwu.reports.models import Subscription
from fuwu.testing.factories import World

# Every right once: on PostgreSQL when a PostgreSQL run goes beside the SQLite one (`make test`).
pytestmark = pytest.mark.postgres_once

LISTS = ("fees", "arrears", "fee-reports", "parking", "gas", "keys", "vacant", "surveys")
FEES = {"fees", "arrears", "fee-reports"}
EVERYTHING = set(rights.REPORTS)


def _actor(roles: set[str], *, superuser: bool = False) -> Actor:
    return Actor(
        user=None,
        roles=frozenset(roles),
        site_ids=frozenset({1}),
        department_id=None,
        superuser=superuser,
    )


@pytest.mark.parametrize(
    ("roles", "superuser", "reads"),
    [
        pytest.param({"manager"}, False, EVERYTHING, id="manager"),
        pytest.param({"vp", "manager"}, False, EVERYTHING, id="vp"),
        pytest.param({"specialist"}, False, EVERYTHING, id="specialist"),
        pytest.param(set(), True, EVERYTHING, id="superuser"),
        pytest.param({"finance"}, False, FEES, id="finance"),
        pytest.param({"security"}, False, {"parking", "keys"}, id="security"),
        pytest.param({"finance", "security"}, False, FEES | {"parking", "keys"}, id="both"),
        pytest.param({"agent", "dispatcher"}, False, set(), id="agent"),
        pytest.param({"technician", "qc"}, False, set(), id="technician"),
        pytest.param({"customer"}, False, set(), id="customer"),
    ],
)
def test_the_rule(roles: set[str], superuser: bool, reads: set[str]) -> None:
    actor = _actor(roles, superuser=superuser)
    assert set(rights.readable(actor)) == reads
    assert all(rights.may_read(actor, r) == (r in reads) for r in rights.REPORTS)
    assert not rights.may_read(actor, "no-such-report")


# Every door of each list: its pages (with their drill-downs) and its API endpoints.
DOORS: dict[str, tuple[str, ...]] = {
    "fees": ("/reports/lists/fees/", "/api/reports/lists/fees"),
    "arrears": ("/reports/lists/arrears/", "/api/reports/lists/fees/households"),
    "fee-reports": (
        "/reports/lists/fee-reports/",
        "/reports/lists/fee-reports/payments/",
        "/api/reports/lists/fee-report",
        "/api/reports/lists/fee-report/payments",
    ),
    "parking": ("/reports/lists/parking/", "/api/reports/lists/parking-expiring"),
    "gas": ("/reports/lists/gas/", "/api/reports/lists/gas-week"),
    "keys": ("/reports/lists/keys/", "/api/reports/lists/keys-overdue"),
    "vacant": ("/reports/lists/vacant/", "/api/reports/lists/vacant-units"),
    "surveys": (
        "/reports/lists/surveys/",
        "/reports/lists/surveys/households/",
        "/api/reports/lists/surveys",
        "/api/reports/lists/surveys/households",
    ),
}
# persona → the lists they read (each of their own site: 兰亭苑, or the dealer's for
# dealer_finance, who asks for 兰亭苑 below).
READS: dict[str, set[str]] = {
    "sc_manager": set(LISTS),
    "finance": FEES,
    "security": {"parking", "keys"},
    "agent": set(),
    "technician": set(),
    "dealer_finance": FEES,
}


def _client(world: World, persona: str, language: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    c.force_login(world.users[persona])
    return c


@pytest.mark.parametrize("persona", READS)
def test_every_door_answers_the_same(world: World, api: Any, persona: str) -> None:
    page, token = _client(world, persona), api(persona)
    site = {} if persona == "dealer_finance" else {"site": "lanting"}
    got: dict[str, int] = {}
    for report in LISTS:
        for path in DOORS[report]:
            answer = token.get(path, **site) if path.startswith("/api/") else page.get(path, site)
            got[path] = answer.status_code
            if answer.status_code == 403 and path.startswith("/api/"):
                assert answer.json()["message"] == "您没有权限执行此操作"
        got[f"export {report}"] = page.get(
            f"/reports/{report}/export/", {**site, "format": "csv"}
        ).status_code
    # The service levels' families stay the managers'.
    for report in rights.SERVICE_LEVELS:
        got[f"export {report}"] = page.get(
            f"/reports/{report}/export/", {**site, "format": "csv"}
        ).status_code
    want = {path: 200 if r in READS[persona] else 403 for r in LISTS for path in DOORS[r]}
    want |= {f"export {r}": 200 if r in READS[persona] else 403 for r in LISTS}
    manager = persona == "sc_manager"
    want |= {f"export {r}": 200 if manager else 403 for r in rights.SERVICE_LEVELS}
    assert got == want

    # The index lists what they may open (403 with nothing), the menu shows when it does.
    index = page.get("/reports/")
    assert index.status_code == (200 if READS[persona] else 403)
    listed = {r for r in rights.REPORTS if f'data-testid="report-index-{r}"' in index.text}
    assert listed == (EVERYTHING if manager else READS[persona])
    menu = page.get("/work/").text
    assert ('data-testid="reports-menu"' in menu) == bool(READS[persona])
    assert ('data-testid="quality-link"' in menu) == manager


def test_refusals_in_the_readers_language_and_other_sites(world: World, api: Any) -> None:
    guard = _client(world, "security", "en")
    refused = guard.get("/reports/lists/fees/")
    assert refused.status_code == 403 and "Access denied" in refused.text
    answer = api("security", "en").get("/api/reports/lists/gas-week")
    assert answer.status_code == 403
    assert answer.json()["message"] == "You are not allowed to do this"
    assert api("security", "en").get("/api/reports/gas/export").status_code == 403
    # Her own site only: 兰亭苑 is not one of the dealer's clerk's sites, nor in her menu.
    other = _client(world, "dealer_finance")
    assert other.get("/reports/lists/fees/", {"site": "lanting"}).status_code == 422
    assert api("dealer_finance").get("/api/reports/lists/fees", site="lanting").status_code == 422
    page = _client(world, "finance").get("/reports/lists/arrears/").text
    assert '<option value="lanting"' in page and '<option value="dealer"' not in page


def test_a_clerk_reads_her_own_sites_fees_only(world: World, data: Data, api: Any) -> None:
    # One of the notices belongs to the dealer's site instead.
    moved = data.fees["f2"]
    Case.objects.filter(pk=moved.pk).update(site=world.sites["dealer"])
    ours = {c.pk for k, c in data.fees.items() if k not in ("november", "f2")}

    def cases(persona: str, **params: str) -> set[int]:
        body = api(persona).get("/api/reports/lists/fees/households", state="all", **params)
        assert body.status_code == 200, body.content
        return {i["case_id"] for i in body.json()["items"]}

    assert cases("finance") == cases("finance", site="lanting") == ours
    assert cases("dealer_finance") == {moved.pk}
    assert cases("sc_manager") == ours  # 兰亭苑's manager: the same site
    assert cases("vp") == ours | {moved.pk}  # every site
    paid = api("finance").get("/api/reports/lists/fee-report/payments").json()
    assert moved.pk not in {p["case_id"] for p in paid["items"]} and paid["count"] == 3
    assert api("finance").get("/api/reports/lists/fees", site="dealer").status_code == 422


def test_the_lists_readers_subscribe_to_them(world: World, api: Any) -> None:
    clerk = api("finance")
    made = clerk.post("/api/reports/subscriptions", {"report": "fee_reports", "frequency": "daily"})
    assert made.status_code == 201, made.content
    refused = clerk.post("/api/reports/subscriptions", {"report": "gas", "frequency": "weekly"})
    assert refused.status_code == 403
    assert [s["report"] for s in clerk.get("/api/reports/subscriptions").json()] == ["fee_reports"]
    assert api("agent").get("/api/reports/subscriptions").status_code == 403
    guard = _client(world, "security")
    assert guard.get("/reports/subscriptions/").status_code == 200
    guard.post("/reports/subscriptions/", {"report": "fees", "frequency": "weekly"})
    guard.post("/reports/subscriptions/", {"report": "keys", "frequency": "weekly"})
    assert list(
        Subscription.objects.filter(user=world.users["security"]).values_list("report", flat=True)
    ) == ["keys"]
    assert _client(world, "technician").get("/reports/subscriptions/").status_code == 403
