"""API tokens of the logged-in user; and the user's notification inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja import Query as QueryParam

from fuwu.api.auth import bearer_token
from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, language
from fuwu.core.choices import TokenScope
from fuwu.core.models import ApiToken
from fuwu.core.tokens import issue_token, revoke_own_token, token_state
from fuwu.notifications.messages import render
from fuwu.notifications.models import Notification
from fuwu.procedures.engine.errors import Forbidden, NotFound

router = Router(tags=["account"])


def _me(request: HttpRequest) -> Any:
    return request.user  # authenticated by the API's auth classes before any handler runs


class TokenIn(Schema):
    name: str = Field("api", min_length=1, max_length=100)
    scopes: list[TokenScope] = Field(
        default_factory=lambda: list(TokenScope),
        min_length=1,
        description="`read` allows GET; `write` allows POST and the other changing methods",
    )
    days: int | None = Field(
        None,
        ge=1,
        description="lifetime in days (default FUWU_TOKEN_DAYS, at most FUWU_TOKEN_MAX_DAYS)",
    )
    expires_at: datetime | None = Field(
        None, description="or an expiry moment, at most FUWU_TOKEN_MAX_DAYS ahead"
    )


class TokenOut(Schema):
    prefix: str
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    last_used_from: str | None
    revoked_at: datetime | None
    state: str = Field(..., description="active, expired or revoked")

    @staticmethod
    def of(token: ApiToken) -> TokenOut:
        return TokenOut(
            prefix=token.prefix,
            name=token.name,
            scopes=token.scope_list,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            last_used_from=token.last_used_from,
            revoked_at=token.revoked_at,
            state=token_state(token),
        )


class NewTokenOut(TokenOut):
    token: str = Field(..., description="shown once; store it now")


@router.post(
    "/tokens",
    response={201: NewTokenOut, **WRITE_ERRORS},
    summary="Create an API token for yourself (signed-in session only)",
)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[NewTokenOut]:
    # A token may not mint tokens: a stolen or leaked one could otherwise renew itself and
    # leave children behind when it is revoked. Creating needs the person, signed in.
    if bearer_token(request) is not None:
        raise Forbidden("token_cannot_mint")
    token, raw = issue_token(
        _me(request),
        name=payload.name,
        scopes=[s.value for s in payload.scopes],
        days=payload.days,
        expires_at=payload.expires_at,
    )
    return Status(201, NewTokenOut(**TokenOut.of(token).model_dump(), token=raw))


@router.get("/tokens", response={200: list[TokenOut], **READ_ERRORS}, summary="Your API tokens")
def list_tokens(request: HttpRequest) -> list[TokenOut]:
    return [
        TokenOut.of(t) for t in ApiToken.objects.filter(user=_me(request)).order_by("created_at")
    ]


@router.post(
    "/tokens/{prefix}/revoke",
    response={200: TokenOut, **WRITE_ERRORS},
    summary="Revoke one of your tokens",
)
def revoke_token(request: HttpRequest, prefix: str) -> TokenOut:
    return TokenOut.of(revoke_own_token(_me(request), prefix))


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
