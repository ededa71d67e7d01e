"""A customer on a phone: signs up, submits a repair with a photo, follows it, confirms and rates.

In Chinese (the portal in English on a phone: test_browser_kept_photos).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from fuwu.cases.models import Case, Event
from fuwu.customers.models import Customer
from fuwu.portal.tests.helpers import repair_until_return_visit

pytestmark = pytest.mark.django_db(transaction=True)


def photo_file(tmp_path: Path) -> Path:
    target = tmp_path / "leak.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, format="PNG")
    target.write_bytes(buffer.getvalue())
    return target


@pytest.mark.parametrize("language", ["zh-hans"])
def test_customer_submits_tracks_and_rates(web, world, tmp_path, language):
    english = language == "en"
    page = web.page(phone=True, language="en-GB" if english else "zh-CN")
    page.goto("/portal/")
    assert "/portal/login/" in page.url
    if english and page.locator("[data-testid=language-en]").count():
        web.to_english(page)
    web.shot(page, "login")
    page.click("[data-testid=signup-link]")
    page.fill("#id_name", "Zhao Min" if english else "赵敏")
    phone = "13700002222"
    page.fill("#id_login", phone)
    page.fill("#id_password", "Spring-rain-42")
    page.select_option("#id_site", str(world.sites["lanting"].pk))
    page.select_option("#id_language", language)
    web.shot(page, "signup")
    page.click("[data-testid=signup-submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/portal/")
    assert page.locator("html").get_attribute("lang") == ("en" if english else "zh-hans")
    web.shot(page, "empty-list")

    # A repair request with a photo, for a unit added on the way.
    page.click("[data-testid=new-request]")
    web.shot(page, "choose")
    page.click("[data-testid=offer-property_repair]")
    page.fill("#id_description", "Kitchen tap leaking" if english else "厨房水龙头漏水\n一直滴水")
    page.select_option("#id_asset", "new")
    page.fill("#id_new_asset", "5栋1单元0302")
    page.select_option("#id_f_service_type", "free")
    page.fill("#id_f_location", "Kitchen" if english else "厨房")
    page.set_input_files("[data-testid=photos]", str(photo_file(tmp_path)))
    web.shot(page, "request-form")
    page.click("[data-testid=submit-request]")
    page.wait_for_load_state()
    customer = Customer.objects.get(phone=phone)
    case = Case.objects.get(customer=customer)
    assert page.url.endswith(f"/portal/cases/{case.pk}/")
    assert page.locator("[data-testid=photo]").count() == 1
    page.wait_for_function("() => document.querySelector('[data-testid=photo]').naturalWidth > 0")
    assert page.locator("[data-testid=milestone-received]").get_attribute("data-state") == "done"
    web.shot(page, "submitted")

    # The list shows it.
    page.click("[data-testid=tab-home]")
    page.wait_for_url("**/portal/")
    page.wait_for_load_state()
    assert page.locator(f"[data-testid=case-{case.pk}]").count() == 1
    web.shot(page, "list")

    # Staff do the work (the action layer), the customer follows the timeline.
    repair_until_return_visit(world, case.pk)
    page.click(f"[data-testid=case-{case.pk}]")
    page.wait_for_load_state()
    for key in ("received", "assigned", "in_progress", "done"):
        assert page.locator(f"[data-testid=milestone-{key}]").get_attribute("data-state") == "done"
    # The return visit is the service centre's: it is who handles the case now.
    assert page.locator("[data-testid=handler]").inner_text() == (
        "Service Center" if english else "客服中心"
    )
    web.shot(page, "done-to-rate")

    page.click("[data-testid=confirm]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=confirmed]").count() == 1
    page.click("[data-testid=score-5]")
    page.fill("[data-testid=comment]", "Quick and tidy" if english else "师傅很专业，现场很干净")
    web.shot(page, "rating")
    page.click("[data-testid=rate-submit]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=rated-stars]").count() == 1
    web.shot(page, "rated")
    case.refresh_from_db()
    assert case.step == "archived" and case.records["rating"]["score"] == 5
    assert Event.objects.filter(case=case, kind="rated", actor=customer.user).exists()
    assert page.js_errors == []
