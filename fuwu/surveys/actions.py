"""Every write of the survey app: rounds, invitations, and submitting a response.

A campaign round's invitations go to its audience (the site's customers, or the residents who
own its units) with `send_invitations`: a one-time link each, recorded as the round's responses
(who, when, how sent); the round is locked while they are made and a customer already invited is
skipped, so sending twice invites nobody twice. Delivery is queued in the same transaction: an
inbox notification (and its e-mail) for a customer with a portal account, an e-mail with the
link (`tasks.send_invitation_emails`) for one with an address only; the others wait for the
SMS/WeChat channels (`Delivery.PENDING`).

A response is submitted once: the answers are checked first (bad input changes nothing), then
the response is claimed with a conditional update (`submitted_at` still empty), so a second
submission — the same link twice, two tabs, a retry — is refused and stores nothing. Low answers
open one follow-up case through `cases.actions.open_case`, in the same transaction as the claim,
so the follow-up exists exactly when the submission does: once per response.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from fuwu.campaigns.models import Campaign
from fuwu.cases.actions import open_case
from fuwu.cases.models import Case
from fuwu.cases.queries import get_case_for
from fuwu.core import limits
from fuwu.core.actors import SYSTEM, Actor
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.errors import EngineError, FieldError, Forbidden, NotFound
from fuwu.surveys import form
from fuwu.surveys.choices import Audience, Channel, Delivery, RoundKind
from fuwu.surveys.models import Answer, Question, Questionnaire, Response, Round

LINK_SALT = "fuwu.surveys.link"
ROUND_ROLES = frozenset({"agent", "manager", "vp", "admin", "service_advisor"})


def questionnaires_for(site_id: int) -> Any:
    """The current questionnaires a site may use: its own and the organisation-wide ones."""
    from django.db.models import Q

    return Questionnaire.objects.filter(is_current=True).filter(
        Q(site__isnull=True) | Q(site_id=site_id)
    )


def _check_staff(actor: Actor, site_id: int) -> None:
    if not actor.may_see_site(site_id):
        raise NotFound("not_found", what="site")
    if not actor.superuser and not actor.roles & ROUND_ROLES:
        raise Forbidden(
            "role_not_allowed", transition="survey", roles=", ".join(sorted(ROUND_ROLES))
        )


@transaction.atomic
def create_round(
    actor: Actor,
    *,
    questionnaire_key: str,
    site_id: int,
    title: str,
    kind: str = RoundKind.CAMPAIGN,
    campaign_id: int | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    audience: str = "",
) -> Round:
    """A round of the site's current version of the questionnaire; a campaign round may name its
    `audience` (whom `send_invitations` invites). No side effects."""
    _check_staff(actor, site_id)
    limits.check_fields(title=title)
    errors: dict[str, FieldError] = {}
    questionnaire = questionnaires_for(site_id).filter(key=questionnaire_key).first()
    if questionnaire is None:
        errors["questionnaire"] = FieldError("bad_choice", options="")
    if kind not in RoundKind.values:
        errors["kind"] = FieldError("bad_choice", options=", ".join(RoundKind.values))
    if not title.strip():
        errors["title"] = FieldError("required")
    if closes_at is not None and closes_at <= (opens_at or timezone.now()):
        errors["closes_at"] = FieldError("survey_closes_first")
    if audience and (audience not in Audience.values or kind != RoundKind.CAMPAIGN):
        errors["audience"] = FieldError("bad_choice", options=", ".join(Audience.values))
    if (
        campaign_id is not None
        and not Campaign.objects.filter(pk=campaign_id, site_id=site_id).exists()
    ):
        errors["campaign"] = FieldError("bad_choice", options="")
    if errors:
        raise EngineError("invalid_form", fields=errors)
    return Round.objects.create(
        questionnaire=questionnaire,
        site_id=site_id,
        title=title.strip()[:200],
        kind=kind,
        campaign_id=campaign_id,
        opens_at=opens_at or timezone.now(),
        closes_at=closes_at,
        audience=audience,
        created_by=actor.user,
    )


def audience_of(round_: Round) -> Any:
    """The live customers of the round's site its audience names: every one, or those who own a
    unit of the site."""
    customers = Customer.objects.live().filter(site_id=round_.site_id)
    if round_.audience == Audience.RESIDENTS:
        owners = Asset.objects.filter(
            site_id=round_.site_id, kind=AssetKind.UNIT, owner__isnull=False
        ).values("owner_id")
        customers = customers.filter(pk__in=owners)
    return customers


def may_send(actor: Actor, round_: Round) -> bool:
    """Managers of the round's site send a campaign round's invitations."""
    return (
        actor.is_manager
        and actor.may_see_site(round_.site_id)
        and round_.kind == RoundKind.CAMPAIGN
        and bool(round_.audience)
    )


@transaction.atomic
def send_invitations(actor: Actor, round_id: int, *, now: datetime | None = None) -> Counter[str]:
    """Invite every customer of the round's audience not invited yet: a one-time link each
    (expiring after the round's `link_days`), delivered as the module says. The counts of the
    new invitations per `Delivery`; none when everyone is invited already.

    Refused (nothing written): a round the person may not see (not found), not a campaign with an
    audience or not theirs to send (forbidden), a round not open now (`survey_closed`)."""
    from fuwu.notifications.services import notify
    from fuwu.surveys.tasks import send_invitation_emails

    now = now or timezone.now()
    found = Round.objects.filter(pk=round_id).first()
    if found is None or not actor.may_see_site(found.site_id):
        raise NotFound("not_found", what="round")
    # The lock makes a second sender wait and then see the first one's invitations.
    round_ = Round.objects.select_for_update().get(pk=found.pk)
    if not may_send(actor, round_):
        raise Forbidden("forbidden")
    if not round_.is_open(now):
        raise EngineError("survey_closed")
    invited = Response.objects.filter(round=round_, customer__isnull=False).values("customer_id")
    customers = list(
        audience_of(round_).exclude(pk__in=invited).order_by("pk").only("pk", "user_id", "email")
    )
    expires = now + timedelta(days=round_.link_days)
    made = Response.objects.bulk_create(
        [
            Response(
                round=round_,
                customer=c,
                channel=Channel.LINK,
                invited_at=now,
                expires_at=expires,
                delivery=Delivery.PORTAL
                if c.user_id
                else Delivery.EMAIL
                if c.email
                else Delivery.PENDING,
            )
            for c in customers
        ],
        batch_size=1000,
    )
    users = [c.user for c in customers if c.user_id]
    if users:
        notify(
            users,
            case=None,
            kind="survey_invitation",
            data={
                "round": round_.pk,
                "title": round_.title,
                "link": _absolute(reverse("portal:surveys")),
                "expires": f"{timezone.localtime(expires):%Y-%m-%d}",
            },
        )
    mailed = [r.pk for r in made if r.delivery == Delivery.EMAIL]
    if mailed:
        # Queued in this transaction (database task backend): it runs after the commit, by id.
        send_invitation_emails.enqueue(mailed)
    return Counter(str(r.delivery) for r in made)


def _absolute(path: str) -> str:
    return f"{settings.FUWU_BASE_URL.rstrip('/')}{path}"


def link_url(response: Response) -> str:
    """The one-time link of an invitation, as the customer receives it."""
    return _absolute(reverse("portal:survey-link", args=[link_token(response)]))


def link_token(response: Response) -> str:
    """The signed part of a one-time link: the response's id, signed with the site's secret."""
    return signing.dumps(response.pk, salt=LINK_SALT, compress=True)


@transaction.atomic
def invite(
    actor: Actor,
    round_id: int,
    *,
    customer_id: int,
    case_id: int | None = None,
    channel: str = Channel.LINK,
    now: datetime | None = None,
) -> Response:
    """Invite a customer of the round's site to answer, by the portal or a one-time link (which
    expires after the round's `link_days`). Counts towards the round's response rate."""
    now = now or timezone.now()
    round_ = Round.objects.select_related("questionnaire").filter(pk=round_id).first()
    if round_ is None or not actor.may_see_site(round_.site_id):
        raise NotFound("not_found", what="round")
    _check_staff(actor, round_.site_id)
    errors: dict[str, FieldError] = {}
    if channel not in (Channel.LINK, Channel.PORTAL):
        errors["channel"] = FieldError("bad_choice", options="link, portal")
    if not Customer.objects.live().filter(pk=customer_id, site_id=round_.site_id).exists():
        errors["customer"] = FieldError("not_on_site")
    if case_id is not None and not Case.objects.filter(pk=case_id, site_id=round_.site_id).exists():
        errors["case"] = FieldError("not_case")
    elif case_id is not None and Response.objects.filter(round=round_, case_id=case_id).exists():
        errors["case"] = FieldError("survey_case_invited")
    if errors:
        raise EngineError("invalid_form", fields=errors)
    if not round_.is_open(now):
        raise EngineError("survey_closed")
    return Response.objects.create(
        round=round_,
        customer_id=customer_id,
        case_id=case_id,
        channel=channel,
        invited_at=now,
        expires_at=now + timedelta(days=round_.link_days) if channel == Channel.LINK else None,
    )


@transaction.atomic
def invite_campaign(
    actor: Actor, round_id: int, *, channel: str = Channel.PORTAL, now: datetime | None = None
) -> list[Response]:
    """Invite the customer of every case of the round's campaign (one per household) that has
    none yet in this round; a second call invites only the cases added since."""
    round_ = Round.objects.filter(pk=round_id).first()
    if round_ is None or not actor.may_see_site(round_.site_id):
        raise NotFound("not_found", what="round")
    if round_.campaign_id is None:
        raise EngineError("invalid_form", fields={"campaign": FieldError("required")})
    invited = Response.objects.filter(round=round_, case__isnull=False).values("case_id")
    cases = (
        Case.objects.filter(campaign_id=round_.campaign_id, customer__isnull=False)
        .exclude(pk__in=invited)
        .order_by("pk")
        .values_list("pk", "customer_id")
    )
    return [
        invite(actor, round_.pk, customer_id=customer, case_id=case, channel=channel, now=now)
        for case, customer in cases
    ]


def response_for_link(token: str, *, now: datetime | None = None) -> Response:
    """The response a link names, if it may still be answered; otherwise a clear refusal."""
    try:
        pk = signing.loads(token, salt=LINK_SALT)
    except signing.BadSignature:
        raise NotFound("survey_link_invalid") from None
    response = (
        Response.objects.select_related("round__questionnaire", "round__site", "customer")
        .filter(pk=pk, channel=Channel.LINK)
        .first()
    )
    if response is None or not isinstance(pk, int):
        raise NotFound("survey_link_invalid")
    if response.submitted_at is not None:
        raise EngineError("survey_answered")
    if response.expires_at is None or (now or timezone.now()) >= response.expires_at:
        raise EngineError("survey_link_expired")
    return response


def _submit(actor: Actor, response: Response, raw: Mapping[str, Any], now: datetime) -> Response:
    """Check, claim once, store the answers, open the follow-up when an answer is low."""
    problems = limits.field_errors({str(k): v for k, v in raw.items()})
    if problems:
        raise EngineError("invalid_form", fields=problems)
    round_ = response.round
    if not round_.is_open(now):
        raise EngineError("survey_closed")
    questionnaire = round_.questionnaire
    spec = questionnaire.spec()
    values = form.clean(spec, raw)
    claimed = Response.objects.filter(pk=response.pk, submitted_at__isnull=True).update(
        submitted_at=now, submitted_by=actor.user
    )
    if claimed != 1:
        raise EngineError("survey_answered")
    response.refresh_from_db()
    questions = {q.key: q for q in Question.objects.filter(questionnaire=questionnaire)}
    Answer.objects.bulk_create(
        [
            Answer(
                response=response,
                question=questions[key],
                score=value.score,
                choice=value.choice,
                text=value.text,
            )
            for key, value in values.items()
        ]
    )
    low = form.low_answers(spec, values)
    if low and spec.follow_up_procedure and response.follow_up_id is None:
        response.follow_up = _open_follow_up(response, spec, values, low, now)
        Response.objects.filter(pk=response.pk, follow_up__isnull=True).update(
            follow_up=response.follow_up
        )
    return response


def _open_follow_up(
    response: Response,
    spec: form.FormSpec,
    values: Mapping[str, form.Value],
    low: list[str],
    now: datetime,
) -> Case:
    by_key = {q.key: q for q in spec.questions}
    lines = [
        f"{by_key[k].zh}：{values[k].word(by_key[k].kind) if by_key[k].kind == 'yes_no' else values[k].score}"
        for k in low
    ]
    comments = [v.text for k, v in values.items() if by_key[k].kind == "text" and v.text]
    description = "\n".join([*lines, *comments])
    return open_case(
        SYSTEM,
        procedure_key=spec.follow_up_procedure,
        site_id=response.round.site_id,
        channel="system",
        title=f"问卷低分跟进：{spec.zh}",
        description=description,
        customer_id=response.customer_id,
        parent_id=response.case_id,
        data={},
        now=now,
    )


@transaction.atomic
def answer_by_link(token: str, raw: Mapping[str, Any], *, now: datetime | None = None) -> Response:
    """A customer answers through a one-time link, without signing in."""
    now = now or timezone.now()
    response = response_for_link(token, now=now)
    return _submit(SYSTEM, response, raw, now)


@transaction.atomic
def answer_in_portal(
    actor: Actor, customer: Customer, response_id: int, raw: Mapping[str, Any]
) -> Response:
    """A signed-in customer answers one of their own invitations (portal or link)."""
    now = timezone.now()
    response = (
        Response.objects.select_related("round__questionnaire")
        .filter(pk=response_id, customer=customer)
        .first()
    )
    if response is None:
        raise NotFound("not_found", what="survey")
    if response.submitted_at is not None:
        raise EngineError("survey_answered")
    if response.expires_at is not None and now >= response.expires_at:
        raise EngineError("survey_link_expired")
    return _submit(actor, response, raw, now)


@transaction.atomic
def answer_for_case(
    actor: Actor,
    round_id: int,
    case_id: int,
    raw: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> Response:
    """Staff record the customer's answers on a return visit or follow-up call of a case.

    The case must be one the person may see and of the round's site; a pending invitation for
    that case is answered, otherwise a staff-call response is made and answered at once.
    """
    now = now or timezone.now()
    case = get_case_for(actor, case_id)
    _check_staff(actor, case.site_id)
    round_ = Round.objects.select_related("questionnaire").filter(pk=round_id).first()
    if round_ is None or round_.site_id != case.site_id:
        raise NotFound("not_found", what="round")
    if not round_.questionnaire.is_current and round_.kind == RoundKind.STANDING:
        raise EngineError("survey_not_current")
    response = (
        Response.objects.select_for_update()
        .filter(round=round_, case=case, submitted_at__isnull=True)
        .first()
    )
    if response is None:
        if Response.objects.filter(round=round_, case=case).exists():
            raise EngineError("survey_answered")
        response = Response(
            round=round_, customer=case.customer, case=case, channel=Channel.STAFF, invited_at=now
        )
        form.clean(round_.questionnaire.spec(), raw)  # refuse bad input before creating a row
        try:
            with transaction.atomic():
                response.save()
        except IntegrityError:  # another person recorded this visit a moment ago
            raise EngineError("survey_answered") from None
    response.round = round_
    return _submit(actor, response, raw, now)
