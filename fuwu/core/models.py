"""Organisation, sites, departments and staff: who works where, in which role, reporting to whom."""

from __future__ import annotations

import hashlib
from datetime import datetime, time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fuwu.core.choices import CalendarKind, DayKind, RoleCode, TokenScope
from fuwu.core.prepared import Prepared


def unique_or_none[M: models.Model](qs: models.QuerySet[M]) -> M | None:
    """The one row a filter on a unique key finds, or None. `.first()` would add an
    `ORDER BY` (compiled on every call, a hot write path's largest single cost after the
    joins) that a unique key does not need."""
    rows = list(qs[:1])
    return rows[0] if rows else None


class Organisation(models.Model):
    name = models.CharField(_("名称"), max_length=200)

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A tenancy boundary: a residential compound, a dealership, a hotel."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="sites", verbose_name=_("组织")
    )
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=40, blank=True)
    calendar_kind = models.CharField(
        _("日历"), max_length=10, choices=CalendarKind.choices, default=CalendarKind.WORKING
    )
    timezone = models.CharField(_("时区"), max_length=64, default="Asia/Shanghai")
    work_start = models.TimeField(_("上午上班"), default=time(9, 0))
    lunch_start = models.TimeField(_("午休开始"), default=time(12, 0))
    lunch_end = models.TimeField(_("午休结束"), default=time(13, 30))
    work_end = models.TimeField(_("下班"), default=time(18, 0))
    use_statutory_holidays = models.BooleanField(_("使用法定节假日与调休"), default=True)

    class Meta:
        verbose_name = _("项目/门店")
        verbose_name_plural = _("项目/门店")

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """An extra day off or make-up working day the holidays package does not know (yet)."""

    site = models.ForeignKey(
        Site,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_days",
        verbose_name=_("项目"),
        help_text=_("留空表示适用于所有项目"),
    )
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=10, choices=DayKind.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("节假日/调休")
        verbose_name_plural = _("节假日/调休")
        constraints = [
            models.UniqueConstraint(fields=["site", "date"], name="calendar_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class Department(models.Model):
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="departments", verbose_name=_("项目")
    )
    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_departments",
        verbose_name=_("部门经理"),
    )

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        constraints = [models.UniqueConstraint(fields=["site", "code"], name="department_code")]

    def __str__(self) -> str:
        return f"{self.site.name} · {self.name}"


class Role(models.Model):
    code = models.CharField(_("代码"), max_length=30, unique=True, choices=RoleCode.choices)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")

    def __str__(self) -> str:
        return str(self.get_code_display())


class Skill(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("技能")
        verbose_name_plural = _("技能")

    def __str__(self) -> str:
        return self.name


class Shift(models.Model):
    name = models.CharField(_("名称"), max_length=50)
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))

    class Meta:
        verbose_name = _("班次")
        verbose_name_plural = _("班次")

    def __str__(self) -> str:
        return f"{self.name} {self.start:%H:%M}–{self.end:%H:%M}"


class Staff(models.Model):
    """The working profile of a user: where, in which department and roles, reporting to whom."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff",
        verbose_name=_("用户"),
    )
    display_name = models.CharField(_("姓名"), max_length=100)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    sites = models.ManyToManyField(
        Site, related_name="staff", verbose_name=pgettext_lazy("staff", "项目")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="members", verbose_name=_("部门")
    )
    roles = models.ManyToManyField(Role, related_name="staff", verbose_name=_("角色"))
    skills = models.ManyToManyField(Skill, blank=True, related_name="staff", verbose_name=_("技能"))
    shift = models.ForeignKey(
        Shift, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("班次")
    )
    reports_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("上级"),
    )
    language = models.CharField(
        _("语言"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")

    def __str__(self) -> str:
        return self.display_name


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its hash is stored; the raw value is shown once.

    Rows are written only by `fuwu.core.tokens` (issue, revoke, record use); a revoked token
    keeps its row so the list stays a record of what existed and when it was used.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("用户"),
    )
    name = models.CharField(_("名称"), max_length=100, default="api")
    prefix = models.CharField(_("前缀"), max_length=8, editable=False)
    digest = models.CharField(_("摘要"), max_length=64, unique=True, editable=False)
    # Space-separated TokenScope values, as in OAuth ("read write").
    scopes = models.CharField(_("权限范围"), max_length=100, default="read write")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("到期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    last_used_from = models.GenericIPAddressField(_("最近使用地址"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def scope_labels(self) -> list[str]:
        """The scopes in the reader's language, in the order TokenScope declares them."""
        return [str(s.label) for s in TokenScope if s.value in self.scope_list]

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @classmethod
    def lookup(cls, raw: str) -> ApiToken | None:
        """The token with this raw value, whatever its state (the caller says why it is refused)."""
        return _TOKEN_READ.get(hash_token(raw))


# Every API request reads its token: the SQL compiled once per process (fuwu.core.prepared).
# The read itself stays, so a revocation takes effect on the very next request.
_TOKEN_READ = Prepared(
    lambda digest: ApiToken.objects.select_related("user").filter(digest=digest), text=True
)
