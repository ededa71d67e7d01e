"""The person picker: whom a person field or the assign panel offers, and how each is shown.

The policy (`fuwu.cases.policy.pick_candidates`, `eligible_assignees`) decides WHO may be
offered; this module only describes them for the person choosing: name, department, skills,
today's shift (the site's calendar says whether today is a working day, the staff record's
shift gives the hours) and open load (open cases assigned to them), and finds them by what is
typed: part of the name, the pinyin initials ("zj" finds 周军) or the username.

Pinyin initials come from the GB2312 code of each character: its first level (the 3,755 most
used characters, which cover nearly every name) is ordered by pinyin, so the letter is known
from where the code falls. pypinyin is not installed; a rarer character (second level) has no
initial and is found by its name or username instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fuwu.cases.choices import CLOSED_STATUSES
from fuwu.cases.models import Case
from fuwu.core.models import Site
from fuwu.sla.clocks import site_calendar

SHOWN = 30  # at most this many people in the list; typing narrows it

# Where each initial's first-level GB2312 characters start (code - 65536), in pinyin order.
_STARTS = (
    (-20319, "a"),
    (-20283, "b"),
    (-19775, "c"),
    (-19218, "d"),
    (-18710, "e"),
    (-18526, "f"),
    (-18239, "g"),
    (-17922, "h"),
    (-17417, "j"),
    (-16474, "k"),
    (-16212, "l"),
    (-15640, "m"),
    (-15165, "n"),
    (-14922, "o"),
    (-14914, "p"),
    (-14630, "q"),
    (-14149, "r"),
    (-14090, "s"),
    (-13318, "t"),
    (-12838, "w"),
    (-12556, "x"),
    (-11847, "y"),
    (-11055, "z"),
)
_LEVEL_ONE_END = -10247


def _initial(char: str) -> str:
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    try:
        raw = char.encode("gb2312")
    except UnicodeEncodeError:
        return ""
    if len(raw) != 2:
        return ""
    code = raw[0] * 256 + raw[1] - 65536
    if not _STARTS[0][0] <= code < _LEVEL_ONE_END:
        return ""
    letter = ""
    for start, value in _STARTS:
        if code < start:
            break
        letter = value
    return letter


def initials(name: str) -> str:
    """The pinyin initials of a Chinese name ("周军" → "zj"); Latin words give their first
    letters ("Anna Lee" → "al")."""
    out = []
    previous_ascii = False
    for char in name:
        if char.isascii():
            if char.isalnum() and not previous_ascii:
                out.append(char.lower())
            previous_ascii = char.isalnum()
            continue
        previous_ascii = False
        out.append(_initial(char))
    return "".join(out)


@dataclass(frozen=True)
class Candidate:
    """One person as a picker shows them."""

    user_id: int
    username: str
    name: str
    department: str
    skills: list[str]
    shift: str  # "08:00–16:00", or "" without a shift
    working_today: bool
    on_now: bool  # within today's hours right now
    load: int  # open cases assigned to them
    initials: str
    today: str  # "今天上班 08:00–16:00" or "今天休息", in the reader's language

    def matches(self, query: str) -> bool:
        q = query.strip().lower()
        if not q:
            return True
        return (
            q in self.name.lower()
            or self.initials.startswith(q)
            or q in self.username.lower()
            or (len(q) > 1 and q in self.initials)
        )


def _within(now: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= now < end
    return now >= start or now < end  # a night shift, e.g. 16:00–00:00


def describe(
    people: QuerySet[Any], site: Site, language: str, *, now: datetime | None = None
) -> list[Candidate]:
    """The people with their skills, today's shift and open load, in three queries; those on
    shift now first, then the least loaded, then by name."""
    users = list(
        people.select_related("staff__department", "staff__shift").prefetch_related("staff__skills")
    )
    # COUNT(*), not COUNT(id): the (assignee, status) index then answers alone. Counting the
    # ids read every open case's row: 0.7-1.9 s on a case page at a million cases, whose
    # three technicians held 100,000 of them (the fill's; a desk's people hold dozens).
    loads = dict(
        Case.objects.filter(assignee_id__in=[u.pk for u in users])
        .exclude(status__in=CLOSED_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("*"))
        .values_list("assignee_id", "n")
    )
    moment = timezone.localtime(now or timezone.now())
    working_day = site_calendar(site).is_working_day(moment.date())
    english = language.lower().startswith("en")
    out = []
    for u in users:
        staff = u.staff
        shift = staff.shift
        start, end = (shift.start, shift.end) if shift else (site.work_start, site.work_end)
        dept = staff.department
        out.append(
            Candidate(
                user_id=u.pk,
                username=u.username,
                name=staff.display_name or u.username,
                department=(dept.name_en or dept.name) if english else dept.name,
                skills=[
                    (s.name_en or s.name) if english else s.name
                    for s in sorted(staff.skills.all(), key=lambda s: s.code)
                ],
                shift=f"{start:%H:%M}–{end:%H:%M}",
                working_today=working_day,
                on_now=working_day and _within(moment.time(), start, end),
                load=loads.get(u.pk, 0),
                initials=initials(staff.display_name or ""),
                today=_("今天上班 %(hours)s") % {"hours": f"{start:%H:%M}–{end:%H:%M}"}
                if working_day
                else _("今天休息"),
            )
        )
    out.sort(key=lambda c: (not c.on_now, c.load, c.name, c.username))
    return out


def find(candidates: Iterable[Candidate], query: str) -> list[Candidate]:
    """Those matching what was typed, at most `SHOWN`."""
    return [c for c in candidates if c.matches(query)][:SHOWN]


@dataclass(frozen=True)
class Picker:
    """A person picker as web/_person_picker.html draws it: a search box over a list of
    radio cards posting `name` (a username for a person field, a user id for the assign
    panel)."""

    name: str  # the input's name
    url: str  # the search endpoint (fuwu.web.views.people)
    options: list[Candidate]
    chosen: str = ""  # the value chosen (kept in the list whatever is typed)
    by_id: bool = False  # post the user id rather than the username

    def value(self, c: Candidate) -> str:
        return str(c.user_id) if self.by_id else c.username

    @property
    def dom_id(self) -> str:
        return "people-" + "".join(ch if ch.isalnum() else "-" for ch in self.name)


def picker(
    name: str,
    url: str,
    candidates: list[Candidate],
    *,
    query: str = "",
    chosen: Any = None,
    by_id: bool = False,
) -> Picker:
    """The picker over `candidates`, narrowed by `query`; the chosen person stays listed."""
    value = "" if chosen in (None, "") else str(chosen)
    shown = find(candidates, query)
    key = (lambda c: str(c.user_id)) if by_id else (lambda c: c.username)
    if value and not any(key(c) == value for c in shown):
        shown = [c for c in candidates if key(c) == value] + shown
    return Picker(name, url, shown, value, by_id)
