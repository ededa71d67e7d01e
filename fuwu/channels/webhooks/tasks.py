"""The webhook task: deliveries sent by id, each claimed first, so running it twice sends nothing twice."""

from __future__ import annotations

from django.tasks import task

from fuwu.channels.webhooks import sending


@task(queue_name="notifications")
def deliver(delivery_ids: list[str]) -> int:
    return sending.deliver(delivery_ids)
