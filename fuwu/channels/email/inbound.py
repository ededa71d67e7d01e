"""Mail in: raw RFC 822 bytes (from an IMAP mailbox or posted by an MTA) to an `Incoming`.

Parsed with the standard library's `email` (policy=default). What is recognised here:

- **refused**: larger than `FUWU_MAIL_MAX_BYTES`; malformed (no usable From address, no header
  block, an undecodable structure) — stored with the reason, never acted on;
- **ignored** (stored, never answered, RFC 3834): auto-replies (`Auto-Submitted` other than `no`,
  `X-Autoreply`, `X-Autorespond`, `Precedence: bulk/junk/list`, an out-of-office subject),
  bounces (a `multipart/report` delivery status, mail from MAILER-DAEMON/postmaster, an empty
  Return-Path) and loops (our own `X-Fuwu-Loop` token, mail from our own address, or the
  Message-ID of one of our notices);
- **threading**: `In-Reply-To`/`References` against our notices' Message-IDs and earlier
  messages' ids, then the subject's case tag `[#<number>]` (`fuwu.channels.inbound` checks the
  sender is that case's customer).

An HTML-only message is turned into text with `nh3` (the Ammonia sanitiser): no tag survives.
The quoted history below a reply ("> …", "On … wrote:", "在…写道：") is cut off.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from fuwu.cases.models import Case
from fuwu.channels.choices import Medium
from fuwu.channels.email import settings as mail_settings
from fuwu.channels.inbound import Incoming, IncomingFile, Outcome, receive
from fuwu.channels.models import Delivery, InboundMessage

log = logging.getLogger("fuwu.channels")

TAG = re.compile(r"\[#\s*([0-9]{8}-[0-9]{1,12})\s*\]")
MSGID = re.compile(r"<[^<>\s]{1,250}>")
AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response)|out of (the )?office|自动回复|自动答复|休假)", re.I
)
QUOTE_START = re.compile(
    r"^(On .{1,200} wrote:\s*$|在.{1,200}写道[:：]\s*$|-{2,}\s*(Original Message|原始邮件)\s*-{2,}"
    r"|-{2,}\s*Forwarded message|(From|发件人)\s*[:：].*$)",
    re.I,
)
KEPT_HEADERS = (
    "message-id",
    "in-reply-to",
    "references",
    "from",
    "to",
    "cc",
    "date",
    "subject",
    "auto-submitted",
    "precedence",
    "content-type",
    "return-path",
)
MAX_FILES = 20


def parse(raw: bytes, *, account: str = "") -> Incoming:
    """The message as an `Incoming` for `fuwu.channels.inbound.receive` (refused or ignored
    ones included: they are stored with their reason)."""
    limit = mail_settings.max_bytes()
    if len(raw) > limit:
        return Incoming(
            channel=Medium.EMAIL,
            account=account,
            external_id="",
            sender="",
            refuse="too_large",
            detail=f"{len(raw)} bytes > {limit}",
        )
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        return _incoming(message, raw, account)
    except Exception as exc:  # any structure the parser chokes on is the sender's problem
        log.warning("malformed mail refused: %s", exc)
        return Incoming(
            channel=Medium.EMAIL,
            account=account,
            external_id="",
            sender="",
            refuse="malformed",
            detail=f"{type(exc).__name__}: {exc}"[:500],
        )


def _first_address(message: EmailMessage, name: str) -> Address | None:
    header = message.get(name)
    addresses = getattr(header, "addresses", ()) if header is not None else ()
    for address in addresses:
        if address.username and address.domain:
            return address
    return None


def _incoming(message: EmailMessage, raw: bytes, account: str) -> Incoming:
    sender = _first_address(message, "from")
    if not message.keys() or sender is None:
        return Incoming(
            channel=Medium.EMAIL,
            account=account,
            external_id="",
            sender="",
            refuse="malformed",
            detail="no From address" if message.keys() else "no header block",
        )
    message_id = _ids(str(message.get("message-id", "")))
    # Without a Message-ID the content is the identity: the same bytes twice are one message.
    external_id = (
        message_id[0] if message_id else f"<sha256.{hashlib.sha256(raw).hexdigest()}@fuwu>"
    )
    to = account or _recipient(message)
    subject = " ".join(str(message.get("subject", "")).split())
    headers = {k: str(message.get(k))[:1000] for k in KEPT_HEADERS if message.get(k) is not None}
    incoming = Incoming(
        channel=Medium.EMAIL,
        account=to,
        external_id=external_id,
        sender=sender.addr_spec.lower(),
        sender_name=sender.display_name,
        subject=subject,
        headers=headers,
    )
    ignore = _not_for_a_person(message, sender, subject)
    if (
        not ignore
        and Delivery.objects.filter(channel=Medium.EMAIL, provider_id=external_id).exists()
    ):
        ignore = "loop"  # one of our own notices, come back with its Message-ID
    if ignore:
        incoming.ignore = ignore
        return incoming
    incoming.body = _text(message)
    incoming.files = _files(message)
    incoming.case_id = thread(message, subject)
    return incoming


def _ids(text: str) -> list[str]:
    return MSGID.findall(text)


def _recipient(message: EmailMessage) -> str:
    """The address the mail came to: the envelope's (Delivered-To, X-Original-To), else To/Cc."""
    for name in ("delivered-to", "x-original-to"):
        value = message.get(name)
        if value:
            return str(value).strip().strip("<>").lower()
    for name in ("to", "cc"):
        for _display, address in getaddresses([str(v) for v in message.get_all(name, [])]):
            if "@" in address:
                return address.lower()
    return ""


