"""Photos a customer chose in the portal's request form, kept while the form comes back with an
error (issue 10, item 13): a browser never keeps chosen files across a page load, so without
this the customer had to find and choose them again — or sent the request without them.

The photos are checked and cleaned first (`attachments.check_photos`) and kept as
`PendingUpload` rows of that user; the portal keeps their ids in the session, so they belong to
one person's one browser. When the request is sent they go onto the case with the new ones
(`as_photos`, then `drop`); a photo the customer takes off the list is dropped at once. Rows a
customer abandoned are removed after a day, whenever anyone's photos are kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from fuwu.cases.attachments import FORMATS, Photo
from fuwu.cases.models import PendingUpload

KEEP_FOR = timedelta(days=1)


def keep(user: Any, photos: Sequence[Photo]) -> list[PendingUpload]:
    """Store checked photos for this user until the request is sent (or a day passes)."""
    drop(PendingUpload.objects.filter(at__lt=timezone.now() - KEEP_FOR))
    rows: list[PendingUpload] = []
    try:
        for photo in photos:
            row = PendingUpload(
                user=user, name=photo.name, content_type=photo.content_type, size=photo.size
            )
            rows.append(row)
            name = f"{uuid.uuid4().hex}.{photo.extension}"
            row.file.save(name, ContentFile(photo.content), save=False)
            row.save()
    except Exception:
        for row in rows:
            row.file.delete(save=False)
        raise
    return rows


def of(user: Any, ids: Iterable[Any]) -> list[PendingUpload]:
    """This user's kept photos among `ids` (anything else, another user's row, is ignored)."""
    wanted = [int(i) for i in ids if str(i).isdigit()]
    if not wanted or not getattr(user, "pk", None):
        return []
    return list(PendingUpload.objects.filter(user=user, pk__in=wanted).order_by("pk"))


def as_photos(rows: Iterable[PendingUpload]) -> list[Photo]:
    """The kept photos, read back to be stored on the case (they were cleaned when kept)."""
    extensions = {mime: ext for mime, ext in FORMATS.values()}
    out = []
    for row in rows:
        with row.file.open("rb") as handle:
            content = handle.read()
        out.append(Photo(content, row.name, row.content_type, extensions[row.content_type]))
    return out


def drop(rows: Iterable[PendingUpload]) -> None:
    """Remove kept photos, file and row."""
    for row in list(rows):
        row.file.delete(save=False)
        row.delete()
