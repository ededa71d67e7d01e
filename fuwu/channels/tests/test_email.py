"""E-mail in and out over the real protocols: SMTP to aiosmtpd, IMAP from Dovecot, and raw mail
posted by an MTA to /channels/email/inbound."""

from __future__ import annotations

import imaplib
import io
import logging
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
import time_machine
from PIL import Image

from fuwu.cases.models import Case, Event
from fuwu.channels import outbound
from fuwu.channels.email.imap import Mailbox, poll, poll_mailboxes
from fuwu.channels.email.inbound import html_to_text, parse
from fuwu.channels.models import Delivery, InboundMessage
from fuwu.channels.tasks import deliver
from fuwu.channels.tests.conftest import smtp_mailer
from fuwu.channels.tests.servers import free_port, smtp_server
from fuwu.customers.models import Customer

TO = "repair@lanting.example.cn"


def picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, "PNG")
    return out.getvalue()


def compose(
    subject: str = "厨房水管漏水",
    body: str = "厨房水槽下面的水管一直在漏水，请尽快派人来修。",
    *,
    sender: str = "王芳 <wang@example.com>",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    files: list[tuple[str, bytes]] | None = None,
) -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = TO
    m["Subject"] = subject
    m["Message-ID"] = message_id or make_msgid(domain="example.com")
    for k, v in (headers or {}).items():
        m[k] = v
    if html is not None:
        m.set_content(html, subtype="html")
    else:
        m.set_content(body)
    for name, content in files or []:
        m.add_attachment(content, maintype="image", subtype="png", filename=name)
    return m.as_bytes()


