"""A small organisation for tests: four sites, their departments and one person per persona."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from fuwu.core.actors import Actor, actor_for, forget_actors
from fuwu.core.choices import CalendarKind, RoleCode
from fuwu.core.models import Department, Organisation, Role, Site, Staff
from fuwu.core.tokens import issue_token
from fuwu.customers.models import Asset, Customer

User = get_user_model()

DEPARTMENTS = {
    "lanting": [
        ("service_center", "客服中心"),
        ("engineering", "工程部"),
        ("security", "秩序维护部"),
        ("finance", "财务部"),
        ("management", "综合管理部"),
        ("sales", "地产销售部"),
    ],
    "dealer": [
        ("call_center", "用户服务呼叫中心"),
        ("aftersales", "售后服务部"),
        ("project_management", "项目管理部"),
        ("workshop", "车间"),
        ("finance", "财务部"),
    ],
    "hotel": [
        ("front_office", "前厅部"),
        ("housekeeping", "房务部"),
        ("business_centre", "商务中心"),
        ("food_beverage", "餐饮部"),
        ("engineering", "工程部"),
        ("finance", "财务部"),
    ],
    "hotpot": [
        ("floor", "楼面"),
        ("kitchen", "厨房"),
        ("cashier", "收银台"),
    ],
}

# persona: (site, department, roles, reports_to persona)
# Real hashing costs ~0.3 s a user; tests create dozens. Production keeps the default.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

PERSONAS: dict[str, tuple[str, str, list[str], str | None]] = {
    "vp": ("*", "management", ["vp", "manager"], None),
    "eng_manager": ("lanting", "engineering", ["manager"], "vp"),
    "sc_manager": ("lanting", "service_center", ["manager"], "vp"),
    "agent": ("lanting", "service_center", ["agent"], "sc_manager"),
    "agent2": ("lanting", "service_center", ["agent"], "sc_manager"),
    "dispatcher": ("lanting", "engineering", ["dispatcher"], "eng_manager"),
    "technician": ("lanting", "engineering", ["technician"], "eng_manager"),
    "finance": ("lanting", "finance", ["finance"], "vp"),
    "security": ("lanting", "security", ["security"], "vp"),
    "cc_agent": ("dealer", "call_center", ["agent"], "as_manager"),
    "engineer": ("dealer", "aftersales", ["engineer", "technician"], "specialist"),
    "specialist": ("dealer", "aftersales", ["specialist", "engineer"], "as_manager"),
    "as_manager": ("dealer", "aftersales", ["manager"], "vp"),
    "advisor": ("dealer", "aftersales", ["service_advisor"], "as_manager"),
    "pm": ("dealer", "project_management", ["agent", "manager"], "vp"),
    "outsider": ("dealer", "workshop", ["technician", "agent", "dispatcher"], None),
    "workshop_tech": ("dealer", "workshop", ["technician"], "as_manager"),
    "workshop_qc": ("dealer", "workshop", ["qc", "dispatcher"], "as_manager"),
    "cc_qc": ("dealer", "call_center", ["qc"], "as_manager"),  # scores the call centre's agents
    "dealer_finance": ("dealer", "finance", ["finance"], "vp"),
    "front_desk": ("hotel", "front_office", ["agent"], "hotel_manager"),
    "housekeeper": ("hotel", "housekeeping", ["technician"], "hotel_manager"),
    "bc_clerk": ("hotel", "business_centre", ["agent", "technician"], "hotel_manager"),
    "hotel_manager": ("hotel", "front_office", ["manager"], "vp"),
    "waiter": ("hotpot", "floor", ["agent"], "floor_manager"),
    "cook": ("hotpot", "kitchen", ["technician"], "floor_manager"),
    "floor_manager": ("hotpot", "floor", ["manager", "qc"], "vp"),
}


@dataclass
class World:
    sites: dict[str, Site]
    departments: dict[tuple[str, str], Department]
    users: dict[str, Any]
    customers: dict[str, Customer] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)

    def actor(self, persona: str) -> Actor:
        user = User.objects.get(pk=self.users[persona].pk)  # fresh: actor_for caches on the object
        return actor_for(user)

    def token(self, persona: str) -> str:
        return issue_token(self.users[persona], name="test")[1]

    def dept(self, site: str, code: str) -> Department:
        return self.departments[(site, code)]


def build_world(*, always_open: bool = True) -> World:
    """Sites on a 24×7 calendar by default, so clock tests read plainly; pass False for working hours."""
    org = Organisation.objects.create(name="测试服务集团")
    kind = CalendarKind.ALWAYS if always_open else CalendarKind.WORKING
    sites = {
        "lanting": Site.objects.create(
            organisation=org, code="lanting", name="兰亭苑", kind="residential", calendar_kind=kind
        ),
        "dealer": Site.objects.create(
            organisation=org,
            code="dealer",
            name="华安丰田 4S 店",
            kind="dealer",
            calendar_kind=kind,
        ),
        "hotel": Site.objects.create(
            organisation=org, code="hotel", name="华安大酒店", kind="hotel", calendar_kind=kind
        ),
        "hotpot": Site.objects.create(
            organisation=org, code="hotpot", name="蜀香火锅", kind="restaurant", calendar_kind=kind
        ),
    }
    keys = [(s, code) for s, rows in DEPARTMENTS.items() for code, _ in rows]
    rows = Department.objects.bulk_create(
        [
            Department(site=sites[s], code=code, name=name, name_en=code.replace("_", " ").title())
            for s, site_rows in DEPARTMENTS.items()
            for code, name in site_rows
        ]
    )
    departments = dict(zip(keys, rows, strict=True))
    departments[("lanting", "management")]  # the VP's home department
    roles = {code: Role.objects.get_or_create(code=code)[0] for code in RoleCode.values}
    # In bulk: the world is built for most tests, and one row at a time it cost 330 queries.
    # Nothing here needs the save signals (new people have no tokens); the actor cache is told
    # once at the end.
    made = User.objects.bulk_create(
        [
            User(
                username=persona,
                email=f"{persona}@example.com",
                password=make_password(f"pw-{persona}"),
            )
            for persona in PERSONAS
        ]
    )
    users: dict[str, Any] = dict(zip(PERSONAS, made, strict=True))
    made_staff = Staff.objects.bulk_create(
        [
            Staff(
                user=users[persona],
                display_name=persona,
                department=departments[("lanting" if site == "*" else site, dept)],
            )
            for persona, (site, dept, _, _) in PERSONAS.items()
        ]
    )
    staff: dict[str, Staff] = dict(zip(PERSONAS, made_staff, strict=True))
    Staff.sites.through.objects.bulk_create(
        [
            Staff.sites.through(staff_id=staff[persona].pk, site_id=site_row.pk)
            for persona, (site, *_rest) in PERSONAS.items()
            for site_row in (sites.values() if site == "*" else [sites[site]])
        ]
    )
    Staff.roles.through.objects.bulk_create(
        [
            Staff.roles.through(staff_id=staff[persona].pk, role_id=roles[code].pk)
            for persona, (_, _, role_codes, _) in PERSONAS.items()
            for code in role_codes
        ]
    )
    for persona, (*_, boss) in PERSONAS.items():
        staff[persona].reports_to = staff[boss] if boss else None
    Staff.objects.bulk_update(staff.values(), ["reports_to"])
    managed = []
    for (site, code), manager in {
        ("lanting", "engineering"): "eng_manager",
        ("lanting", "service_center"): "sc_manager",
        ("dealer", "aftersales"): "as_manager",
        ("dealer", "project_management"): "pm",
        ("lanting", "finance"): "finance",
        ("lanting", "management"): "vp",
        ("dealer", "call_center"): "as_manager",
        ("dealer", "workshop"): "as_manager",
        ("hotel", "front_office"): "hotel_manager",
        ("hotel", "housekeeping"): "hotel_manager",
        ("hotel", "business_centre"): "hotel_manager",
        ("hotpot", "floor"): "floor_manager",
        ("hotpot", "kitchen"): "floor_manager",
    }.items():
        d = departments[(site, code)]
        d.manager = users[manager]
        managed.append(d)
    Department.objects.bulk_update(managed, ["manager"])
    forget_actors()
    world = World(sites, departments, users)
    owner = Customer.objects.create(
        site=sites["lanting"], name="王芳", phone="13812345678", email="wang@example.com"
    )
    driver = Customer.objects.create(site=sites["dealer"], name="李强", phone="13987654321")
    world.customers = {"owner": owner, "driver": driver}
    world.assets = {
        "unit": Asset.objects.create(
            site=sites["lanting"], kind="unit", label="3栋2单元1502", owner=owner
        ),
        "car": Asset.objects.create(
            site=sites["dealer"],
            kind="vehicle",
            label="粤B·3K5X8",
            owner=driver,
            attributes={"vin": "LVGBE40K28G123456"},
        ),
    }
    return world
