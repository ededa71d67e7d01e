"""Questionnaires as data, their rounds, and the responses with their answers.

A questionnaire version is frozen once a response to it is submitted: the admin shows it read
only and the library loader stores a changed definition as a new version, so every answer keeps
the wording it was given to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fuwu.core.models import Site
from fuwu.surveys.choices import Audience, Channel, Delivery, QuestionKind, RoundKind
from fuwu.surveys.form import FormSpec, Option, QuestionSpec, SectionSpec


class Questionnaire(models.Model):
    key = models.SlugField(_("问卷代码"), max_length=64)
    version = models.PositiveIntegerField(_("版本"), default=1)
    is_current = models.BooleanField(_("当前版本"), default=True)
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="questionnaires",
        verbose_name=_("项目"),
        help_text=_("留空则全部项目可用"),
    )
    name_zh = models.CharField(_("名称（中文）"), max_length=200)
    name_en = models.CharField(_("名称（英文）"), max_length=200)
    description_zh = models.TextField(_("说明（中文）"), blank=True)
    description_en = models.TextField(_("说明（英文）"), blank=True)
    follow_up_procedure = models.SlugField(
        _("低分跟进服务程序"),
        max_length=64,
        blank=True,
        help_text=_("有低分回答时按此服务程序建立跟进工单；留空则不建立"),
    )
    source = models.CharField(_("来源文件"), max_length=200, blank=True)
    checksum = models.CharField(_("校验和"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("问卷")
        verbose_name_plural = _("问卷")
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="questionnaire_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.name_zh} v{self.version}"

    def name(self, language: str) -> str:
        return self.name_en if language.startswith("en") else self.name_zh

    @property
    def is_frozen(self) -> bool:
        return Response.objects.filter(
            round__questionnaire=self, submitted_at__isnull=False
        ).exists()

    def spec(self) -> FormSpec:
        """The definition as the form module reads it (sections and questions in order)."""
        sections = list(self.sections.order_by("position", "pk"))
        order = {s.pk: i for i, s in enumerate(sections)}
        questions = sorted(
            self.questions.select_related("section"),
            key=lambda q: (order.get(q.section_id, 0), q.position, q.pk),
        )
        return FormSpec(
            key=self.key,
            zh=self.name_zh,
            en=self.name_en,
            description_zh=self.description_zh,
            description_en=self.description_en,
            follow_up_procedure=self.follow_up_procedure,
            sections=tuple(SectionSpec(s.key, s.name_zh, s.name_en) for s in sections),
            questions=tuple(q.spec() for q in questions),
        )


class Section(models.Model):
    """An area of the questionnaire (Toyota's seven areas; the estate's areas of service)."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="sections", verbose_name=_("问卷")
    )
    key = models.SlugField(_("代码"), max_length=64)
    position = models.PositiveIntegerField(_("顺序"), default=0)
    name_zh = models.CharField(_("名称（中文）"), max_length=200)
    name_en = models.CharField(_("名称（英文）"), max_length=200)

    class Meta:
        verbose_name = _("问卷区域")
        verbose_name_plural = _("问卷区域")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="section_key_once")
        ]

    def __str__(self) -> str:
        return self.name_zh


