"""The production board (目视控制, /workshop/<id>/board/?date=) and the technician's phone page
(/workshop/my-jobs/), Toyota seven steps, step 4.

The board shows technicians × the day's timeline (lunch shaded, the current-time line), the jobs
as bars coloured by status with the late-risk outline, idle stretches, the jobs waiting for a
technician (with the best suggestion to confirm, or a form to plan elsewhere) and the day's
carry-overs. htmx polls the board's fragment every `POLL` seconds and swaps it: the data is one
call of `fuwu.scheduling.day_board.board`, a fixed number of queries for the whole day.

Every write goes through `fuwu.scheduling.production` (`dispatch`, `clock_on`, `clock_off`) and
`fuwu.scheduling.promises` (`new_promise`, `carry_over`): a refusal is shown in the user's
language and nothing is written.
Only staff of the workshop's site see it; a workshop of another site is a 404.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.procedures.engine.errors import EngineError
from fuwu.scheduling import board as day_board
from fuwu.scheduling import job_time, production, promises
from fuwu.scheduling.booking import may_book, visible_workshops
from fuwu.scheduling.models import JobStatus, RepairJob, StopReason, Technician, Workshop
from fuwu.web.access import actor_of, staff_required

POLL = 20  # seconds between the board's refreshes


def _visible(request: HttpRequest, workshop_id: int) -> Workshop:
    found = visible_workshops(actor_of(request)).filter(pk=workshop_id).first()
    if found is None:
        raise Http404
    return found


def _day(request: HttpRequest, workshop: Workshop) -> date:
    raw = request.GET.get("date") or request.POST.get("date")
    try:
        return date.fromisoformat(raw) if raw else _today(workshop)
    except ValueError:
        return _today(workshop)


def _today(workshop: Workshop) -> date:
    return timezone.now().astimezone(ZoneInfo(workshop.site.timezone)).date()


def _error(request: HttpRequest, exc: EngineError) -> None:
    messages.error(request, exc.message(get_language() or "zh-hans"))


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


def _board_url(workshop: Workshop, day: date) -> str:
    return reverse("web:board", args=[workshop.pk]) + f"?date={day.isoformat()}"


def board_context(request: HttpRequest, workshop: Workshop, day: date) -> dict[str, Any]:
    actor = actor_of(request)
    data = day_board.board(workshop, day)
    zone = ZoneInfo(workshop.site.timezone)
    hours = []
    tick = data.start.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    if tick < data.start:
        tick += timedelta(hours=1)
    while tick <= data.end:
        hours.append((tick, data.at(tick)))
        tick += timedelta(hours=1)
    dispatcher = production.may_dispatch(actor, workshop)
    waiting = []
    pool = production.Pool.of(workshop, day) if dispatcher and data.unassigned else None
    for bar in data.unassigned:
        ranked = pool.rank(bar.job, bar.start) if pool else []
        waiting.append((bar, ranked[0] if ranked else None))
    at_risk = [b for row in data.rows for b in row.bars if b.risk.level] + [
        b for b in data.unassigned if b.risk.level
    ]
    return {
        "workshop": workshop,
        "board": data,
        "day": day,
        "hours": hours,
        "poll": POLL,
        # The timeline's length, for a job dropped on it (static/web/board.js).
        "drag_minutes": round((data.end - data.start).total_seconds() / 60),
        "dispatcher": dispatcher,
        "advisor": may_book(actor, workshop) or dispatcher,
        "waiting": waiting,
        "at_risk": at_risk,
        "crew": [row.technician for row in data.rows if row.tech.periods],
        "reasons": StopReason.choices,
        "board_url": _board_url(workshop, day),
        "previous_url": _board_url(workshop, day - timedelta(days=1)),
        "next_url": _board_url(workshop, day + timedelta(days=1)),
        "today_url": _board_url(workshop, _today(workshop)),
        "system_reason": promises.SYSTEM_REASON,
    }


@staff_required
def board_page(request: HttpRequest, workshop_id: int) -> HttpResponse:
    workshop = _visible(request, workshop_id)
    context = board_context(request, workshop, _day(request, workshop))
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/_board.html", context)
    return render(request, "web/board.html", context)


@staff_required
def board_home(request: HttpRequest) -> HttpResponse:
    """The menu's link: the board of the first workshop this person sees."""
    first = visible_workshops(actor_of(request)).first()
    if first is None:
        raise Http404
    return redirect(reverse("web:board", args=[first.pk]))


@require_POST
@staff_required
def dispatch_job(request: HttpRequest, job_id: int | None = None) -> HttpResponse:
    """Confirm a suggestion or plan a job on another technician and time (the board's form,
    which names the job in the body)."""
    actor = actor_of(request)
    if job_id is None:
        raw = request.POST.get("job", "")
        if not raw.isdigit():
            raise Http404
        job_id = int(raw)
    job = _job(request, job_id)
    workshop = job.workshop
    day = _day(request, workshop)
    try:
        technician = int(request.POST.get("technician", ""))
        at = time.fromisoformat(request.POST.get("time", ""))
    except ValueError:
        messages.error(request, _("请选择技术员和开工时间。"))
        return _back(request, _board_url(workshop, day))
    start = datetime.combine(day, at, ZoneInfo(workshop.site.timezone))
    try:
        done = production.dispatch(actor, job.pk, technician_id=technician, start=start)
    except EngineError as exc:
        _error(request, exc)
    else:
        assert done.technician is not None
        messages.success(
            request,
            _("已将“%(job)s”派给 %(technician)s，%(time)s 开工。")
            % {
                "job": done.name,
                "technician": done.technician.staff.display_name,
                "time": f"{at:%H:%M}",
            },
        )
    return _back(request, _board_url(workshop, day))


