"""A workshop of the seed's size for the scheduling tests: the 4S 店's 车间, open 08:30–17:30
with lunch 12:00–13:00 (8 working hours) on the site's real working calendar."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from fuwu.core.choices import CalendarKind
from fuwu.core.models import Role, Staff
from fuwu.scheduling.models import Technician, Workshop
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World


def seed_workshop(world: World, technicians: int = 10, productivity: str = "1.00") -> Workshop:
    site = world.sites["dealer"]
    site.calendar_kind = CalendarKind.WORKING
    site.work_start, site.lunch_start = time(8, 30), time(12, 0)
    site.lunch_end, site.work_end = time(13, 0), time(17, 30)
    site.save()
    forget_calendars()
    department = world.dept("dealer", "workshop")
    workshop = Workshop.objects.create(department=department)
    role = Role.objects.get(code="technician")
    User = get_user_model()
    for n in range(technicians):
        user = User.objects.create(username=f"tech{n:02}", password=make_password("pw"))
        staff = Staff.objects.create(user=user, display_name=f"技师{n:02}", department=department)
        staff.sites.set([site])
        staff.roles.set([role])
        Technician.objects.create(
            staff=staff, workshop=workshop, productivity=Decimal(productivity)
        )
    return workshop
