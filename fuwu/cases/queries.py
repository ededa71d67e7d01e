"""Reading cases: who may see what (one place), and the one filter definition for lists.

`CaseFilter` serves the API list and (later) the queue page and its htmx fragment alike.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.db import connection
from django.db.models import Case as DjCase
from django.db.models import F, ForeignKey, Lookup, Q, QuerySet, Value, When
from django.db.models import Field as ModelField
from django.db.models.functions import Coalesce
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field

from fuwu.cases.choices import CLOSED_STATUSES, Priority, TaskState, WorkKind
from fuwu.cases.models import UNPARSED, Case, CaseTask, WorkLog
from fuwu.core.actors import Actor
from fuwu.core.models import unique_or_none
from fuwu.customers.models import Asset, Customer
from fuwu.customers.privacy import phone_fragment, phone_search
from fuwu.procedures.engine.errors import NotFound
from fuwu.search import index as search_index
from fuwu.search import text as search_text
from fuwu.sla.lateness import late_q, next_due, risk_q

# The orderings a list may ask for (a whitelist: anything else is a 422 in the API and ignored
# with a message on the pages). Each is read along an index (see Case.Meta.indexes), except
# "priority" (a rank of few values) and "late", which is meant for the overdue view: the cases
# most overdue first, by the earliest deadline of a running clock (fuwu.sla.lateness.next_due,
# the rule the row colours and the countdown use).
ORDERINGS = {
    "number": "id",
    "-number": "-id",
    "created": "created_at",
    "-created": "-created_at",
    "updated": "updated_at",
    "-updated": "-updated_at",
    "due": "resolution_due",
    "-due": "-resolution_due",
    "priority": "priority",
    "-priority": "-priority",
}


def cases_for(actor: Actor) -> QuerySet[Case]:
    """Cases this actor may see: those of their sites (all for a superuser)."""
    return actor.scope(Case.objects.all())


def get_case_for(actor: Actor, case_id: int) -> Case:
    case = unique_or_none(
        cases_for(actor)
        .select_related("procedure", "site", "department", "assignee__staff", "customer", "asset")
        .defer(*UNPARSED)
        .filter(pk=case_id)
    )
    if case is None:
        raise NotFound("not_found", what="case")
    return case


def _day_start(day: date) -> datetime:
    """Midnight at the start of a day in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


# A search naming more customers, assets or texts than this is matched by subquery, not by id.
TEXT_MATCH_IDS = 500


@dataclass(frozen=True)
class Match:
    """Which cases a search finds, and whether they are a few known ids (`bounded`): a few
    are then sorted as found (`unindexed`) rather than by walking an index in the list's
    order, which on PostgreSQL meant walking thousands of new cases to find old matches.

    `words`: words of the text index that match more than `INDEX_FEW` cases (PostgreSQL),
    which `q` holds as a subquery and `rest` (`rest_bounded`) is `q` without. A list newest
    first reads them window by window of the newest cases instead (`within`, `by_windows`)."""

    q: Q
    bounded: bool = True
    words: search_text.Query | None = None
    word_sites: tuple[int, ...] | None = None
    sample: tuple[int, ...] = ()  # ids of the words' matches, the first the index gave
    rest: Q = field(default_factory=Q)
    rest_bounded: bool = True

    def _rest(self) -> tuple[Q, bool]:
        return (self.rest, self.rest_bounded) if self.words else (self.q, self.bounded)

    def __or__(self, other: Match) -> Match:
        if self.words and other.words:
            raise ValueError("one search has one set of words")
        many = self if self.words else other
        (mine, mine_bounded), (theirs, theirs_bounded) = self._rest(), other._rest()
        return Match(
            self.q | other.q,
            self.bounded and other.bounded,
            words=many.words,
            word_sites=many.word_sites,
            sample=many.sample,
            rest=mine | theirs,
            rest_bounded=mine_bounded and theirs_bounded,
        )

    def within(self, since: datetime) -> tuple[Match, int] | None:
        """This match among the cases created at or after `since` (the caller filters the
        cases by that time too), the words read as ids; and how many the words matched there.
        None when they are more than `WINDOW_IDS` there."""
        assert self.words is not None
        ids = search_index.matching_ids(self.words, self.word_sites, WINDOW_IDS + 1, since=since)
        if len(ids) > WINDOW_IDS:
            return None
        q = self.rest | ids_in("pk", ids) if ids else self.rest
        return Match(q if q else Q(pk__in=[]), self.rest_bounded), len(ids)


