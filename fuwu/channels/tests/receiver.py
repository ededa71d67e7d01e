"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1 in a thread of the test
process that records every request and answers as told (200, 500, or not at all)."""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    url: str
    answer: int = 200  # 0: hang until released (the worker's timeout decides)
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


@contextmanager
def serving(context: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 (over TLS with `context`), stopped on leaving."""
    state: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            me = state[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            me.requests.append(Received(self.path, dict(self.headers.items()), body))
            if me.answer == 0:
                me.release.wait(5)
                return
            self.send_response(me.answer)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if me.answer < 300 else b"receiver broke: " + b"x" * 2000)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    scheme = "http"
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    state.append(Receiver(url=f"{scheme}://127.0.0.1:{server.server_port}/hooks/fuwu?x=1"))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state[0]
    finally:
        state[0].release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(name="receiver")
def receiver_fixture(settings: Any) -> Iterator[Receiver]:
    settings.FUWU_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    settings.FUWU_WEBHOOK_TIMEOUT = 0.3
    with serving() as receiver:
        yield receiver


def self_signed(directory: Path) -> Path:
    """A certificate and key for 127.0.0.1 (one PEM file), made with the openssl command."""
    pem = directory / "receiver.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(pem), "-out", str(pem),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return pem


def run_deliveries() -> int:
    """What the worker does with the queued webhook tasks: run each once."""
    from fuwu.channels.webhooks.tasks import deliver

    ran = 0
    due = DBTaskResult.objects.filter(
        task_path__endswith="webhooks.tasks.deliver",
        status=TaskResultStatus.READY,
    ).order_by("enqueued_at")
    for task in list(due):
        deliver.call(*task.args_kwargs["args"], **task.args_kwargs["kwargs"])
        DBTaskResult.objects.filter(pk=task.pk).update(status=TaskResultStatus.SUCCESSFUL)
        ran += 1
    return ran
