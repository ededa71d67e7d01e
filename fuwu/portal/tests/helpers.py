"""Shared by the portal tests: a customer with an account, a photo, staff doing a repair."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.customers.models import Customer
from fuwu.testing.factories import World

User = get_user_model()


def png(name: str = "leak.png", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def give_account(customer: Customer, login: str, password: str = "pw-customer-1") -> Any:
    """Link a portal account to a customer record (what staff do in the admin)."""
    user = User.objects.create_user(login, password=password)
    customer.user = user
    customer.save(update_fields=["user"])
    return user


def repair_until_return_visit(world: World, case_id: int) -> Case:
    """Staff take a property repair from reception to the return visit (resolved)."""
    case = actions.take_transition(
        world.actor("agent"),
        case_id,
        "issue_work_order",
        version=None,
        form={"details_confirmed": True},
    )
    actions.assign(
        world.actor("dispatcher"), case_id, assignee_id=world.users["technician"].pk, version=None
    )
    actions.take_transition(
        world.actor("dispatcher"),
        case_id,
        "repair_now",
        version=None,
        form={"repair_mode": "immediate"},
    )
    actions.take_transition(
        world.actor("technician"),
        case_id,
        "complete",
        version=None,
        form={"diagnosis": "接头老化", "solution": "更换接头", "owner_agreed": True},
        checklist={"fault_fixed": True, "site_clean": True},
    )
    case = actions.take_transition(
        world.actor("technician"),
        case_id,
        "to_return_visit",
        version=None,
        form={"result": "已修复,试水正常"},
    )
    assert case.step == "return_visit" and case.status == "resolved"
    return case
