"""The survey app's vocabularies (stable string values; labels translated when shown)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fuwu.surveys.form import KINDS


class QuestionKind(models.TextChoices):
    SCALE = "scale", _("评分（1–5）")
    CHOICE = "choice", _("单选")
    YES_NO = "yes_no", _("是/否")
    TEXT = "text", _("文字")


assert set(QuestionKind.values) == set(KINDS)  # one vocabulary: the form module's


class RoundKind(models.TextChoices):
    CAMPAIGN = "campaign", _("调查轮次")  # the half-yearly survey: invitations, a response rate
    STANDING = "standing", _("常设问卷")  # return visits and follow-ups, answered case by case


class Channel(models.TextChoices):
    STAFF = "staff", _("员工回访")
    PORTAL = "portal", _("客户门户")
    LINK = "link", _("问卷链接")


class Audience(models.TextChoices):
    """Whom a campaign round invites when its invitations are sent."""

    CUSTOMERS = "customers", _("本项目全部客户")
    RESIDENTS = "residents", _("房屋的业主（住户）")


class Delivery(models.TextChoices):
    """How an invitation reached (or will reach) the customer."""

    PORTAL = "portal", _("客户门户通知")
    EMAIL = "email", _("电子邮件")
    PENDING = "pending", _("待短信/微信发送")
