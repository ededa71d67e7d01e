"""Plausible form and checklist values for any field of any procedure, chosen by type and key.

The walker fills whatever a transition asks for: text is a Chinese phrase built from the field's
label (or the customer's name, phone, plate … where the key says so), numbers fall inside the
field's range, money is one round amount everywhere (so "paid ≥ due" guards hold), dates are
tomorrow, a person is a staff member of the site. Later attempts vary choices, yes/no answers and
numbers, so that a guard which refused the first try may pass the next.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset, Customer
from fuwu.demo.world import TZ
from fuwu.procedures.engine.definition import ChecklistItem, ChecklistKind, FieldDef, FieldType

AMOUNT = "120.00"
LATER = ("departure", "until", "extended", "_end", "return", "finish", "promised", "eta")
PHRASES = ["已与客户当面确认", "已按规程办理", "情况正常，已记录", "已告知相关人员跟进"]
REASONS = ["客户临时有事，另约时间", "资料不齐，需补充后再办", "按客户要求调整安排"]
FEEDBACK = ["满意，服务周到", "处理及时，态度很好", "基本满意，希望再快一些"]
# Better words than "<label>: …" for fields the demo's cases show often.
KNOWN: dict[str, list[str]] = {
    "table_no": ["A08", "B12", "C03", "包间 2"],
    "soup_base": ["鸳鸯锅（番茄 + 牛油）", "九宫格牛油红汤", "菌汤锅"],
    "order_items": [
        "毛肚 1 份；鲜鸭血 1 份；嫩牛肉 2 份；黄喉 1 份",
        "虾滑 1 份；土豆片 1 份；鲜毛肚 2 份",
    ],
    "drinks": ["酸梅汤 1 扎", "雪花啤酒 6 瓶", "鲜榨玉米汁 1 扎"],
    "staples": ["红糖糍粑 1 份", "手工面 2 份"],
    "equipment_name": ["彩色激光打印机 HP M479", "投影仪 EPSON CB-X49", "传真机 Brother 2890"],
    "special_requests": ["房间内备无糖饮品，不要鲜花", "需要安排机场接送"],
    "venue": ["会所多功能厅", "中心花园广场"],
    "host": ["客服中心 李娜"],
    "programme": ["开场致辞、游园猜灯谜、亲子手工、抽奖"],
    "findings": ["门窗完好，水电表读数正常，室内无渗水", "卫生间地漏有异味，其余正常"],
    "vehicle_model": ["凯美瑞 2.0G 豪华版", "卡罗拉 双擎 E+"],
    "vehicle_colour": ["珍珠白", "曜石黑"],
    "company": ["深圳华信科技有限公司", "广州南粤贸易有限公司"],
}
# Fields naming a thing: the kind of asset it is, and a made-up label when the case has none.
LABELS = {
    "plate_no": (AssetKind.VEHICLE, "粤B·{x}"),
    "space_no": (AssetKind.PARKING, "B1-{n:03d}"),
    "room_no": (AssetKind.ROOM, "12{n:02d}"),
    "unit_no": (AssetKind.UNIT, "3栋1单元{n:02d}01"),
    "key_no": (AssetKind.KEY, "K-{n:02d}"),
    "valve_tag": (AssetKind.EQUIPMENT, "V-B1-{n:02d}"),
}
WORDS = {"high": "高楼层", "low": "低楼层", "any": "无要求", "king": "大床", "twin": "双床"}
PERSON_KEYS = ("customer", "client", "guest", "owner", "borrower", "applicant", "contact")
PEOPLE_KEYS = ("complainant_name", "received_by", "returned_by", "respondent", "licence_holder")
# Typical numbers by a part of the key (the field's own range still applies).
TYPICAL: list[tuple[str, list[float]]] = [
    ("odometer", [8600, 23500, 41200]),
    ("participants", [40, 60, 120]),
    ("pct", [60, 80, 100]),
    ("score", [4, 5]),
    ("hours", [1, 1.5, 2, 3]),
    ("guests", [2, 4, 6]),
    ("dish_count", [6, 8, 10, 14]),
    ("nights", [1, 2, 3]),
    ("age", [35, 48, 62]),
    ("meter", [12.5, 356.0]),
    ("nominal_size", [80, 100, 150]),
    ("pressure", [1.6, 2.5]),
]


def clip(text: str, f: FieldDef) -> str:
    return text[: f.max_length]


@dataclass
class Context:
    """What a value may be about: the case's site, customer and asset, and who works there."""

    site: str
    customer: Customer | None
    asset: Asset | None
    staff: list[tuple[str, str]]  # (username, display name) of the site's people


