"""The wording of customer notices: an administrator's `NoticeTemplate` when one fits, else the
built-in text in the customer's language (Chinese msgids, translated like every other text)."""

from __future__ import annotations

import re
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from fuwu.channels.choices import NoticeKind
from fuwu.channels.models import NoticeTemplate

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _builtin(kind: str) -> tuple[str, str]:
    """The built-in subject and body (call with the customer's language active)."""
    if kind == NoticeKind.OPENED:
        return _("已受理您的请求：{title}"), _(
            "{customer}您好：\n\n我们已收到您的请求“{title}”，工单号 {number}。"
            "我们会尽快处理，并告知您进展。\n\n{site}"
        )
    if kind == NoticeKind.PROGRESS:
        return _("工单进展：{title}"), _(
            "{customer}您好：\n\n您的工单 {number}（{title}）有新进展：{progress}\n\n{site}"
        )
    if kind == NoticeKind.REPLY:
        return _("工作人员回复：{title}"), _(
            "{customer}您好：\n\n关于您的工单 {number}（{title}），工作人员回复：\n\n{text}\n\n{site}"
        )
    return _("已处理完毕：{title}"), _(
        "{customer}您好：\n\n您的工单 {number}（{title}）已处理完毕。"
        "如有疑问，请直接回复本消息。\n\n{site}"
    )


def fill(text: str, values: dict[str, Any]) -> str:
    """`{name}` replaced by its value; an unknown name stays as written (no attribute access,
    no format specs: an administrator's template cannot reach into objects)."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def render(
    kind: str, *, procedure_key: str, channel: str, language: str, values: dict[str, Any]
) -> tuple[str, str]:
    """The notice's subject and body: the most specific template (procedure, then channel)
    in the language, else the built-in one."""
    rows = NoticeTemplate.objects.filter(
        kind=kind,
        language=language,
        procedure_key__in=[procedure_key, ""],
        channel__in=[channel, ""],
    ).only("procedure_key", "channel", "subject", "body")
    best = max(
        rows,
        key=lambda t: (t.procedure_key == procedure_key, t.channel == channel),
        default=None,
    )
    if best is not None:
        subject, body = best.subject, best.body
    else:
        with translation.override(language):
            subject, body = _builtin(kind)
    return fill(subject, values).strip()[:300], fill(body, values).strip()
