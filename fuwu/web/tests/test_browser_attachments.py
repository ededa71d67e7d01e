"""Staff photos in real Chromium (issue 10, item 7): a technician takes a before and an after
photo for a checklist item of his repair — one tap each on the item's camera button — and sees
them as thumbnails beside the item while what he typed in the step form stays; the viewer opens
a photo full size, goes to the next and closes with Esc; the files card and the print view list
them. Chinese on a desktop, English on a 390×844 phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from fuwu.cases.models import Attachment, Event
from fuwu.core.models import Staff
from fuwu.testing.browser import en_phone, zh_desktop
from fuwu.testing.clicks import Clicks
from fuwu.web.tests.test_attachments import repair_for_technician

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "zh-hans": {"camera": "拍照", "event": "为检查项“故障已排除并试用正常”上传了 1 张照片"},
    "en": {"camera": "Take a photo", "event": "attached 1 photo to the checklist item"},
}


def photo(folder: Path, name: str, colour: tuple[int, int, int]) -> Path:
    target = folder / name
    image = Image.new("RGB", (1600, 1200), colour)
    for x in range(0, 1600, 200):  # something to see: stripes
        image.paste((255, 255, 255), (x, 0, x + 40, 1200))
    image.save(target, format="JPEG")
    return target


def show(page, selector: str) -> None:
    page.mouse.move(1, 1)
    page.locator(selector).evaluate(
        "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 80)"
    )


@zh_desktop
def test_technician_photographs_a_checklist_item_and_views_the_photos(
    web, world, tmp_path, settings, language, phone
):
    settings.MEDIA_ROOT = tmp_path / "media"
    words = WORDS[language]
    case = repair_for_technician(world)
    Staff.objects.filter(user__username="technician").update(language=language)
    page = web.page(phone=phone)
    web.login(page, "technician")
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_load_state("networkidle")
    variant = f"{language}-{'phone' if phone else 'desktop'}"
    clicks = Clicks(page, "technician attaches before and after photos", variant=variant)

    # Typed first: the uploads must not lose it.
    page.fill("#id_diagnosis", "阀芯老化" if language == "zh-hans" else "Worn valve core")
    camera = page.locator("label[for=item-file-fault_fixed]")
    assert camera.inner_text().strip() == words["camera"]
    thumbs = page.locator("[data-testid=item-files-fault_fixed] a.file-thumb")
    clicks.reset()
    for n, (name, colour) in enumerate(
        [("before.jpg", (200, 60, 40)), ("after.jpg", (40, 140, 80))], start=1
    ):
        with page.expect_file_chooser() as chooser:
            page.locator("label[for=item-file-fault_fixed]").click()
        chooser.value.set_files(str(photo(tmp_path, name, colour)))
        thumbs.nth(n - 1).wait_for()
        page.wait_for_load_state("networkidle")
    # Two taps, one per photo.
    clicks.report(limit=2)
    assert thumbs.count() == 2
    rows = list(Attachment.objects.filter(case=case).order_by("pk"))
    assert [(r.name, r.step, r.item) for r in rows] == [
        ("before.jpg", "repair", "fault_fixed"),
        ("after.jpg", "repair", "fault_fixed"),
    ]
    assert Event.objects.filter(case=case, kind="attached").count() == 2
    assert page.input_value("#id_diagnosis") in {"阀芯老化", "Worn valve core"}
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=item-files-fault_fixed] img')]"
        ".every(i => i.complete && i.naturalWidth > 0 && i.naturalWidth <= 320)"
    )
    # The files card was refreshed with them (out of band).
    assert page.locator("#case-files a.file-thumb").count() == 2
    show(page, "[data-testid=item-files-fault_fixed]")
    web.shot(page, f"{variant}-item-photos", full_page=False)

    # The viewer: full size, next, Esc.
    thumbs.first.click()
    viewer = page.locator("[data-testid=viewer]")
    viewer.wait_for(state="visible")
    caption = page.locator("[data-testid=viewer-caption]")
    assert "1 / 2" in caption.inner_text() and "before.jpg" in caption.inner_text()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=viewer-image]').naturalWidth === 1600"
    )
    box = page.locator("[data-testid=viewer-image]").bounding_box()
    width = 390 if phone else 1366
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    web.shot(page, f"{variant}-viewer", full_page=False)
    page.click("[data-testid=viewer-next]")
    assert "2 / 2" in caption.inner_text() and "after.jpg" in caption.inner_text()
    page.keyboard.press("ArrowRight")  # round to the first
    assert "1 / 2" in caption.inner_text()
    page.keyboard.press("Escape")
    viewer.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.matches('a.file-thumb')")

    # The timeline tells it; a reload shows the same.
    page.reload()
    page.wait_for_load_state("networkidle")
    assert words["event"] in page.locator("[data-testid=case-timeline]").inner_text()
    assert page.locator("[data-testid=item-files-fault_fixed] a.file-thumb").count() == 2
    show(page, "[data-testid=attachments]")
    web.shot(page, f"{variant}-files-card", full_page=False)
    assert page.js_errors == []


@en_phone
def test_a_document_and_a_bad_file_from_the_files_card(
    web, world, tmp_path, settings, language, phone
):
    settings.MEDIA_ROOT = tmp_path / "media"
    case = repair_for_technician(world)
    Staff.objects.filter(user__username="technician").update(language=language)
    page = web.page(phone=phone)
    web.login(page, "technician")
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_load_state("networkidle")
    variant = f"{language}-{'phone' if phone else 'desktop'}"
    # On a phone the card offers the camera too.
    assert page.locator("label[for=attach-camera]").is_visible() == phone

    bad = tmp_path / "notes.txt"
    bad.write_text("not a picture")
    page.set_input_files("[data-testid=attach-input]", str(bad))
    page.wait_for_selector("[data-testid=notice-danger]")
    notice = page.locator("[data-testid=notice-danger]").inner_text()
    assert "notes.txt" in notice
    assert ("不是支持的图片或文件" if language == "zh-hans" else "not a supported") in notice
    assert not Attachment.objects.exists()
    web.shot(page, f"{variant}-refused", full_page=False)

    document = tmp_path / "quote.pdf"
    document.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.set_input_files(
        "[data-testid=attach-input]",
        [str(document), str(photo(tmp_path, "meter.jpg", (90, 90, 200)))],
    )
    page.wait_for_selector("[data-testid=notice-success]")
    page.wait_for_load_state("networkidle")
    pdf, picture = Attachment.objects.order_by("pk")
    assert page.locator(f"[data-testid=file-{pdf.pk}]").is_visible()
    assert page.locator(f"[data-testid=thumb-{picture.pk}]").is_visible()
    show(page, "[data-testid=attachments]")
    web.shot(page, f"{variant}-files-card", full_page=False)

    # A request past the upload limit is refused before it is read (413): said beside the form.
    settings.FUWU_MAX_UPLOAD_BYTES = 20_000
    page.set_input_files("[data-testid=attach-input]", str(photo(tmp_path, "big.jpg", (1, 2, 3))))
    note = page.locator("[data-testid=upload-too-large]")
    note.wait_for()
    assert ("文件太大" if language == "zh-hans" else "Too large") in note.inner_text()
    assert Attachment.objects.count() == 2

    # The print view lists both, the picture as a thumbnail.
    page.goto(f"/cases/{case.pk}/print/")
    assert page.locator(f"[data-testid=print-file-{picture.pk}] img").count() == 1
    assert "quote.pdf" in page.locator("[data-testid=print-files]").inner_text()
    page.locator("[data-testid=print-files]").scroll_into_view_if_needed()
    web.shot(page, f"{variant}-print", full_page=False)
    assert page.js_errors == []
