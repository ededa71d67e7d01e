"""Notifications are stored in the inbox and e-mailed once, in the recipient's language."""

from __future__ import annotations

from django.core import mail

from fuwu.cases import actions
from fuwu.core.models import Staff
from fuwu.notifications.models import Notification
from fuwu.notifications.tasks import send_email


def test_assignment_is_in_the_inbox_and_emailed_once(world, api):
    Staff.objects.filter(user=world.users["technician"]).update(language="en")
    case = actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="水管漏水",
        data={"repair_item": "水管", "service_type": "free"},
    )
    case = actions.take_transition(  # to engineering's dispatcher, who assigns
        world.actor("agent"),
        case.pk,
        "issue_work_order",
        version=case.version,
        form={"details_confirmed": True},
    )
    actions.assign(
        world.actor("dispatcher"),
        case.pk,
        assignee_id=world.users["technician"].pk,
        version=case.version,
    )
    note = Notification.objects.get(recipient=world.users["technician"], kind="assigned")
    assert send_email.call([note.pk]) == 1
    assert send_email.call([note.pk]) == 0  # already sent: a retried task sends nothing twice
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["technician@example.com"]
    assert mail.outbox[0].body == f"Case {case.number} is assigned to you: 水管漏水"
    inbox = api("technician", "en").get("/api/notifications", unread="true").json()
    assert [n["kind"] for n in inbox] == ["assigned"]
    assert inbox[0]["text"].startswith(f"Case {case.number} is assigned")
    assert api("technician").post(f"/api/notifications/{note.pk}/read").json()["read"] is True
    assert api("technician").get("/api/notifications", unread="true").json() == []
    assert api("agent").post(f"/api/notifications/{note.pk}/read").status_code == 404
