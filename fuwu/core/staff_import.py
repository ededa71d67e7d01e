"""Staff of a site created in bulk: the write of a spreadsheet import (fuwu.sheets).

The caller has checked every row; this re-checks the rights (an administrator of the site: a
staff import grants roles) and that no username was taken since, then writes the users, their
staff profiles, roles and site in one transaction with `bulk_create`. The accounts have no
usable password: an administrator sets one (admin, or the person's own reset). The
administrator role is never granted by an import.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from fuwu.core.actors import Actor, forget_actors
from fuwu.core.choices import RoleCode
from fuwu.core.models import Role, Staff
from fuwu.procedures.engine.errors import Conflict, FieldError, Forbidden

User = get_user_model()
BATCH = 500


@dataclass(frozen=True)
class NewStaff:
    username: str
    name: str
    department_id: int
    roles: tuple[str, ...]
    phone: str = ""
    email: str = ""


def may_import_staff(actor: Actor, site_id: int) -> bool:
    return actor.superuser or ("admin" in actor.roles and actor.may_see_site(site_id))


@transaction.atomic
def import_staff(actor: Actor, *, site_id: int, people: list[NewStaff]) -> int:
    if not may_import_staff(actor, site_id) or any(RoleCode.ADMIN in p.roles for p in people):
        raise Forbidden("forbidden")
    taken = User.objects.filter(username__in=[p.username for p in people]).first()
    if taken is not None:
        raise Conflict(
            "conflict", reason=taken.username, fields={"username": FieldError("catalogue_taken")}
        )
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [User(username=p.username, email=p.email, password=unusable) for p in people],
        batch_size=BATCH,
    )
    made = Staff.objects.bulk_create(
        [
            Staff(user=u, display_name=p.name, phone=p.phone, department_id=p.department_id)
            for u, p in zip(users, people, strict=True)
        ],
        batch_size=BATCH,
    )
    roles = {r.code: r.pk for r in Role.objects.all()}
    for code in {c for p in people for c in p.roles} - roles.keys():
        roles[code] = Role.objects.create(code=code).pk
    Staff.roles.through.objects.bulk_create(
        [
            Staff.roles.through(staff_id=s.pk, role_id=roles[code])
            for s, p in zip(made, people, strict=True)
            for code in p.roles
        ],
        batch_size=BATCH,
    )
    Staff.sites.through.objects.bulk_create(
        [Staff.sites.through(staff_id=s.pk, site_id=site_id) for s in made], batch_size=BATCH
    )
    forget_actors()
    return len(made)
