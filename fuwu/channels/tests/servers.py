"""Real mail servers for the e-mail tests: Debian's Dovecot (IMAP) started as a child process
with its whole configuration in a temporary directory, and aiosmtpd (SMTP) in this process."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Imap:
    host: str
    port: int
    user: str
    password: str
    log: Path


def _users() -> tuple[str, str, str]:
    """Dovecot refuses to run its login and mail processes as root: as root, its own system
    users; as anybody else, that user for everything."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid()).pw_name
        return me, me, me
    return "dovenull", "dovecot", "dovecot"


@contextmanager
def dovecot(tmp: Path) -> Iterator[Imap]:
    assert DOVECOT is not None
    login_user, internal_user, mail_user = _users()
    tmp.chmod(0o755)
    for name in ("run", "state", "mail"):
        (tmp / name).mkdir()
    passwd = tmp / "passwd"
    passwd.write_text("fuwu:{PLAIN}secret::::::\n")
    passwd.chmod(0o644)
    mail_pw = pwd.getpwnam(mail_user)
    os.chown(tmp / "mail", mail_pw.pw_uid, mail_pw.pw_gid)
    port = free_port()
    config = tmp / "dovecot.conf"
    config.write_text(
        f"""
protocols = imap
listen = 127.0.0.1
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{tmp}/mail/%u
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={mail_pw.pw_uid} gid={mail_pw.pw_gid} home={tmp}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                log = (tmp / "dovecot.log").read_text() if (tmp / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot did not start: {log}")
            time.sleep(0.05)
        yield Imap("127.0.0.1", port, "fuwu", "secret", tmp / "dovecot.log")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Smtp:
    host: str
    port: int
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[Smtp]:
    from aiosmtpd.controller import Controller

    port = port or free_port()
    server = Smtp("127.0.0.1", port)

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            server.envelopes.append(envelope)
            message = message_from_bytes(envelope.original_content, policy=policy.default)
            server.received.append(message)  # type: ignore[arg-type]
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
