from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from fuwu.sla.heartbeat import worker_state


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """App, database and background-worker status, for load balancers and operators.

    503 "worker stale" when no worker checked in for two sweep intervals: escalations, notices
    and schedules have stopped even though pages still answer. Two small queries, no joins."""
    workers: list[dict[str, object]] = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db = "ok"
        state = worker_state(limit=10)
        worker = "ok" if state.fresh else "worker stale"
        workers = state.workers
    except Exception as exc:
        db = f"error: {exc.__class__.__name__}"
        worker = "unknown"
    ok = db == "ok" and worker == "ok"
    return JsonResponse(
        {
            "status": "ok" if ok else "degraded",
            "app": "ok",
            "database": db,
            "vendor": connection.vendor,
            "worker": worker,
            "workers": workers,
        },
        status=200 if ok else 503,
    )
