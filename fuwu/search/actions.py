"""Writes to the search index outside a case change: the rebuild (`fuwu search reindex`)."""

from __future__ import annotations

from datetime import datetime

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
    from fuwu.procedures.models import ProcedureVersion

    # The definitions once (a case row carries only its version's id), then the cases in
    # chunks, each chunk written in one statement.
    used = Case.objects.values("procedure_id").distinct()
    procedures = {v.pk: definition_of(v) for v in ProcedureVersion.objects.filter(pk__in=used)}
    n = 0
    with transaction.atomic():
        index.clear()
        rows = Case.objects.only(
            "pk", "site_id", "created_at", "title", "description", "data", "procedure_id"
        )
        batch: list[tuple[int, int, datetime, list[str]]] = []
        for case in rows.order_by("pk").iterator(chunk_size=chunk):
            procedure = procedures[case.procedure_id]
            texts = index.case_texts(case.title, case.description, case.data, procedure)
            batch.append((case.pk, case.site_id, case.created_at, texts))
            if len(batch) >= chunk:
                index.put_many(batch)
                n, batch = n + len(batch), []
        index.put_many(batch)
        n += len(batch)
    return n