# The windows of `by_windows`: the first spans this much time before the newest indexed case;
# each next one is widened by what the last one lacked (2 to 8 times, and no more than keeps
# the words' matches under WINDOW_IDS); past the last, the list is read whole.
FIRST_WINDOW = timedelta(hours=1)
WINDOW_IDS = 3000
LAST_WINDOW = timedelta(days=800)


def by_windows(match: Match, step: Callable[[Match, datetime], tuple[int, int] | None]) -> bool:
    """Read a list newest first in windows of the newest cases while its words are many.

    `step(match within the window, the window's start)` reads what it needs from the list
    restricted to the cases created since that start and answers None once it has it all,
    else (rows it found, rows it needs). That is exact: every case inside a window is newer
    than every case outside it, so a window's first n rows are the whole list's first n.
    A common word matches 2-7 % of a million cases; its newest 26 are among the last few
    thousand, which PostgreSQL finds by ANDing the words' GIN bitmap with the btree on the
    index's `created_at` (migration search.0004), where the whole list meant walking the
    cases newest first probing each one's words (16,859 of them for the newest 50 of 投诉).

    True when `step` had all it needs; False when the windows ran out (the words are more than
    `WINDOW_IDS` in a window, or the list is short): the caller then reads the whole list."""
    newest = search_index.newest_at()
    if newest is None:
        return False
    span = FIRST_WINDOW
    while span <= LAST_WINDOW:
        since = newest - span
        found = match.within(since)
        if found is None:
            return False
        window, matched = found
        answer = step(window, since)
        if answer is None:
            return True
        have, need = answer
        grow = min(max(2 * need / max(have, 1), 2.0), 8.0)
        if matched:  # keep the next window's words under WINDOW_IDS (by this one's rate)
            grow = max(min(grow, 0.8 * WINDOW_IDS / matched), 2.0)
        span *= grow
    return False


def newest_ids(rows: Callable[[Match], QuerySet[Case]], match: Match, limit: int) -> list[int]:
    """The ids of the newest `limit` cases of `rows(match)` (newest first, then by id), read
    in windows while the match's words are many (`by_windows`)."""

    def newest(match: Match, since: datetime | None = None) -> list[int]:
        qs = rows(match) if since is None else rows(match).filter(created_at__gte=since)
        created = unindexed("created_at") if match.bounded else F("created_at")
        return list(qs.order_by(created.desc(), "-pk").values_list("pk", flat=True)[:limit])

    if match.words is None:
        return newest(match)
    found: list[int] = []

    def step(window: Match, since: datetime) -> tuple[int, int] | None:
        nonlocal found
        found = newest(window, since)
        return None if len(found) >= limit else (len(found), limit)

    return found if by_windows(match, step) else newest(match)


class AnyOf(Lookup):  # type: ignore[type-arg]
    """`field = ANY(%s)` with the ids as one array parameter (PostgreSQL). `__in` writes each
    id into the statement: with a search's 2,000 ids, building, sending and parsing the text
    cost more than running the query (12 ms against 4)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*params, [int(pk) for pk in self.rhs])


ModelField.register_lookup(AnyOf)
ForeignKey.register_lookup(AnyOf)  # a related field has lookups of its own


def ids_in(field: str, ids: list[int]) -> Q:
    """`field` is one of these ids: one array parameter on PostgreSQL, a list on SQLite."""
    lookup = "any_of" if connection.vendor == "postgresql" else "in"
    return Q(**{f"{field}__{lookup}": ids})


def _ids_or_subquery(field: str, rows: QuerySet) -> Match:  # type: ignore[type-arg]
    """`field` among the rows' ids: as a list (read once) or, past TEXT_MATCH_IDS, a subquery."""
    ids = list(rows.values_list("pk", flat=True)[: TEXT_MATCH_IDS + 1])
    if len(ids) > TEXT_MATCH_IDS:
        return Match(Q(**{f"{field}__in": rows.values("pk")}), bounded=False)
    return Match(ids_in(field, ids) if ids else Q())


