"""Background jobs for clocks (django.tasks, database backend)."""

from __future__ import annotations

import os
import socket

from django.tasks import task

from fuwu.sla.escalation import fire_due, sweep

WORKER = f"{socket.gethostname()}:{os.getpid()}"


@task(queue_name="clocks")
def check_clocks(case_id: int) -> list[str]:
    """Deferred to the case's next escalation moment; re-checks everything when it runs."""
    return fire_due(case_id, worker=WORKER)


@task(queue_name="clocks")
def sweep_clocks() -> int:
    return sweep(worker=WORKER)
