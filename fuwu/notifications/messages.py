"""Rendering a stored notification (machine values) as text in the reader's language."""

from __future__ import annotations

from typing import Any

_TEMPLATES: dict[str, tuple[str, str]] = {
    "escalation": (
        "工单 {number} 已达时限的 {percent}({clock}),请尽快处理",
        "Case {number} has reached {percent} of its {clock} limit",
    ),
    "major": ("重大工单 {number}:{title}", "Major case {number}: {title}"),
    "assigned": ("工单 {number} 已指派给您:{title}", "Case {number} is assigned to you: {title}"),
    "transferred": (
        "工单 {number} 已转至贵部门:{title}",
        "Case {number} was transferred to your department: {title}",
    ),
    "return_visit_due": ("工单 {number} 需要回访", "Case {number} is due for a return visit"),
    "register_due": (
        "登记簿到期提醒:{item}({holder})应于 {due_back} 归还/到期,工单 {number}",
        "Register reminder: {item} ({holder}) is due back or expires at {due_back}, case {number}",
    ),
    "notify": ("工单 {number}:{message_zh}", "Case {number}: {message_en}"),
    "no_show": (
        "客户 {customer}（{vehicle}）未按 {at} 的预约到店，已超过 30 分钟：请联系客户改约",
        "{customer} ({vehicle}) has not arrived for the {at} appointment, 30 minutes on: "
        "call them to rebook",
    ),
    "appointment_reminder": (
        "提醒：{customer}，您的车辆（{vehicle}）已预约于 {at} 到{workshop}保养维修，请准时到店",
        "Reminder: {customer}, your vehicle ({vehicle}) is booked in at {workshop} at {at}; "
        "please arrive on time",
    ),
    "appointment_reminder_call": (
        "请提醒客户 {customer}（{vehicle}）{at} 的预约（客户选择的方式：{channel_label}）",
        "Remind {customer} ({vehicle}) of the {at} appointment (the customer's way: "
        "{channel_label})",
    ),
    "complaints_rising": (
        "{site_name}每月投诉数量已连续 {rises} 个月上升（{trend}），请提出处理意见和要求",
        "Complaints at {site_name} have risen {rises} months in a row ({trend}): "
        "your instructions are needed",
    ),
    "survey_invitation": (
        "诚邀您参加问卷调查“{title}”：{link}（{expires} 前有效）",
        "You are invited to answer the survey “{title}”: {link} (open until {expires})",
    ),
    "late_risk": (
        "工单 {number} 的作业“{job}”可能无法在许诺时间 {promised} 交车（最晚 {latest} 开工）："
        "请预先通知客户，并记录新的交车时间",
        "Case {number}: the job '{job}' may miss the promised time {promised} (latest start "
        "{latest}): tell the customer in advance and record a new promised time",
    ),
    "webhook_disabled": (
        "Webhook 订阅“{name}”连续 {failures} 次发送失败，已自动停用（最近错误：{error}）。"
        "请检查接收方，修复后在 API 中重新启用并重发失败的记录",
        "The webhook subscription '{name}' failed {failures} deliveries in a row and was "
        "disabled (last error: {error}). Check the receiver, then enable it again through the "
        "API and replay the failed deliveries",
    ),
}
_CHANNELS = {
    "phone": ("电话", "phone call"),
    "sms": ("短信", "SMS"),
    "wechat": ("微信", "WeChat"),
    "email": ("电子邮件", "e-mail"),
    "portal": ("客户门户", "customer portal"),
}
_CLOCKS = {
    "response": ("响应", "response"),
    "resolution": ("解决", "resolution"),
    "step": ("步骤", "step"),
}


def render(kind: str, data: dict[str, Any], language: str | None) -> str:
    en = (language or "").lower().startswith("en")
    zh_t, en_t = _TEMPLATES.get(kind, ("{number}", "{number}"))
    params = dict(data)
    clock = _CLOCKS.get(str(data.get("clock")), ("", ""))
    params["clock"] = clock[1] if en else clock[0]
    channel = _CHANNELS.get(str(data.get("channel")), ("", ""))
    params["channel_label"] = channel[1] if en else channel[0]
    params.setdefault("message_zh", data.get("message_zh") or "")
    params.setdefault("message_en", data.get("message_en") or data.get("message_zh") or "")
    try:
        return (en_t if en else zh_t).format(**params)
    except (KeyError, IndexError, ValueError):
        return en_t if en else zh_t
