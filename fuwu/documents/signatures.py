"""A drawn signature as it arrives from the signing pad: a PNG, as a data URL or bytes.

It is checked like every picture attached to a case (`fuwu.cases.attachments.check_photos`:
a real PNG within the size and pixel limits, re-encoded without metadata), and it must show
something: a pad submitted without a stroke is fully transparent or blank white.
"""

from __future__ import annotations

import base64
import binascii
import io

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from fuwu.cases.attachments import Photo, check_photos
from fuwu.procedures.engine.errors import EngineError, FieldError

PREFIX = "data:image/png;base64,"
NAME = "signature.png"


def decode(data_url: str) -> bytes:
    """The PNG bytes of `data:image/png;base64,…`, or `invalid_form` on `signature`."""
    text = (data_url or "").strip()
    if not text.startswith(PREFIX):
        raise _refused()
    try:
        return base64.b64decode(text[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise _refused() from None


def check_signature(content: bytes) -> Photo:
    """The cleaned PNG of a drawn signature, or `invalid_form` on `signature`."""
    upload = SimpleUploadedFile(NAME, content, content_type="image/png")
    try:
        (photo,) = check_photos([upload])
    except ValidationError:
        raise _refused() from None
    if photo.content_type != "image/png" or not _has_ink(photo.content):
        raise _refused()
    return photo


def _has_ink(content: bytes) -> bool:
    """Some pixel is drawn: not transparent and not white."""
    from PIL import Image  # on first use, as in fuwu.cases.attachments

    with Image.open(io.BytesIO(content)) as image:
        rgba = image.convert("RGBA")
        alpha = rgba.getchannel("A")
        if alpha.getbbox() is None:
            return False
        dark = rgba.convert("L").point(lambda v: 255 if v < 200 else 0)
        if alpha.getextrema()[0] == 255:  # opaque: the ink is what is not white
            return dark.getbbox() is not None
        # Transparent background: ink is where alpha is set and the colour is not white.
        ink = Image.composite(dark, Image.new("L", rgba.size, 0), alpha)
        return ink.getbbox() is not None


def _refused() -> EngineError:
    return EngineError("invalid_form", fields={"signature": FieldError("not_signature")})
