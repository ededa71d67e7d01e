"""The customer-side imports: units with their residents, residents of units on file, and
vehicles with their owners. All write through `fuwu.customers.bulk.import_records`.

A unit is an asset of kind `unit` labelled "3栋1单元1201" (building, unit, room), with
`building`, `unit`, `room`, `area_m2` and `occupied` among its attributes (the demo's and the
campaigns' own keys). In the units import a resident with a phone number already on file
under the same name is linked, not duplicated; under another name the row is refused (a merge
is a person's call). The residents import creates new customers only: a phone number on file
is refused there.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from fuwu.core.actors import Actor
from fuwu.core.models import Site
from fuwu.customers.bulk import NewAsset, NewCustomer, NewOwner, import_records
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset, Customer
from fuwu.sheets.kinds.base import (
    Field,
    ImportKind,
    Outcome,
    Record,
    UnitsOnFile,
    building,
    decimal,
    email,
    limited,
    phone,
    room,
    text,
    unit,
    unit_label,
    yes_no,
)
from fuwu.sheets.problems import Invalid
from fuwu.sheets.tables import Kind


def area(value: Any) -> Any:
    number = decimal(value)
    if number is not None and number < 0:
        raise Invalid("too_small", min=0)
    return number


def _plain(value: str) -> int | str:
    return int(value) if value.isdigit() else value


class _Residents:
    """Who the rows name: one new customer per phone (or per row without one), or one on file."""

    def __init__(
        self,
        kind: ImportKind,
        site: Site,
        records: list[Record],
        outcome: Outcome,
        language: str | None,
        *,
        name_key: str,
        phone_key: str,
        email_key: str = "",
        refuse_on_file: bool = False,
    ) -> None:
        phones = {r.values.get(phone_key) for r in records} - {"", None}
        self.on_file = {
            c.phone: c for c in Customer.objects.live().filter(site_id=site.pk, phone__in=phones)
        }
        self.new: dict[str, NewCustomer] = {}
        self.first: dict[str, tuple[int, str]] = {}
        self.kind, self.outcome, self.language = kind, outcome, language
        self.keys = (name_key, phone_key, email_key)
        self.refuse_on_file = refuse_on_file

    def owner(self, record: Record) -> tuple[str, int | None] | None:
        """(new customer key, customer id on file) for the row's resident; None if it names none
        or a problem was found (then added to the outcome)."""
        name_key, phone_key, email_key = self.keys
        name = record.values.get(name_key, "")
        number = record.values.get(phone_key, "")
        mail = record.values.get(email_key, "") if email_key else ""
        if not name and not number:
            return None
        if not name:
            self.outcome.problems.append(
                self.kind.problem("required", record.row, name_key, self.language)
            )
            return None
        if not number:
            key = f"row-{record.row}"
            self.new[key] = NewCustomer(key, name, "", mail)
            return key, None
        known = self.on_file.get(number)
        if known is not None:
            if self.refuse_on_file or known.name != name:
                self.outcome.problems.append(
                    self.kind.problem(
                        "phone_on_file", record.row, phone_key, self.language, name=known.name
                    )
                )
                return None
            return "", known.pk
        seen = self.first.get(number)
        if seen is not None and seen[1] != name:
            self.outcome.problems.append(
                self.kind.problem(
                    "phone_names_differ",
                    record.row,
                    name_key,
                    self.language,
                    row=seen[0],
                    name=seen[1],
                )
            )
            return None
        if seen is None:
            self.first[number] = (record.row, name)
            self.new[number] = NewCustomer(number, name, number, mail)
        return number, None


class Units(ImportKind):
    key = "units"
    title = _("房屋及住户")
    fields = (
        Field("building", "楼栋", "Building", building, required=True, example="3"),
        Field("unit", "单元", "Unit", unit, required=True, example="1"),
        Field("room", "房号", "Room", room, required=True, example="1201"),
        Field("area", "建筑面积（㎡）", "Area (m²)", area, kind=Kind.DECIMAL, example=96.5),
        Field("occupied", "是否入住", "Occupied", yes_no, example="是"),
        Field("name", "住户姓名", "Resident name", limited(100), example="张伟"),
        Field("phone", "住户电话", "Resident phone", phone, example="13800138000"),
    )

    def validate(
        self,
        actor: Actor,
        site: Site,
        records: list[Record],
        outcome: Outcome,
        language: str | None,
    ) -> None:
        labels = {
            unit_label(r.values["building"], r.values["unit"], r.values["room"]): r
            for r in reversed(records)
        }  # the first row of each label
        taken = set(
            Asset.objects.filter(
                site_id=site.pk, kind=AssetKind.UNIT, label__in=labels
            ).values_list("label", flat=True)
        )
        residents = _Residents(
            self, site, records, outcome, language, name_key="name", phone_key="phone"
        )
        assets: list[NewAsset] = []
        for record in records:
            v = record.values
            label = unit_label(v["building"], v["unit"], v["room"])
            first = labels[label]
            if first is not record:
                outcome.problems.append(
                    self.problem("duplicate_in_file", record.row, "room", language, row=first.row)
                )
                continue
            if label in taken:
                outcome.problems.append(
                    self.problem("unit_exists", record.row, "room", language, label=label)
                )
                continue
            owner = residents.owner(record)
            attributes: dict[str, Any] = {
                "building": _plain(v["building"]),
                "unit": _plain(v["unit"]),
                "room": v["room"],
                "occupied": bool(v.get("occupied")),
            }
            if v.get("area") is not None:
                attributes["area_m2"] = float(v["area"])
            assets.append(
                NewAsset(
                    AssetKind.UNIT,
                    label,
                    attributes,
                    owner_key=owner[0] if owner else "",
                    owner_id=owner[1] if owner else None,
                )
            )
        outcome.plan = (list(residents.new.values()), assets)

    def write(self, actor: Actor, site: Site, plan: Any) -> int:
        customers, assets = plan
        counts = import_records(actor, site_id=site.pk, customers=customers, assets=assets)
        return counts["assets"]


class Residents(ImportKind):
    key = "customers"
    title = _("客户（住户）")
    fields = (
        Field("name", "姓名", "Name", limited(100), required=True, example="李娜"),
        Field("phone", "电话", "Phone", phone, example="13900139000"),
        Field("email", "电子邮件", "E-mail", email, example="li.na@example.com"),
        Field("building", "楼栋", "Building", building, example="3"),
        Field("unit", "单元", "Unit", unit, example="1"),
        Field("room", "房号", "Room", room, example="1201"),
    )

    def validate(
        self,
        actor: Actor,
        site: Site,
        records: list[Record],
        outcome: Outcome,
        language: str | None,
    ) -> None:
        units = UnitsOnFile(site)
        residents = _Residents(
            self,
            site,
            records,
            outcome,
            language,
            name_key="name",
            phone_key="phone",
            email_key="email",
            refuse_on_file=True,
        )
        owners: list[NewOwner] = []
        seen_units: dict[str, int] = {}
        for record in records:
            v = record.values
            number = v.get("phone", "")
            if number and number in residents.first:
                first = residents.first[number][0]
                outcome.problems.append(
                    self.problem("duplicate_in_file", record.row, "phone", language, row=first)
                )
                continue
            where = (v.get("building", ""), v.get("unit", ""), v.get("room", ""))
            asset = None
            if any(where):
                missing = [
                    k for k, x in zip(("building", "unit", "room"), where, strict=True) if not x
                ]
                if missing:
                    for k in missing:
                        outcome.problems.append(self.problem("required", record.row, k, language))
                    continue
                asset = units.find(self, record.row, where, outcome, language)
                if asset is None:
                    continue
                label = unit_label(*where)
                if label in seen_units:
                    outcome.problems.append(
                        self.problem(
                            "duplicate_in_file", record.row, "room", language, row=seen_units[label]
                        )
                    )
                    continue
                seen_units[label] = record.row
            owner = residents.owner(record)
            if owner is not None and asset is not None:
                owners.append(NewOwner(asset.pk, owner_key=owner[0], owner_id=owner[1]))
        outcome.plan = (list(residents.new.values()), owners)

    def write(self, actor: Actor, site: Site, plan: Any) -> int:
        customers, owners = plan
        counts = import_records(actor, site_id=site.pk, customers=customers, owners=owners)
        return counts["customers"]


def plate(value: Any) -> str:
    return limited(20)(value).upper().replace(" ", "")


class Vehicles(ImportKind):
    key = "vehicles"
    title = _("车辆")
    fields = (
        Field("plate", "车牌号", "Plate", plate, required=True, example="粤B·12345"),
        Field("model", "车型", "Model", limited(100), example="凯美瑞"),
        Field("vin", "车架号", "VIN", limited(17), example="LVGBE40K8JG123456"),
        Field("name", "车主姓名", "Owner name", limited(100), example="王强"),
        Field("phone", "车主电话", "Owner phone", phone, example="13700137000"),
    )

    def validate(
        self,
        actor: Actor,
        site: Site,
        records: list[Record],
        outcome: Outcome,
        language: str | None,
    ) -> None:
        plates = {r.values["plate"]: r for r in reversed(records)}
        taken = set(
            Asset.objects.filter(
                site_id=site.pk, kind=AssetKind.VEHICLE, label__in=plates
            ).values_list("label", flat=True)
        )
        residents = _Residents(
            self, site, records, outcome, language, name_key="name", phone_key="phone"
        )
        assets: list[NewAsset] = []
        for record in records:
            v = record.values
            first = plates[v["plate"]]
            if first is not record:
                outcome.problems.append(
                    self.problem("duplicate_in_file", record.row, "plate", language, row=first.row)
                )
                continue
            if v["plate"] in taken:
                outcome.problems.append(
                    self.problem("vehicle_exists", record.row, "plate", language, label=v["plate"])
                )
                continue
            if v.get("phone") and not v.get("name"):
                known = residents.on_file.get(v["phone"])
                if known is None:
                    outcome.problems.append(
                        self.problem(
                            "unknown_owner", record.row, "phone", language, value=v["phone"]
                        )
                    )
                    continue
                owner: tuple[str, int | None] | None = ("", known.pk)
            else:
                owner = residents.owner(record)
            attributes = {k: v[k] for k in ("model", "vin") if v.get(k)}
            assets.append(
                NewAsset(
                    AssetKind.VEHICLE,
                    v["plate"],
                    attributes,
                    owner_key=owner[0] if owner else "",
                    owner_id=owner[1] if owner else None,
                )
            )
        outcome.plan = (list(residents.new.values()), assets)

    def write(self, actor: Actor, site: Site, plan: Any) -> int:
        customers, assets = plan
        return import_records(actor, site_id=site.pk, customers=customers, assets=assets)["assets"]


__all__ = ["Residents", "Units", "Vehicles", "text"]
