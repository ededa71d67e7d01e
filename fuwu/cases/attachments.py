"""Photos attached to a case: checked by their content, cleaned, then stored under a name we choose.

The browser's file name and content type are the sender's word, so neither decides anything:
Pillow reads each file and it must be a JPEG, PNG or WebP picture (HEIC too when the
`pillow_heif` plugin is installed; phones' browsers usually send JPEG anyway). Each photo may
be `settings.FUWU_MAX_PHOTO_BYTES` large and `settings.FUWU_MAX_PHOTO_PIXELS` pixels, and a
request carries at most `MAX_PHOTOS`. The pixel count is read from the file's header before
anything is decoded: a few kilobytes can unpack into gigabytes of pixels (a decompression bomb).
A kept photo is stored re-encoded, never as sent: turned upright by its EXIF orientation, with
no EXIF (a phone writes where the photo was taken, the camera's serial, the owner's name), no
XMP, no comments and no PNG text chunks. Checking happens before anything is written, so a
refused upload changes nothing. (`fuwu.web.uploads` refuses an oversized request before it is read.)

Staff may also attach documents (`check_files`): a PDF or an Office file, recognised by its
first bytes and kept as sent (a document has no EXIF to strip; it is served as a download).
Every picture kept gets a small JPEG thumbnail (`THUMB_SIZE`) for the pages' file cards.
`attach` is the action that puts checked files on a case (a `attached` event).
"""

from __future__ import annotations

import importlib.util
import io
import threading
import uuid
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from fuwu.cases import policy
from fuwu.cases.choices import EventKind
from fuwu.cases.flow import Change, lock_case
from fuwu.cases.models import Attachment, Case
from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import EngineError, FieldError
from fuwu.procedures.registry import definition_of

if TYPE_CHECKING:
    from PIL import Image

MAX_PHOTOS = 5
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
# HEIC/HEIF (iPhone photos) when the plugin is there; otherwise refused with a clear message.
_HEIF = importlib.util.find_spec("pillow_heif") is not None
if _HEIF:  # pragma: no cover - depends on the installation
    FORMATS["HEIF"] = ("image/heic", "heic")
_heif_lock = threading.Lock()
_heif_registered = False


def _pillow_ready() -> None:
    """Called before a picture is opened. Pillow itself is imported by the functions that read
    pictures, not when the app loads: 2.6 MB (its modules and image libraries) that a web
    worker which never receives a photo does not hold. The HEIC opener, when its plugin is
    installed, is registered here once for the same reason."""
    global _heif_registered
    if _heif_registered or not _HEIF:
        return
    with _heif_lock:  # pragma: no cover - depends on the installation
        if not _heif_registered:
            from pillow_heif import register_heif_opener  # type: ignore[import-not-found]

            register_heif_opener()
            _heif_registered = True


# The accept attribute of the file input: a hint for the phone's picker, not a check.
ACCEPT = ",".join(sorted({mime for mime, _ in FORMATS.values()}))

# Documents staff may attach, by extension: (content type, how the file must begin).
PDF = b"%PDF-"
OLE = bytes.fromhex("D0CF11E0A1B11AE1")  # the legacy Office container (doc, xls, ppt)
ZIP = b"PK\x03\x04"  # Office Open XML (docx, xlsx, pptx) is a zip with [Content_Types].xml
DOCUMENTS: dict[str, tuple[str, bytes]] = {
    "pdf": ("application/pdf", PDF),
    "doc": ("application/msword", OLE),
    "xls": ("application/vnd.ms-excel", OLE),
    "ppt": ("application/vnd.ms-powerpoint", OLE),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
}
ACCEPT_FILES = ",".join([ACCEPT, *(f".{ext}" for ext in DOCUMENTS)])
THUMB_SIZE = 320  # pixels, the longer side: sharp on a phone's screen at 2x, ~15 KB


@dataclass(frozen=True)
class Photo:
    """A checked photo: `content` is the cleaned picture that is stored (not the bytes sent)."""

    content: bytes
    name: str
    content_type: str
    extension: str

    @property
    def size(self) -> int:
        return len(self.content)


class _Refused(Exception):
    """One file's problem, already worded for the person who sent it."""


def check_photos(files: Sequence[UploadedFile]) -> list[Photo]:
    """Every file must be a picture of an accepted type, size and pixel count; all problems at once.

    Returns the photos cleaned for storing. Raises `ValidationError` with one message per
    problem, in the active language.
    """
    return _check(files, documents=False)


def check_files(files: Sequence[UploadedFile]) -> list[Photo]:
    """As `check_photos`, and a PDF or Office document is accepted too (kept as sent)."""
    return _check(files, documents=True)