def _job(request: HttpRequest, job_id: int) -> RepairJob:
    job = (
        RepairJob.objects.select_related("workshop__department__site")
        .filter(pk=job_id, workshop__in=visible_workshops(actor_of(request)))
        .first()
    )
    if job is None:
        raise Http404
    return job


@require_POST
@staff_required
def clock(request: HttpRequest, job_id: int, action: str) -> HttpResponse:
    """Clock on, stop (with a reason) or finish, from the phone page or the board."""
    actor = actor_of(request)
    job = _job(request, job_id)
    try:
        if action == "on":
            production.clock_on(actor, job.pk)
            messages.success(request, _("已开工：%(job)s") % {"job": job.name})
        elif action == "stop":
            production.clock_off(
                actor,
                job.pk,
                done=False,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("已停工：%(job)s") % {"job": job.name})
        elif action == "done":
            production.clock_off(actor, job.pk, done=True)
            messages.success(request, _("已完工：%(job)s") % {"job": job.name})
        else:
            raise Http404
    except EngineError as exc:
        _error(request, exc)
    return _back(request, reverse("web:my-jobs"))


@require_POST
@staff_required
def promise(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record the new promised time told to the customer (from the board's at-risk list)."""
    actor = actor_of(request)
    fallback = reverse("web:my-jobs")
    job = RepairJob.objects.filter(case_id=case_id).select_related("workshop__department__site")
    first = job.first()
    if first is None or not actor.may_see_site(first.workshop.department.site_id):
        raise Http404
    zone = ZoneInfo(first.workshop.site.timezone)
    try:
        new = datetime.fromisoformat(request.POST.get("promised_at", "")).replace(tzinfo=zone)
    except ValueError:
        messages.error(request, _("请填写新的交车时间。"))
        return _back(request, fallback)
    try:
        promises.new_promise(actor, case_id, promised_at=new, reason=request.POST.get("reason", ""))
    except EngineError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已记录新的交车时间 %(at)s。") % {"at": f"{new:%m-%d %H:%M}"})
    return _back(request, fallback)


@require_POST
@staff_required
def carry(request: HttpRequest, case_id: int) -> HttpResponse:
    """Carry the car over to the next working day, with the reason."""
    actor = actor_of(request)
    try:
        made = promises.carry_over(actor, case_id, reason=request.POST.get("reason", ""))
    except EngineError as exc:
        _error(request, exc)
    else:
        messages.success(
            request, _("已登记滞留车，顺延至 %(day)s。") % {"day": made.to_date.isoformat()}
        )
    return _back(request, reverse("web:my-jobs"))


@staff_required
def my_jobs(request: HttpRequest) -> HttpResponse:
    """The technician's jobs today, on the phone: the running one first, then the next ones in
    order, each with big clock-on / stop (with a reason) / done buttons."""
    actor = actor_of(request)
    me = (
        Technician.objects.filter(staff__user=actor.user, active=True)
        .select_related("workshop__department__site")
        .first()
        if actor.user is not None
        else None
    )
    jobs: list[RepairJob] = []
    if me is not None:
        workshop = me.workshop
        zone = ZoneInfo(workshop.site.timezone)
        today = _today(workshop)
        start = datetime.combine(today, time.min, zone)
        rank = {JobStatus.RUNNING: 0, JobStatus.STOPPED: 1, JobStatus.PLANNED: 2, JobStatus.DONE: 3}
        tomorrow = start + timedelta(days=1)
        open_jobs = RepairJob.objects.filter(technician=me, status__in=job_time.OPEN).filter(
            Q(planned_start__isnull=True) | Q(planned_start__lt=tomorrow)
        )
        done_today = RepairJob.objects.filter(
            technician=me, status=JobStatus.DONE, finished_at__gte=start
        )
        rows = (open_jobs | done_today).select_related("case__asset", "operation")
        jobs = sorted(
            rows,
            key=lambda j: (rank[JobStatus(j.status)], j.planned_start or start, j.pk),
        )
    return render(
        request,
        "web/board_mine.html",
        {"me": me, "jobs": jobs, "reasons": StopReason.choices, "here": reverse("web:my-jobs")},
    )


urlpatterns = [
    path("workshop/board/", board_home, name="board-home"),
    path("workshop/<int:workshop_id>/board/", board_page, name="board"),
    path("workshop/jobs/<int:job_id>/dispatch/", dispatch_job, name="board-dispatch"),
    path("workshop/jobs/dispatch/", dispatch_job, name="board-move"),
    path("workshop/jobs/<int:job_id>/clock/<slug:action>/", clock, name="board-clock"),
    path("workshop/orders/<int:case_id>/promise/", promise, name="board-promise"),
    path("workshop/orders/<int:case_id>/carry-over/", carry, name="board-carry"),
    path("workshop/my-jobs/", my_jobs, name="my-jobs"),
]
