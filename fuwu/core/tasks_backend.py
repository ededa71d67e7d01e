"""The database task backend, its enqueue written by SQL made once per process.

django_tasks_db's `enqueue` is `DBTaskResult.objects.create(…)`: an InsertQuery built and
compiled on every call. Every case write enqueues its clock check (and notices their sends), in
the case's transaction, so that compilation was a tenth of a write's CPU. This writes the same
row — the same values, `DBTaskResult`'s own defaults, `enqueued_at`, and the far-future
`run_after` of a task to run at once (its pre_save handler's, the only one) — with
`fuwu.core.prepared.insert_rows`, and is otherwise django_tasks_db's backend.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django_tasks_db.backend import DatabaseBackend as _Backend
from django_tasks_db.compat import normalize_json

from fuwu.core.prepared import insert_rows


class DatabaseBackend(_Backend):
    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> Any:
        from django_tasks_db.models import DBTaskResult, get_date_max

        row: Any = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            # django_tasks_db's pre_save handler does this for a save(); this is no save().
            run_after=task.run_after if task.run_after is not None else get_date_max(),
            backend_name=self.alias,
        )
        insert_rows(DBTaskResult, [row], _columns(DBTaskResult))
        return row


@cache
def _columns(model: Any) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)