def _check(files: Sequence[UploadedFile], *, documents: bool) -> list[Photo]:
    if len(files) > MAX_PHOTOS:
        if documents:
            raise ValidationError(_("一次最多上传 %(max)s 个文件。") % {"max": MAX_PHOTOS})
        raise ValidationError(_("最多上传 %(max)s 张照片。") % {"max": MAX_PHOTOS})
    limit = settings.FUWU_MAX_PHOTO_BYTES
    problems: list[str] = []
    photos: list[Photo] = []
    for upload in files:
        name = (upload.name or "photo")[-200:]
        size = upload.size or 0
        if size > limit:
            problems.append(
                _("“%(name)s” 太大（%(size)s），每张照片不能超过 %(max)s。")
                % {"name": name, "size": filesizeformat(size), "max": filesizeformat(limit)}
            )
            continue
        document = _document(upload, name) if documents else None
        if document is not None:
            photos.append(document)
            continue
        try:
            kind, content = _clean_picture(upload, name, documents=documents)
        except _Refused as refused:
            problems.append(str(refused))
            continue
        mime, extension = FORMATS[kind]
        photos.append(Photo(content, name, mime, extension))
    if problems:
        raise ValidationError(problems)
    return photos


def _document(upload: UploadedFile, name: str) -> Photo | None:
    """A PDF or Office file whose first bytes match its extension, else None (then it must be
    a picture). An Office Open XML file must also be a readable zip with a content-types part;
    only the zip's directory is read, nothing is unpacked."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in DOCUMENTS:
        return None
    mime, magic = DOCUMENTS[extension]
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    if not content.startswith(magic):
        return None
    if magic == ZIP:
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "[Content_Types].xml" not in archive.namelist():
                    return None
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
    return Photo(content, name, mime, extension)


def _clean_picture(
    upload: UploadedFile, name: str, *, documents: bool = False
) -> tuple[str, bytes]:
    """The picture's format and its bytes re-encoded without metadata, or `_Refused`.

    Two passes: the first reads only the header (format and size) and `verify()`s the file's
    structure without decoding pixels; only a picture within the pixel limit is decoded, in
    the second pass, because `verify()` leaves an image unusable.
    """
    not_picture = _Refused(
        _(
            "“%(name)s” 不是支持的图片或文件（请上传 JPEG、PNG、WebP 照片，或 PDF、Word、Excel、PowerPoint 文件）。"
        )
        % {"name": name}
        if documents
        else _("“%(name)s” 不是支持的图片（请上传 JPEG、PNG 或 WebP 照片）。") % {"name": name}
    )
    from PIL import Image, UnidentifiedImageError

    _pillow_ready()
    max_pixels = settings.FUWU_MAX_PHOTO_PIXELS
    megapixels = f"{max_pixels / 1_000_000:g}"
    too_many_pixels = _(
        "“%(name)s” 的尺寸太大（%(width)s×%(height)s 像素），每张照片不能超过 %(max)s 百万像素。"
    )
    try:
        with warnings.catch_warnings():
            # Pillow's own guard warns past ~89 megapixels and refuses at twice that; our limit
            # (settable, lower by default) is checked below from the header, so its warning would
            # only hide the picture's size from the message.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as image:  # lazy: reads the header, decodes nothing
                kind, (width, height) = image.format, image.size
                if kind not in FORMATS:
                    raise not_picture
                if width * height > max_pixels:
                    raise _Refused(
                        too_many_pixels
                        % {"name": name, "width": width, "height": height, "max": megapixels}
                    )
                image.verify()  # reads the whole file: a truncated or forged one fails here
            upload.seek(0)
            with Image.open(upload) as image:
                return kind, _reencode(image, kind)
    except Image.DecompressionBombError:  # past twice Pillow's limit: refused in `open`
        raise _Refused(
            too_many_pixels % {"name": name, "width": "?", "height": "?", "max": megapixels}
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise not_picture from None
    finally:
        upload.seek(0)


def _reencode(image: Image.Image, kind: str) -> bytes:
    """The first frame, upright, in the same format and about the same quality, with no metadata.

    Only what changes how the picture looks is carried over (the colour profile, PNG
    transparency, JPEG's own quantisation tables): EXIF (GPS position, camera serial, owner),
    XMP, comments and PNG text chunks are dropped by not passing them on.
    """
    from PIL import ImageOps, JpegImagePlugin

    options: dict[str, Any] = {}
    if icc := image.info.get("icc_profile"):
        options["icc_profile"] = icc
    if kind == "JPEG":
        # The sender's own quantisation tables and subsampling: what quality="keep" would do.
        if tables := getattr(image, "quantization", None):
            options["qtables"] = tables
        else:
            options["quality"] = 90
        if (sampling := JpegImagePlugin.get_sampling(image)) >= 0:
            options["subsampling"] = sampling
    elif kind == "PNG":
        if "transparency" in image.info:
            options["transparency"] = image.info["transparency"]
    else:
        options["quality"] = 90
    # In place: a 40-megapixel photo is 120 MB decoded; a transposed copy would double that.
    ImageOps.exif_transpose(image, in_place=True)
    image.info = {}  # the encoders read comments and the like from here: pass nothing on
    out = io.BytesIO()
    image.save(out, format=kind, **options)
    return out.getvalue()


def thumbnail(content: bytes) -> bytes | None:
    """A small JPEG of a checked picture (None when Pillow cannot read it: no thumbnail then,
    the page shows the file's name). The picture was checked against the pixel limit, and
    JPEG's draft mode decodes it already scaled down."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    _pillow_ready()
    try:
        with Image.open(io.BytesIO(content)) as opened:
            opened.draft("RGB", (THUMB_SIZE * 2, THUMB_SIZE * 2))
            ImageOps.exif_transpose(opened, in_place=True)
            opened.thumbnail((THUMB_SIZE, THUMB_SIZE))
            small: Image.Image = opened
            if small.mode != "RGB":  # transparency on white, as the page shows it
                background = Image.new("RGB", small.size, "white")
                rgba = small.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                small = background
            out = io.BytesIO()
            small.save(out, format="JPEG", quality=80, optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def save_photos(
    case: Case, photos: Sequence[Photo], *, by: Any, step: str = "", item: str = ""
) -> list[Attachment]:
    """Store checked files on a case, under random names (the sender's name is only shown),
    with a thumbnail for each picture; `step` and `item` tie them to a checklist item.

    Call it last in the transaction that writes the case: if a file cannot be written, the
    files already written are removed and the error rolls the transaction (and the case) back.
    """
    rows: list[Attachment] = []
    try:
        for photo in photos:
            attachment = Attachment(
                case=case,
                name=photo.name,
                content_type=photo.content_type,
                size=photo.size,
                uploaded_by=by if getattr(by, "pk", None) else None,
                step=step,
                item=item,
            )
            stem = uuid.uuid4().hex
            rows.append(attachment)
            attachment.file.save(f"{stem}.{photo.extension}", ContentFile(photo.content), False)
            if photo.content_type.startswith("image/") and (small := thumbnail(photo.content)):
                attachment.thumbnail.save(f"{stem}.jpg", ContentFile(small), save=False)
            attachment.save()
    except Exception:
        for row in rows:
            row.file.delete(save=False)
            if row.thumbnail:
                row.thumbnail.delete(save=False)
        raise
    return rows


def _check_item(case: Case, step: str, item: str) -> None:
    """An item must be one of the step's checklist items (or of one of its parallel branches)."""
    definition = definition_of(case.procedure).steps.get(step)
    keys: set[str] = set()
    if definition is not None:
        keys = {i.key for i in definition.checklist}
        keys |= {i.key for b in definition.branches for i in b.checklist}
    if item not in keys:
        raise EngineError("invalid_form", fields={"item": FieldError("no_such_item")})


@transaction.atomic
def attach(
    actor: Actor, case_id: int, files: Sequence[Photo], *, step: str = "", item: str = ""
) -> list[Attachment]:
    """Put checked files (`check_files`) on an open case, or on one checklist item of a step.

    Preconditions: `policy.may_attach` (the assignee, the owning department's staff and those
    above them); the case is open; `item` is a checklist item of `step`. Writes `attached`
    with the attachments' ids, names and the step and item. The version does not move: a
    photo changes no form, so a colleague's open form still submits. If a file cannot be
    written the transaction rolls back and nothing stays behind.
    """
    if not files:
        raise EngineError("invalid_form", fields={"files": FieldError("required")})
    case = lock_case(case_id, actor, version=None)
    policy.check(policy.may_attach(actor, case), "attach_not_allowed", case)
    if item or step:
        _check_item(case, step, item)
    change = Change(case, actor)
    rows = save_photos(case, files, by=actor.user, step=step, item=item)
    data: dict[str, Any] = {"ids": [r.pk for r in rows], "names": [r.name for r in rows]}
    if item:
        data.update(step=step, item=item)
    change.event(EventKind.ATTACHED, **data)
    change.finish()
    return rows
