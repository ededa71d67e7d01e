"""Channels (issue 13): 1,000 e-mails posted as an MTA posts them and 1,000 WeChat text messages
posted to the callback (safe mode, signed and encrypted as WeChat does) turned into cases by the
real server and the real task worker. Reports requests/s at the endpoints, cases/s until the
worker has made them all, and the delay from receipt to case (InboundMessage.received_at → the
case's created_at). `python -m bench.channels setup|stats` runs inside Django (a subprocess).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from fuwu.channels.wechat import protocol

SECRET = "bench-mta-secret"
MAIL_TO = "repair@lanting.example.cn"
APP_ID = "wxbench000000001"
ORIGINAL_ID = "gh_benchfuwu01"
TOKEN = "benchtoken2026"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 characters
EXTRA_ENV = {
    "FUWU_MAIL_INBOUND_SECRET": SECRET,
    "FUWU_QUIET_HOURS": "",
    # Nothing leaves the machine: a notice to WeChat would fail at once on a closed port.
    "FUWU_WECHAT_API_BASE": "http://127.0.0.1:9",
}
MAIL_PATH = "/channels/email/inbound"
WECHAT_PATH = f"/channels/wechat/{APP_ID}/callback"


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# -- the messages ----------------------------------------------------------------------------


def email_message(i: int) -> bytes:
    """The i-th distinct mail: its own sender and Message-ID."""
    m = EmailMessage()
    m["From"] = f"住户{i} <resident{i}@example.com>"
    m["To"] = MAIL_TO
    m["Subject"] = f"{i % 30 + 1}栋{i % 4 + 1}单元 厨房水管漏水"
    m["Message-ID"] = f"<bench-{i}@example.com>"
    m.set_content(f"厨房水槽下面的水管一直在漏水，请尽快派人来修。（编号 {i}）")
    return m.as_bytes()


def wechat_request(i: int, now: int | None = None) -> tuple[str, bytes]:
    """The path with query and the body of the i-th distinct WeChat text message, safe mode."""
    ts = str(now if now is not None else int(time.time()))
    nonce = str(100000 + i)
    openid = f"oBench{i:06d}"
    inner = protocol.build_xml(
        {
            "ToUserName": ORIGINAL_ID,
            "FromUserName": openid,
            "CreateTime": int(ts),
            "MsgType": "text",
            "Content": f"{i % 30 + 1}栋{i % 4 + 1}单元{1000 + i} 厨房水管漏水",
            "MsgId": 7_000_000_000_000_000_000 + i,
        }
    )
    encrypted = protocol.encrypt(inner, encoding_aes_key=AES_KEY, app_id=APP_ID)
    query = {
        "signature": protocol.signature(TOKEN, ts, nonce),
        "timestamp": ts,
        "nonce": nonce,
        "openid": openid,
        "encrypt_type": "aes",
        "msg_signature": protocol.signature(TOKEN, ts, nonce, encrypted),
    }
    body = protocol.build_xml({"ToUserName": ORIGINAL_ID, "Encrypt": encrypted})
    return f"{WECHAT_PATH}?{urlencode(query)}", body


# -- inside Django ---------------------------------------------------------------------------


def setup_routes() -> dict[str, Any]:
    """A Route for e-mail and one for WeChat on 兰亭苑, and the WeChat account (safe mode)."""
    from fuwu.channels.models import Route
    from fuwu.channels.wechat.choices import Mode
    from fuwu.channels.wechat.models import WechatAccount
    from fuwu.core.models import Site

    site = Site.objects.get(code="lanting")
    for channel, address in (("email", MAIL_TO), ("wechat", APP_ID)):
        Route.objects.create(
            channel=channel, address=address, site=site, procedure_key="property_repair"
        )
    WechatAccount.objects.create(
        site=site,
        name="兰亭物业服务",
        app_id=APP_ID,
        original_id=ORIGINAL_ID,
        token=TOKEN,
        encoding_aes_key=AES_KEY,
        app_secret="bench-app-secret",
        mode=Mode.SAFE,
    )
    return {"routes": 2}


def stats() -> dict[str, Any]:
    """Cases per channel, duplicates, and the delay from receipt to case in ms."""
    from fuwu.cases.models import Case
    from fuwu.channels.models import InboundMessage

    out: dict[str, Any] = {"cases": Case.objects.count()}
    for channel in ("email", "wechat"):
        rows = list(
            InboundMessage.objects.filter(channel=channel).values_list(
                "case_id", "received_at", "case__created_at", "status"
            )
        )
        with_case = [r for r in rows if r[0] is not None]
        delays = sorted((r[2] - r[1]).total_seconds() * 1000 for r in with_case)
        out[channel] = {
            "messages": len(rows),
            "with_case": len(with_case),
            "distinct_cases": len({r[0] for r in with_case}),
            "statuses": {s: sum(1 for r in rows if r[3] == s) for s in {r[3] for r in rows}},
            "delay_ms": percentiles(delays),
        }
    return out


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    v = sorted(values)

    def at(q: float) -> float:
        return round(v[min(len(v) - 1, int(q * len(v)))], 1)

    return {"p50": at(0.50), "p95": at(0.95), "max": round(v[-1], 1)}


# -- the run ---------------------------------------------------------------------------------


def _django(bin_dir: Path, env: dict[str, str], root: Path, what: str) -> dict[str, Any]:
    r = subprocess.run(
        [str(bin_dir / "python"), "-m", "bench.channels", what],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if r.returncode != 0:
        raise RuntimeError(f"bench.channels {what} failed:\n{r.stdout}\n{r.stderr}")
    return dict(json.loads(r.stdout.strip().splitlines()[-1]))


async def _post_channel(
    http: httpx.AsyncClient, kind: str, count: int, clients: int
) -> dict[str, Any]:
    """`count` distinct messages of one channel from `clients` concurrent clients."""
    todo = iter(range(count))
    lat: list[float] = []
    bad: list[str] = []

    async def client() -> None:
        for i in todo:
            if kind == "email":
                path, body = MAIL_PATH, email_message(i)
                headers = {"X-Fuwu-Secret": SECRET, "Content-Type": "message/rfc822"}
            else:
                path, body = wechat_request(i)
                headers = {"Content-Type": "text/xml"}
            t = time.perf_counter()
            r = await http.post(path, content=body, headers=headers)
            lat.append((time.perf_counter() - t) * 1000)
            if r.status_code != (202 if kind == "email" else 200):
                bad.append(f"{r.status_code} {r.text[:200]}")

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    seconds = time.perf_counter() - t0
    return {
        "requests": count,
        "seconds": round(seconds, 2),
        "requests_per_s": round(count / seconds, 1),
        "latency_ms": percentiles(lat),
        "errors": len(bad),
        "error_samples": bad[:10],
    }


async def _post_all(url: str, count: int, clients: int) -> dict[str, Any]:
    """The e-mails first, then the WeChat messages, on one keep-alive pool."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:
        return {
            kind: await _post_channel(http, kind, count, clients) for kind in ("email", "wechat")
        }


