"""The workshop's catalogues: parts (配件目录) and labour operations (工时目录)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from fuwu.core.actors import Actor
from fuwu.core.models import Site, Skill
from fuwu.scheduling.catalogue import NewOperation, NewPart, import_operations, import_parts
from fuwu.scheduling.models import LabourOperation, Part, WorkType
from fuwu.sheets.kinds.base import Field, ImportKind, Outcome, Record, decimal, limited
from fuwu.sheets.problems import Invalid
from fuwu.sheets.tables import Kind


def at_least(least: Decimal, *, places: int = 2) -> Any:
    def read(value: Any) -> Decimal | None:
        number = decimal(value)
        if number is None:
            return None
        if number < least:
            raise Invalid("too_small", min=least)
        return round(number, places)

    return read


def work_type(value: Any) -> str:
    raw = limited(40)(value)
    if not raw:
        return ""
    for choice in WorkType:
        if raw.lower() in (choice.value, str(choice.label).lower()):
            return str(choice.value)
    # Chinese labels, whatever the reader's language.
    zh = {
        "保养": "maintenance",
        "维修": "repair",
        "电器": "electrical",
        "钣金": "body",
        "喷漆": "paint",
    }
    if raw in zh:
        return zh[raw]
    raise Invalid("bad_choice", value=raw, options="、".join(zh))


def _dupes(
    kind: ImportKind, records: list[Record], key: str, outcome: Outcome, language: str | None
) -> set[int]:
    first: dict[str, int] = {}
    bad: set[int] = set()
    for r in records:
        value = r.values[key]
        if value in first:
            outcome.problems.append(
                kind.problem("duplicate_in_file", r.row, key, language, row=first[value])
            )
            bad.add(r.row)
        else:
            first[value] = r.row
    return bad


class Parts(ImportKind):
    key = "parts"
    title = _("配件目录")
    fields = (
        Field("number", "配件号", "Part number", limited(40), required=True, example="04152-YZZA1"),
        Field("name", "名称", "Name", limited(200), required=True, example="机油滤清器"),
        Field("name_en", "英文名称", "English name", limited(200), example="Oil filter"),
        Field("unit", "单位", "Unit of issue", limited(20), example="个"),
        Field("price", "单价", "Price", at_least(Decimal("0")), kind=Kind.DECIMAL, example=58),
        Field(
            "reorder",
            "补货点",
            "Reorder level",
            at_least(Decimal("0")),
            kind=Kind.DECIMAL,
            example=10,
        ),
    )

    def validate(
        self,
        actor: Actor,
        site: Site,
        records: list[Record],
        outcome: Outcome,
        language: str | None,
    ) -> None:
        bad = _dupes(self, records, "number", outcome, language)
        taken = set(
            Part.objects.filter(
                site_id=site.pk, number__in=[r.values["number"] for r in records]
            ).values_list("number", flat=True)
        )
        plan = []
        for r in records:
            v = r.values
            if r.row in bad:
                continue
            if v["number"] in taken:
                outcome.problems.append(
                    self.problem("part_exists", r.row, "number", language, value=v["number"])
                )
                continue
            plan.append(
                NewPart(
                    v["number"],
                    v["name"],
                    v.get("name_en", ""),
                    v.get("unit") or "个",
                    v.get("price"),
                    v.get("reorder") or Decimal("0"),
                )
            )
        outcome.plan = plan

    def write(self, actor: Actor, site: Site, plan: Any) -> int:
        return import_parts(actor, site_id=site.pk, parts=plan)


class Operations(ImportKind):
    key = "labour"
    title = _("工时目录")
    fields = (
        Field("code", "作业代码", "Operation code", limited(40), required=True, example="MT-10K"),
        Field("name", "名称", "Name", limited(200), required=True, example="一万公里保养"),
        Field("name_en", "英文名称", "English name", limited(200), example="10,000 km service"),
        Field(
            "hours",
            "标准工时",
            "Standard hours",
            at_least(Decimal("0.1")),
            required=True,
            kind=Kind.DECIMAL,
            example=1.5,
        ),
        Field("work_type", "作业类型", "Work type", work_type, required=True, example="保养"),
        Field("skill", "所需技能", "Skill", limited(40), example=""),
    )

    def validate(
        self,
        actor: Actor,
        site: Site,
        records: list[Record],
        outcome: Outcome,
        language: str | None,
    ) -> None:
        bad = _dupes(self, records, "code", outcome, language)
        taken = set(
            LabourOperation.objects.filter(
                site_id=site.pk, code__in=[r.values["code"] for r in records]
            ).values_list("code", flat=True)
        )
        skills = dict(Skill.objects.values_list("code", "pk"))
        plan = []
        for r in records:
            v = r.values
            if r.row in bad:
                continue
            if v["code"] in taken:
                outcome.problems.append(
                    self.problem("operation_exists", r.row, "code", language, value=v["code"])
                )
                continue
            skill = v.get("skill", "")
            if skill and skill not in skills:
                outcome.problems.append(
                    self.problem("unknown_skill", r.row, "skill", language, value=skill)
                )
                continue
            plan.append(
                NewOperation(
                    v["code"],
                    v["name"],
                    v["hours"],
                    v["work_type"],
                    v.get("name_en", ""),
                    skills.get(skill),
                )
            )
        outcome.plan = plan

    def write(self, actor: Actor, site: Site, plan: Any) -> int:
        return import_operations(actor, site_id=site.pk, operations=plan)
