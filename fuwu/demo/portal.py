"""Demo portal accounts and consultations: so the portal and the dashboard have something to show.

The customer with the most cases at the compound and at the dealership gets a portal login (their
phone number; the demo password), and each staffed front desk has answered a few questions on
the spot over the last days, written through `log_consultation` like real intake.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count

from fuwu.cases.consultations import log_consultation, today_bounds
from fuwu.customers.models import Customer
from fuwu.demo.world import PASSWORD, World

PORTAL_SITES = ("lanting", "dealer")
TOPICS = {
    "lanting": [
        ("物业费缴费方式", "可在客服中心刷卡或通过微信公众号缴纳。"),
        ("装修申请需要哪些材料", "需提供装修方案、施工单位资质和押金，详见业主手册。"),
        ("快递代收时间", "客服中心每天 8:00–20:00 代收快递。"),
        ("停车位月租价格", "地面车位 300 元/月，地下车位 450 元/月。"),
    ],
    "dealer": [
        ("保养周期咨询", "建议每 5000 公里或 6 个月保养一次。"),
        ("预约试驾", "已告知试驾预约方式，可致电销售顾问。"),
        ("配件价格查询", "已报价并告知到货时间。"),
    ],
    "hotel": [("退房时间", "标准退房时间为中午 12:00，可申请延迟至 14:00。")],
}
# Which demo staff answered them (usernames from people.py), by site.
ANSWERED_BY = {"lanting": "chen.jing", "dealer": "guo.ting", "hotel": ""}


def portal_accounts(world: World) -> list[tuple[str, str, str, str]]:
    """Give one customer per site a portal login; return their login rows for the summary."""
    User = get_user_model()
    rows = []
    for code in PORTAL_SITES:
        customer = (
            Customer.objects.filter(site=world.sites[code], user__isnull=True)
            .exclude(phone="")
            .annotate(n=Count("cases"))
            .order_by("-n", "pk")
            .first()
        )
        if customer is None:
            continue
        user = User.objects.create_user(customer.phone, customer.email or "", PASSWORD)
        customer.user = user
        customer.save(update_fields=["user"])
        rows.append((customer.phone, customer.name, "客户门户 /portal/", world.sites[code].name))
    return rows


def consultations(world: World) -> int:
    """A few questions answered on the spot each day of the last week (today included)."""
    count = 0
    today = today_bounds(world.now)[0]
    actors: dict[str, Any] = world.actors
    for code, topics in TOPICS.items():
        actor = actors.get(ANSWERED_BY[code]) if ANSWERED_BY[code] else None
        actor = actor or _first_agent(world, code)
        if actor is None:
            continue
        customers = list(Customer.objects.filter(site=world.sites[code])[:20])
        for day in range(7):
            chosen = topics[: 1 + (day + len(code)) % len(topics)]
            for i, (topic, answer) in enumerate(chosen):
                if day == 0:  # spread over today so far, however early it is
                    when = today + (world.now - today) * (i + 1) / (len(chosen) + 1)
                else:
                    when = world.now - timedelta(days=day, hours=1 + 2 * i, minutes=7 * i)
                log_consultation(
                    actor,
                    site_id=world.sites[code].pk,
                    channel="phone" if i % 2 == 0 else "walk_in",
                    topic=topic,
                    answer=answer,
                    customer_id=customers[(day + i) % len(customers)].pk if customers else None,
                    now=when,
                )
                count += 1
    return count


def _first_agent(world: World, code: str) -> Any:
    for actor in world.actors.values():
        if "agent" in actor.roles and world.sites[code].pk in actor.site_ids:
            return actor
    return None
