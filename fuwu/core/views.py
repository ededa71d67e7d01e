from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """App and database status, for load balancers and operators."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db = "ok"
    except Exception as exc:
        db = f"error: {exc.__class__.__name__}"
    ok = db == "ok"
    return JsonResponse(
        {
            "status": "ok" if ok else "degraded",
            "app": "ok",
            "database": db,
            "vendor": connection.vendor,
        },
        status=200 if ok else 503,
    )
