"""Background jobs for clocks (django.tasks, database backend)."""

from __future__ import annotations

import os
import socket

from django.tasks import task

from fuwu.sla.escalation import fire_due, sweep
from fuwu.sla.recompute import recompute_site_deadlines

WORKER = f"{socket.gethostname()}:{os.getpid()}"


@task(queue_name="clocks")
def check_clocks(case_id: int) -> list[str]:
    """Deferred to the case's next escalation moment; re-checks everything when it runs."""
    return fire_due(case_id, worker=WORKER)


@task(queue_name="clocks")
def sweep_clocks() -> int:
    return sweep(worker=WORKER)


@task(queue_name="clocks")
def recompute_deadlines(site_ids: list[int] | None) -> int:
    """A calendar changed: move the stored deadlines of the open cases it affects."""
    return recompute_site_deadlines(site_ids)
