"""WeChat official accounts (one or more per site), their followers and binding codes, and the
receipt of every callback message (what makes a retried message count once)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fuwu.channels.wechat.choices import Mode, ReceiptStatus
from fuwu.core.models import Site
from fuwu.customers.models import Customer


class WechatAccount(models.Model):
    """One official account (公众号). A property company with several sites runs one account
    per site or one for several: `site` is where its messages open cases and whose customers
    it binds. The callback URL is /channels/wechat/<app_id>/callback.

    `token`, `encoding_aes_key` and `app_secret` are secrets: the admin never shows them back
    (a blank field on the form keeps the stored value). The access token is kept on the row so
    every worker shares one (WeChat invalidates the old token when a new one is fetched)."""

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="wechat_accounts", verbose_name=_("项目")
    )
    name = models.CharField(_("名称"), max_length=100)
    app_id = models.CharField(_("开发者ID"), max_length=40, unique=True)
    original_id = models.CharField(
        _("原始ID"), max_length=40, blank=True, help_text=_("以 gh_ 开头")
    )
    token = models.CharField(_("令牌"), max_length=64)
    encoding_aes_key = models.CharField(_("消息加解密密钥"), max_length=43, blank=True)
    app_secret = models.CharField(_("开发者密码"), max_length=64, blank=True)
    mode = models.CharField(_("加密模式"), max_length=10, choices=Mode.choices, default=Mode.SAFE)
    template_id = models.CharField(_("进度通知模板ID"), max_length=80, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    access_token = models.CharField(max_length=600, blank=True, editable=False)
    access_token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("微信公众号")
        verbose_name_plural = _("微信公众号")

    def __str__(self) -> str:
        return self.name


class WechatFollower(models.Model):
    """A user of an account (an openid is per account): following or not, a menu click waiting
    for its message, wrong binding codes. Who the openid belongs to is the channels' `Identity`
    (channel wechat, account = AppID, value = openid), which the inbound core reads."""

    account = models.ForeignKey(
        WechatAccount, on_delete=models.CASCADE, related_name="followers", verbose_name=_("公众号")
    )
    openid = models.CharField(_("用户标识"), max_length=64)
    subscribed = models.BooleanField(_("已关注"), default=True)
    first_seen_at = models.DateTimeField(_("首次出现"), default=timezone.now)
    # The menu key a click chose for this user's next message (see receive.py).
    pending_key = models.CharField(max_length=80, blank=True, editable=False)
    pending_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Wrong binding codes sent within the current window (see fuwu.channels.wechat.binding).
    failed_binds = models.PositiveIntegerField(default=0, editable=False)
    failed_since = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("微信用户")
        verbose_name_plural = _("微信用户")
        constraints = [
            models.UniqueConstraint(fields=["account", "openid"], name="wechat_follower_openid")
        ]

    def __str__(self) -> str:
        return self.openid


class BindingCode(models.Model):
    """A one-time code that binds the WeChat user who sends it to `customer`: six digits,
    valid for a short time, used once. Only a digest is stored."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("客户")
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("微信绑定码")
        verbose_name_plural = _("微信绑定码")
        indexes = [models.Index(fields=["customer", "created_at"], name="binding_code_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.created_at:%Y-%m-%d %H:%M}"


class WechatReceipt(models.Model):
    """Every message and event a callback accepted, once: WeChat retries a message it got no
    answer to within five seconds, so (account, key) is unique — MsgId for messages, sender and
    CreateTime for events. The row is written in the callback's transaction and is the queue
    of the work done after it (`fuwu.channels.wechat.receive.process`)."""

    account = models.ForeignKey(
        WechatAccount, on_delete=models.CASCADE, related_name="receipts", verbose_name=_("公众号")
    )
    key = models.CharField(_("消息标识"), max_length=120)
    openid = models.CharField(_("用户标识"), max_length=64)
    msg_type = models.CharField(_("消息类型"), max_length=20)
    event = models.CharField(_("事件"), max_length=30, blank=True)
    fields = models.JSONField(_("消息内容"), default=dict)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    status = models.CharField(
        _("状态"), max_length=10, choices=ReceiptStatus.choices, default=ReceiptStatus.QUEUED
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("微信消息")
        verbose_name_plural = _("微信消息")
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="wechat_receipt_key")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.key}"
