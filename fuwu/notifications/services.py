"""Who to tell, and telling them: inbox rows written in the caller's transaction, e-mail queued by id."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from fuwu.cases.models import Case
from fuwu.core.models import Department, Staff
from fuwu.notifications.models import Notification
from fuwu.procedures.engine.definition import NotifyTarget

User = get_user_model()


def _chain_from(staff: Staff | None) -> list[Staff]:
    """The reporting line above `staff`, nearest first (guarded against cycles)."""
    chain: list[Staff] = []
    seen: set[int] = set()
    current = staff.reports_to if staff else None
    while current is not None and current.pk not in seen and len(chain) < 12:
        seen.add(current.pk)
        chain.append(current)
        current = current.reports_to
    return chain


def top_of_line(staff: Staff) -> Staff:
    """The person at the top of the reporting line above `staff` (themself when at the top)."""
    chain = _chain_from(staff)
    return chain[-1] if chain else staff


def _manager_staff(case: Case) -> Staff | None:
    manager_id = case.department.manager_id
    return (
        Staff.objects.select_related("user").filter(user_id=manager_id).first()
        if manager_id
        else None
    )


def recipients(
    case: Case,
    target: NotifyTarget | str,
    *,
    level: int = 1,
    role: str | None = None,
    department: str | None = None,
) -> list[Any]:
    """Users a notification to `target` reaches for this case. May be empty (nobody in post)."""
    target = NotifyTarget(target)
    if target is NotifyTarget.ASSIGNEE:
        if case.assignee_id:
            return [case.assignee]
        target = NotifyTarget.DEPARTMENT_MANAGER
    if target is NotifyTarget.DEPARTMENT_MANAGER:
        return [case.department.manager] if case.department.manager_id else []
    if target in (NotifyTarget.REPORTING_LINE, NotifyTarget.TOP):
        start = None
        if case.assignee_id:
            start = (
                Staff.objects.select_related("reports_to").filter(user_id=case.assignee_id).first()
            )
        chain = _chain_from(start) if start else []
        if not chain:
            # Nobody assigned: the department manager is responsible, so "up" starts above them.
            manager = _manager_staff(case)
            chain = _chain_from(manager) or ([manager] if manager else [])
        if not chain:
            return []
        chosen = chain[-1] if target is NotifyTarget.TOP else chain[min(level, len(chain)) - 1]
        return [chosen.user]
    if target is NotifyTarget.ROLE:
        return list(
            User.objects.filter(
                staff__roles__code=role, staff__sites=case.site_id, is_active=True
            ).distinct()
        )
    if target is NotifyTarget.DEPARTMENT:
        dept = Department.objects.filter(site_id=case.site_id, code=department).first()
        if dept is None:
            return []
        users = list(User.objects.filter(staff__department=dept, is_active=True))
        return users or ([dept.manager] if dept.manager_id else [])
    if target is NotifyTarget.CUSTOMER:
        customer = case.customer
        return [customer.user] if customer is not None and customer.user_id else []
    return []


def notify(
    users: list[Any], *, case: Case | None, kind: str, data: dict[str, Any]
) -> list[Notification]:
    """Write inbox rows (in the caller's transaction) and queue their e-mail after commit."""
    unique = {u.pk: u for u in users if u is not None}
    rows = Notification.objects.bulk_create(
        [Notification(recipient_id=pk, case=case, kind=kind, data=data) for pk in unique]
    )
    ids = [n.pk for n in rows if n.pk is not None]
    if ids:
        from fuwu.notifications.tasks import send_email

        # The task row commits or rolls back with the change itself (database task backend),
        # so a rolled-back change never sends mail and a committed one always will.
        send_email.enqueue(ids)
    return rows
