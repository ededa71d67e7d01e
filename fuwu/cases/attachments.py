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
"""

from __future__ import annotations

import io
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, JpegImagePlugin, UnidentifiedImageError

from fuwu.cases.models import Attachment, Case

MAX_PHOTOS = 5
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
try:  # HEIC/HEIF (iPhone photos) when the plugin is there; otherwise refused with a clear message.
    from pillow_heif import register_heif_opener  # type: ignore[import-not-found]

    register_heif_opener()
    FORMATS["HEIF"] = ("image/heic", "heic")
except ImportError:  # pragma: no cover - depends on the installation
    pass

# The accept attribute of the file input: a hint for the phone's picker, not a check.
ACCEPT = ",".join(sorted({mime for mime, _ in FORMATS.values()}))


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
    if len(files) > MAX_PHOTOS:
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
        try:
            kind, content = _clean_picture(upload, name)
        except _Refused as refused:
            problems.append(str(refused))
            continue
        mime, extension = FORMATS[kind]
        photos.append(Photo(content, name, mime, extension))
    if problems:
        raise ValidationError(problems)
    return photos


def _clean_picture(upload: UploadedFile, name: str) -> tuple[str, bytes]:
    """The picture's format and its bytes re-encoded without metadata, or `_Refused`.

    Two passes: the first reads only the header (format and size) and `verify()`s the file's
    structure without decoding pixels; only a picture within the pixel limit is decoded, in
    the second pass, because `verify()` leaves an image unusable.
    """
    not_picture = _Refused(
        _("“%(name)s” 不是支持的图片（请上传 JPEG、PNG 或 WebP 照片）。") % {"name": name}
    )
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


def save_photos(case: Case, photos: Sequence[Photo], *, by: Any) -> list[Attachment]:
    """Store checked photos on a case, under random names (the sender's name is only shown).

    Call it last in the transaction that creates the case: if a file cannot be written, the
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
            )
            stored = ContentFile(photo.content)
            attachment.file.save(f"{uuid.uuid4().hex}.{photo.extension}", stored, save=False)
            rows.append(attachment)
            attachment.save()
    except Exception:
        for row in rows:
            row.file.delete(save=False)
        raise
    return rows
