"""Printed documents in real Chromium (issue 12): the owner signs the repair work order on a
phone with a finger (Chinese), the agent prints it from the case page's menu as a PDF; then in
English on a desktop the menu shows the number and the signature, and a reprint is a copy."""

from __future__ import annotations

from typing import Any

import pytest

from fuwu.documents.models import Document, Signature
from fuwu.documents.tests.helpers import repair_case

pytestmark = pytest.mark.django_db(transaction=True)


def _draw(page: Any) -> None:
    box = page.locator("[data-testid=sign-canvas]").bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for i in range(1, 13):
        page.mouse.move(x + w * (0.1 + i * 0.065), y + h * (0.7 - 0.4 * (i % 2)), steps=3)
    page.mouse.up()


def _print(page: Any, selector: str) -> Any:
    """Press a print button (it posts into a new tab) and return the PDF's response; the tab is
    closed after (the test server answers one connection at a time: an open PDF tab would hold it)."""
    with (
        page.context.expect_page() as tab,
        page.context.expect_event(
            "response", predicate=lambda r: "/documents/" in r.url and "/print/" in r.url
        ) as answer,
    ):
        page.locator(selector).click()
    response = answer.value
    response.finished()
    tab.value.close()
    return response


def test_owner_signs_on_a_phone_and_the_work_order_prints(web, world, tmp_path, settings) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    case = repair_case(world)

    # 中文, on a phone: the agent hands the phone to the owner on the signing page.
    phone = web.page(phone=True)
    web.login(phone, "agent")
    phone.goto(f"/cases/{case.pk}/")
    phone.locator("[data-testid=documents-button]").click()
    phone.locator("[data-testid=sign-work_order]").click()
    phone.wait_for_selector("[data-testid=sign-page]")
    assert phone.locator("[data-testid=signer]").input_value() == "王芳"
    phone.locator("[data-testid=sign-submit]").click()  # nothing drawn: refused in the page
    assert phone.locator("[data-sign-feedback]").inner_text() == "请先在框内签名。"
    _draw(phone)
    web.shot(phone, "zh-phone signing the work order")
    with phone.expect_navigation():
        phone.locator("[data-testid=sign-submit]").click()
    assert "王芳 已在维修派工单 LANTING-PG-000001 上签名。" in phone.content()
    assert phone.locator("[data-testid=signed]").is_visible()
    web.shot(phone, "zh-phone signed")
    pdf = _print(phone, "[data-testid=sign-print] button")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    signature = Signature.objects.get()
    assert signature.signer_name == "王芳" and signature.document.prints == 1
    assert signature.attachment.content_type == "image/png"

    # English, on a desktop: the menu shows the number and who signed; a reprint is a copy.
    desk = web.page()
    web.login(desk, "agent")
    desk.goto(f"/cases/{case.pk}/")
    web.to_english(desk)
    desk.locator("[data-testid=documents-button]").click()
    item = desk.locator("[data-testid=document-work_order]")
    assert "LANTING-PG-000001" in item.inner_text() and "signed by 王芳" in item.inner_text()
    assert "printed once" in item.inner_text()
    web.shot(desk, "en-desktop print menu", full_page=False)
    again = _print(desk, "[data-testid=print-work_order]")
    assert again.headers["content-disposition"] == 'inline; filename="LANTING-PG-000001-copy.pdf"'
    assert Document.objects.get().prints == 2
    desk.goto(f"/cases/{case.pk}/")
    assert "printed a copy of the Repair work order LANTING-PG-000001 (print 2)" in desk.content()
    assert "had 王芳 sign the Repair work order LANTING-PG-000001" in desk.content()
    web.shot(desk, "en-desktop timeline")
    assert phone.js_errors == [] and desk.js_errors == []
