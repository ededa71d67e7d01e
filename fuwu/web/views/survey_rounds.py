"""Managers start a survey campaign from the staff pages: a new round of a questionnaire on one
of their sites for a period and an audience (`/surveys/rounds/new/`), then its invitations sent
from the round's page (`/surveys/rounds/<id>/invitations/`, POST) — a one-time link per customer,
recorded with who was invited, when and how. The rules are `fuwu.surveys.actions`'."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from fuwu.core.actors import Actor
from fuwu.core.models import Site
from fuwu.procedures.engine.errors import EngineError, NotFound
from fuwu.surveys import actions
from fuwu.surveys.choices import Audience, Delivery, RoundKind
from fuwu.surveys.models import Questionnaire, Response, Round
from fuwu.web.access import actor_of, staff_required
from fuwu.web.forms import styled

SHOWN = 200  # the invitations listed on the round's page (the newest)


def _language() -> str:
    return get_language() or "zh-hans"


def _sites(actor: Actor) -> list[Site]:
    sites = Site.objects.order_by("name")
    if not actor.superuser:
        sites = sites.filter(pk__in=actor.site_ids)
    return list(sites)


class RoundForm(forms.Form):
    site = forms.ChoiceField(label=gettext_lazy("项目"))
    questionnaire = forms.ChoiceField(label=gettext_lazy("问卷"))
    title = forms.CharField(label=gettext_lazy("标题"), max_length=200)
    opens = forms.DateField(label=gettext_lazy("开始日期"))
    closes = forms.DateField(label=gettext_lazy("结束日期"))
    audience = forms.ChoiceField(
        label=gettext_lazy("调查对象"), choices=Audience.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, sites: list[Site], language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site: forms.ChoiceField = self.fields["site"]  # type: ignore[assignment]
        site.choices = [(str(s.pk), s.name) for s in sites]
        found = Questionnaire.objects.filter(is_current=True).filter(
            Q(site__isnull=True) | Q(site__in=sites)
        )
        questionnaire: forms.ChoiceField = self.fields["questionnaire"]  # type: ignore[assignment]
        questionnaire.choices = [(q.key, q.name(language)) for q in found.order_by("key")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens"), data.get("closes")
        if opens and closes and closes < opens:
            self.add_error("closes", _("结束日期不能早于开始日期。"))
        return data


def _moment(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone)


@staff_required(manager=True)
def new_round(request: HttpRequest) -> HttpResponse:
    """Open a campaign round: the questionnaire, the site, the period (the site's days, the last
    one included) and whom its invitations will go to."""
    actor = actor_of(request)
    language = _language()
    sites = _sites(actor)
    today = timezone.localdate()
    initial = {
        "opens": today,
        "closes": today + timedelta(days=30),
        "audience": Audience.RESIDENTS,
        "title": _("%(year)s年%(half)s意见征询")
        % {"year": today.year, "half": _("上半年") if today.month <= 6 else _("下半年")},
        "questionnaire": "opinion_survey",
    }
    form = RoundForm(request.POST or None, initial=initial, sites=sites, language=language)
    error = ""
    if request.method == "POST" and form.is_valid():
        site = next(s for s in sites if str(s.pk) == form.cleaned_data["site"])
        zone = ZoneInfo(site.timezone)
        opens = _moment(form.cleaned_data["opens"], zone)
        try:
            made = actions.create_round(
                actor,
                questionnaire_key=form.cleaned_data["questionnaire"],
                site_id=site.pk,
                title=form.cleaned_data["title"],
                kind=RoundKind.CAMPAIGN,
                opens_at=max(opens, timezone.now()) if opens.date() == today else opens,
                closes_at=_moment(form.cleaned_data["closes"] + timedelta(days=1), zone),
                audience=form.cleaned_data["audience"],
            )
        except EngineError as exc:
            error = " ".join(
                [exc.message(language), *(e.message(language) for e in exc.fields.values())]
            )
        else:
            messages.success(request, _("调查轮次已建立。确认无误后即可发送邀请。"))
            return redirect("web:survey-round", made.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "web/survey_round_new.html", {"form": styled(form), "error": error}, status=status
    )


@staff_required(manager=True)
def send_invitations(request: HttpRequest, round_id: int) -> HttpResponse:
    """POST: invite the round's audience (those not invited yet)."""
    if request.method != "POST":
        return redirect("web:survey-round", round_id)
    actor = actor_of(request)
    language = _language()
    try:
        sent = actions.send_invitations(actor, round_id)
    except NotFound:
        raise Http404 from None
    except EngineError as exc:
        messages.error(request, exc.message(language))
        return redirect("web:survey-round", round_id)
    total = sum(sent.values())
    if total:
        messages.success(
            request,
            _(
                "已邀请 %(total)s 位客户：客户门户 %(portal)s 位，电子邮件 %(email)s 位，"
                "待短信/微信发送 %(pending)s 位。"
            )
            % {
                "total": total,
                "portal": sent[Delivery.PORTAL],
                "email": sent[Delivery.EMAIL],
                "pending": sent[Delivery.PENDING],
            },
        )
    else:
        messages.info(request, _("没有新的邀请：调查对象都已邀请过。"))
    return redirect("web:survey-round", round_id)


def invitations(actor: Actor, round_: Round) -> dict[str, Any]:
    """What the round's page shows of its invitations: whether this person may send them, the
    counts per way of delivery, and the newest ones with their customer."""
    sent = Response.objects.filter(round=round_).exclude(delivery="")
    counts = {d: 0 for d in Delivery.values}
    for delivery in sent.values_list("delivery", flat=True):
        counts[delivery] += 1
    return {
        "may_send": actions.may_send(actor, round_),
        "audience": Audience(round_.audience).label if round_.audience else "",
        "counts": [(Delivery(d).label, n, d) for d, n in counts.items()],
        "rows": list(sent.select_related("customer").order_by("-invited_at", "-pk")[:SHOWN]),
        "sent": sum(counts.values()),
    }


urlpatterns = [
    path("surveys/rounds/new/", new_round, name="survey-round-new"),
    path(
        "surveys/rounds/<int:round_id>/invitations/",
        send_invitations,
        name="survey-round-invite",
    ),
]
