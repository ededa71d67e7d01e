"""Issue 9, item 9: uploads are bounded before they are read, bombs refused, photos cleaned.

Through HTTP where a person meets it: the portal's request form (the only place that takes
photos), a staff page and the API all refuse an oversized body from its Content-Length alone;
the bytes are counted again as they arrive; a decompression bomb is refused from its header;
a stored photo has no EXIF (GPS) and no PNG text, and stands the right way up.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test import Client
from django.utils import translation
from PIL import ExifTags, Image, PngImagePlugin

from fuwu.cases.attachments import check_photos
from fuwu.cases.models import Attachment, Case
from fuwu.portal.tests.helpers import give_account, png
from fuwu.web.uploads import CountingUploadHandler

pytestmark = pytest.mark.django_db

FIFTY_MB = 50 * 1024 * 1024
BOUNDARY = "fuwuBoundary"


class Unread(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body was read")

    readinto = readline = read  # type: ignore[assignment]


def declared(size: int, content_type: str = f"multipart/form-data; boundary={BOUNDARY}") -> dict:
    """Headers saying the body is `size` bytes long, over a body nobody may read."""
    return {"CONTENT_LENGTH": str(size), "CONTENT_TYPE": content_type, "wsgi.input": Unread()}


@pytest.fixture
def customer(world) -> Client:
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    client = Client()
    login = {"login": "13812345678", "password": "Owner-pass-1"}
    assert client.post("/portal/login/", login).status_code == 302
    return client


def submit(client: Client, world, *photos, **headers):
    data = {
        "description": "厨房水管漏水",
        "asset": str(world.assets["unit"].pk),
        "f_service_type": "free",
        "f_location": "厨房",
        "photos": list(photos),
    }
    return client.post("/portal/new/property_repair/", data, **headers)


def text(response) -> str:
    return response.content.decode().replace("\xa0", " ")


def upload(name: str, content: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- Oversized bodies: refused from the header, before a byte is read -----------------------


def test_portal_refuses_an_oversized_body_before_reading_it(world, customer):
    r = customer.generic("POST", "/portal/new/property_repair/", **declared(FIFTY_MB))
    page = text(r)
    assert r.status_code == 413 and 'data-testid="too-large"' in page
    assert "提交的内容太大" in page and "这次提交有 50.0 MB，一次最多可以提交 26.0 MB" in page
    assert "portal-brand" in page  # the customer stays in the portal's frame
    assert not Case.objects.exists()


def test_a_staff_page_refuses_an_oversized_body_before_reading_it(world, api):
    case = (
        api("agent")
        .post(
            "/api/cases",
            {
                "procedure": "property_repair",
                "site": "lanting",
                "channel": "phone",
                "title": "门禁失灵",
                "data": {"repair_item": "门禁失灵", "service_type": "free"},
            },
        )
        .json()
    )
    staff_member = world.users["agent"].staff
    staff_member.language = "en"
    staff_member.save(update_fields=["language"])
    staff = Client()
    staff.post("/login/", {"username": "agent", "password": "pw-agent"})
    r = staff.generic("POST", f"/cases/{case['id']}/comment/", **declared(FIFTY_MB))
    assert r.status_code == 413
    page = text(r)
    assert 'data-testid="too-large"' in page and "portal-brand" not in page
    assert "What you sent is too large" in page
    assert "This submission is 50.0 MB; at most 26.0 MB can be sent at once." in page
    assert Case.objects.get(pk=case["id"]).version == case["version"]


@pytest.mark.parametrize("path", ["/login/", "/portal/login/", "/portal/signup/", "/admin/login/"])
def test_pages_open_to_anyone_refuse_an_oversized_body_before_reading_it(world, path):
    r = Client().generic("POST", path, **declared(FIFTY_MB))
    assert r.status_code == 413 and 'data-testid="too-large"' in text(r)


@pytest.mark.parametrize(
    "content_type", [f"multipart/form-data; boundary={BOUNDARY}", "application/json"]
)
def test_the_api_refuses_an_oversized_body_before_reading_it(world, api, content_type):
    client = api("agent", "en")
    r = client.client.generic(
        "POST", "/api/cases", **client.headers, **declared(FIFTY_MB, content_type)
    )
    assert r.status_code == 413
    body = r.json()
    assert body["code"] == "too_large" and body["message"] == "The request body is too large"
    assert body["details"]["size"] == FIFTY_MB and body["details"]["limit"] < FIFTY_MB
    assert not Case.objects.exists()


def test_a_malformed_multipart_body_gets_the_apis_json_not_a_page(world, api):
    client = api("agent", "en")
    r = client.client.generic(
        "POST", "/api/assets", b"--x\r\n", content_type="multipart/form-data", **client.headers
    )
    assert r.status_code == 400 and r.json()["code"] == "bad_request"
    assert r.json()["message"] == "Invalid request: malformed multipart form"


def test_the_limit_is_settable_and_a_body_within_it_is_read(world, customer, settings):
    settings.FUWU_MAX_UPLOAD_BYTES = 100 * 1024 * 1024
    r = submit(customer, world, png())
    assert r.status_code == 302  # an ordinary request with a photo still goes through
    settings.FUWU_MAX_UPLOAD_BYTES = 1000
    r = submit(customer, world, png(size=(300, 300)))
    assert r.status_code == 413 and "一次最多可以提交 1000 字节" in text(r)
    assert Case.objects.count() == 1


# --- Bytes counted as they arrive, whatever the header says ---------------------------------


def _multipart(*files: tuple[str, bytes]) -> bytes:
    parts = []
    for name, content in files:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="{name}"\r\n'
            "Content-Type: image/png\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _parse(body: bytes, declared_length: int):
    meta = {
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(declared_length),
    }
    handlers = [CountingUploadHandler(), MemoryFileUploadHandler()]
    return MultiPartParser(meta, io.BytesIO(body), handlers).parse()


def test_a_file_over_the_photo_limit_is_not_kept_but_named(settings):
    settings.FUWU_MAX_PHOTO_BYTES = 1000
    _, files = _parse(_multipart(("big.png", b"x" * 5000), ("ok.png", b"y" * 10)), 10)
    big, ok = files.getlist("photos")
    assert big.name == "big.png" and big.size == 5000 and big.read() == b""
    assert ok.read() == b"y" * 10


def test_the_request_total_is_counted_not_taken_from_the_header(settings):
    settings.FUWU_MAX_UPLOAD_BYTES = 3000
    with pytest.raises(RequestDataTooBig):
        _parse(_multipart(*[(f"{i}.png", b"z" * 900) for i in range(5)]), 100)


def test_a_photo_over_the_size_limit_is_refused_with_its_name_and_size(world, customer, settings):
    settings.FUWU_MAX_PHOTO_BYTES = 2000
    noise = Image.frombytes("L", (100, 100), bytes(range(256)) * 39 + bytes(16))
    out = io.BytesIO()
    noise.save(out, "PNG", compress_level=0)
    r = submit(customer, world, upload("big.png", out.getvalue(), "image/png"))
    page = text(r)
    assert r.status_code == 400 and "“big.png” 太大（" in page and "每张照片不能超过 2.0 KB" in page
    assert not Case.objects.exists() and not Attachment.objects.exists()


# --- Decompression bombs: refused from the header, nothing stored ---------------------------


def _bomb(width: int, height: int) -> bytes:
    """A real PNG of `width`×`height` grey pixels that compresses to a few dozen kilobytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    packer = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte, then the row
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def test_an_88_megapixel_picture_is_refused_and_nothing_is_stored(world, customer):
    bomb = _bomb(11_000, 8_000)  # what the probe sent: under Pillow's own warning threshold
    assert len(bomb) < 200_000
    r = submit(customer, world, upload("bomb.png", bomb, "image/png"))
    page = text(r)
    assert r.status_code == 400 and "“bomb.png” 的尺寸太大（11000×8000 像素）" in page
    assert "每张照片不能超过 40 百万像素" in page
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_the_bomb_message_is_in_the_persons_language():
    bomb = upload("bomb.png", _bomb(11_000, 8_000), "image/png")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        check_photos([bomb])
    assert refused.value.messages == [
        "“bomb.png” has too many pixels (11000×8000); each photo may be at most 40 megapixels."
    ]


