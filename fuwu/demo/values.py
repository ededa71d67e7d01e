"""Plausible form and checklist values for any field of any procedure, chosen by type and key.

The walker fills whatever a transition asks for: text is a Chinese phrase built from the field's
label (or the customer's name, phone, plate … where the key says so), numbers fall inside the
field's range, money is one round amount everywhere (so "paid ≥ due" guards hold), dates are
tomorrow, a person is a staff member of the site. Later attempts vary choices, yes/no answers and
numbers, so that a guard which refused the first try may pass the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any

from fuwu.customers.models import Asset, Customer
from fuwu.demo.world import TZ
from fuwu.procedures.engine.definition import ChecklistItem, ChecklistKind, FieldDef, FieldType

AMOUNT = "120.00"
PHRASES = ["已与客户当面确认", "已按规程办理", "情况正常，已记录", "已告知相关人员跟进"]
REASONS = ["客户临时有事，另约时间", "资料不齐，需补充后再办", "按客户要求调整安排"]
FEEDBACK = ["满意，服务周到", "处理及时，态度很好", "基本满意，希望再快一些"]
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
                days = 365 if f.key.endswith(("_end", "_until")) else 1
                return (self.now + timedelta(days=days)).astimezone(TZ).date().isoformat()
            case FieldType.DATETIME:
                day = (self.now + timedelta(days=1)).astimezone(TZ)
                hour = rng.choice([9, 10, 14, 15])
                return day.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()
            case FieldType.PERSON:
                return rng.choice(ctx.staff)[0] if ctx.staff else None
        return clip(self.text(f, ctx), f)

    def number(self, f: FieldDef, attempt: int, hint: Any) -> float:
        low = f.min if f.min is not None else 0
        high = f.max if f.max is not None else low + 100
        if attempt == 0 and isinstance(hint, int | float) and not isinstance(hint, bool):
            value = float(hint)
        elif attempt == 0:
            typical = next((v for part, v in TYPICAL if part in f.key), [2, 3, 5])
            value = self.rng.choice(typical)
        else:
            value = self.rng.randint(int(low), int(min(high, low + 20)))
        value = min(max(value, low), high)
        return int(value) if float(value).is_integer() else value

    def text(self, f: FieldDef, ctx: Context) -> str:
        key, label, rng = f.key, f.label.zh, self.rng
        customer, asset = ctx.customer, ctx.asset
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
        if key in ("plate_no", "space_no", "room_no", "unit_no", "valve_tag", "key_no") and asset:
            return asset.label.split(" ")[0]
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
        return item.type in (ChecklistKind.YES_NO, ChecklistKind.MEASUREMENT, ChecklistKind.DOCUMENT)