def bounce() -> bytes:
    """A delivery status notification as Postfix sends one (RFC 3464)."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
        "To: service@lanting.example.cn\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n"
        "--b1\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you …\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; x@example.org\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        "--b1--\r\n"
    ).encode()


# -- out: SMTP -------------------------------------------------------------------------------


def test_a_notice_goes_out_over_smtp_with_a_chinese_subject_a_tag_and_a_file(
    world, mail_route, smtp
):
    first_id = "<first@example.com>"
    received = parse(compose(message_id=first_id, files=[("漏水.png", picture())]))
    from fuwu.channels.inbound import receive

    case = receive(received).case
    assert case is not None
    ack = Delivery.objects.get(case=case, kind="opened")
    assert deliver.call(ack.pk) == "sent"
    reply = outbound.queue_notice(
        case,
        case.customer,
        "reply",
        {"text": "师傅下午三点上门。", "attachments": [case.attachments.get().pk]},
    )
    assert deliver.call(reply.pk) == "sent"
    assert len(smtp.received) == 2
    first, second = smtp.received
    raw = smtp.envelopes[0].original_content
    assert b"=?utf-8?" in raw.lower()  # the Chinese subject travels RFC 2047-encoded
    assert str(first["subject"]) == f"已受理您的请求：厨房水管漏水 [#{case.number}]"
    assert smtp.envelopes[0].rcpt_tos == ["wang@example.com"]
    assert str(first["In-Reply-To"]) == first_id and str(first["Reply-To"]) == (
        "service@lanting.example.cn"
    )
    assert str(first["Auto-Submitted"]) == "auto-generated"
    ack.refresh_from_db()
    assert ack.provider_id == str(first["Message-ID"]) and ack.status == "sent"
    assert "工作人员回复" in str(second["subject"])
    body = second.get_body(preferencelist=("plain",))
    assert body is not None and "师傅下午三点上门。" in body.get_content()
    (attachment,) = list(second.iter_attachments())
    assert attachment.get_filename() == "漏水.png"
    assert attachment.get_content().startswith(b"\x89PNG")


def test_an_smtp_server_that_is_down_delays_the_notice_until_it_is_back(
    world, mail_route, settings
):
    port = free_port()
    settings.MAILERS = smtp_mailer(port)  # nobody listens there yet
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        from fuwu.channels.inbound import receive

        case = receive(parse(compose())).case
        notice = Delivery.objects.get(case=case)
        assert deliver.call(notice.pk) == "retrying"
        notice.refresh_from_db()
        assert notice.error.startswith("ConnectionRefusedError")
        assert notice.next_attempt_at == start + timedelta(minutes=1)
    with smtp_server(port) as server, time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert outbound.retry_due() == 1
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == ("sent", 2)
    assert f"[#{case.number}]" in str(server.received[0]["subject"])


# -- in: IMAP --------------------------------------------------------------------------------


def _append(imap: Any, *messages: bytes) -> None:
    client = imaplib.IMAP4(imap.host, imap.port)
    client.login(imap.user, imap.password)
    for raw in messages:
        client.append("INBOX", None, None, raw)
    client.logout()


def _seen(imap: Any) -> tuple[list[bytes], list[bytes]]:
    client = imaplib.IMAP4(imap.host, imap.port)
    client.login(imap.user, imap.password)
    client.select("INBOX")
    unseen = client.uid("search", None, "UNSEEN")[1][0].split()
    seen = client.uid("search", None, "SEEN")[1][0].split()
    client.logout()
    return seen, unseen


def test_the_worker_reads_a_mailbox_over_imap(world, mail_route, imap_server, settings, caplog):
    settings.FUWU_MAIL_MAX_BYTES = 64 * 1024
    settings.FUWU_IMAP_MAILBOXES = [
        {
            "host": imap_server.host,
            "port": imap_server.port,
            "ssl": False,
            "user": imap_server.user,
            "password": imap_server.password,
            "address": TO,
        }
    ]
    new = compose(message_id="<new@example.com>")
    _append(
        imap_server,
        new,
        new,  # the same message delivered twice
        compose("自动回复：我正在休假", headers={"Auto-Submitted": "auto-replied"}),
        compose("Out of Office", sender="li@example.com"),
        compose("list", headers={"Precedence": "bulk"}),
        bounce(),
        compose("我们自己的通知", headers={"X-Fuwu-Loop": "lanting.example.cn"}),
        b"this is not an e-mail at all",
        compose("太大了", body="漏" * 40_000),
    )
    caplog.set_level(logging.INFO, logger="fuwu.channels")
    counts = poll_mailboxes()
    assert counts == {"accepted": 1, "duplicate": 1, "ignored": 5, "refused": 2}
    assert Case.objects.count() == 1
    statuses = sorted(InboundMessage.objects.values_list("status", "reason"))
    assert statuses == [
        ("accepted", ""),
        ("ignored", "auto_reply"),
        ("ignored", "auto_reply"),
        ("ignored", "auto_reply"),
        ("ignored", "bounce"),
        ("ignored", "loop"),
        ("refused", "malformed"),
        ("refused", "too_large"),
    ]
    assert "too_large" in caplog.text and "malformed" in caplog.text
    # Every message is marked seen only after it was stored; none is read twice.
    seen, unseen = _seen(imap_server)
    assert (len(seen), unseen) == (9, [])
    assert poll_mailboxes() == {}
    # Only the customer's request was answered (the acknowledgement); nothing else.
    assert Delivery.objects.count() == 1

    # The customer answers our acknowledgement: threaded by In-Reply-To onto the case.
    case = Case.objects.get()
    ack = Delivery.objects.get()
    ack.provider_id = make_msgid(domain="lanting.example.cn")
    ack.save()
    _append(
        imap_server,
        compose(
            "Re: 已受理您的请求",
            "好的，谢谢！\n\n在 2026年3月2日，物业 写道：\n> 我们已收到您的请求",
            headers={"In-Reply-To": ack.provider_id},
        ),
    )
    box = Mailbox(
        imap_server.host,
        imap_server.user,
        imap_server.password,
        port=imap_server.port,
        ssl=False,
        address=TO,
    )
    assert poll(box) == {"threaded": 1}
    comment = Event.objects.get(case=case, kind="commented")
    assert comment.data["text"] == "好的，谢谢！"  # the quoted history is cut off


def test_a_mailbox_that_is_down_is_logged_and_skipped(world, settings, caplog):
    settings.FUWU_IMAP_MAILBOXES = [
        {"host": "127.0.0.1", "port": free_port(), "ssl": False, "user": "u", "password": "p"}
    ]
    assert poll_mailboxes() == {}
    assert "IMAP mailbox u@127.0.0.1" in caplog.text


# -- in: posted by an MTA --------------------------------------------------------------------


@pytest.fixture
def mta(client: Any, settings: Any) -> Any:
    settings.FUWU_MAIL_INBOUND_SECRET = "s3cret"

    def post(raw: bytes, secret: str = "s3cret", **extra: Any) -> Any:
        return client.post(
            "/channels/email/inbound",
            data=raw,
            content_type="message/rfc822",
            headers={"X-Fuwu-Secret": secret},
            **extra,
        )

    return post


def test_mail_posted_by_an_mta_opens_a_case_and_a_reply_lands_on_it(world, mail_route, mta):
    answer = mta(compose(message_id="<a@example.com>"))
    assert answer.status_code == 202
    case = Case.objects.get()
    assert answer.json() == {
        "id": InboundMessage.objects.get().pk,
        "status": "accepted",
        "reason": "",
        "case": case.number,
        "duplicate": False,
    }
    again = mta(compose(message_id="<a@example.com>"))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    # A reply that lost its headers is threaded by the case tag in its subject.
    reply = mta(compose(f"回复：已受理您的请求 [#{case.number}]", "周六上午家里有人。"))
    assert reply.status_code == 202 and reply.json()["status"] == "threaded"
    event = Event.objects.get(case=case, kind="commented")
    assert event.data["text"] == "周六上午家里有人。" and not event.data["internal"]
    assert Case.objects.count() == 1 and InboundMessage.objects.count() == 2


def test_the_mta_endpoint_refuses_what_it_must(world, mail_route, mta, settings, caplog):
    assert mta(compose(), secret="wrong").status_code == 403
    settings.FUWU_MAIL_MAX_BYTES = 1000
    big = mta(compose(body="漏" * 2000))
    assert big.status_code == 413 and big.json()["code"] == "too_large"
    settings.FUWU_MAIL_MAX_BYTES = 100_000
    bad = mta(b"From: nobody\r\n\r\nno address at all", HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert bad.json()["message"].startswith("The mail was refused")
    assert InboundMessage.objects.get().reason == "malformed"
    assert not Case.objects.exists() and not Customer.objects.filter(email="nobody").exists()
    assert "bytes > 1000" in caplog.text
    settings.FUWU_MAIL_INBOUND_SECRET = ""
    assert mta(compose()).status_code == 404  # not configured: the endpoint is off


def test_html_only_mail_is_sanitised_to_text(world, mail_route, mta):
    html = (
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
        "<p>阳台<b>漏水</b>&amp;渗水</p><div>请尽快处理<img src=x onerror=alert(1)></div>"
        "</body></html>"
    )
    assert mta(compose("阳台漏水", html=html)).status_code == 202
    case = Case.objects.get()
    assert case.description == "阳台漏水&渗水\n请尽快处理"
    assert html_to_text("<p>a</p><p>b</p>") == "a\nb"


def test_our_own_notice_come_back_is_a_loop(world, mail_route, mta):
    assert mta(compose(message_id="<a@example.com>")).status_code == 202
    notice = Delivery.objects.get()
    notice.provider_id = "<n1@lanting.example.cn>"
    notice.save()
    back = mta(compose("已受理您的请求", sender="wang@example.com", message_id=notice.provider_id))
    assert (back.status_code, back.json()["status"], back.json()["reason"]) == (
        202,
        "ignored",
        "loop",
    )
    assert Delivery.objects.count() == 1 and not Event.objects.filter(kind="commented").exists()
