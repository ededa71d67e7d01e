"""Customer notices on WeChat: a template message to the bound openid (the outbound core's
sender for channel `wechat`, called by the worker with a claimed `Delivery`).

The template's fields: `first` the notice's subject, `keyword1` the case number, `keyword2`
the kind of notice (已受理, 处理进展 …), `keyword3` the time, `remark` the notice's text; the
link opens the case in the customer portal. An official account's progress template
(e.g. "工单进度通知") has these fields; its id is the account's `template_id`.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from fuwu.channels.choices import NoticeKind
from fuwu.channels.models import Delivery
from fuwu.channels.senders import PermanentError
from fuwu.channels.wechat import client
from fuwu.channels.wechat.models import WechatFollower

# WeChat's answers that no retry can change: invalid openid, user not following / refused
# template messages, the template id invalid or deleted, the openid of another account.
FINAL_ERRORS = frozenset({40003, 40036, 40037, 43004, 43101, 40013})


class WechatSender:
    def send(self, delivery: Delivery) -> str:
        follower = (
            WechatFollower.objects.filter(openid=delivery.address, account__active=True)
            .select_related("account")
            .order_by("-first_seen_at")
            .first()
        )
        if follower is None:
            raise PermanentError("no active WeChat account knows this openid")
        account = follower.account
        if not account.template_id or not account.app_secret:
            raise PermanentError(f"WeChat account {account.app_id} has no template or secret")
        if not follower.subscribed:
            raise PermanentError("the user no longer follows the account")
        with translation.override(delivery.language):
            kind = NoticeKind(delivery.kind).label if delivery.kind in NoticeKind.values else ""
            data = {
                "first": delivery.subject,
                "keyword1": str(delivery.data.get("number", "")),
                "keyword2": str(kind),
                "keyword3": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
                "remark": delivery.body,
            }
        url = ""
        if delivery.case_id is not None:
            path = reverse("portal:case", args=[delivery.case_id])
            url = f"{settings.FUWU_BASE_URL.rstrip('/')}{path}"
        try:
            return client.send_template(
                account,
                openid=delivery.address,
                template_id=account.template_id,
                url=url,
                data=data,
            )
        except client.WechatError as exc:
            if exc.errcode in FINAL_ERRORS:
                raise PermanentError(str(exc)) from exc
            raise