def text_match(text: str, site_ids: Collection[int] | None = None) -> Match:
    """Cases a free-text search finds, by the global search's rules (fuwu.search.queries): the
    case number; the customer's name, or phone from `PHONE_SEARCH_MIN_DIGITS` digits on; the
    asset's label as typed or compact (粤B·V2EGY, 粤B V2EGY and 粤bv2egy are one plate); the words
    of the title, description and non-personal fields, from the search index (Chinese cut into
    words by jieba, so 门卫 does not find 部门卫生; the last word a prefix, as one types).

    Each way is first resolved to ids in its own (much smaller, or indexed) table, and the
    cases then found by those ids through indexed columns: with ids the database combines index
    lookups, where an OR of subqueries made PostgreSQL walk every case of the site. Digits too
    few for a phone are a number or a unit: they are no search of phones or of the texts
    (fuwu.customers.privacy), so fragments typed into the queue are no oracle. `site_ids` (the
    person's sites; None for all) bounds each way's ids to those sites before they are read.
    """
    # Case-folding is for letters that have case: Chinese names and labels are matched as
    # typed, without UPPER() of every row (a third of the time of the scan).
    contains = "icontains" if text.lower() != text.upper() else "contains"
    who = Q(**{f"name__{contains}": text})
    if digits := phone_search(text):
        who |= Q(phone__contains=digits)
    assets = Asset.objects.filter(**{f"label__{contains}": text})
    if search_text.spans_separators(text) and (key := search_text.compact(text)):
        assets = Asset.objects.annotate(compact=search_index.compact_label()).filter(
            Q(label__icontains=text) | Q(compact__contains=key)
        )
    customers = Customer.objects.filter(who)
    if site_ids is not None:  # the person's sites: ids of other sites' matches are no help
        customers = customers.filter(site_id__in=site_ids)
        assets = assets.filter(site_id__in=site_ids)
    match = _ids_or_subquery("customer_id", customers)
    match |= _ids_or_subquery("asset_id", assets)
    if not phone_fragment(text) and (words := search_text.query(text)) is not None:
        match |= index_match(words, site_ids)
    pk = Case.pk_from_number(text)
    if pk is not None:
        match |= Match(Q(pk=pk))
    return match if match.q else Match(Q(pk__in=[]))


# A search whose words match at most this many cases (of the person's sites) is matched by
# their ids and sorted as found (`Match.bounded`); more, by subquery, read window by window
# when the list is newest first (`by_windows`). With a subquery, even of a few, PostgreSQL
# walked or sorted the site's cases looking for them (200 ms at 100,000). Reading the ids
# costs about 6 µs each on PostgreSQL (the words are matched row by row) and is paid by every
# search of a common word to learn that it is one: 3,001 of them took 12-33 ms at a million
# cases, 1,001 a third of that; the windows find the newest of more at once.
INDEX_FEW = 1000


def index_match(words: search_text.Query, site_ids: Collection[int] | None) -> Match:
    """Cases whose words match (`fuwu.search.index`): the index's own ids, no join; as a list
    when they are few (PostgreSQL then reads them by id), else as a subquery, which a list
    newest first reads window by window (`Match.within`; PostgreSQL, where the index holds
    the cases' time)."""
    ids = search_index.matching_ids(words, site_ids, INDEX_FEW + 1)
    if len(ids) > INDEX_FEW:
        sites = None if site_ids is None else tuple(sorted(site_ids))
        many = Q(pk__in=search_index.matching(words, site_ids))
        if connection.vendor != "postgresql":
            return Match(many, bounded=False)
        return Match(
            many, bounded=False, words=words, word_sites=sites, rest=Q(), sample=tuple(ids)
        )
    return Match(ids_in("pk", ids) if ids else Q())


def unindexed(field: str) -> Coalesce:
    """A column as an expression no index serves (COALESCE of itself: the same value), for
    ordering a `Match.bounded` set: the database then fetches those few cases by id and sorts
    them, instead of walking the column's index until it has met enough of them."""
    return Coalesce(F(field), F(field))


# More open branches of one department than this are matched by subquery instead of by id.
BRANCH_MATCH_IDS = 500


def department_work(**department: object) -> Q:
    """Cases a department works on: those it owns, and those with an open parallel branch of
    its own (`open_branches`). `department` filters `Department` (`code="housekeeping"`)."""
    return Q(**{f"department__{k}": v for k, v in department.items()}) | open_branches(**department)


def open_branches(**department: object) -> Q:
    """Cases with an open parallel branch of this department at the step they stand on: a
    hotel VIP's room preparation is owned by the front office, but housekeeping and food &
    beverage each have a branch of it.

    A branch of an earlier visit of the step (`cycle`), or of a step the case has left
    (cancelled in the middle), is no work. The open branches are few, so they are read first
    and the cases found by id: an OR with a subquery made the planners walk every case of the
    site (see `text_match`).
    """
    branches = (
        CaseTask.objects.filter(
            state=TaskState.OPEN,
            case__step=F("step"),
            case__step_cycle=F("cycle"),
            **{f"department__{k}": v for k, v in department.items()},
        )
        .exclude(case__status__in=CLOSED_STATUSES)
        .values("case_id")
    )
    ids = list(branches.values_list("case_id", flat=True)[: BRANCH_MATCH_IDS + 1])
    if len(ids) > BRANCH_MATCH_IDS:
        return Q(pk__in=branches)
    return Q(pk__in=ids)


class CaseFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: list[str] | None = None
    open: bool | None = Field(
        None, description="only cases not yet closed (true) or only closed (false)"
    )
    step: str | None = None
    procedure: str | None = None
    department: str | None = Field(
        None,
        description="department code: the cases it owns and those with an open parallel "
        "branch of it",
    )
    assignee: str | None = Field(None, description="username, or 'me', or 'none'")
    priority: list[str] | None = None
    site: str | None = Field(None, description="site code")
    channel: str | None = None
    overdue: bool | None = None
    major: bool | None = None
    at_risk: bool | None = Field(
        None, description="near a deadline (its last fifth, or last hour) but not yet overdue"
    )
    created_from: date | None = Field(None, description="opened on or after this day")
    created_to: date | None = Field(None, description="opened on or before this day")
    resolved_from: date | None = Field(None, description="resolved on or after this day")
    resolved_to: date | None = Field(None, description="resolved on or before this day")
    q: str | None = Field(
        None,
        max_length=100,
        description=(
            "case number; customer name or phone (7 digits or more); asset label or plate"
            " (separators ignored); words of the title, description and fields"
        ),
    )
    ordering: Literal[
        "created",
        "-created",
        "updated",
        "-updated",
        "due",
        "-due",
        "priority",
        "-priority",
        "number",
        "-number",
        "late",
    ] = Field(
        "-created",
        description="'late': the most overdue first (the earliest deadline of a running clock)",
    )
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(25, ge=1, le=200)

    @property
    def order(self) -> str:
        """The ordering in force: the overdue view, unless told otherwise, shows the most
        overdue first (the clock's rule); everything else the newest first."""
        if "ordering" not in self.model_fields_set and self.overdue:
            return "late"
        return self.ordering

    def match(self, actor: Actor) -> Match | None:
        """What the free text `q` finds (None without one)."""
        if not self.q:
            return None
        return text_match(self.q.strip(), None if actor.superuser else actor.site_ids)

    def apply(
        self, qs: QuerySet[Case], actor: Actor, *, match: Match | None = None
    ) -> QuerySet[Case]:
        """The list: these cases filtered and ordered; `match`: what `q` finds, if known (one
        of its windows, `read_page`)."""
        if self.status:
            qs = qs.filter(status__in=self.status)
        if self.open is not None:
            qs = (
                qs.exclude(status__in=CLOSED_STATUSES)
                if self.open
                else qs.filter(status__in=CLOSED_STATUSES)
            )
        if self.step:
            qs = qs.filter(step=self.step)
        if self.procedure:
            qs = qs.filter(procedure_key=self.procedure)
        if self.department:
            qs = qs.filter(department_work(code=self.department))
        if self.assignee == "me":
            qs = qs.filter(assignee_id=actor.user_id)
        elif self.assignee == "none":
            qs = qs.filter(assignee__isnull=True)
        elif self.assignee:
            qs = qs.filter(assignee__username=self.assignee)
        if self.priority:
            qs = qs.filter(priority__in=self.priority)
        if self.site:
            qs = qs.filter(site__code=self.site)
        if self.channel:
            qs = qs.filter(channel=self.channel)
        if self.major is not None:
            qs = qs.filter(is_major=self.major)
        now = timezone.now()
        if self.overdue is not None:
            qs = qs.exclude(status__in=CLOSED_STATUSES)
            qs = qs.filter(late_q(now)) if self.overdue else qs.exclude(late_q(now))
        if self.at_risk is not None:
            qs = qs.exclude(status__in=CLOSED_STATUSES)
            risky = risk_q(now)
            # NOT over a duration comparison with NULLs is NULL in SQL: exclude by id instead.
            qs = (
                qs.filter(risky)
                if self.at_risk
                else qs.exclude(pk__in=Case.objects.filter(risky).values("pk"))
            )
        if self.created_from:
            qs = qs.filter(created_at__gte=_day_start(self.created_from))
        if self.created_to:
            qs = qs.filter(created_at__lt=_day_start(self.created_to + timedelta(days=1)))
        if self.resolved_from:
            qs = qs.filter(resolved_at__gte=_day_start(self.resolved_from))
        if self.resolved_to:
            qs = qs.filter(resolved_at__lt=_day_start(self.resolved_to + timedelta(days=1)))
        few = False
        if self.q:
            match = match or self.match(actor)
            assert match is not None
            qs, few = qs.filter(match.q), match.bounded
        # The tie-break runs in the same direction as the ordering, so one index on
        # (column, id) serves both directions (see Case.Meta.indexes).
        ordering = self.order
        descending = ordering.startswith("-")
        tie = "-pk" if descending else "pk"
        if ordering == "late":
            return qs.order_by(next_due(unindexed if few else F), "pk")
        if ordering.lstrip("-") == "priority":
            # By urgency, not by the alphabet: "priority" is the least urgent first.
            rank = DjCase(
                *(When(priority=p, then=Value(i)) for i, p in enumerate(reversed(Priority.values))),
                default=Value(len(Priority.values)),
            )
            qs = qs.annotate(priority_rank=rank)
            return qs.order_by("-priority_rank" if descending else "priority_rank", tie)
        column = ORDERINGS[ordering]
        if few:
            field = unindexed(column.lstrip("-"))
            return qs.order_by(field.desc() if descending else field.asc(), tie)
        return qs.order_by(column, tie)

    def read_page(self, qs: QuerySet[Case], actor: Actor) -> PageIds:
        """This filter's page of these cases (`page_ids`). Newest first, with words that match
        many cases, the page is read in windows of the newest cases (`by_windows`), and the
        count (up to COUNT_CAP + 1) first among the matches the index gave first
        (`Match.sample`): when COUNT_CAP + 1 of them are in the list, it has more than
        COUNT_CAP; only otherwise is the whole list counted."""
        match = self.match(actor)
        if match is None or match.words is None or self.order != "-created":
            return page_ids(self.apply(qs, actor, match=match), self.page, self.page_size)
        full = self.apply(qs, actor, match=match)
        start, size = (self.page - 1) * self.page_size, self.page_size
        ids: list[int] = []

        def step(window: Match, since: datetime) -> tuple[int, int] | None:
            nonlocal ids
            rows = self.apply(qs, actor, match=window).filter(created_at__gte=since)
            ids = list(rows.values_list("pk", flat=True)[: start + size + 1])
            return None if len(ids) > start + size else (len(ids), start + size + 1)

        if not by_windows(match, step):
            return page_ids(full, self.page, self.page_size)
        ids = ids[start:]
        sample = self.apply(qs, actor, match=Match(ids_in("pk", list(match.sample))))
        count = sample.order_by().values("pk")[: COUNT_CAP + 1].count()
        if count <= COUNT_CAP:
            count = full.order_by().values("pk")[: COUNT_CAP + 1].count()
        return PageIds(
            ids=ids[:size],
            has_next=len(ids) > size,
            count=min(count, COUNT_CAP),
            capped=count > COUNT_CAP,
        )


