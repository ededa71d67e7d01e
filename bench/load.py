"""The load: N concurrent asyncio clients over keep-alive HTTP/1.1, walking property repairs.

Two transports: `httpx` (one shared `httpx.AsyncClient` pool, the default) and `raw` (one
hand-written HTTP/1.1 keep-alive connection per client on asyncio streams), which costs the
load generator several times less CPU per request, so more of a small machine is left to the
server. Both send the same requests and check every status.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

Case = dict[str, Any]

# The property-repair walk (fuwu/procedures/library/property_repair.yaml, free service):
# (persona, kind, transition key ("" for assign), form, checklist)
WALK: list[tuple[str, str, str, dict[str, Any], dict[str, Any]]] = [
    ("agent", "transition", "issue_work_order", {"details_confirmed": True}, {}),
    ("dispatcher", "assign", "", {}, {}),
    ("dispatcher", "transition", "repair_now", {"repair_mode": "immediate"}, {}),
    (
        "technician",
        "transition",
        "complete",
        {"diagnosis": "接头老化", "solution": "更换接头", "owner_agreed": True},
        {"fault_fixed": True, "site_clean": True},
    ),
    ("technician", "transition", "to_return_visit", {"result": "已修复,试水正常"}, {}),
    ("agent", "transition", "archive", {"visit_method": "phone", "satisfied": True}, {}),
]
REQUESTS_PER_CASE = 1 + len(WALK)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = (len(sorted_values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def summarise(values: list[float]) -> dict[str, float]:
    """Latency summary in milliseconds."""
    s = sorted(values)
    ms = 1000.0
    return {
        "n": len(s),
        "p50_ms": round(percentile(s, 0.50) * ms, 2),
        "p95_ms": round(percentile(s, 0.95) * ms, 2),
        "p99_ms": round(percentile(s, 0.99) * ms, 2),
        "mean_ms": round(sum(s) / len(s) * ms, 2) if s else 0.0,
        "max_ms": round(s[-1] * ms, 2) if s else 0.0,
    }


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    requests: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def error(self, text: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(text[:300])


class Transport(Protocol):
    async def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]: ...

    async def close(self) -> None: ...


class HttpxTransport:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        if body is not None:
            headers = {**headers, "Content-Type": "application/json"}
        r = await self.client.request(method, path, content=body, headers=headers)
        return r.status_code, r.content

    async def close(self) -> None:
        return None


class RawTransport:
    """One keep-alive HTTP/1.1 connection; Content-Length bodies only (what gunicorn sends)."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reconnects = 0

    async def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        return await asyncio.wait_for(self._request(method, path, body, headers), self.timeout)

    async def _request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        if self.reader is not None and self.reader.at_eof():
            await self.close()  # the server closed it while idle (gunicorn --keep-alive, 2 s)
            self.reconnects += 1
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None and self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        try:
            self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
            head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            status = int(head[0].split(" ", 2)[1])
            fields = {
                k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])
            }
            if "content-length" not in fields:
                raise ConnectionError(f"no Content-Length in the response (HTTP {status})")
            data = await self.reader.readexactly(int(fields["content-length"]))
        except BaseException:
            await self.close()
            raise
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


