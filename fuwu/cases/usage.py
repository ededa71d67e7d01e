"""Which procedures a site uses most: the order of every list people pick a procedure from.

One rule for the intake desk and the procedure library: the procedures most opened at the
site(s) over the last `USAGE_DAYS` days come first; ties and unused ones by name.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from fuwu.cases.models import Case

USAGE_DAYS = 90


def use_counts(site_ids: Collection[int] | None, *, now: datetime | None = None) -> dict[str, int]:
    """Cases opened per procedure key in the window; `site_ids=None` means every site."""
    since = (now or timezone.now()) - timedelta(days=USAGE_DAYS)
    qs = Case.objects.filter(created_at__gte=since)
    if site_ids is not None:
        qs = qs.filter(site_id__in=site_ids)
    rows = qs.values("procedure_key").annotate(n=Count("id")).values_list("procedure_key", "n")
    return dict(rows)


def most_used_first[T](
    items: Iterable[T],
    *,
    key: Callable[[T], str],
    name: Callable[[T], str],
    site_ids: Collection[int] | None,
    now: datetime | None = None,
) -> list[T]:
    """`items` (procedures, offers, rows: anything with a procedure key and a name) in the
    order people pick from: most opened at these sites lately first, then by name."""
    counts = use_counts(site_ids, now=now)
    return sorted(items, key=lambda item: (-counts.get(key(item), 0), name(item)))
