"""What a WeChat message does, in two parts.

`accept` runs inside the callback's transaction and touches only the database, so the
passive reply leaves well within WeChat's five seconds: it records the message once (a retry
of the same MsgId, or of the same sender and CreateTime for events, is answered "success" and
changes nothing), keeps the follower row, binds with a code, remembers a menu click, and queues
`process` for the rest. `process` runs in the worker after commit, by the receipt's id, and
claims the row first, so a task run twice does the work once: it downloads a picture from
WeChat (the only remote call) and hands the message to the channels' inbound core, which
opens a case or adds to the user's case.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fuwu.cases.choices import CLOSED_STATUSES
from fuwu.channels.choices import Medium
from fuwu.channels.inbound import Incoming, IncomingFile, Outcome, receive, route_for
from fuwu.channels.models import Identity, InboundMessage
from fuwu.channels.outbound import record_receipt
from fuwu.channels.wechat import binding, client, protocol
from fuwu.channels.wechat.choices import ReceiptStatus
from fuwu.channels.wechat.models import WechatAccount, WechatFollower, WechatReceipt
from fuwu.channels.wechat.protocol import Message
from fuwu.customers.models import Customer

log = logging.getLogger("fuwu.channels.wechat")

PENDING_MINUTES = 30  # a menu click chooses the procedure of the next message sent within this
THREAD_MINUTES = 60  # a message within this of the user's last one adds to that case
WORKING_TYPES = frozenset({"text", "image", "voice"})


@dataclass(frozen=True)
class Accepted:
    reply: str | None  # a text to answer with; None answers "success" (WeChat shows nothing)
    receipt: WechatReceipt | None  # None for a duplicate


def _follower(account: WechatAccount, openid: str, now: datetime) -> WechatFollower:
    follower, _created = WechatFollower.objects.get_or_create(
        account=account, openid=openid, defaults={"first_seen_at": now}
    )
    return follower


def _language(openid: str) -> str:
    """The language of the customer this openid is bound to (Chinese for strangers)."""
    bound = (
        Identity.objects.filter(channel=Medium.WECHAT, value=openid)
        .order_by("-created_at")
        .values_list("customer__language", flat=True)
        .first()
    )
    return bound or "zh-hans"


@transaction.atomic
def accept(account: WechatAccount, message: Message, *, now: datetime | None = None) -> Accepted:
    """Record `message` once and decide the passive reply (see the module's docstring)."""
    now = now or timezone.now()
    receipt = WechatReceipt(
        account=account,
        key=message.dedupe_key[:120],
        openid=message.from_user[:64],
        msg_type=message.msg_type[:20],
        event=message.event[:30],
        fields=message.raw,
        received_at=now,
    )
    try:
        with transaction.atomic():
            receipt.save()
    except IntegrityError:
        log.info("wechat %s: duplicate %s ignored", account.app_id, message.dedupe_key)
        return Accepted(None, None)
    follower = _follower(account, message.from_user[:64], now)
    with translation.override(_language(follower.openid)):
        reply = _decide(account, follower, message, receipt, now)
    if receipt.status == ReceiptStatus.QUEUED:
        # In this transaction (the database task backend): the task exists iff the receipt does.
        process.enqueue(receipt.pk)
    else:
        receipt.save(update_fields=["status", "note"])
    return Accepted(reply, receipt)


def _done(receipt: WechatReceipt, status: ReceiptStatus, note: str = "") -> None:
    receipt.status = status
    receipt.note = note[:300]


def _decide(
    account: WechatAccount,
    follower: WechatFollower,
    message: Message,
    receipt: WechatReceipt,
    now: datetime,
) -> str | None:
    if message.msg_type == "event":
        return _event(account, follower, message, receipt, now)
    if message.msg_type == "text" and (code := binding.code_in(message.content)):
        outcome = binding.redeem(account, follower, code, now=now)
        _done(
            receipt,
            ReceiptStatus.BOUND if isinstance(outcome, Customer) else ReceiptStatus.IGNORED,
            "bound" if isinstance(outcome, Customer) else outcome,
        )
        if isinstance(outcome, Customer):
            with translation.override(outcome.language):
                return _("绑定成功：%(name)s。工单进度将通过本公众号通知您。") % {
                    "name": outcome.name
                }
        if outcome == binding.Outcome.LOCKED:
            return _("尝试次数过多，请 %(minutes)s 分钟后再试。") % {"minutes": binding.TRY_MINUTES}
        return _("绑定码无效或已过期，请在业主服务平台重新获取。")
    if message.msg_type not in WORKING_TYPES:
        _done(receipt, ReceiptStatus.IGNORED, "unsupported")
        return _("暂不支持此类消息，请发送文字、图片或语音。")
    if message.msg_type == "voice" and not message.recognition.strip():
        # Without recognition there is nothing to read: the voice itself stays on WeChat's
        # servers for three days only, so ask for words.
        _done(receipt, ReceiptStatus.IGNORED, "voice without recognition")
        return _("未能识别语音，请用文字描述您的问题。")
    return _("已收到您的消息，我们会尽快处理。")


def _event(
    account: WechatAccount,
    follower: WechatFollower,
    message: Message,
    receipt: WechatReceipt,
    now: datetime,
) -> str | None:
    event = message.event.lower()
    if event == "subscribe":
        WechatFollower.objects.filter(pk=follower.pk).update(subscribed=True)
        _done(receipt, ReceiptStatus.DONE, "subscribe")
        return _(
            "感谢关注%(account)s！直接发送文字、图片或语音即可报修；"
            "发送“绑定 + 6 位绑定码”可关联您的客户档案（绑定码在业主服务平台“我的账户”中获取）。"
        ) % {"account": account.name}
    if event == "templatesendjobfinish":
        # WeChat's receipt of a template message: "success", "failed:user block" …
        status = message.raw.get("Status", "")
        record_receipt(
            Medium.WECHAT, message.raw.get("MsgID", ""), delivered=status == "success", error=status
        )
        _done(receipt, ReceiptStatus.DONE, f"template {status}")
        return None
    if event == "unsubscribe":
        # Leaving the account unbinds it: WeChat delivers nothing more to this user, so the
        # customer's notices go by e-mail or SMS from now on (a returning user binds again).
        WechatFollower.objects.filter(pk=follower.pk).update(subscribed=False)
        Identity.objects.filter(channel=Medium.WECHAT, value=follower.openid).delete()
        _done(receipt, ReceiptStatus.DONE, "unsubscribe")
        return None  # WeChat sends nothing to a user who has just left
    if event == "click" and route_for(Medium.WECHAT, f"{account.app_id}/{message.event_key}"):
        WechatFollower.objects.filter(pk=follower.pk).update(
            pending_key=message.event_key[:80], pending_at=now
        )
        _done(receipt, ReceiptStatus.DONE, f"menu {message.event_key}")
        return _("请直接发送您要办理的事项（文字、图片或语音），我们会为您登记。")
    _done(receipt, ReceiptStatus.IGNORED, f"event {message.event}")
    return None


def _pending_key(follower: WechatFollower, now: datetime) -> str:
    """The menu key a recent click chose for this follower's next message ("" when none)."""
    recent = follower.pending_at is not None and follower.pending_at >= now - timedelta(
        minutes=PENDING_MINUTES
    )
    return follower.pending_key if follower.pending_key and recent else ""


def thread_case(account: WechatAccount, openid: str, now: datetime) -> int | None:
    """The case this user's message continues: the one their last message (within
    THREAD_MINUTES) went to, while it is open. Later messages open a new case."""
    last = (
        InboundMessage.objects.filter(
            channel=Medium.WECHAT,
            sender=openid,
            account__startswith=account.app_id,
            case__isnull=False,
            received_at__gte=now - timedelta(minutes=THREAD_MINUTES),
        )
        .exclude(case__status__in=CLOSED_STATUSES)
        .order_by("-received_at", "-pk")
        .values_list("case_id", flat=True)
        .first()
    )
    return last


def _picture(message: Message) -> tuple[list[IncomingFile], str]:
    """The picture of an image message, downloaded from WeChat (and a note when it failed:
    the message still reaches the case, saying a picture could not be fetched)."""
    try:
        content = client.download(message.pic_url)
    except client.WechatError as exc:
        log.warning("wechat picture %s not fetched: %s", message.msg_id, exc)
        return [], str(exc)
    name = f"wechat-{message.msg_id or message.media_id}.jpg"
    return [IncomingFile(name=name, content_type="image/jpeg", content=content)], ""


def to_core(receipt: WechatReceipt, *, now: datetime | None = None) -> Outcome:
    """Hand a user's message to the channels' inbound core (opens a case or adds to theirs)."""
    now = now or timezone.now()
    account = receipt.account
    message = protocol.message(receipt.fields)
    follower = WechatFollower.objects.get(account=account, openid=receipt.openid)
    key = _pending_key(follower, now)
    files: list[IncomingFile] = []
    problem = ""
    if message.msg_type == "image":
        files, problem = _picture(message)
    headers = {
        name: value
        for name, value in message.raw.items()
        if name in ("MsgType", "MediaId", "PicUrl", "Format", "CreateTime")
    }
    if key:
        headers["EventKey"] = key
    if problem:
        headers["picture_error"] = problem[:200]
    outcome = receive(
        Incoming(
            channel=Medium.WECHAT,
            account=f"{account.app_id}/{key}" if key else account.app_id,
            external_id=f"{account.app_id}:{message.dedupe_key}",
            sender=receipt.openid,
            sender_name=_("微信用户"),
            body=message.text,
            headers=headers,
            files=files,
            case_id=thread_case(account, receipt.openid, now),
            received_at=receipt.received_at,
        )
    )
    if key and outcome.case is not None:
        WechatFollower.objects.filter(pk=follower.pk).update(pending_key="", pending_at=None)
    return outcome


@task(queue_name="default")
def process(receipt_id: int) -> str:
    """The work after the reply: claim the receipt, fetch a picture, hand it to the core."""
    claimed = WechatReceipt.objects.filter(pk=receipt_id, status=ReceiptStatus.QUEUED).update(
        status=ReceiptStatus.DONE
    )
    if not claimed:
        return "already processed"
    receipt = WechatReceipt.objects.select_related("account").get(pk=receipt_id)
    try:
        outcome = to_core(receipt)
    except Exception as exc:
        WechatReceipt.objects.filter(pk=receipt_id).update(
            status=ReceiptStatus.FAILED, note=f"{type(exc).__name__}: {exc}"[:300]
        )
        raise
    status = outcome.message.status
    WechatReceipt.objects.filter(pk=receipt_id).update(note=f"{status} {outcome.message.reason}")
    return str(status)
