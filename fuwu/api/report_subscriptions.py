"""Report subscriptions: a person orders a report they may read with its filters, daily,
weekly or monthly; the worker e-mails each whole period after it ends as PDF and xlsx
(`fuwu.reports.subscriptions`). Each person sees and cancels only their own."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, ErrorOut, actor
from fuwu.procedures.engine.errors import Forbidden
from fuwu.reports import subscriptions as subs
from fuwu.reports.choices import Frequency
from fuwu.reports.lists import rights
from fuwu.reports.models import Subscription

router = Router(tags=["reports"])


class SubscriptionIn(Schema):
    report: str = Field(description="one of: " + ", ".join(subs.FAMILIES))
    frequency: str = Field(description="daily, weekly or monthly")
    params: dict[str, str] = Field(
        default_factory=dict,
        description="the report's filters: " + ", ".join(subs.KEPT_PARAMS) + " (others ignored)",
    )


class SubscriptionOut(Schema):
    id: int
    report: str
    frequency: Frequency
    params: dict[str, str]
    next_period_from: date
    next_period_to: date
    last_sent_at: datetime | None
    last_error: str

    @staticmethod
    def of(sub: Subscription) -> SubscriptionOut:
        start, end = subs.next_period(sub)
        return SubscriptionOut(
            id=sub.pk,
            report=sub.report,
            frequency=Frequency(sub.frequency),
            params=sub.params,
            next_period_from=start,
            next_period_to=end,
            last_sent_at=sub.last_sent_at,
            last_error=sub.last_error,
        )


def _reader(request: HttpRequest) -> None:
    """Subscriptions are for people who may open a report (`fuwu.reports.lists.rights`); each
    order is checked with its report's own rights."""
    if not rights.readable(actor(request)):
        raise Forbidden("forbidden")


@router.get(
    "/reports/subscriptions",
    response={200: list[SubscriptionOut], **READ_ERRORS, 403: ErrorOut},
    summary="Your report subscriptions",
)
def list_subscriptions(request: HttpRequest) -> list[SubscriptionOut]:
    _reader(request)
    rows = Subscription.objects.filter(user_id=int(request.user.pk or 0)).order_by(
        "report", "frequency", "pk"
    )
    return [SubscriptionOut.of(s) for s in rows]


@router.post(
    "/reports/subscriptions",
    response={201: SubscriptionOut, **WRITE_ERRORS},
    summary="Subscribe to a report: sent by e-mail as PDF and xlsx after each period",
)
def create_subscription(request: HttpRequest, payload: SubscriptionIn) -> Status[SubscriptionOut]:
    _reader(request)
    sub = subs.subscribe(request.user, payload.report, payload.frequency, payload.params)
    return Status(201, SubscriptionOut.of(sub))


@router.delete(
    "/reports/subscriptions/{int:subscription_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Cancel one of your report subscriptions",
)
def delete_subscription(request: HttpRequest, subscription_id: int) -> Status[None]:
    _reader(request)
    subs.unsubscribe(request.user, subscription_id)
    return Status(204, None)
