"""A case's attachments as the pages show them: pictures as thumbnails that open the viewer
(static/web/viewer.js), other files as a link with their size; those attached to a checklist
item also beside that item (in the step form and the details card).

Both URLs go through the access-checked views of `fuwu.portal.views.attachments`: a thumbnail
is read with the same rights as its picture. One query for a case's attachments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse

from fuwu.cases import policy
from fuwu.cases.attachments import ACCEPT_FILES, MAX_PHOTOS
from fuwu.cases.models import Attachment, Case
from fuwu.core.actors import Actor


@dataclass(frozen=True)
class FileShown:
    pk: int
    name: str
    size: int
    at: datetime
    url: str
    thumb: str  # the thumbnail's URL; empty for a document
    step: str
    item: str

    @property
    def is_image(self) -> bool:
        return bool(self.thumb)


def shown(rows: Iterable[Attachment]) -> list[FileShown]:
    out = []
    for a in rows:
        image = a.content_type.startswith("image/")
        out.append(
            FileShown(
                pk=a.pk,
                name=a.name,
                size=a.size,
                at=a.at,
                url=reverse("web:attachment", args=[a.pk]),
                thumb=reverse("web:attachment-thumbnail", args=[a.pk]) if image else "",
                step=a.step,
                item=a.item,
            )
        )
    return out


def case_files(case: Case) -> list[FileShown]:
    """Every attachment of the case, oldest first (one query)."""
    return shown(Attachment.objects.filter(case=case).order_by("at", "pk"))


def by_item(files: Iterable[FileShown]) -> dict[str, list[FileShown]]:
    """The files attached to checklist items, under "<step>.<item>" (what templates look up)."""
    out: dict[str, list[FileShown]] = {}
    for f in files:
        if f.item:
            out.setdefault(f"{f.step}.{f.item}", []).append(f)
    return out


def upload_context(case: Case, actor: Actor) -> dict[str, Any]:
    """What the upload controls need: whether this person may attach, and the limits to say."""
    return {
        "may_attach": not case.is_closed and policy.may_attach(actor, case),
        "accept_files": ACCEPT_FILES,
        "max_file_bytes": settings.FUWU_MAX_PHOTO_BYTES,
        "max_files": MAX_PHOTOS,
    }