def _not_for_a_person(message: EmailMessage, sender: Address, subject: str) -> str:
    """`loop`, `bounce` or `auto_reply` when no person wrote this, else ""."""
    ours = mail_settings.from_address().lower()
    if str(message.get("x-fuwu-loop", "")).strip() == mail_settings.loop_token():
        return "loop"
    if sender.addr_spec.lower() in {ours, mail_settings.reply_to().lower()}:
        return "loop"
    if message.get_content_type() == "multipart/report":
        return "bounce"
    if sender.username.lower() in {"mailer-daemon", "postmaster"}:
        return "bounce"
    if str(message.get("return-path", "x")).strip() == "<>":
        return "bounce"
    auto = str(message.get("auto-submitted", "")).strip().lower()
    if auto and auto != "no":
        return "auto_reply"
    if message.get("x-autoreply") is not None or message.get("x-autorespond") is not None:
        return "auto_reply"
    if str(message.get("precedence", "")).strip().lower() in {"bulk", "junk", "list"}:
        return "auto_reply"
    if AUTO_SUBJECT.match(subject):
        return "auto_reply"
    return ""


def html_to_text(markup: str) -> str:
    """Sanitised text of an HTML body: line breaks where blocks end, no tags, entities decoded.

    nh3 is imported here, by the first HTML-only mail, not with the app: its library is 1.5 MB
    of every web worker's memory."""
    import nh3

    markup = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6]|blockquote)>", "\n", markup)
    cleaned = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "head", "title"})
    lines = [" ".join(line.split()) for line in html.unescape(cleaned).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    text = str(content) if not isinstance(content, bytes) else content.decode("utf-8", "replace")
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return strip_quoted(text.replace("\r\n", "\n"))


def strip_quoted(text: str) -> str:
    """The new text of a reply: everything above the quoted history."""
    kept: list[str] = []
    for line in text.split("\n"):
        if QUOTE_START.match(line.strip()) and "\n".join(kept).strip():
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def _files(message: EmailMessage) -> list[IncomingFile]:
    files: list[IncomingFile] = []
    for part in message.iter_attachments():
        if len(files) >= MAX_FILES or not isinstance(part, EmailMessage):
            break
        if part.get_content_maintype() == "multipart":
            continue
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            continue
        files.append(
            IncomingFile(
                name=(part.get_filename() or "attachment")[-200:],
                content_type=part.get_content_type(),
                content=content,
            )
        )
    return files


def thread(message: EmailMessage, subject: str) -> int | None:
    """The case this mail answers: by the ids it refers to, else by the subject's case tag."""
    refs = _ids(str(message.get("in-reply-to", ""))) + list(
        reversed(_ids(str(message.get("references", ""))))
    )
    if refs:
        notice = (
            Delivery.objects.filter(channel=Medium.EMAIL, provider_id__in=refs)
            .exclude(case=None)
            .order_by("-created_at")
            .values_list("case_id", flat=True)
            .first()
        )
        if notice is not None:
            return int(notice)
        earlier = (
            InboundMessage.objects.filter(channel=Medium.EMAIL, external_id__in=refs)
            .exclude(case=None)
            .order_by("-received_at")
            .values_list("case_id", flat=True)
            .first()
        )
        if earlier is not None:
            return int(earlier)
    match = TAG.search(subject)
    if match:
        number = match.group(1)
        pk = Case.pk_from_number(number)
        if pk is not None:
            case = Case.objects.filter(pk=pk).only("created_at").first()
            if case is not None and case.number == number:
                return int(case.pk)
    return None


def receive_raw(raw: bytes, *, account: str = "") -> Outcome:
    """Parse and receive one raw message (IMAP and the HTTP endpoint both come here)."""
    return receive(parse(raw, account=account))
