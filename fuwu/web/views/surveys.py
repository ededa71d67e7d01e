"""Survey pages for staff: the rounds of their sites (`/surveys/`), one round's analysis with
charts (`/surveys/rounds/<id>/`), the surveys panel of a case page (loaded by htmx) and the
form on which staff record a customer's answers on a return visit (`/cases/<id>/survey/<round>/`).
Figures and rules are `fuwu.surveys`'; these pages only ask."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fuwu.cases.queries import get_case_for
from fuwu.procedures.engine.errors import EngineError, NotFound
from fuwu.surveys import actions, analysis
from fuwu.surveys.choices import RoundKind
from fuwu.surveys.form import SCALE
from fuwu.surveys.models import Response, Round
from fuwu.surveys.pages import layout, posted
from fuwu.web.access import actor_of, staff_required
from fuwu.web.views.survey_rounds import invitations


def _language() -> str:
    return get_language() or "zh-hans"


@staff_required
def rounds_view(request: HttpRequest) -> HttpResponse:
    language = _language()
    actor = actor_of(request)
    rows = [
        (r, r.questionnaire.name(language))
        for r in analysis.rounds_for(actor).order_by("-opens_at", "-pk")[:200]
    ]
    return render(request, "web/surveys.html", {"rows": rows, "may_create": actor.is_manager})


def _chart(f: dict[str, Any], en: bool) -> dict[str, Any]:
    """What the page's charts draw: mean per area (this round and the previous), and each
    question's distribution."""
    scored = [q for q in f["questions"] if q["kind"] == "scale"]
    return {
        "areas": [s["en"] if en else s["zh"] for s in f["sections"]],
        "mean": [s["mean"] for s in f["sections"]],
        "previous": [s["previous_mean"] for s in f["sections"]] if f["previous"] else None,
        "names": {
            "mean": _("本轮平均分"),
            "previous": _("上一轮平均分"),
        },
        # Each scored question's answers by score, stacked 1 (red) … 5 (green).
        "questions": [q["en"] if en else q["zh"] for q in scored],
        "scores": [str(n) for n in SCALE],
        "counts": [[q["distribution"][str(n)] for q in scored] for n in SCALE],
    }


@staff_required
def round_view(request: HttpRequest, round_id: int) -> HttpResponse:
    language = _language()
    en = language.startswith("en")
    try:
        round_ = analysis.round_for(actor_of(request), round_id)
    except NotFound:
        raise Http404 from None
    f = analysis.figures(round_)
    words = {"yes": _("是"), "no": _("否")}
    for q in f["questions"]:
        options = {}
        if q["kind"] == "choice":
            spec = next(x for x in round_.questionnaire.spec().questions if x.key == q["key"])
            options = {o.value: (o.en if en else o.zh) for o in spec.options}
        q["label"] = q["en"] if en else q["zh"]
        q["bars"] = [
            (words.get(k, options.get(k, k)), n, round(100 * n / q["count"]) if q["count"] else 0)
            for k, n in q["distribution"].items()
        ]
    for s in f["sections"]:
        s["name"] = s["en"] if en else s["zh"]
        s["questions"] = [q for q in f["questions"] if q["section"] == s["key"]]
    return render(
        request,
        "web/survey_round.html",
        {
            "invitations": invitations(actor_of(request), round_),
            "f": f,
            "round": round_,
            "name": round_.questionnaire.name(language),
            "chart": _chart(f, en),
            "api": reverse("api:survey_analysis", args=[round_.pk]),
        },
    )


def _case_rounds(case: Any) -> Any:
    """The open rounds of the case's site a return visit may record: standing questionnaires, and
    campaign rounds that invited this case; with this case's answered response, if any."""
    now = timezone.now()
    mine = Response.objects.filter(round=OuterRef("pk"), case=case, submitted_at__isnull=False)
    return (
        Round.objects.filter(site_id=case.site_id, opens_at__lte=now)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .filter(Q(kind=RoundKind.STANDING) | Q(responses__case=case))
        .annotate(answered=Subquery(mine.values("pk")[:1]))
        .annotate(follow_up=Subquery(mine.values("follow_up_id")[:1]))
        .select_related("questionnaire")
        .distinct()
        .order_by("-opens_at")
    )


@staff_required
def case_panel(request: HttpRequest, case_id: int) -> HttpResponse:
    """`/cases/<id>/surveys/`: the case page's surveys card (htmx, so the page costs no query)."""
    try:
        case = get_case_for(actor_of(request), case_id)
    except NotFound:
        raise Http404 from None
    language = _language()
    rows = [(r, r.questionnaire.name(language)) for r in _case_rounds(case)]
    return render(request, "web/_case_surveys.html", {"case": case, "rows": rows})


@staff_required
def case_answer(request: HttpRequest, case_id: int, round_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        case = get_case_for(actor, case_id)
    except NotFound:
        raise Http404 from None
    round_ = _case_rounds(case).filter(pk=round_id).first()
    if round_ is None:
        raise Http404
    language = _language()
    spec = round_.questionnaire.spec()
    values: dict[str, str] = {}
    error: EngineError | None = None
    status = 200
    if request.method == "POST":
        values = posted(spec, request.POST)
        try:
            response = actions.answer_for_case(actor, round_.pk, case.pk, values)
        except EngineError as exc:
            error, status = exc, 400 if exc.code == "invalid_form" else 409
        else:
            if response.follow_up_id:
                messages.warning(
                    request,
                    _("问卷已保存。有低分回答，已建立跟进工单 %(number)s。")
                    % {"number": response.follow_up.number},  # type: ignore[union-attr]
                )
            else:
                messages.success(request, _("问卷已保存。"))
            return redirect("web:case", case.pk)
    return render(
        request,
        "web/survey_answer.html",
        {
            "case": case,
            "round": round_,
            "name": round_.questionnaire.name(language),
            "areas": layout(spec, language, values, error),
            "error": error.message(language) if error else "",
        },
        status=status,
    )


urlpatterns = [
    path("surveys/", rounds_view, name="surveys"),
    path("surveys/rounds/<int:round_id>/", round_view, name="survey-round"),
    path("cases/<int:case_id>/surveys/", case_panel, name="case-surveys"),
    path("cases/<int:case_id>/survey/<int:round_id>/", case_answer, name="case-survey"),
]