def run(
    kind: str,
    env: dict[str, str],
    tmp: Path,
    root: Path,
    bin_dir: Path,
    count: int,
    clients: int,
    workers: int,
    threads: int,
) -> dict[str, Any]:
    from bench.procs import free_port, start, start_gunicorn, stop, wait_healthy

    env = {**env, **EXTRA_ENV}
    _django(bin_dir, env, root, "setup")
    before = _django(bin_dir, env, root, "stats")["cases"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = worker = None
    out: dict[str, Any] = {"messages_per_channel": count, "clients": clients, "workers": workers}
    try:
        server = start_gunicorn(
            bin_dir, env, tmp / "gunicorn-channels.log", root, port, workers, threads
        )
        worker = start([str(bin_dir / "fuwu"), "worker"], env, tmp / "worker-channels.log", root)
        wait_healthy(url, server)
        log(f"{kind}: channels — gunicorn {workers}×{threads} on :{port}, task worker {worker.pid}")
        t0 = time.monotonic()
        out.update(asyncio.run(_post_all(url, count, clients)))
        posted = time.monotonic()
        expected = before + 2 * count
        # Wait until the worker has made every case (or nothing more happens for 60 s).
        last, last_change = -1, time.monotonic()
        while True:
            now_cases = _count_cases(env)
            if now_cases != last:
                last, last_change = now_cases, time.monotonic()
            if now_cases >= expected or time.monotonic() - last_change > 60:
                break
            time.sleep(0.5)
        done = time.monotonic()
        out["post_seconds"] = round(posted - t0, 2)
        out["all_cases_seconds"] = round(done - t0, 2)
        out["cases_per_s"] = round((last - before) / (done - t0), 1) if done > t0 else 0.0
        out["wechat_cases_after_posting_s"] = round(done - posted, 2)
    finally:
        stop(worker)
        stop(server)
    s = _django(bin_dir, env, root, "stats")
    out["stats"] = s
    made = s["cases"] - before
    dupes = sum(s[c]["with_case"] - s[c]["distinct_cases"] for c in ("email", "wechat"))
    out["cases_made"] = made
    out["exact"] = made == 2 * count and dupes == 0
    out["errors"] = (
        int(out.get("email", {}).get("errors", 0))
        + int(out.get("wechat", {}).get("errors", 0))
        + (0 if out["exact"] else 1)
    )
    return out


def _count_cases(env: dict[str, str]) -> int:
    from bench import rawdb

    url = env.get("DATABASE_URL")
    db = (
        rawdb.Db(None, url)
        if url
        else rawdb.Db(str(Path(env["FUWU_VAR_DIR"]) / "fuwu.sqlite3"), None)
    )
    try:
        return int(db.rows("SELECT count(*) FROM cases_case")[1][0][0])
    finally:
        db.close()


def errors(result: dict[str, Any]) -> int:
    return int(result.get("errors", 0))


def print_table(kind: str, result: dict[str, Any]) -> None:
    n = result.get("messages_per_channel")
    print(
        f"\n## {kind}: channels ({n} e-mails + {n} WeChat messages, {result.get('clients')} "
        f"clients per channel, gunicorn {result.get('workers')} workers + the task worker)"
    )
    print(
        f"  {'channel':<8}{'req/s':>8}{'lat p50':>9}{'p95':>8}{'errors':>8}"
        f"{'cases':>7}{'delay p50':>11}{'p95':>9}{'max':>9}  (ms)"
    )
    for c in ("email", "wechat"):
        r, s = result.get(c, {}), result.get("stats", {}).get(c, {})
        lat, d = r.get("latency_ms", {}), s.get("delay_ms", {})
        print(
            f"  {c:<8}{r.get('requests_per_s', 0):>8}{lat.get('p50', '-'):>9}{lat.get('p95', '-'):>8}"
            f"{r.get('errors', '-'):>8}{s.get('distinct_cases', '-'):>7}{d.get('p50', '-'):>11}"
            f"{d.get('p95', '-'):>9}{d.get('max', '-'):>9}"
        )
        for sample in r.get("error_samples", [])[:3]:
            print(f"    error: {sample}")
    print(
        f"  {result.get('cases_made')} cases in {result.get('all_cases_seconds')} s from the first "
        f"request = {result.get('cases_per_s')} cases/s (posting took {result.get('post_seconds')}"
        f" s; the worker finished {result.get('wechat_cases_after_posting_s')} s after the last) "
        + ("— exactly 2×N, no duplicates" if result.get("exact") else "— WRONG COUNT or duplicates")
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.channels")
    p.add_argument("what", choices=["setup", "stats"])
    args = p.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuwu.settings")
    import django

    django.setup()
    print(json.dumps(setup_routes() if args.what == "setup" else stats(), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