def test_the_pixel_limit_is_settable(world, customer, settings):
    settings.FUWU_MAX_PHOTO_PIXELS = 1000
    r = submit(customer, world, png(size=(40, 30)))
    assert r.status_code == 400 and "40×30" in r.content.decode()
    assert not Case.objects.exists()


# --- Stored photos carry no location or other personal metadata -----------------------------


def _jpeg_with_gps() -> tuple[bytes, Image.Image]:
    image = Image.new("RGB", (60, 20), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, 10, 20))  # a blue band on the left
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the camera was turned: show it rotated 90° clockwise
    exif[ExifTags.Base.Artist] = "王小明"
    exif[ExifTags.Base.Make] = "Phone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 27.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 17.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=80, comment=b"home of Wang")
    with Image.open(io.BytesIO(out.getvalue())) as sent:  # the test's own premise
        assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        quantization = sent.quantization
    return out.getvalue(), quantization


def _stored() -> bytes:
    attachment = Attachment.objects.get()
    with attachment.file.open("rb") as f:
        return f.read()


def test_gps_and_other_exif_are_stripped_and_the_photo_stands_upright(world, customer):
    sent, quantization = _jpeg_with_gps()
    r = submit(customer, world, upload("door.jpg", sent, "image/jpeg"))
    assert r.status_code == 302, r.content.decode()[:2000]
    stored = _stored()
    assert b"Exif" not in stored and b"home of Wang" not in stored
    with Image.open(io.BytesIO(stored)) as kept:
        assert kept.format == "JPEG" and not kept.getexif()
        assert "comment" not in kept.info and "xmp" not in kept.info
        assert kept.size == (20, 60)  # the orientation was applied, not dropped
        assert kept.convert("RGB").getpixel((10, 2))[2] > 150  # the blue band is now on top
        assert kept.quantization == quantization  # the same quality as sent
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/jpeg" and attachment.size == len(stored)


def test_png_text_chunks_are_stripped(world, customer):
    image = Image.new("RGBA", (30, 30), (10, 200, 10, 128))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "王小明")
    info.add_text("Location", "39.9075 N 116.3880 E")
    info.add_itxt("Comment", "家里的厨房")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    r = submit(customer, world, upload("sink.png", out.getvalue(), "image/png"))
    assert r.status_code == 302
    stored = _stored()
    assert b"tEXt" not in stored and b"iTXt" not in stored and b"116.3880" not in stored
    with Image.open(io.BytesIO(stored)) as kept:
        assert kept.format == "PNG" and kept.mode == "RGBA" and not kept.text
        assert kept.getpixel((5, 5)) == (10, 200, 10, 128)


def test_normal_photos_still_work(world, customer):
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(jpeg, "JPEG")
    r = submit(customer, world, png("a.png"), upload("b.jpg", jpeg.getvalue(), "image/jpeg"))
    assert r.status_code == 302
    for attachment in Attachment.objects.all():
        with attachment.file.open("rb") as f, Image.open(f) as kept:
            assert (attachment.content_type, kept.format) in {
                ("image/png", "PNG"),
                ("image/jpeg", "JPEG"),
            }
            assert kept.size in {(40, 30), (64, 48)}
    assert Attachment.objects.count() == 2
