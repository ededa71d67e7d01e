"""What a receiver gets: the JSON body (one event and its case) and the signature headers.

The body is stable and documented (the API's docs show these models): machine values only —
event kinds, step, status and priority keys, site and department codes, usernames — never a
translated label. `event.data` is the event as the timeline stores it (see the event kinds in
`fuwu.cases.choices.EventKind`); `case` is the case as the change that wrote the event left it
(several events of one change share it).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from fuwu.cases.models import Case, Event

SIGNATURE = "X-Fuwu-Signature"
EVENT = "X-Fuwu-Event"
DELIVERY = "X-Fuwu-Delivery"
TOLERANCE = 300  # seconds a receiver should accept between `t` and its own clock


class WebhookActor(BaseModel):
    id: int
    username: str


class EventPayload(BaseModel):
    id: int = Field(description="the event's id (unique across cases)")
    seq: int = Field(description="its place in the case's timeline, from 1")
    kind: str = Field(description="the event kind, e.g. opened, transitioned, commented")
    at: datetime
    actor: WebhookActor | None = Field(description="who acted; null for the system")
    data: dict[str, Any] = Field(
        description="the event's own values (machine keys: step keys, ids, codes)"
    )


class CasePayload(BaseModel):
    id: int
    number: str = Field(description="the number people quote, e.g. 20261201-000042")
    procedure: str = Field(description="procedure key")
    procedure_version: int
    title: str
    step: str = Field(description="step key")
    status: str = Field(description="open, waiting, resolved, closed, cancelled or rejected")
    priority: str = Field(description="urgent, high, normal or low")
    channel: str
    site: str = Field(description="site code")
    department: str = Field(description="department code")
    assignee: WebhookActor | None
    customer_id: int | None
    asset_id: int | None
    is_major: bool
    version: int
    data: dict[str, Any] = Field(description="the procedure's fields, by key")
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    response_due: datetime | None
    resolution_due: datetime | None


class WebhookPayload(BaseModel):
    """The body of every webhook request (`Content-Type: application/json`)."""

    id: UUID = Field(description="the delivery's id, also in X-Fuwu-Delivery: deduplicate on it")
    event: EventPayload
    case: CasePayload


def _person(user: Any) -> WebhookActor | None:
    return WebhookActor(id=user.pk, username=user.username) if user is not None else None


def case_payload(case: Case) -> CasePayload:
    return CasePayload(
        id=case.pk,
        number=case.number,
        procedure=case.procedure_key,
        procedure_version=case.procedure.version,
        title=case.title,
        step=case.step,
        status=case.status,
        priority=case.priority,
        channel=case.channel,
        site=case.site.code,
        department=case.department.code,
        assignee=_person(case.assignee) if case.assignee_id else None,
        customer_id=case.customer_id,
        asset_id=case.asset_id,
        is_major=case.is_major,
        version=case.version,
        data=case.data,
        created_at=case.created_at,
        updated_at=case.updated_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        response_due=case.response_due,
        resolution_due=case.resolution_due,
    )


def event_payload(event: Event) -> EventPayload:
    return EventPayload(
        id=event.pk,
        seq=event.seq,
        kind=event.kind,
        at=event.at,
        actor=_person(event.actor) if event.actor_id else None,
        data=event.data,
    )


def body(delivery_id: UUID, event: EventPayload, case: CasePayload) -> str:
    return WebhookPayload(id=delivery_id, event=event, case=case).model_dump_json()


def signature(secret: str, body: str, timestamp: int) -> str:
    """`t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: str, header: str, *, now: float | None = None) -> bool:
    """What a receiver does (and the tests do): the signature matches and is recent."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > TOLERANCE:
        return False
    expected = signature(secret, body, timestamp)
    return hmac.compare_digest(expected, f"t={timestamp},v1={fields.get('v1', '')}")


def headers(delivery_id: UUID, kind: str, secret: str, body: str, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Fuwu-Webhooks/1",
        EVENT: kind,
        DELIVERY: str(delivery_id),
        SIGNATURE: signature(secret, body, timestamp),
    }
