"""The worker's side of customer notices: one task per notice, by id and idempotent."""

from __future__ import annotations

from django.tasks import task

from fuwu.channels import outbound


@task(queue_name="notifications")
def deliver(delivery_id: int) -> str:
    """Send one notice (a retried or duplicate task finds it claimed or sent and does nothing)."""
    return outbound.attempt(delivery_id)
