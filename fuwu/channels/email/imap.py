"""Reading mailboxes over IMAP, from the worker's sweep (`poll_mailboxes`).

Each mailbox in `settings.FUWU_IMAP_MAILBOXES` (the environment's `FUWU_IMAP_HOST`, `_PORT`,
`_SSL`, `_STARTTLS`, `_USER`, `_PASSWORD`, `_FOLDER`, `_ADDRESS` give one) and each active
mailbox configured in the admin (`fuwu.channels.email.models.Mailbox`, which records when it
was last read and its last error) is opened, its UNSEEN
messages are fetched without marking them (`BODY.PEEK[]`), each is received
(`fuwu.channels.email.inbound`) and only then flagged `\\Seen`: a crash between the two reads the
message again, and its Message-ID makes the second time a no-op. A message larger than
`FUWU_MAIL_MAX_BYTES` is not downloaded: it is logged refused (its size from `RFC822.SIZE`) and
flagged seen. One mailbox failing (down, wrong password) is logged and does not stop the others.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from fuwu.channels.email import settings as mail_settings
from fuwu.channels.email.inbound import receive_raw
from fuwu.channels.inbound import Incoming, receive

log = logging.getLogger("fuwu.channels")
SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
BATCH = 200  # messages per mailbox per poll


@dataclass(frozen=True)
class Mailbox:
    host: str
    user: str
    password: str
    port: int = 993
    ssl: bool = True
    starttls: bool = False
    folder: str = "INBOX"
    address: str = ""  # the address mail to this box was sent to (routing); default the user
    timeout: float = 30.0
    row: int | None = None  # the admin's Mailbox row it comes from, if any

    @property
    def account(self) -> str:
        return (self.address or self.user).lower()


def mailboxes() -> list[Mailbox]:
    """The settings' mailboxes, then the admin's active ones."""
    from fuwu.channels.email.models import Mailbox as Row

    boxes = [Mailbox(**spec) for spec in getattr(settings, "FUWU_IMAP_MAILBOXES", [])]
    for row in Row.objects.filter(active=True).order_by("pk"):
        boxes.append(
            Mailbox(
                host=row.host,
                user=row.username,
                password=row.password,
                port=row.port,
                ssl=row.ssl,
                starttls=row.starttls,
                folder=row.folder or "INBOX",
                address=row.address,
                row=row.pk,
            )
        )
    return boxes


def _record(box: Mailbox, error: str) -> None:
    """Note on the admin's row that it was read now, and how it failed ("" when it did not)."""
    from fuwu.channels.email.models import Mailbox as Row

    if box.row is not None:
        Row.objects.filter(pk=box.row).update(last_polled_at=timezone.now(), last_error=error[:300])


def _connect(box: Mailbox) -> imaplib.IMAP4:
    if box.ssl:
        client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            box.host, box.port, ssl_context=ssl.create_default_context(), timeout=box.timeout
        )
    else:
        client = imaplib.IMAP4(box.host, box.port, timeout=box.timeout)
        if box.starttls:
            client.starttls(ssl.create_default_context())
    client.login(box.user, box.password)
    return client


def poll(box: Mailbox) -> dict[str, int]:
    """Read one mailbox's unseen mail. Returns how many messages ended in each status
    (`duplicate`: a message already received, written nothing new)."""
    counts: dict[str, int] = {}
    client = _connect(box)
    try:
        status, _data = client.select(_quoted(box.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select {box.folder}")
        status, found = client.uid("search", None, "UNSEEN")  # type: ignore[arg-type]
        uids = found[0].split()[:BATCH] if status == "OK" and found and found[0] else []
        for uid in uids:
            outcome = _one(client, uid, box)
            if outcome is None:
                continue
            counts[outcome] = counts.get(outcome, 0) + 1
            client.uid("store", uid, "+FLAGS", "(\\Seen)")  # type: ignore[arg-type]
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return counts


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _one(client: imaplib.IMAP4, uid: bytes, box: Mailbox) -> str | None:
    """Receive one message; its status, or None when it could not be read (left unseen)."""
    status, data = client.uid("fetch", uid, "(RFC822.SIZE)")  # type: ignore[arg-type]
    size = _size(data) if status == "OK" else None
    if size is None:
        return None
    limit = mail_settings.max_bytes()
    if size > limit:
        refused = receive(
            Incoming(
                channel="email",
                account=box.account,
                external_id="",
                sender="",
                refuse="too_large",
                detail=f"IMAP {box.user}@{box.host} uid {uid.decode()}: {size} bytes > {limit}",
            )
        )
        return str(refused.message.status)
    status, data = client.uid("fetch", uid, "(BODY.PEEK[])")  # type: ignore[arg-type]
    raw = _body(data) if status == "OK" else None
    if raw is None:
        return None
    outcome = receive_raw(raw, account=box.account)
    return "duplicate" if outcome.duplicate else str(outcome.message.status)


def _size(data: list[Any]) -> int | None:
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if isinstance(line, bytes) and (m := SIZE.search(line)):
            return int(m.group(1))
    return None


def _body(data: list[Any]) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def poll_mailboxes() -> dict[str, int]:
    """The worker's sweep: every configured mailbox once; a failing one is logged and skipped."""
    total: dict[str, int] = {}
    for box in mailboxes():
        try:
            counts = poll(box)
        except (imaplib.IMAP4.error, OSError) as exc:
            log.warning("IMAP mailbox %s@%s: %s", box.user, box.host, exc)
            _record(box, str(exc) or type(exc).__name__)
            continue
        _record(box, "")
        for status, n in counts.items():
            total[status] = total.get(status, 0) + n
    if total:
        log.info("mail received: %s", total)
    return total
