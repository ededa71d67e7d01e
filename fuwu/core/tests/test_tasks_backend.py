"""The task backend's enqueue writes the row django_tasks_db's own would write."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.tasks import task_backends
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend as TheirBackend
from django_tasks_db.models import DBTaskResult

from fuwu.core.tasks_backend import DatabaseBackend
from fuwu.sla.tasks import check_clocks

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

COMPARED = (
    "status",
    "args_kwargs",
    "priority",
    "task_path",
    "queue_name",
    "backend_name",
    "run_after",
    "worker_ids",
    "return_value",
    "exception_class_path",
    "traceback",
    "started_at",
    "finished_at",
)


def test_enqueue_writes_what_django_tasks_db_writes():
    backend = task_backends["default"]
    assert isinstance(backend, DatabaseBackend)
    later = timezone.now() + timedelta(hours=2)
    ours = check_clocks.using(run_after=later).enqueue(41)
    theirs = TheirBackend.enqueue(backend, check_clocks.using(run_after=later), (41,), {})
    a, b = DBTaskResult.objects.get(pk=ours.id), DBTaskResult.objects.get(pk=theirs.id)
    assert [getattr(a, f) for f in COMPARED] == [getattr(b, f) for f in COMPARED]
    assert a.enqueued_at is not None and abs(a.enqueued_at - b.enqueued_at) < timedelta(seconds=5)
    # What the enqueue answered is the row: the same id, and the queue finds it by that id.
    assert backend.get_result(ours.id).args == [41]
    now_too = check_clocks.enqueue(42)  # no run_after: ready at once
    assert DBTaskResult.objects.ready().filter(pk=now_too.id).exists()
