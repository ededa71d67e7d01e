"""Outbound webhooks (`fuwu.channels.webhooks`): subscriptions, the delivery log, replay.

For managers of the subscription's site (subscriptions to every site: administrators); anyone
else gets 403, and what the caller may not see is a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, ErrorOut, actor, found
from fuwu.cases.choices import EventKind
from fuwu.channels.webhooks import actions
from fuwu.channels.webhooks.choices import DeliveryStatus
from fuwu.channels.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from fuwu.channels.webhooks.payload import WebhookPayload
from fuwu.procedures.engine.errors import EngineError, FieldError

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

RECEIVING = """

**Receiving a webhook.** Fuwu POSTs one case event per request, as JSON (`WebhookPayload`:
the delivery's `id`, the `event` and the `case` as the change left it), with these headers:

- `X-Fuwu-Event`: the event kind (`opened`, `transitioned`, `commented` …);
- `X-Fuwu-Delivery`: the delivery's id — the same on every retry and replay, so a receiver
  that keeps the ids it has processed can ignore a repeat;
- `X-Fuwu-Signature: t=<unix seconds>,v1=<hex>`, where `<hex>` is
  HMAC-SHA256, keyed with the subscription's secret, of the string `"<t>.<body>"` (the raw
  request body, as received).

To verify: split the header on `,` and `=`, compute the HMAC over `t + "." + body`, compare
it with `v1` in constant time, and refuse a `t` more than 5 minutes from your clock (a
replayed request). Answer 2xx within 10 seconds to acknowledge (by default:
FUWU_WEBHOOK_TIMEOUT); any other answer, a timeout or a refused connection is retried after 1,
2, 4 … minutes (at most an hour apart, 10 attempts by default: FUWU_WEBHOOK_ATTEMPTS). After 5
deliveries in a row (FUWU_WEBHOOK_DISABLE_AFTER) failed every attempt, the subscription is
disabled and the site's managers are told; enabling it again sends what waited. Redirects are
not followed.
"""

router = Router(tags=["webhooks"])


class WebhookSubscriptionIn(Schema):
    url: str = Field(
        description="the receiver: https:// (plain http only for hosts the administrator"
        " allows); not a private, loopback or reserved address",
        max_length=500,
    )
    events: list[str] = Field(
        default_factory=list,
        description="event kinds to send (empty: all): " + ", ".join(EventKind.values),
    )
    site: str | None = Field(
        None, description="a site code; omitted or null: every site (administrators only)"
    )
    name: str = Field("", max_length=100, description="what it is for")


class WebhookSubscriptionPatch(Schema):
    url: str | None = Field(None, max_length=500)
    events: list[str] | None = None
    site: str | None = Field(None, description="null: every site (administrators only)")
    name: str | None = Field(None, max_length=100)
    active: bool | None = Field(
        None,
        description="false disables it (deliveries wait); true enables it again and resets"
        " its failure count, and what waited goes out",
    )


class WebhookSubscriptionOut(Schema):
    id: int
    name: str
    url: str
    events: list[str] = Field(description="empty: all kinds")
    site: str | None
    secret_hint: str = Field(description="the secret's first characters; never the whole")
    active: bool
    consecutive_failures: int = Field(description="deliveries in a row that failed every attempt")
    disabled_at: datetime | None
    disabled_reason: str = Field(description="failures or manual; empty while active")
    disabled_detail: str
    created_at: datetime

    @staticmethod
    def of(row: WebhookSubscription) -> WebhookSubscriptionOut:
        return WebhookSubscriptionOut(
            id=row.pk,
            name=row.name,
            url=row.url,
            events=list(row.event_kinds or []),
            site=row.site.code if row.site else None,
            secret_hint=row.secret_hint,
            active=row.active,
            consecutive_failures=row.consecutive_failures,
            disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason,
            disabled_detail=row.disabled_detail,
            created_at=row.created_at,
        )


class NewWebhookSubscriptionOut(WebhookSubscriptionOut):
    secret: str = Field(description="shown once: store it now to verify the signatures")


class WebhookDeliveryOut(Schema):
    id: UUID = Field(description="also the X-Fuwu-Delivery header and the payload's id")
    subscription_id: int
    case_id: int
    event_id: int
    kind: str
    status: DeliveryStatus
    attempts: int = Field(description="attempts since it was queued (by its event or a replay)")
    replays: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str


class WebhookAttemptOut(Schema):
    at: datetime
    ok: bool
    status_code: int | None
    response: str = Field(description="the first kilobyte of the receiver's answer")
    error: str
    duration_ms: int


class WebhookDeliveryDetailOut(WebhookDeliveryOut):
    payload: WebhookPayload = Field(description="the body as sent")
    attempt_log: list[WebhookAttemptOut]


def _subscription(request: HttpRequest, subscription_id: int) -> WebhookSubscription:
    return actions.subscription_for(actor(request), subscription_id)


@router.get(
    "/webhooks/subscriptions",
    response={200: list[WebhookSubscriptionOut], **READ_ERRORS, 403: ErrorOut},
    summary="Webhook subscriptions of the sites you manage",
    description="Managers see their sites' subscriptions; administrators also the ones to every site."
    + RECEIVING,
)
@paginate(PageNumberPagination, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_subscriptions(request: HttpRequest) -> list[WebhookSubscriptionOut]:
    return [WebhookSubscriptionOut.of(s) for s in actions.subscriptions_for(actor(request))]


@router.post(
    "/webhooks/subscriptions",
    response={201: NewWebhookSubscriptionOut, **WRITE_ERRORS},
    summary="Subscribe a URL to case events (the answer holds the secret, once)",
    description=RECEIVING,
)
def create_subscription(
    request: HttpRequest, payload: WebhookSubscriptionIn
) -> Status[NewWebhookSubscriptionOut]:
    row, secret = actions.create_subscription(
        actor(request), url=payload.url, events=payload.events, site=payload.site, name=payload.name
    )
    row = actions.subscription_for(actor(request), row.pk)
    return Status(
        201, NewWebhookSubscriptionOut(**WebhookSubscriptionOut.of(row).model_dump(), secret=secret)
    )


@router.get(
    "/webhooks/subscriptions/{int:subscription_id}",
    response={200: WebhookSubscriptionOut, **READ_ERRORS, 403: ErrorOut},
    summary="A webhook subscription",
)
def get_subscription(request: HttpRequest, subscription_id: int) -> WebhookSubscriptionOut:
    return WebhookSubscriptionOut.of(_subscription(request, subscription_id))


@router.patch(
    "/webhooks/subscriptions/{int:subscription_id}",
    response={200: WebhookSubscriptionOut, **WRITE_ERRORS},
    summary="Change a subscription, disable it, or enable it again (resets its failure count)",
)
def update_subscription(
    request: HttpRequest, subscription_id: int, payload: WebhookSubscriptionPatch
) -> WebhookSubscriptionOut:
    changes: dict[str, Any] = {
        k: getattr(payload, k)
        for k in payload.model_fields_set
        if k == "site" or getattr(payload, k) is not None
    }
    row = actions.update_subscription(actor(request), subscription_id, changes=changes)
    return WebhookSubscriptionOut.of(row)


@router.delete(
    "/webhooks/subscriptions/{int:subscription_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a subscription and its delivery log",
)
def delete_subscription(request: HttpRequest, subscription_id: int) -> Status[None]:
    actions.delete_subscription(actor(request), subscription_id)
    return Status(204, None)


@router.get(
    "/webhooks/deliveries",
    response={200: list[WebhookDeliveryOut], **READ_ERRORS, 403: ErrorOut},
    summary="The delivery log, newest first (filter by subscription, status, event kind, case)",
)
@paginate(PageNumberPagination, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_deliveries(
    request: HttpRequest,
    subscription: int | None = None,
    status: str | None = None,
    kind: str | None = None,
    case: int | None = None,
) -> QuerySet[WebhookDelivery]:
    rows = actions.deliveries_for(actor(request)).defer("body").order_by("-created_at", "-pk")
    if subscription is not None:
        rows = rows.filter(subscription_id=subscription)
    if status is not None:
        if status not in DeliveryStatus.values:
            options = ", ".join(DeliveryStatus.values)
            raise EngineError(
                "invalid_form", fields={"status": FieldError("bad_choice", options=options)}
            )
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    if case is not None:
        rows = rows.filter(case_id=case)
    return rows


def _detail(delivery: WebhookDelivery) -> WebhookDeliveryDetailOut:
    attempts = WebhookAttempt.objects.filter(delivery=delivery).order_by("at", "pk")
    return WebhookDeliveryDetailOut(
        **WebhookDeliveryOut.from_orm(delivery).model_dump(),
        payload=WebhookPayload.model_validate_json(delivery.body),
        attempt_log=[WebhookAttemptOut.from_orm(a) for a in attempts],
    )


@router.get(
    "/webhooks/deliveries/{uuid:delivery_id}",
    response={200: WebhookDeliveryDetailOut, **READ_ERRORS, 403: ErrorOut},
    summary="A delivery: the payload as sent and every attempt with the receiver's answer",
)
def get_delivery(request: HttpRequest, delivery_id: UUID) -> WebhookDeliveryDetailOut:
    delivery = found(
        actions.deliveries_for(actor(request)).filter(pk=delivery_id).first(), "webhook delivery"
    )
    return _detail(delivery)


@router.post(
    "/webhooks/deliveries/{uuid:delivery_id}/replay",
    response={202: WebhookDeliveryOut, **WRITE_ERRORS},
    summary="Send a delivery again (same id and body, newly signed): a new round of attempts",
)
def replay_delivery(request: HttpRequest, delivery_id: UUID) -> Status[WebhookDeliveryOut]:
    delivery = actions.replay(actor(request), delivery_id)
    return Status(202, WebhookDeliveryOut.from_orm(delivery))
