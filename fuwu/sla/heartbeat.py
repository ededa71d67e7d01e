"""Worker heartbeats: written by each worker every sweep, read by `/healthz` and the dashboard.

A worker is *fresh* when it checked in within two sweep intervals (`FUWU_SWEEP_INTERVAL`); the
site is healthy for background work when at least one worker is fresh. Rows of workers gone for
a day are purged by the sweep, so reading the newest row stays one indexed query.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.metadata import PackageNotFoundError, version

from django.conf import settings
from django.utils import timezone

from fuwu.sla.models import Heartbeat

KEEP = timedelta(days=1)


def _version() -> str:
    try:
        return version("fuwu")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "dev"


VERSION = _version()


def beat(worker_id: str, started_at: datetime, *, now: datetime | None = None) -> None:
    """Record that this worker is alive (one upsert) and forget workers gone for a day."""
    now = now or timezone.now()
    Heartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "version": VERSION,
            "started_at": started_at,
            "last_seen": now,
        },
    )
    Heartbeat.objects.filter(last_seen__lt=now - KEEP).delete()


def stale_after() -> timedelta:
    return timedelta(seconds=2 * settings.FUWU_SWEEP_INTERVAL)


@dataclass(frozen=True)
class WorkerState:
    """What the newest heartbeats say: `fresh` is False when no worker checked in lately."""

    fresh: bool
    last_seen: datetime | None
    workers: list[dict[str, object]]


def worker_state(*, now: datetime | None = None, limit: int = 20) -> WorkerState:
    now = now or timezone.now()
    limit_at = now - stale_after()
    rows = list(
        Heartbeat.objects.order_by("-last_seen").values("worker_id", "version", "last_seen")[:limit]
    )
    workers = [
        {
            "id": r["worker_id"],
            "version": r["version"],
            "last_seen": r["last_seen"].isoformat(),
            "fresh": r["last_seen"] >= limit_at,
        }
        for r in rows
    ]
    last_seen = rows[0]["last_seen"] if rows else None
    return WorkerState(
        fresh=last_seen is not None and last_seen >= limit_at,
        last_seen=last_seen,
        workers=workers,
    )
