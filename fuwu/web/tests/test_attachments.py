"""Staff attach photos and files to a case and to a checklist item (issue 10, item 7): who may,
the event, the limits, bad files (a clear error, nothing stored), thumbnails read with the
picture's rights, the viewer's markup on the case page, and the print view."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fuwu.cases import actions
from fuwu.cases.attachments import THUMB_SIZE
from fuwu.cases.models import Attachment, Case, Event
from fuwu.web.tests.casesetup import at_repair, fresh, signed_in

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def jpeg(name: str = "before.jpg", size: tuple[int, int] = (1200, 900)) -> SimpleUploadedFile:
    """A JPEG with EXIF (a GPS tag and the camera's owner), as a phone's camera writes it."""
    exif = Image.Exif()
    exif[0x013B] = "王师傅"  # Artist
    exif[0x8825] = {1: "N", 2: (22.0, 32.0, 0.0)}  # GPSInfo
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf(name: str = "报价单.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "text/plain"
    )


def docx(name: str = "验收单.docx") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return SimpleUploadedFile(name, buffer.getvalue(), "application/octet-stream")


def repair_for_technician(world) -> Case:
    case = at_repair(world)
    actions.assign(
        world.actor("dispatcher"),
        case.pk,
        assignee_id=world.users["technician"].pk,
        version=fresh(case).version,
    )
    return fresh(case)


def attach_url(case: Case) -> str:
    return f"/cases/{case.pk}/attach/"


# -- uploading -----------------------------------------------------------------------------------


def test_the_technician_attaches_photos_and_a_document_to_his_case(world):
    case = repair_for_technician(world)
    version = case.version
    client = signed_in("technician")
    response = client.post(attach_url(case), {"files": [jpeg(), pdf(), docx()]})
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    rows = list(Attachment.objects.filter(case=case).order_by("pk"))
    assert [(r.name, r.content_type) for r in rows] == [
        ("before.jpg", "image/jpeg"),
        ("报价单.pdf", "application/pdf"),
        (
            "验收单.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ]
    assert rows[0].uploaded_by == world.users["technician"] and not rows[0].item
    # The picture is stored re-encoded without EXIF; its thumbnail is small.
    with rows[0].file.open("rb") as handle, Image.open(handle) as stored:
        assert not stored.getexif()
    with rows[0].thumbnail.open("rb") as handle, Image.open(handle) as small:
        assert max(small.size) == THUMB_SIZE and small.format == "JPEG"
    assert not rows[1].thumbnail  # a document has none
    # One event, machine values only; the version stays (nobody's open form is stale).
    event = Event.objects.get(case=case, kind="attached")
    assert event.actor == world.users["technician"]
    assert event.data["ids"] == [r.pk for r in rows]
    assert event.data["names"] == ["before.jpg", "报价单.pdf", "验收单.docx"]
    assert fresh(case).version == version
    # The page: a thumbnail that opens the viewer, documents as links with their size, the event.
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'data-testid="thumb-{rows[0].pk}"' in html
    assert f'src="/attachments/{rows[0].pk}/thumbnail/"' in html and "data-viewer" in html
    assert f'data-testid="file-{rows[1].pk}"' in html and "报价单.pdf" in html
    assert "上传了 3 个附件" in html
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    # A document downloads; a picture shows.
    got = client.get(f"/attachments/{rows[1].pk}/")
    assert got.status_code == 200 and got["Content-Disposition"].startswith("attachment")
    assert got["Content-Type"] == "application/pdf"
    shown = client.get(f"/attachments/{rows[0].pk}/")
    assert shown["Content-Disposition"].startswith("inline")


def test_a_photo_for_a_checklist_item_swaps_only_that_item(world):
    case = repair_for_technician(world)
    client = signed_in("technician")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="attach-fault_fixed"' in page and 'form="attach-fault_fixed"' in page
    response = client.post(
        attach_url(case),
        {"files": [jpeg("修前.jpg"), jpeg("修后.jpg")], "step": "repair", "item": "fault_fixed"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    rows = list(Attachment.objects.filter(case=case).order_by("pk"))
    assert [(r.step, r.item) for r in rows] == [("repair", "fault_fixed")] * 2
    assert 'id="item-files-fault_fixed"' in html and 'id="case-body"' not in html
    assert all(f'data-testid="item-thumb-{r.pk}"' in html for r in rows)
    assert 'id="case-files"' in html and 'hx-swap-oob="true"' in html
    event = Event.objects.get(case=case, kind="attached")
    assert event.data | {"ids": None} == {
        "ids": None,
        "names": ["修前.jpg", "修后.jpg"],
        "step": "repair",
        "item": "fault_fixed",
    }
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "为检查项“故障已排除并试用正常”上传了 2 张照片" in page
    # Once the step is done, the photos stand beside the item's answer in the details card.
    actions.take_transition(
        world.actor("technician"),
        case.pk,
        "complete",
        version=fresh(case).version,
        form={"diagnosis": "阀芯老化", "solution": "更换阀芯", "owner_agreed": True},
        checklist={"fault_fixed": True, "site_clean": True},
    )
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="check-files-fault_fixed"' in page


def test_english_messages(world):
    case = repair_for_technician(world)
    client = signed_in("technician", "en")
    bad = SimpleUploadedFile("notes.txt", b"hello", "text/plain")
    response = client.post(attach_url(case), {"files": [bad]}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 400
    assert "“notes.txt” is not a supported picture or file" in html
    client.post(attach_url(case), {"files": [jpeg()]})
    assert "attached 1 file" in client.get(f"/cases/{case.pk}/").content.decode()


# -- who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("dispatcher", 302),  # the owning department's staff
        ("eng_manager", 302),  # its manager
        ("agent", 403),  # staff of another department of the site
        ("finance", 403),
        ("cc_agent", 404),  # another site: the case does not exist
    ],
)
def test_who_may_attach(world, persona, status):
    case = repair_for_technician(world)
    response = signed_in(persona).post(attach_url(case), {"files": [jpeg()]}, **HTMX)
    if status == 302:
        assert response.status_code == 200
        assert Attachment.objects.filter(case=case).count() == 1
        return
    assert response.status_code == (404 if status == 404 else 400)
    if status == 403:
        assert "只有处理人或工程部的员工可以上传附件" in response.content.decode()
    assert not Attachment.objects.exists()
    assert not Event.objects.filter(kind="attached").exists()


def test_a_customer_cannot_post_to_the_staff_upload(world):
    from fuwu.portal.tests.helpers import give_account

    case = repair_for_technician(world)
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    client = signed_in("agent")
    client.logout()
    client.post("/portal/login/", {"login": "13812345678", "password": "Owner-pass-1"})
    response = client.post(attach_url(case), {"files": [jpeg()]})
    assert response.status_code == 302 and response["Location"].startswith("/portal/")
    assert not Attachment.objects.exists()


def test_a_closed_case_takes_no_files(world):
    case = repair_for_technician(world)
    Case.objects.filter(pk=case.pk).update(status="closed")
    response = signed_in("technician").post(attach_url(case), {"files": [jpeg()]}, **HTMX)
    assert response.status_code == 400 and "工单已关闭" in response.content.decode()
    assert not Attachment.objects.exists()


# -- bad files and limits: a clear message, nothing stored ----------------------------------------


def bad(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/octet-stream")


NOT_SUPPORTED = "不是支持的图片或文件"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        # A bad file beside a good one: the good one is not stored either.
        (lambda: [jpeg(), bad("virus.jpg", b"MZ\x90\x00 not a picture")], NOT_SUPPORTED),
        (lambda: [jpeg(), bad("fake.pdf", b"MZ\x90\x00")], NOT_SUPPORTED),
        (lambda: [jpeg(), bad("fake.docx", b"PK\x03\x04 broken")], NOT_SUPPORTED),
        (lambda: [jpeg(), bad("run.sh", b"#!/bin/sh\n")], NOT_SUPPORTED),
        (lambda: [], "请选择要上传的照片或文件"),
        (lambda: [jpeg(f"{i}.jpg", (40, 30)) for i in range(6)], "一次最多上传 5 个文件"),
    ],
    ids=["not-a-picture", "fake-pdf", "broken-docx", "script", "nothing", "too-many"],
)
def test_bad_files_are_refused_and_nothing_is_stored(world, make, message):
    case = repair_for_technician(world)
    response = signed_in("technician").post(attach_url(case), {"files": make()}, **HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Attachment.objects.exists()
    assert not Event.objects.filter(kind="attached").exists()


def test_too_large_and_too_many_pixels(world, settings):
    case = repair_for_technician(world)
    client = signed_in("technician")
    settings.FUWU_MAX_PHOTO_PIXELS = 1000
    response = client.post(attach_url(case), {"files": [jpeg(size=(100, 100))]}, **HTMX)
    assert response.status_code == 400 and "尺寸太大" in response.content.decode()
    settings.FUWU_MAX_PHOTO_PIXELS = 40_000_000
    settings.FUWU_MAX_PHOTO_BYTES = 300
    response = client.post(attach_url(case), {"files": [jpeg(size=(300, 300))]}, **HTMX)
    assert response.status_code == 400 and "太大" in response.content.decode()
    assert not Attachment.objects.exists()


def test_an_oversized_request_is_refused_before_it_is_read(world):
    case = repair_for_technician(world)
    response = signed_in("technician").post(
        attach_url(case),
        {"files": [jpeg()]},
        CONTENT_LENGTH=str(10**10),
    )
    assert response.status_code == 413
    assert not Attachment.objects.exists()


def test_an_item_the_step_does_not_have_is_refused(world):
    case = repair_for_technician(world)
    response = signed_in("technician").post(
        attach_url(case), {"files": [jpeg()], "step": "repair", "item": "nonsense"}, **HTMX
    )
    assert response.status_code == 400 and "此步骤没有该检查项" in response.content.decode()
    assert not Attachment.objects.exists()


# -- thumbnails and print ----------------------------------------------------------------------------


def test_a_thumbnail_is_read_with_the_pictures_rights(world):
    case = repair_for_technician(world)
    signed_in("technician").post(attach_url(case), {"files": [jpeg(), pdf()]})
    picture, document = Attachment.objects.order_by("pk")
    url = f"/attachments/{picture.pk}/thumbnail/"
    got = signed_in("agent").get(url)
    assert got.status_code == 200 and got["Content-Type"] == "image/jpeg"
    assert len(got.content) < 20_000
    assert signed_in("cc_agent").get(url).status_code == 404
    assert signed_in("agent").get(f"/attachments/{document.pk}/thumbnail/").status_code == 404
    # A picture kept before thumbnails existed is scaled down on the way out.
    Attachment.objects.filter(pk=picture.pk).update(thumbnail="")
    got = signed_in("agent").get(url)
    with Image.open(io.BytesIO(got.content)) as small:
        assert max(small.size) == THUMB_SIZE


def test_the_print_view_lists_the_attachments(world):
    case = repair_for_technician(world)
    client = signed_in("technician")
    client.post(attach_url(case), {"files": [jpeg(), pdf()]})
    picture, document = Attachment.objects.order_by("pk")
    html = client.get(f"/cases/{case.pk}/print/").content.decode()
    assert 'data-testid="print-files"' in html
    assert f'<img src="/attachments/{picture.pk}/thumbnail/"' in html
    assert f'data-testid="print-file-{document.pk}"' in html and "报价单.pdf" in html
