"""Photos attached to a case: checked by their content, then stored under a name we choose.

The browser's file name and content type are the sender's word, so neither decides anything:
Pillow reads each file and it must be a JPEG, PNG or WebP picture (HEIC too when the
`pillow_heif` plugin is installed; phones' browsers usually send JPEG anyway). Each photo may
be `settings.FUWU_MAX_PHOTO_BYTES` large, and a request carries at most `MAX_PHOTOS`.
Checking happens before anything is written, so a refused upload changes nothing.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

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
    upload: UploadedFile
    name: str
    content_type: str
    extension: str
    size: int


def check_photos(files: Sequence[UploadedFile]) -> list[Photo]:
    """Every file must be a picture of an accepted type and size; all problems at once.

    Raises `ValidationError` with one message per problem, in the active language.
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
                _("“%(name)s” 太大(%(size)s),每张照片不能超过 %(max)s。")
                % {"name": name, "size": filesizeformat(size), "max": filesizeformat(limit)}
            )
            continue
        kind = _picture_format(upload)
        if kind not in FORMATS:
            problems.append(
                _("“%(name)s” 不是支持的图片(请上传 JPEG、PNG 或 WebP 照片)。") % {"name": name}
            )
            continue
        mime, extension = FORMATS[kind]
        photos.append(Photo(upload, name, mime, extension, size))
    if problems:
        raise ValidationError(problems)
    return photos


def _picture_format(upload: UploadedFile) -> str | None:
    """The format Pillow finds in the bytes (None when they are not an intact picture)."""
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                kind = image.format
                image.verify()  # reads the whole file: a truncated or forged one fails here
        return kind
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ):
        return None
    finally:
        upload.seek(0)


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
            photo.upload.seek(0)
            attachment.file.save(f"{uuid.uuid4().hex}.{photo.extension}", photo.upload, save=False)
            rows.append(attachment)
            attachment.save()
    except Exception:
        for row in rows:
            row.file.delete(save=False)
        raise
    return rows
