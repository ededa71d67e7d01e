"""The fees ledger's opening balances (期初余额): for a unit (building, unit, room) and a fee
item, what was outstanding — and, optionally, already paid — on a date, as the old books had it.
Written through `fuwu.registers.actions.add_opening_balances`; the arrears list and the payment
statistics (`fuwu.reports.lists.fees`) count them in the period holding their date.

A fee item is an option of the fee collection procedure's `fee_type` field, typed as its
Chinese or English name or its code. Refused, each with its row and column: a unit not on
file (an unknown building said so), a negative or non-numeric amount, both amounts zero, a date
that is not one or is after today, a unit and fee item twice in the file or already with a
balance.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fuwu.core.actors import Actor
from fuwu.core.models import Site
from fuwu.procedures.registry import current_version, definition_of
from fuwu.registers.actions import NewBalance, add_opening_balances
from fuwu.registers.models import OpeningBalance
from fuwu.sheets.kinds.base import (
    Field,
    ImportKind,
    Outcome,
    Record,
    UnitsOnFile,
    building,
    day,
    decimal,
    limited,
    room,
    unit,
    unit_label,
)
from fuwu.sheets.problems import Invalid
from fuwu.sheets.tables import Kind

FEES = "fee_collection"
MOST = Decimal("9999999999.99")  # what the ledger's amounts hold (12 digits, 2 decimals)


def amount(value: Any) -> Decimal | None:
    number = decimal(value)
    if number is None:
        return None
    if number < 0:
        raise Invalid("too_small", min=0)
    if number > MOST:
        raise Invalid("too_large", max=MOST)
    return round(number, 2)


def fee_options() -> list[tuple[str, str, str]]:
    """(value, Chinese name, English name) of each fee item, from the procedure's current
    version; none when the procedure is not loaded."""
    version = current_version(FEES)
    if version is None:
        return []
    for f in definition_of(version).fields:
        if f.key == "fee_type":
            return [(o.value, o.label.get("zh-hans"), o.label.get("en")) for o in f.options or []]
    return []


class OpeningBalances(ImportKind):
    key = "opening_balances"
    title = _("收费期初余额")
    fields = (
        Field("building", "楼栋", "Building", building, required=True, example="3"),
        Field("unit", "单元", "Unit", unit, required=True, example="1"),
        Field("room", "房号", "Room", room, required=True, example="1201"),
        Field("fee_type", "收费项目", "Fee", limited(40), required=True, example="物业管理费"),
        Field(
            "outstanding",
            "欠费金额（元）",
            "Outstanding (CNY)",
            amount,
            required=True,
            kind=Kind.DECIMAL,
            example=1260,
        ),
        Field("paid", "已缴金额（元）", "Paid (CNY)", amount, kind=Kind.DECIMAL, example=0),
        Field(
            "as_of",
            "截至日期",
            "As of",
            day,
            required=True,
            kind=Kind.DATE,
            example=date(2026, 11, 30),
        ),
        Field("billing_period", "收费期间", "Billing period", limited(40), example="2026年1–11月"),
    )

    def validate(
        self,
        actor: Actor,
        site: Site,
        records: list[Record],
        outcome: Outcome,
        language: str | None,
    ) -> None:
        options = fee_options()
        english = (language or "").lower().startswith("en")
        fee_of: dict[str, str] = {}
        for value, zh, en in options:
            for name in (value, zh, en):
                fee_of[name.lower()] = value
        names = {value: en if english else zh for value, zh, en in options}
        units = UnitsOnFile(site)
        on_file = set(
            OpeningBalance.objects.filter(site_id=site.pk).values_list("asset_id", "fee_type")
        )
        today = timezone.localdate()
        seen: dict[tuple[str, str], int] = {}
        plan: list[NewBalance] = []
        for record in records:
            v = record.values
            before = len(outcome.problems)
            where = (v["building"], v["unit"], v["room"])
            label = unit_label(*where)
            asset = units.find(self, record.row, where, outcome, language)
            fee = fee_of.get(v["fee_type"].lower())
            if fee is None:
                outcome.problems.append(
                    self.problem(
                        "bad_choice",
                        record.row,
                        "fee_type",
                        language,
                        value=v["fee_type"],
                        options=(", " if english else "、").join(names.values()),
                    )
                )
            outstanding, paid = v["outstanding"], v.get("paid") or Decimal(0)
            if not outstanding and not paid:
                outcome.problems.append(
                    self.problem("zero_balance", record.row, "outstanding", language)
                )
            if v["as_of"] > today:
                outcome.problems.append(
                    self.problem(
                        "future_date", record.row, "as_of", language, today=today.isoformat()
                    )
                )
            if asset is None or fee is None:
                continue
            first = seen.get((label, fee))
            if first is not None:
                outcome.problems.append(
                    self.problem("duplicate_in_file", record.row, "fee_type", language, row=first)
                )
                continue
            seen[(label, fee)] = record.row
            if (asset.pk, fee) in on_file:
                outcome.problems.append(
                    self.problem(
                        "balance_exists",
                        record.row,
                        "fee_type",
                        language,
                        label=label,
                        fee=names.get(fee, fee),
                    )
                )
                continue
            if len(outcome.problems) == before:
                plan.append(
                    NewBalance(
                        asset_id=asset.pk,
                        fee_type=fee,
                        as_of=v["as_of"],
                        outstanding=outstanding,
                        paid=paid,
                        billing_period=v.get("billing_period", ""),
                    )
                )
        outcome.plan = plan

    def write(self, actor: Actor, site: Site, plan: Any) -> int:
        return add_opening_balances(actor, site_id=site.pk, balances=plan)
