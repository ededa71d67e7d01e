"""The demo world: the organisation, its people, customers and assets, and who would do what.

`World` creates the rows and then serves the stories and the walker: who on a site holds a
role (`find`), who a step's department would give the work to (`staff_step`), and the work log
a technician writes. Every case change goes through `fuwu.cases.actions` as a real staff actor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from fuwu.cases import actions
from fuwu.cases.choices import WorkKind
from fuwu.cases.models import Case
from fuwu.core.actors import Actor, actor_for
from fuwu.core.choices import RoleCode
from fuwu.core.models import Department, Organisation, Role, Shift, Site, Skill, Staff
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset, Customer
from fuwu.demo.people import (
    CAR_MODELS,
    DEPARTMENTS,
    EQUIPMENT,
    GIVEN,
    GUEST_PREFERENCES,
    LABOUR,
    PARTS,
    PEOPLE,
    ROOM_TYPES,
    SHIFTS,
    SITES,
    SKILLS,
    SURNAMES,
)
from fuwu.procedures.engine.errors import EngineError
from fuwu.procedures.registry import definition_of

User = get_user_model()
PASSWORD = "fuwu-demo"
WORKERS = ("technician", "engineer")
TZ = ZoneInfo("Asia/Shanghai")
CONTACT_TIMES = ["工作日晚上 7 点后", "周末全天", "上午 9–11 点"]
# How many customers each site gets (lanting: the last few own a unit they have not moved into).
# The hot-pot's tables (label, seats): the hall's A and B rows and two private rooms.
TABLES = [
    *((f"A{n:02d}", 4) for n in range(1, 9)),
    *((f"B{n:02d}", 6) for n in range(1, 5)),
    ("包间 1", 10),
    ("包间 2", 12),
]
CUSTOMERS = {"lanting": 20, "dealer": 12, "hotel": 6, "hotpot": 4}
OCCUPIED = 16


class World:
    def __init__(self, rng: Random, now: datetime) -> None:
        self.rng, self.now = rng, now
        self.sites: dict[str, Site] = {}
        self.departments: dict[str, Department] = {}  # "site/code"
        self.actors: dict[str, Actor] = {}
        self.by_id: dict[int | None, Actor] = {}
        self.skills: dict[int, set[str]] = {}  # user id -> skill codes
        self.customers_of: dict[str, list[Customer]] = {}
        self.asset_of: dict[int, Asset] = {}  # customer id -> unit or vehicle
        self.assets: dict[tuple[str, str], list[Asset]] = {}  # (site, kind) -> assets
        self.labels: set[str] = set()

    def phone(self) -> str:
        prefix = self.rng.choice(["139", "138", "136", "158", "159", "186", "188", "177", "133"])
        return prefix + "".join(self.rng.choice("0123456789") for _ in range(8))

    def site_code(self, site_id: int) -> str:
        return next(code for code, site in self.sites.items() if site.pk == site_id)

    # -- organisation and people ----------------------------------------------------------------

    def organisation(self) -> None:
        org = Organisation.objects.create(name="华安服务集团")
        for code, spec in SITES.items():
            self.sites[code] = site = Site.objects.create(organisation=org, code=code, **spec)
            for dcode, name, name_en in DEPARTMENTS[code]:
                self.departments[f"{code}/{dcode}"] = Department.objects.create(
                    site=site, code=dcode, name=name, name_en=name_en
                )
        Role.objects.bulk_create([Role(code=c) for c in RoleCode.values], ignore_conflicts=True)
        Skill.objects.bulk_create(
            [Skill(code=c, name=n, name_en=e) for c, n, e in SKILLS], ignore_conflicts=True
        )
        Shift.objects.bulk_create([Shift(name=n, start=s, end=e) for n, s, e in SHIFTS])

    def people(self) -> None:
        hashed = make_password(PASSWORD)  # hashed once: PBKDF2 per user would take seconds
        roles = {r.code: r for r in Role.objects.all()}
        skills = {s.code: s for s in Skill.objects.all()}
        shifts = {s.name: s for s in Shift.objects.filter(name__in=[n for n, _, _ in SHIFTS])}
        staff: dict[str, Staff] = {}
        for p in PEOPLE:
            admin = p.username == "admin"
            user = User.objects.create(
                username=p.username,
                email=f"{p.username}@example.com",
                password=hashed,
                last_name=p.name[0],
                first_name=p.name[1:],
                is_staff=admin,
                is_superuser=admin,
                date_joined=self.now - timedelta(days=400),
            )
            department = self.departments[p.department]
            staff[p.username] = member = Staff.objects.create(
                user=user,
                display_name=p.name,
                phone=self.phone(),
                department=department,
                shift=shifts[p.shift],
                language=p.language,
            )
            member.sites.set(self.sites.values() if p.all_sites else [department.site])
            member.roles.set([roles[c] for c in p.roles.split(",")])
            member.skills.set([skills[c] for c in p.skills.split(",") if c])
            if p.manages:
                department.manager = user
                department.save(update_fields=["manager"])
            self.skills[user.pk] = set(filter(None, p.skills.split(",")))
        for p in PEOPLE:
            if p.boss:
                Staff.objects.filter(pk=staff[p.username].pk).update(reports_to=staff[p.boss])
        self.actors = {name: actor_for(s.user) for name, s in staff.items()}
        self.by_id = {actor.user_id: actor for actor in self.actors.values()}

    # -- customers and assets -------------------------------------------------------------------

    def customers(self) -> None:
        rng = self.rng
        total = sum(CUSTOMERS.values())
        names = rng.sample([(s, sp, g, gp) for s, sp in SURNAMES for g, gp in GIVEN], total)
        codes = [code for code, n in CUSTOMERS.items() for _ in range(n)]
        for i, ((surname, s_py, given, g_py), code) in enumerate(zip(names, codes, strict=True)):
            if code == "hotel":
                preferences = GUEST_PREFERENCES[i % len(GUEST_PREFERENCES)]
            elif i % 3 == 0:
                preferences = {"contact_time": CONTACT_TIMES[i % 3]}
            else:
                preferences = {}
            customer = Customer.objects.create(
                site=self.sites[code],
                name=surname + given,
                phone=self.phone(),
                email=f"{g_py}.{s_py}{rng.randint(1, 99)}@example.com" if i % 5 < 2 else "",
                preferences=preferences,
                consent_contact=rng.random() > 0.1,
                created_at=self.now - timedelta(days=rng.randint(60, 900)),
            )
            mine = self.customers_of.setdefault(code, [])
            mine.append(customer)
            if code == "lanting":
                self.asset_of[customer.pk] = self.unit(customer, occupied=len(mine) <= OCCUPIED)
            elif code == "dealer":
                self.asset_of[customer.pk] = self.vehicle(customer)
        for _ in range(2):  # vacant units not sold yet: the developer's, no owner
            self.unit(None, occupied=False)
        self.compound_assets()
        self.hotel_rooms()
        self.restaurant_tables()

    def add_asset(
        self, code: str, kind: str, label: str, owner: Customer | None, attributes: dict[str, Any]
    ) -> Asset:
        asset = Asset.objects.create(
            site=self.sites[code], kind=kind, label=label, owner=owner, attributes=attributes
        )
        self.assets.setdefault((code, kind), []).append(asset)
        return asset

    def unit(self, owner: Customer | None, *, occupied: bool) -> Asset:
        rng = self.rng
        while True:
            building, unit = rng.randint(1, 6), rng.randint(1, 3)
            room = f"{rng.randint(2, 32)}{rng.randint(1, 4):02d}"
            label = f"{building}栋{unit}单元{room}"
            if label not in self.labels:
                self.labels.add(label)
                break
        attributes = {
            "building": building,
            "unit": unit,
            "room": room,
            "area_m2": rng.choice([89.5, 96.0, 118.3, 132.6, 143.0]),
            "occupied": occupied,
            "handed_over": owner is not None,  # sold and handed over to its owner
            "gas_activated": occupied,  # a unit nobody lives in yet has no gas
        }
        return self.add_asset("lanting", AssetKind.UNIT, label, owner, attributes)

    def vehicle(self, owner: Customer) -> Asset:
        rng = self.rng
        plate = "粤B·" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(5))
        vin = "LVGB" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(13))
        attributes = {
            "vin": vin,
            "model": rng.choice(CAR_MODELS),
            "odometer_km": rng.randint(30, 1200) * 100,
        }
        return self.add_asset("dealer", AssetKind.VEHICLE, plate, owner, attributes)

    def compound_assets(self) -> None:
        """The keys the service centre holds, the car park's spaces and the pump room's valves."""
        vacant = [
            u for u in self.assets[("lanting", AssetKind.UNIT)] if not u.attributes["occupied"]
        ]
        for n, unit in enumerate(vacant, start=1):
            attributes = {"unit": unit.label, "hook": f"K-{n:02d}", "copies": 2}
            self.add_asset("lanting", AssetKind.KEY, f"{unit.label} 钥匙", unit.owner, attributes)
        residents = self.customers_of["lanting"][:OCCUPIED]
        for n in range(1, 9):
            leased = n <= 5
            attributes = {
                "level": "B1",
                "space_kind": "underground",
                "number": n,
                "leased": leased,
            }
            owner = residents[n * 3 % len(residents)] if leased else None
            self.add_asset("lanting", AssetKind.PARKING, f"B1-{n:03d}", owner, attributes)
        for label, attributes in EQUIPMENT:
            self.add_asset("lanting", AssetKind.EQUIPMENT, label, None, dict(attributes))

    def hotel_rooms(self) -> None:
        for floor in (8, 12, 15, 18):
            for door in (6, 8):
                kind, bed, name = ROOM_TYPES[(floor + door) % len(ROOM_TYPES)]
                attributes = {
                    "floor": floor,
                    "type": kind,
                    "name": name,
                    "bed": bed,
                    "smoking": floor == 8,
                }
                self.add_asset("hotel", AssetKind.ROOM, f"{floor}{door:02d}", None, attributes)

    def restaurant_tables(self) -> None:
        """The hot-pot's tables: the floor manager's table board (/floor/) lists them."""
        for label, seats in TABLES:
            self.add_asset("hotpot", AssetKind.TABLE, label, None, {"seats": seats})

    # -- who does what --------------------------------------------------------------------------

    def pick(
        self,
        site_id: int,
        department_id: int | None,
        roles: Sequence[str],
        *,
        prefer: int | None = None,
        skill: str = "",
        same_department: bool = False,
        acting: bool = False,
    ) -> Actor:
        """Who would do this: the person named, then the department's own people, then by role."""
        chosen = self.find(
            site_id,
            department_id,
            roles,
            prefer=prefer,
            skill=skill,
            same_department=same_department,
            acting=acting,
        )
        if chosen is None:
            raise EngineError("role_not_allowed", transition="-", roles=", ".join(roles))
        return chosen

    def find(
        self,
        site_id: int,
        department_id: int | None,
        roles: Sequence[str],
        *,
        prefer: int | None = None,
        skill: str = "",
        same_department: bool = False,
        acting: bool = False,
    ) -> Actor | None:
        """`acting`: only people who may act in the department (fuwu.cases.policy: its members,
        its managers and those above them), as a move on its step needs."""
        from fuwu.cases.policy import Standing, standing

        best: tuple[Any, ...] | None = None
        chosen = None
        for actor in self.actors.values():
            held = [i for i, role in enumerate(roles) if role in actor.roles]
            other = actor.department_id != department_id
            if actor.superuser or site_id not in actor.site_ids or not held:
                continue
            if same_department and other:
                continue
            if acting and other and standing(actor, site_id, department_id) is Standing.NONE:
                continue
            lacks_skill = bool(skill) and skill not in self.skills.get(actor.user_id or 0, set())
            key = (
                actor.user_id != prefer,
                other,
                held[0],
                lacks_skill,
                "vp" in actor.roles,
                self.rng.random(),
            )
            if best is None or key < best:
                best, chosen = key, actor
        return chosen

    def staff_step(self, case: Case, *, prefer: int | None = None) -> Case:
        """Most steps get a person from the owning department, as a dispatcher would do it."""
        step = definition_of(case.procedure).steps[case.step]
        role = step.owner.role if step.owner else None
        if case.is_closed or not role:
            return case
        roles = [role, *WORKERS] if role in WORKERS else [role]
        holder = self.by_id.get(case.assignee_id or 0)
        if (holder and holder.roles & set(roles)) or self.rng.random() < 0.15:
            return case  # already with someone who does this step, or left in the queue
        worker = self.find(
            case.site_id,
            case.department_id,
            roles,
            prefer=prefer,
            skill=case.category,
            same_department=True,
        )
        if worker is None:
            return case
        boss = self.find(
            case.site_id, case.department_id, ["dispatcher", "manager"], same_department=True
        )
        # Managers take their own steps; others are given the work by their dispatcher or manager.
        mine = worker.user_id == prefer or "manager" in worker.roles
        by = worker if mine or boss is None else boss
        return actions.assign(by, case.pk, assignee_id=worker.user_id, version=None)

    def log_work(self, actor: Actor, case: Case) -> None:
        rng, code = self.rng, self.site_code(case.site_id)
        hours = Decimal(rng.choice(["0.5", "1.0", "1.5", "2.0", "3.0"]))
        actions.log_work(
            actor,
            case.pk,
            actions.WorkEntry(WorkKind.LABOUR, rng.choice(LABOUR[code]), hours=hours),
        )
        if rng.random() < 0.6:
            part, price = rng.choice(PARTS[code])
            quantity = Decimal(rng.choice([1, 1, 2]))
            actions.log_work(
                actor,
                case.pk,
                actions.WorkEntry(
                    WorkKind.PART, part, quantity=quantity, unit_price=Decimal(price)
                ),
            )

    def later(self, after: datetime) -> datetime:
        """A moment after `after` and before the demo's present, a share of the time left: the
        moves of a case come in order, spread over the days since it was opened."""
        left = max((self.now - after).total_seconds(), 0.0)
        return after + timedelta(seconds=left * self.rng.uniform(0.05, 0.4))

    def opened_at(self, days: float) -> datetime:
        if days < 1:
            return self.now - timedelta(days=days)
        day = (self.now - timedelta(days=days)).astimezone(TZ)
        return day.replace(hour=self.rng.randint(8, 19), minute=self.rng.randint(0, 59))
