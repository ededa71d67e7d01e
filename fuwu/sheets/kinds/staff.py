"""Staff of a site (员工): username, name, department (its code on the site), roles."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from fuwu.core.actors import Actor
from fuwu.core.choices import RoleCode
from fuwu.core.models import Department, Site
from fuwu.core.staff_import import NewStaff, import_staff, may_import_staff
from fuwu.sheets.kinds.base import Field, ImportKind, Outcome, Record, email, limited, phone
from fuwu.sheets.problems import Invalid

USERNAME = re.compile(r"^[\w.@+-]{1,150}$")
# Roles an import may grant: every one but the administrator's.
GRANTABLE = [c for c in RoleCode if c != RoleCode.ADMIN]


def username(value: Any) -> str:
    raw = limited(150)(value)
    if raw and not USERNAME.match(raw):
        raise Invalid("bad_username", value=raw)
    return raw


def _spellings() -> dict[str, str]:
    """Each grantable role by its code, its Chinese name and its English name."""
    out: dict[str, str] = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            out.update({str(c.label).lower(): c.value for c in GRANTABLE})
    out.update({c.value: c.value for c in GRANTABLE})
    return out


def roles(value: Any) -> tuple[str, ...]:
    raw = limited(200)(value)
    known = _spellings()
    out: list[str] = []
    for part in re.split(r"[,，、;；/]+", raw):
        part = part.strip()
        if not part:
            continue
        code = known.get(part.lower())
        if code is None:
            with translation.override("zh-hans"):
                options = "、".join(str(c.label) for c in GRANTABLE)
            raise Invalid("bad_choice", value=part, options=options)
        if code not in out:
            out.append(code)
    return tuple(out)


class People(ImportKind):
    key = "staff"
    title = _("员工")
    fields = (
        Field("username", "用户名", "Username", username, required=True, example="zhang.wei"),
        Field("name", "姓名", "Name", limited(100), required=True, example="张伟"),
        Field("department", "部门代码", "Department code", limited(40), required=True,
              example="service_center"),
        Field("roles", "角色", "Roles", roles, required=True, example="客服"),
        Field("phone", "电话", "Phone", phone, example="13800138000"),
        Field("email", "电子邮件", "E-mail", email, example="zhang.wei@example.com"),
    )  # fmt: skip

    def allowed(self, actor: Actor, site: Site) -> bool:
        """A staff import grants roles: administrators only."""
        return may_import_staff(actor, site.pk)

    def validate(
        self, actor: Actor, site: Site, records: list[Record], outcome: Outcome,
        language: str | None,
    ) -> None:  # fmt: skip
        departments = dict(Department.objects.filter(site=site).values_list("code", "pk"))
        names = [r.values["username"] for r in records]
        taken = set(
            get_user_model().objects.filter(username__in=names).values_list("username", flat=True)
        )
        first: dict[str, int] = {}
        plan: list[NewStaff] = []
        for r in records:
            v = r.values
            if v["username"] in first:
                outcome.problems.append(
                    self.problem("duplicate_in_file", r.row, "username", language,
                                 row=first[v["username"]])
                )  # fmt: skip
                continue
            first[v["username"]] = r.row
            if v["username"] in taken:
                outcome.problems.append(
                    self.problem("username_taken", r.row, "username", language,
                                 value=v["username"])
                )  # fmt: skip
                continue
            department = departments.get(v["department"])
            if department is None:
                outcome.problems.append(
                    self.problem("unknown_department", r.row, "department", language,
                                 value=v["department"])
                )  # fmt: skip
                continue
            plan.append(NewStaff(v["username"], v["name"], department, v["roles"],
                                 v.get("phone", ""), v.get("email", "")))  # fmt: skip
        outcome.plan = plan

    def write(self, actor: Actor, site: Site, plan: Any) -> int:
        return import_staff(actor, site_id=site.pk, people=plan)
