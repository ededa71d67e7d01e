"""A small organisation for tests: four sites, their departments and one person per persona."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from fuwu.core.actors import Actor, actor_for
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
    departments = {
        (s, code): Department.objects.create(
            site=sites[s], code=code, name=name, name_en=code.replace("_", " ").title()
        )
        for s, rows in DEPARTMENTS.items()
        for code, name in rows
    }
    departments[("lanting", "management")]  # the VP's home department
    roles = {code: Role.objects.get_or_create(code=code)[0] for code in RoleCode.values}
    users: dict[str, Any] = {}
    staff: dict[str, Staff] = {}
    for persona, (site, dept, role_codes, _) in PERSONAS.items():
        user = User.objects.create_user(persona, f"{persona}@example.com", "pw-" + persona)
        home = "lanting" if site == "*" else site
        member = Staff.objects.create(
            user=user, display_name=persona, department=departments[(home, dept)]
        )
        member.sites.set(sites.values() if site == "*" else [sites[site]])
        member.roles.set([roles[r] for r in role_codes])
        users[persona], staff[persona] = user, member
    for persona, (*_, boss) in PERSONAS.items():
        if boss:
            staff[persona].reports_to = staff[boss]
            staff[persona].save(update_fields=["reports_to"])
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
        d.save(update_fields=["manager"])
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
