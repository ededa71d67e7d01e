"""Writes to the search index outside a case change: the rebuild (`fuwu search reindex`)."""

from __future__ import annotations

from django.db import transaction

from fuwu.procedures.registry import definition_of
from fuwu.search import index


def reindex_if_empty() -> int:
    """Build the index when it holds nothing but cases exist: the first `fuwu setup` after
    upgrading to a Fuwu with search (migration search.0001 makes the table empty)."""
    from fuwu.cases.models import Case

    if not index.is_empty() or not Case.objects.exists():
        return 0
    return reindex()


def reindex(*, chunk: int = 2000) -> int:
    """Rebuild the whole case index from the cases; returns how many were indexed.

    One transaction: a search during the rebuild sees the old index, never half of one.
    """
    from fuwu.cases.models import Case

    n = 0
    with transaction.atomic():
        index.clear()
        rows = Case.objects.select_related("procedure").only(
            "pk", "title", "description", "data", "procedure"
        )
        for case in rows.order_by("pk").iterator(chunk_size=chunk):
            procedure = definition_of(case.procedure)
            index.put(case.pk, index.case_texts(case.title, case.description, case.data, procedure))
            n += 1
    return n
