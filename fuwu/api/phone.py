"""The call centre's screen-pop: `/api/phone/incoming`, called by the telephony system when a
call rings (GET or POST, with the caller's number, the number called and the switch's call id).

It answers who is calling — the customers of the caller's sites with that number, however it
is written, each with their open cases — and the page to open on the agent's screen: the
intake desk with the customer (or, for an unknown caller, the number as its search) and the
call id, which the desk keeps on the case or consultation the call leads to (an inbound
message of channel `phone` whose external id is the call id). Reading only: the call is
recorded when the agent acts on it, so a repeated pop changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema
from ninja import Query as QueryParam

from fuwu.api.common import READ_ERRORS, actor
from fuwu.channels import phone
from fuwu.customers import privacy
from fuwu.procedures.engine.errors import EngineError, Forbidden

router = Router(tags=["phone"])


class PopCase(Schema):
    id: int
    number: str
    title: str
    status: str
    step: str
    procedure: str
    opened_at: datetime
    url: str = Field(description="the case page")


class PopCustomer(Schema):
    id: int
    name: str
    site: str
    phone: str = Field(description="masked unless the caller sees it in full")
    open_cases: list[PopCase]
    url: str = Field(description="the intake desk for this customer and call (the screen-pop)")


class PopOut(Schema):
    caller: str = Field(description="the caller's number in E.164")
    called: str
    call_id: str
    customers: list[PopCustomer]
    url: str = Field(
        description="the page to open: the intake desk with the one customer found, or with "
        "the number as its search when none or several are found; it carries the call id"
    )


def _desk(**params: str | int) -> str:
    return f"{reverse('web:intake')}?{urlencode(params)}"


def _pop(request: HttpRequest, caller: str, called: str, call_id: str) -> PopOut:
    who = actor(request)
    if not who.is_staff:
        raise Forbidden("forbidden")
    number = phone.e164(caller)
    if number is None:
        raise EngineError("phone_bad_caller", caller=caller[:40])
    call_id = call_id.strip()
    if not phone.CALL_ID_RE.match(call_id):
        raise EngineError("phone_bad_call_id", max=phone.CALL_ID_MAX)
    customers = phone.customers_calling(who, number)
    cases: dict[int, list[PopCase]] = {c.pk: [] for c in customers}
    for case in phone.open_cases(customers)[:200]:
        cases[case.customer_id or 0].append(
            PopCase(
                id=case.pk,
                number=case.number,
                title=case.title,
                status=case.status,
                step=case.step,
                procedure=case.procedure_key,
                opened_at=case.created_at,
                url=reverse("web:case", args=[case.pk]),
            )
        )
    out = []
    for c in customers:
        full = privacy.sees_full(who, c.site_id, owner_user_id=c.user_id)
        access = privacy.Access.FULL if full else privacy.Access.MASKED
        out.append(
            PopCustomer(
                id=c.pk,
                name=c.name,
                site=c.site.code,
                phone=privacy.customer_value(c, "phone", access),
                open_cases=cases[c.pk],
                url=_desk(customer=c.pk, call_id=call_id, caller=number),
            )
        )
    url = out[0].url if len(out) == 1 else _desk(q=number, call_id=call_id, caller=number)
    return PopOut(
        caller=number, called=called.strip()[:40], call_id=call_id, customers=out, url=url
    )


@router.get(
    "/phone/incoming",
    response={200: PopOut, **READ_ERRORS, 403: READ_ERRORS[404]},
    summary="Screen-pop: who is calling (for the telephony system)",
)
def incoming(
    request: HttpRequest,
    caller: str = QueryParam(..., max_length=40),
    call_id: str = QueryParam(..., max_length=200),
    called: str = QueryParam("", max_length=40),
) -> PopOut:
    return _pop(request, caller, called, call_id)


class IncomingIn(Schema):
    caller: str = Field(..., max_length=40)
    call_id: str = Field(..., max_length=200)
    called: str = Field("", max_length=40)


@router.post(
    "/phone/incoming",
    response={200: PopOut, **READ_ERRORS, 403: READ_ERRORS[404]},
    summary="Screen-pop, as a POST (the same answer; nothing is written)",
)
def incoming_post(request: HttpRequest, payload: IncomingIn) -> PopOut:
    return _pop(request, payload.caller, payload.called, payload.call_id)