class Api:
    """Posts JSON as one persona or another; records latency per kind; checks every status."""

    def __init__(self, transport: Transport, tokens: dict[str, str], rec: Recorder) -> None:
        self.transport = transport
        self.headers = {p: {"Authorization": f"Bearer {t}"} for p, t in tokens.items()}
        self.rec = rec

    async def post(
        self,
        persona: str,
        kind: str,
        path: str,
        body: dict[str, Any],
        expect: int,
        detail: str = "",
    ) -> Case | None:
        payload = json.dumps(body, ensure_ascii=False).encode()
        t0 = time.perf_counter()
        try:
            status, content = await self.transport.request(
                "POST", path, payload, self.headers[persona]
            )
        except (httpx.HTTPError, OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            self.rec.error(f"{kind} {path}: {exc.__class__.__name__}: {exc}")
            return None
        elapsed = time.perf_counter() - t0
        self.rec.requests += 1
        self.rec.latencies.setdefault(kind, []).append(elapsed)
        if detail:
            self.rec.latencies.setdefault(f"{kind}:{detail}", []).append(elapsed)
        if status != expect:
            self.rec.error(f"{kind} {path}: HTTP {status} {content[:250].decode(errors='replace')}")
            return None
        data: Case = json.loads(content)
        return data

    async def create(self, n: int) -> Case | None:
        body = {
            "procedure": "property_repair",
            "site": "lanting",
            "channel": "phone",
            "title": f"压测报修 {n}",
            "priority": "normal",
            "data": {"repair_item": f"厨房水管漏水 {n}", "service_type": "free"},
        }
        return await self.post("agent", "create", "/api/cases", body, 201)

    async def step(
        self,
        case: Case,
        persona: str,
        kind: str,
        key: str,
        form: dict[str, Any],
        checklist: dict[str, Any],
    ) -> Case | None:
        if kind == "assign":
            body = {"version": case["version"], "assignee": "technician"}
            return await self.post(persona, "assign", f"/api/cases/{case['id']}/assign", body, 200)
        body = {"version": case["version"], "form": form, "checklist": checklist}
        path = f"/api/cases/{case['id']}/transitions/{key}"
        return await self.post(persona, "transition", path, body, 200, detail=key)

    async def walk(self, n: int) -> bool:
        case = await self.create(n)
        for persona, kind, key, form, checklist in WALK:
            if case is None:
                return False
            case = await self.step(case, persona, kind, key, form, checklist)
        if case is None:
            return False
        if case.get("status") != "closed":
            self.rec.error(
                f"case {case.get('id')} ended {case.get('status')} at {case.get('step')}"
            )
            return False
        return True


@dataclass
class PhaseResult:
    name: str
    items: int
    ok: int
    seconds: float
    rec: Recorder
    timed_out: bool
    cpu: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        secs = self.seconds or 1e-9
        return {
            "name": self.name,
            "items": self.items,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "items_per_s": round(self.ok / secs, 1),
            "requests": self.rec.requests,
            "requests_per_s": round(self.rec.requests / secs, 1),
            "errors": self.rec.errors,
            "error_samples": self.rec.error_samples,
            "timed_out": self.timed_out,
            "latency": {k: summarise(v) for k, v in sorted(self.rec.latencies.items())},
            "cpu": self.cpu,
        }


async def run_phase(
    name: str,
    base_url: str,
    tokens: dict[str, str],
    clients: int,
    items: int,
    job: Callable[[Api, int], Awaitable[bool]],
    time_limit: float,
    client_kind: str = "httpx",
    on_begin: Callable[[], None] | None = None,
    on_end: Callable[[], dict[str, float]] | None = None,
) -> PhaseResult:
    """`clients` workers share a counter and run `job(api, i)` for i in range(items).

    Bounded in count (`items`) and time (`time_limit`: no new item starts after it)."""
    rec = Recorder()
    counter = itertools.count()
    ok = 0
    timed_out = False
    url = httpx.URL(base_url)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as shared:
        transports: list[Transport] = [
            HttpxTransport(shared)
            if client_kind == "httpx"
            else RawTransport(url.host, url.port or 80)
            for _ in range(clients)
        ]
        apis = [Api(t, tokens, rec) for t in transports]

        async def worker(api: Api) -> None:
            nonlocal ok, timed_out
            while (i := next(counter)) < items:
                if time.perf_counter() > deadline:
                    timed_out = True
                    return
                if await job(api, i):
                    ok += 1

        try:
            # open the connections before the clock starts (TCP set-up is not what we measure)
            await asyncio.gather(*(t.request("GET", "/healthz", None, {}) for t in transports))
            if on_begin:
                on_begin()
            t0 = time.perf_counter()
            deadline = t0 + time_limit
            await asyncio.gather(*(worker(api) for api in apis))
            seconds = time.perf_counter() - t0
            cpu = on_end() if on_end else {}
        finally:
            for t in transports:
                await t.close()
    return PhaseResult(name, items, ok, seconds, rec, timed_out, cpu)