class Values:
    def __init__(self, rng: Random, now: datetime) -> None:
        self.rng, self.now = rng, now

    def field(self, f: FieldDef, ctx: Context, *, attempt: int = 0, hint: Any = None) -> Any:
        rng = self.rng
        known = self.known(f, ctx) if attempt == 0 and hint is None else None
        if known is not None:
            return known
        match f.type:
            case FieldType.BOOL:
                if attempt == 0:
                    return True if hint is None else hint
                return rng.choice([True, False])
            case FieldType.CHOICE:
                values = [o.value for o in f.options or []]
                return hint if attempt == 0 and hint in values else rng.choice(values)
            case FieldType.NUMBER:
                return self.number(f, attempt, hint)
            case FieldType.MONEY:
                amount = max(float(AMOUNT), f.min or 0)
                return f"{min(amount, f.max) if f.max is not None else amount:.2f}"
            case FieldType.DATE:
                if f.key == "lease_end":
                    return self.lease_end().isoformat()
                days = 365 if f.key.endswith(("_end", "_until")) else 1
                return (self.now + timedelta(days=days)).astimezone(TZ).date().isoformat()
            case FieldType.DATETIME:
                later = any(word in f.key for word in LATER)
                day = (self.now + timedelta(days=3 if later else 1)).astimezone(TZ)
                hour = rng.choice([9, 10, 14, 15])
                return day.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()
            case FieldType.PERSON:
                return rng.choice(ctx.staff)[0] if ctx.staff else None
            case FieldType.CASE:
                return None  # a link to another case is left to people who know which one
            case FieldType.MULTI_CHOICE:
                values = [o.value for o in f.options or []]
                return rng.sample(values, k=min(len(values), 1 + attempt % 2))
            case FieldType.LINES:
                inputs = [c for c in f.columns or [] if c.compute is None]
                count = max(f.min_rows or 0, 2 if f.max_rows is None else min(2, f.max_rows))
                return [
                    {c.key: self.field(c, ctx, attempt=attempt) for c in inputs}
                    for _ in range(count)
                ]
        return clip(self.text(f, ctx), f)

    def known(self, f: FieldDef, ctx: Context) -> Any:
        """What the case's asset or customer already says for this field: the parking space's
        kind, the guest's bed and smoking preferences …"""
        facts = {
            **(ctx.customer.preferences if ctx.customer else {}),
            **(ctx.asset.attributes if ctx.asset else {}),
        }
        short = f.key.removesuffix("_type").removesuffix("_preference")
        value = facts.get(f.key, facts.get(short) if short != f.key else None)
        if value is None:
            return None
        if f.type is FieldType.CHOICE:
            values = [o.value for o in f.options or []]
            if isinstance(value, bool) and f.key in values:  # smoking: False -> non_smoking
                return f.key if value else next(v for v in values if v != f.key)
            return value if value in values else None
        if f.type is FieldType.BOOL:
            return value if isinstance(value, bool) else None
        if f.type is FieldType.TEXT and isinstance(value, str):
            return clip(f"{f.label.zh}：{WORDS.get(value, value)}", f)
        return None

    def lease_end(self) -> date:
        """A demo lease runs to the end of the month two days from now (it starts tomorrow), so
        the guards' list of the month's leases ending (seed 7) has lines."""
        soon = self.now.astimezone(TZ).date() + timedelta(days=2)
        return soon.replace(day=calendar.monthrange(soon.year, soon.month)[1])

    def number(self, f: FieldDef, attempt: int, hint: Any) -> float:
        low = f.min if f.min is not None else 0
        high = f.max if f.max is not None else low + 100
        if attempt == 0 and isinstance(hint, int | float) and not isinstance(hint, bool):
            value = float(hint)
        elif attempt == 0:
            typical = next((v for part, v in TYPICAL if part in f.key), [2, 3, 5])
            value = self.rng.choice(typical)
        else:  # small numbers half the time (counts), wider ones the other half
            value = self.rng.randint(int(low), int(min(high, low + (5 if attempt % 2 else 40))))
        value = min(max(value, low), high)
        return int(value) if float(value).is_integer() else value

    def text(self, f: FieldDef, ctx: Context) -> str:
        key, label, rng = f.key, f.label.zh, self.rng
        customer, asset = ctx.customer, ctx.asset
        if key == "room_type" and asset and "name" in asset.attributes:
            return str(asset.attributes["name"])
        if key in KNOWN:
            return rng.choice(KNOWN[key])
        if key in PEOPLE_KEYS or (key.endswith("_name") and key.startswith(PERSON_KEYS)):
            return customer.name if customer else rng.choice(ctx.staff)[1]
        if "hotline" in key:
            return "400-888-6123"
        if "phone" in key:
            return customer.phone if customer else "0755-8888-6123"
        if "email" in key:
            return customer.email if customer and customer.email else "service@example.com"
        if "url" in key:
            return "https://example.com/fuwu"
        if key in LABELS:
            return self.label(key, asset)
        if key == "vin":
            return str(asset.attributes.get("vin", "")) if asset else "LVGBE40K28G123456"
        if key.endswith(("_id_no", "id_number")):
            return "440305" + f"{rng.randint(1965, 1999)}0612" + f"{rng.randint(1000, 9999)}"
        if key.endswith(("_no", "_ref", "_reference", "_number", "_batch")):
            return f"{key[:2].upper()}{self.now.astimezone(TZ):%Y%m}{rng.randint(100, 999)}"
        if key in ("month", "billing_period", "posting_period"):
            return f"{self.now.astimezone(TZ):%Y年%-m月}"
        if key in ("survey_round", "round_label"):
            local = self.now.astimezone(TZ)
            return f"{local.year}年{'上' if local.month <= 6 else '下'}半年"
        if "reason" in key:
            return rng.choice(REASONS)
        if "feedback" in key or "opinion" in key or "comments" in key:
            return rng.choice(FEEDBACK)
        return f"{label}：{rng.choice(PHRASES)}"

    def label(self, key: str, asset: Asset | None) -> str:
        """The asset's own label when it is that kind of thing, else a made-up one."""
        kind, made_up = LABELS[key]
        if asset and asset.kind == kind:
            return str(asset.attributes.get("hook") or asset.label.split(" ")[0])
        if asset and kind == AssetKind.UNIT and "unit" in asset.attributes:  # a unit's key
            return str(asset.attributes["unit"])
        rng = self.rng
        return made_up.format(
            n=rng.randint(1, 60),
            x="".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(5)),
        )

    def check(self, item: ChecklistItem, *, fail: bool = False) -> Any:
        """An answer that passes the item (or, with `fail`, one that does not)."""
        match item.type:
            case ChecklistKind.YES_NO:
                return not fail
            case ChecklistKind.MEASUREMENT:
                low, high = item.min, item.max
                if fail:
                    return (high + 1) if high is not None else (low or 0) - 1
                if low is not None and high is not None:
                    return round((low + high) / 2, 2)
                return low if low is not None else high
            case ChecklistKind.DOCUMENT:
                return "missing" if fail else "received"
            case ChecklistKind.PHOTO:
                return "照片已上传"
        return f"{item.label.zh}：正常"

    @staticmethod
    def can_fail(item: ChecklistItem) -> bool:
        return item.type in (
            ChecklistKind.YES_NO,
            ChecklistKind.MEASUREMENT,
            ChecklistKind.DOCUMENT,
        )
