"""API tokens of the logged-in user; and the user's notification inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja import Query as QueryParam

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, language
from fuwu.core.models import ApiToken
from fuwu.notifications.messages import render
from fuwu.notifications.models import Notification
from fuwu.procedures.engine.errors import NotFound

router = Router(tags=["account"])


def _me(request: HttpRequest) -> Any:
    return request.user  # authenticated by the API's auth classes before any handler runs


class TokenIn(Schema):
    name: str = Field("api", min_length=1, max_length=100)


class TokenOut(Schema):
    prefix: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(..., description="shown once; store it now")


@router.post(
    "/tokens",
    response={201: NewTokenOut, **WRITE_ERRORS},
    summary="Create an API token for yourself",
)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[NewTokenOut]:
    token, raw = ApiToken.issue(_me(request), payload.name)
    return Status(
        201,
        NewTokenOut(
            prefix=token.prefix,
            name=token.name,
            created_at=token.created_at,
            revoked_at=None,
            token=raw,
        ),
    )


@router.get("/tokens", response={200: list[TokenOut], **READ_ERRORS}, summary="Your API tokens")
def list_tokens(request: HttpRequest) -> list[TokenOut]:
    return [
        TokenOut(prefix=t.prefix, name=t.name, created_at=t.created_at, revoked_at=t.revoked_at)
        for t in ApiToken.objects.filter(user=_me(request)).order_by("created_at")
    ]


@router.post(
    "/tokens/{prefix}/revoke",
    response={200: TokenOut, **WRITE_ERRORS},
    summary="Revoke one of your tokens",
)
def revoke_token(request: HttpRequest, prefix: str) -> TokenOut:
    token = ApiToken.objects.filter(user=_me(request), prefix=prefix).first()
    if token is None:
        raise NotFound("not_found", what="token")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return TokenOut(
        prefix=token.prefix,
        name=token.name,
        created_at=token.created_at,
        revoked_at=token.revoked_at,
    )


class NotificationOut(Schema):
    id: int
    kind: str
    case_id: int | None
    text: str
    data: dict
    created_at: datetime
    read: bool


@router.get(
    "/notifications", response={200: list[NotificationOut], **READ_ERRORS}, summary="Your inbox"
)
def inbox(
    request: HttpRequest, unread: bool = False, limit: int = QueryParam(50, ge=1, le=200)
) -> list[NotificationOut]:
    qs = Notification.objects.filter(recipient=_me(request))
    if unread:
        qs = qs.filter(read_at__isnull=True)
    lang = language(request)
    return [
        NotificationOut(
            id=n.pk,
            kind=n.kind,
            case_id=n.case_id,
            text=render(n.kind, n.data, lang),
            data=n.data,
            created_at=n.created_at,
            read=n.read_at is not None,
        )
        for n in qs[:limit]
    ]


@router.post(
    "/notifications/{int:notification_id}/read",
    response={200: NotificationOut, **WRITE_ERRORS},
    summary="Mark a notification read",
)
def mark_read(request: HttpRequest, notification_id: int) -> NotificationOut:
    n = Notification.objects.filter(recipient=_me(request), pk=notification_id).first()
    if n is None:
        raise NotFound("not_found", what="notification")
    if n.read_at is None:
        n.read_at = timezone.now()
        n.save(update_fields=["read_at"])
    return NotificationOut(
        id=n.pk,
        kind=n.kind,
        case_id=n.case_id,
        text=render(n.kind, n.data, language(request)),
        data=n.data,
        created_at=n.created_at,
        read=True,
    )
