"""A customer's photos survive a validation error in the request form (issue 10, item 13), and
the request's photos show as thumbnails that open the viewer (item 7). In English on a
390×844 phone (the request form's Chinese journey: test_browser_portal)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from fuwu.cases.models import Attachment, Case, PendingUpload
from fuwu.customers.models import Customer
from fuwu.portal.tests.helpers import give_account
from fuwu.testing.browser import en_phone

pytestmark = pytest.mark.django_db(transaction=True)


def photo(folder: Path, name: str, colour: tuple[int, int, int]) -> Path:
    target = folder / name
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, format="JPEG")
    target.write_bytes(buffer.getvalue())
    return target


@en_phone
def test_photos_are_kept_after_an_error_and_open_in_the_viewer(
    web, world, tmp_path, settings, language, phone
):
    settings.MEDIA_ROOT = tmp_path / "media"
    english = language == "en"
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    Customer.objects.filter(pk=world.customers["owner"].pk).update(language=language)
    page = web.page(phone=phone, language="en-GB" if english else "zh-CN")
    page.goto("/portal/login/")
    page.fill("#id_login", "13812345678")
    page.fill("#id_password", "Owner-pass-1")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto("/portal/new/property_repair/")
    variant = f"{language}-{'phone' if phone else 'desktop'}"

    # Two photos chosen, the description forgotten: the form comes back with the error…
    page.set_input_files(
        "[data-testid=photos]",
        [
            str(photo(tmp_path, "leak.jpg", (200, 60, 40))),
            str(photo(tmp_path, "pipe.jpg", (40, 90, 200))),
        ],
    )
    page.select_option("#id_f_service_type", "free")
    with page.expect_navigation():
        page.click("[data-testid=submit-request]")
    assert page.locator("[data-testid=error-summary]").is_visible()
    # …and the photos are still there, as thumbnails, each with its "keep" box.
    kept = page.locator("[data-testid=pending-photo]")
    assert kept.count() == 2
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=pending-photo] img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert not page.locator("[data-testid=photo-reselect]").count()
    text = page.locator("[data-testid=pending-photos]").inner_text()
    assert ("2 photos you chose are kept" if english else "已保留您选择的 2 张照片") in text
    assert PendingUpload.objects.count() == 2 and not Case.objects.exists()
    page.locator("[data-testid=pending-photos]").scroll_into_view_if_needed()
    web.shot(page, f"{variant}-kept", full_page=not phone)

    # The customer leaves the second one out, fills in the description and sends.
    page.uncheck("[data-testid=keep-2]")
    page.fill("#id_description", "Kitchen tap leaking" if english else "厨房水龙头漏水")
    page.fill("#id_f_location", "Kitchen" if english else "厨房")
    with page.expect_navigation():
        page.click("[data-testid=submit-request]")
    case = Case.objects.get()
    assert page.url.endswith(f"/portal/cases/{case.pk}/")
    assert [a.name for a in Attachment.objects.filter(case=case)] == ["leak.jpg"]
    assert not PendingUpload.objects.exists()

    # On the case page: a thumbnail that opens the viewer; Esc closes it.
    thumb = page.locator("[data-testid=photo]")
    assert thumb.count() == 1
    page.wait_for_function("() => document.querySelector('[data-testid=photo]').naturalWidth > 0")
    assert page.evaluate("document.querySelector('[data-testid=photo]').naturalWidth") <= 320
    thumb.click()
    viewer = page.locator("[data-testid=viewer]")
    viewer.wait_for(state="visible")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=viewer-image]').naturalWidth === 800"
    )
    assert "leak.jpg" in page.locator("[data-testid=viewer-caption]").inner_text()
    assert not page.locator("[data-testid=viewer-next]").is_visible()  # one photo: no next
    web.shot(page, f"{variant}-viewer", full_page=False)
    page.keyboard.press("Escape")
    viewer.wait_for(state="hidden")
    assert page.js_errors == []
