"""Accessibility: axe-core finds no critical or serious violation on the pages people work in.

The staff pages (the intake desk with a procedure chosen, the queue, a case page with its details,
timeline and actions, the dashboard) and the portal (the list, a request form, a case page), in
Chinese on a desktop and in English on a phone. axe-core is vendored for the tests only
(fuwu/testing/vendor/axe-core/); it is evaluated in the page by Playwright, which the page's CSP
(script-src 'self') does not block.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.core.models import Staff
from fuwu.customers.models import Customer
from fuwu.notifications.services import notify
from fuwu.portal.access import customer_actor
from fuwu.portal.tests.helpers import give_account, repair_until_return_visit
from fuwu.testing.factories import World
from fuwu.web.tests.casesetup import at_dispatch, move, open_repair

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "testing" / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")
VARIANTS = [
    pytest.param("zh-hans", False, id="zh-desktop"),
    pytest.param("en", True, id="en-phone"),
]

_RUN = """async () => {
  // label-content-name-mismatch is marked experimental in axe 4, so it is named to run.
  const result = await axe.run(document, {
    resultTypes: ['violations'],
    rules: {'label-content-name-mismatch': {enabled: true}},
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({
      target: n.target.join(' '), html: n.html.slice(0, 160),
      why: [...n.any, ...n.all, ...n.none].map(c => c.message).join('; '),
    })),
  }));
}"""


def audit(page: Any, what: str) -> list[str]:
    """Run axe on the page as it is now; one line per blocking violation and element."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated by the driver, so the page's script-src 'self' does not apply.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = []
    for violation in page.evaluate(_RUN):
        if violation["impact"] not in BLOCKING:
            continue
        for node in violation["nodes"]:
            found.append(
                f"{what}: [{violation['impact']}] {violation['id']} at {node['target']}"
                f" — {violation['help']} — {node['html']} — {node['why']}"
            )
    return found


def assert_clean(found: list[str]) -> None:
    found = list(dict.fromkeys(found))  # a page audited again (a panel opened) repeats itself
    for line in found:
        print(line)
    assert not found, "axe found critical or serious violations:\n" + "\n".join(found)


def _open_menu(page: Any, phone: bool) -> None:
    """On a phone the menu is folded: open it so that its links are checked too."""
    toggler = page.locator(".navbar-toggler")
    if phone and toggler.count() and toggler.first.is_visible():
        toggler.first.click()
        page.wait_for_selector(".navbar-collapse.show")


@pytest.mark.parametrize(("language", "phone"), VARIANTS)
def test_staff_pages_have_no_serious_violation(
    web: Any, world: World, language: str, phone: bool
) -> None:
    case = at_dispatch(world)
    move(world, open_repair(world), "agent", "issue_work_order", {"details_confirmed": True})
    actions.comment(world.actor("agent"), case.pk, text="业主下午三点后在家。")
    # Unread notifications, so that the menu shows its count next to "Notifications".
    people = [world.users[p] for p in ("agent", "dispatcher", "sc_manager")]
    notify(people, case=case, kind="assigned", data={"number": case.number, "title": case.title})
    Staff.objects.filter(user__username__in=["agent", "dispatcher", "sc_manager"]).update(
        language=language
    )
    found: list[str] = []

    page = web.page(phone=phone, language="en-GB" if language == "en" else "zh-CN")
    web.login(page, "agent")
    page.goto("/intake/")
    page.fill("[data-testid=customer-search]", "1381234")
    page.wait_for_selector("[data-testid=customer-result]")
    found += audit(page, "intake search")
    page.click("[data-testid=customer-result]")
    page.wait_for_selector("[data-testid=selected-customer]")
    page.select_option("[data-testid=procedure]", "property_repair")
    page.wait_for_selector("[data-testid=field-repair_item]")
    page.wait_for_load_state("networkidle")
    found += audit(page, "intake")
    web.shot(page, "intake")

    page.goto("/queue/")
    found += audit(page, "queue")
    web.shot(page, "queue")
    # The menu: folded on a phone, opened to be read; the search box answering as one types.
    _open_menu(page, phone)
    page.fill("[data-testid=menu-search-input]", "王芳")
    page.wait_for_selector("[data-testid=menu-search-results] a")
    found += audit(page, "menu")
    web.shot(page, "menu", full_page=False)

    dispatcher = web.page(phone=phone, language="en-GB" if language == "en" else "zh-CN")
    web.login(dispatcher, "dispatcher")
    dispatcher.goto(f"/cases/{case.pk}/")
    dispatcher.wait_for_load_state("networkidle")
    found += audit(dispatcher, "case")
    web.shot(dispatcher, "case")
    # The folded action panels (assign, note, transfer, clock), each opened in turn.
    panels = dispatcher.locator("#case-actions [data-bs-toggle=collapse]")
    for target in [panels.nth(i).get_attribute("data-bs-target") for i in range(panels.count())]:
        dispatcher.click(f"#case-actions [data-bs-target='{target}']")
        dispatcher.wait_for_selector(f"{target}.show:not(.collapsing)")
        found += audit(dispatcher, "case")  # the same page: repeats are dropped

    manager = web.page(phone=phone, language="en-GB" if language == "en" else "zh-CN")
    web.login(manager, "sc_manager")
    manager.goto("/dashboard/")
    manager.wait_for_selector("[data-testid=trend-chart][data-drawn=true] canvas")
    found += audit(manager, "dashboard")
    web.shot(manager, "dashboard")

    assert_clean(found)
    assert page.js_errors == [] and dispatcher.js_errors == [] and manager.js_errors == []


@pytest.mark.parametrize(("language", "phone"), VARIANTS)
def test_portal_pages_have_no_serious_violation(
    web: Any, world: World, language: str, phone: bool
) -> None:
    owner = world.customers["owner"]
    Customer.objects.filter(pk=owner.pk).update(language=language)
    give_account(owner, "13812345678", "Owner-pass-1")

    def request(title: str) -> Case:
        return actions.open_case(
            customer_actor(owner),
            procedure_key="property_repair",
            site_id=owner.site_id,
            channel="web",
            title=title,
            customer_id=owner.pk,
            data={"repair_item": title, "service_type": "free"},
        )

    case = request("厨房漏水")
    # One done, confirmed and rated: the page then shows its stars and the finished progress.
    done = repair_until_return_visit(world, request("卫生间灯不亮").pk)
    actions.confirm_completion(customer_actor(owner), done.pk)
    actions.rate_case(customer_actor(owner), done.pk, score=4, comment="师傅很准时")
    found: list[str] = []
    page = web.page(phone=phone, language="en-GB" if language == "en" else "zh-CN")
    page.goto("/portal/login/")
    if language == "en" and page.locator("[data-testid=language-en]").count():
        web.to_english(page)
    found += audit(page, "portal login")
    page.fill("#id_login", "13812345678")
    page.fill("#id_password", "Owner-pass-1")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/portal/")
    found += audit(page, "portal list")
    web.shot(page, "portal-list")

    page.goto("/portal/new/property_repair/")
    found += audit(page, "portal request form")
    web.shot(page, "portal-form")

    page.goto(f"/portal/cases/{case.pk}/")
    found += audit(page, "portal case")
    web.shot(page, "portal-case")

    page.goto(f"/portal/cases/{done.pk}/")
    found += audit(page, "portal rated case")
    web.shot(page, "portal-rated-case")

    assert_clean(found)
    assert page.js_errors == []
