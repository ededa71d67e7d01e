"""Where a webhook may go: HTTPS to a public address, never into Fuwu's own network.

A subscription's URL is chosen by a manager, and the worker POSTs to it from inside the
network Fuwu runs in, so an unchecked URL lets its author reach the database, the cloud's
metadata service or the intranet (server-side request forgery). Two checks:

- when the URL is saved (`check_url`, no DNS: a request makes no network call): https, no
  credentials in it, and a host that is not an address of a private, loopback, link-local or
  reserved network, nor a local-only name;
- when the worker sends (`resolve`): every address the name resolves to must be public, and the
  connection goes to the address that was checked (`post`), so a name that resolves elsewhere
  a second time (DNS rebinding) cannot slip through between the check and the connection.

Hosts named in the setting FUWU_WEBHOOK_ALLOW_HOSTS (an intranet receiver, the tests'
127.0.0.1) are exempt from both: plain http and private addresses are allowed for them.
Redirects are not followed: a 3xx answer is a failed attempt.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

from fuwu.procedures.engine.errors import FieldError

MAX_URL = 500
RESPONSE_KEPT = 1024  # bytes of a receiver's answer kept in the log
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet")


def allowed_hosts() -> frozenset[str]:
    return frozenset(h.lower() for h in getattr(settings, "FUWU_WEBHOOK_ALLOW_HOSTS", []))


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> FieldError | None:
    """Why `url` may not receive webhooks (a field error), or None. Makes no network call."""
    url = url.strip()
    if not url or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        return FieldError("webhook_url")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 — raises ValueError for a port out of range
    except ValueError:
        return FieldError("webhook_url")
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        return FieldError("webhook_url")
    exempt = host in allowed_hosts()
    if parts.scheme == "http" and not exempt:
        return FieldError("webhook_https")
    if exempt:
        return None
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        name = host.rstrip(".")
        if "." not in name or name == "localhost" or name.endswith(LOCAL_SUFFIXES):
            return FieldError("webhook_private")
        return None
    return None if _public(ip) else FieldError("webhook_private")


@dataclass(frozen=True)
class Target:
    parts: SplitResult
    host: str
    port: int
    address: str  # the checked address the connection goes to

    @property
    def path(self) -> str:
        path = self.parts.path or "/"
        return f"{path}?{self.parts.query}" if self.parts.query else path


class Refused(Exception):
    """The URL may not be called now (its name resolves to a private address, or not at all)."""


def resolve(url: str) -> Target:
    """The URL's host resolved and checked (in the worker, never in a request)."""
    problem = check_url(url)
    if problem is not None:
        raise Refused(f"URL refused ({problem.code})")
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Refused(f"cannot resolve {host}: {exc}") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise Refused(f"cannot resolve {host}")
    if host not in allowed_hosts():
        for address in addresses:
            if not _public(ipaddress.ip_address(address.split("%", 1)[0])):
                raise Refused(f"{host} resolves to a private address ({address})")
    return Target(parts=parts, host=host, port=port, address=addresses[0])


@dataclass(frozen=True)
class Answer:
    status: int
    body: str  # the first RESPONSE_KEPT bytes, decoded leniently
    duration_ms: int


class _PinnedHTTP(http.client.HTTPConnection):
    """A connection to a checked address, whatever the name resolves to by now."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(_PinnedHTTP):
    def connect(self) -> None:
        super().connect()
        # The certificate must be the host's own (SNI and verification by name).
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST `body` to the target; raises OSError (timeouts included) or http.client errors."""
    cls = _PinnedHTTPS if target.parts.scheme == "https" else _PinnedHTTP
    conn = cls(target, timeout)
    started = time.monotonic()
    try:
        host = target.parts.netloc.rsplit("@", 1)[-1]
        conn.request("POST", target.path, body=body, headers={"Host": host, **headers})
        response = conn.getresponse()
        kept = response.read(RESPONSE_KEPT)
        return Answer(
            status=response.status,
            body=kept.decode("utf-8", errors="replace"),
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    finally:
        conn.close()