class Question(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions", verbose_name=_("问卷")
    )
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="questions", verbose_name=_("区域")
    )
    key = models.SlugField(_("代码"), max_length=64)
    position = models.PositiveIntegerField(_("顺序"), default=0)
    kind = models.CharField(_("题型"), max_length=10, choices=QuestionKind.choices)
    label_zh = models.CharField(_("题目（中文）"), max_length=300)
    label_en = models.CharField(_("题目（英文）"), max_length=300)
    required = models.BooleanField(_("必答"), default=True)
    options = models.JSONField(
        _("选项"), default=list, blank=True, help_text=_("单选题：每个选项写明取值、中文与英文名称")
    )
    low_at = models.SmallIntegerField(
        _("低分阈值"),
        null=True,
        blank=True,
        help_text=_("评分题：不高于此分为低分（如 2）；是/否题：0 表示回答“否”为低分"),
    )
    show_if_question = models.SlugField(
        _("显示条件：题目"), max_length=64, blank=True, help_text=_("前面某题的代码")
    )
    show_if_values = models.JSONField(
        _("显示条件：回答为"),
        default=list,
        blank=True,
        help_text=_("填写触发显示的回答取值（是非题写“是”对应的取值，评分题写分数）"),
    )

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="question_key_once")
        ]

    def __str__(self) -> str:
        return self.label_zh

    def label(self, language: str) -> str:
        return self.label_en if language.startswith("en") else self.label_zh

    def spec(self) -> QuestionSpec:
        return QuestionSpec(
            key=self.key,
            kind=self.kind,
            zh=self.label_zh,
            en=self.label_en,
            section=self.section.key,
            required=self.required,
            options=tuple(
                Option(str(o.get("value")), str(o.get("zh", "")), str(o.get("en", "")))
                for o in self.options or []
                if isinstance(o, dict)
            ),
            low_at=self.low_at,
            show_if=self.show_if_question or None,
            show_values=tuple(str(v).lower() for v in self.show_if_values or []),
        )


class Round(models.Model):
    """A round of a questionnaire on one site: a campaign (invitations, a response rate, compared
    with the round before) or a standing questionnaire answered case by case."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("问卷")
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="survey_rounds", verbose_name=_("项目")
    )
    title = models.CharField(_("标题"), max_length=200)
    kind = models.CharField(
        _("类型"), max_length=10, choices=RoundKind.choices, default=RoundKind.CAMPAIGN
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_rounds",
        verbose_name=_("批量任务"),
    )
    opens_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    closes_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    link_days = models.PositiveSmallIntegerField(_("链接有效天数"), default=14)
    # A campaign round's invitations go to these (`actions.send_invitations`); blank: invited
    # one by one (the API, a campaign's cases).
    audience = models.CharField(
        _("调查对象"), max_length=10, choices=Audience.choices, blank=True, default=""
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("调查轮次")
        verbose_name_plural = _("调查轮次")
        ordering = ["-opens_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def is_open(self, at: object = None) -> bool:
        now = at or timezone.now()
        return self.opens_at <= now and (self.closes_at is None or now < self.closes_at)  # type: ignore[operator]


class Response(models.Model):
    """One invitation and, once submitted, its answers. Invited = every row of a round;
    answered = those with `submitted_at`. Submitting is a conditional update: once only."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="responses", verbose_name=_("调查轮次")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("客户"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("工单"),
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    invited_at = models.DateTimeField(_("邀请时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("链接到期"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    # How the invitation of a round's audience was sent (`actions.send_invitations`); blank for
    # one made by hand, a case's or a staff call. `emailed_at`: the e-mail to a customer without a
    # portal account went out (claimed once by the task that sends it).
    delivery = models.CharField(
        _("发送方式"), max_length=10, choices=Delivery.choices, blank=True, default=""
    )
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提交人"),
    )
    follow_up = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("跟进工单"),
    )

    class Meta:
        verbose_name = _("问卷回答")
        verbose_name_plural = _("问卷回答")
        indexes = [models.Index(fields=["round", "submitted_at"], name="response_round_done")]
        # One response per case and round: two agents recording the same return visit at once
        # cannot both succeed (nor open two follow-ups for one visit).
        constraints = [
            models.UniqueConstraint(
                fields=["round", "case"],
                condition=models.Q(case__isnull=False),
                name="response_case_once",
            ),
            # The invitations sent to a round's audience reach each customer once: sending
            # them twice, or two managers at once, never invites anyone twice.
            models.UniqueConstraint(
                fields=["round", "customer"],
                condition=models.Q(case__isnull=True, customer__isnull=False)
                & ~models.Q(delivery=""),
                name="response_customer_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}#{self.pk}"


class Answer(models.Model):
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="answers", verbose_name=_("问卷回答")
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answers", verbose_name=_("问题")
    )
    score = models.SmallIntegerField(_("分值"), null=True, blank=True)
    choice = models.CharField(_("选项"), max_length=64, blank=True)
    text = models.TextField(_("文字"), blank=True)

    class Meta:
        verbose_name = _("回答")
        verbose_name_plural = _("回答")
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_once")]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.question_id}"