def work_totals(rows: Iterable[WorkLog]) -> tuple[Decimal, Decimal, Decimal]:
    """Labour hours, parts amount and tools amount (quantity × unit price) of a case's work
    log; voided rows do not count."""
    hours, parts, tools = Decimal(0), Decimal(0), Decimal(0)
    for w in rows:
        if w.voided_at is not None:
            continue
        amount = (w.quantity or Decimal(0)) * (w.unit_price or Decimal(0))
        if w.kind == WorkKind.LABOUR:
            hours += w.hours or Decimal(0)
        elif w.kind == WorkKind.PART:
            parts += amount
        elif w.kind == WorkKind.TOOL:
            tools += amount
    return hours, parts, tools


# A count of a list stops here: "1000+" is all a person or a client paging through needs, and
# counting 100,000 matching rows costs a scan of them all (the queue page and the API list).
COUNT_CAP = 1000


@dataclass(frozen=True)
class PageIds:
    """One page of a list as case ids, and how many match (exact up to `COUNT_CAP`)."""

    ids: list[int]
    has_next: bool
    count: int
    capped: bool  # more than COUNT_CAP match: `count` says "at least"


def page_ids(qs: QuerySet[Case], page: int, size: int) -> PageIds:
    """The page's ids in the list's order, reading one more to know whether a next page
    exists; counted only when the page does not hold the whole list, and then only up to
    COUNT_CAP + 1."""
    start = (page - 1) * size
    ids = list(qs.values_list("pk", flat=True)[start : start + size + 1])
    has_next = len(ids) > size
    ids = ids[:size]
    whole = page == 1 and not has_next  # all of it is on this page: nothing to count
    count = len(ids) if whole else qs.order_by().values("pk")[: COUNT_CAP + 1].count()
    return PageIds(
        ids=ids, has_next=has_next, count=min(count, COUNT_CAP), capped=count > COUNT_CAP
    )
