from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django.utils import timezone

from fuwu.campaigns.actions import run_due
from fuwu.cases.idempotency import purge_expired
from fuwu.channels.email.imap import poll_mailboxes
from fuwu.channels.outbound import retry_due as retry_notices
from fuwu.channels.webhooks.sending import queue_due as retry_webhooks
from fuwu.registers.reminders import remind_due
from fuwu.reports.alerts import alert_rising_complaints
from fuwu.reports.fold import catch_up as fold_reports
from fuwu.reports.subscriptions import send_due as send_subscribed_reports
from fuwu.scheduling.booking import mark_no_shows
from fuwu.scheduling.job_time import watch_late_risks
from fuwu.scheduling.promises import carry_over_unfinished
from fuwu.scheduling.reminders import remind_due as remind_appointments
from fuwu.sla.escalation import sweep
from fuwu.sla.heartbeat import beat
from fuwu.sla.worker import Outage, ResilientWorker, keep_going, supervise

log = logging.getLogger("fuwu.worker")


class Command(BaseCommand):
    help = "Run a background worker: queued tasks (notifications, clock checks) and the periodic clock sweep."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=0.5, help="seconds between polls when idle"
        )
        parser.add_argument("--sweep-interval", type=float, default=settings.FUWU_SWEEP_INTERVAL)
        parser.add_argument("--batch", action="store_true", help="run what is due now, then exit")
        parser.add_argument("--worker-id", default=None, help="default: host:pid")
        parser.add_argument(
            "--supervise",
            action="store_true",
            help="run the worker as a child process and restart it whenever it exits",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["supervise"]:
            argv = ["--interval", str(options["interval"])]
            argv += ["--sweep-interval", str(options["sweep_interval"])]
            if options["worker_id"]:
                argv += ["--worker-id", options["worker_id"]]
            sys.exit(supervise(argv))
        worker_id = (options["worker_id"] or f"{socket.gethostname()}:{os.getpid()}")[:64]
        if options["batch"]:
            sweep(worker=worker_id)
            run_due()
            remind_due()
            remind_appointments()
            mark_no_shows()
            watch_late_risks()
            carry_over_unfinished()
            fold_reports()
            alert_rising_complaints()
            send_subscribed_reports()
            retry_webhooks()
            retry_notices()
            poll_mailboxes()
        else:
            threading.Thread(
                target=self._sweeper,
                args=(options["sweep_interval"], worker_id),
                daemon=True,
                name="fuwu-sweep",
            ).start()
            self.stdout.write(
                f"Fuwu worker {worker_id} started (sweep every {options['sweep_interval']} s)."
            )
        worker = ResilientWorker(
            queue_names=["*"],
            interval=options["interval"],
            batch=options["batch"],
            backend_name="default",
            startup_delay=not options["batch"],
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()

    @staticmethod
    def _sweeper(interval: float, worker_id: str) -> None:
        """Check in (the heartbeat), then catch clock checks a deferred task missed (a worker
        killed while running it, a lost row), open due schedules, send register reminders and
        forget expired idempotency keys.
        A database outage is waited out like the task loop's (`fuwu.sla.worker`)."""
        started_at = timezone.now()
        outage = Outage(f"sweeper {worker_id}", cap=max(interval, 1.0) * 4)

        def once() -> None:
            close_old_connections()
            beat(worker_id, started_at)
            sweep(worker=worker_id)
            run_due()  # recurring schedules open their cases
            remind_due()  # permits about to expire, keys not back
            remind_appointments()  # the day before an appointment, once
            mark_no_shows()  # appointments 30 minutes past with no customer
            watch_late_risks()  # repair jobs that may miss their promise: tell the advisor
            carry_over_unfinished()  # cars not delivered on their promised day (滞留车)
            purge_expired()  # idempotency keys older than 24 hours
            fold_reports()  # the reporting model, a sweep interval behind the events
            alert_rising_complaints()  # complaints up month after month: tell the top, once
            send_subscribed_reports()  # last period's subscribed reports, by e-mail
            retry_webhooks()  # webhook deliveries whose next attempt is due
            retry_notices()  # customer notices whose retry is due (a provider was down)
            poll_mailboxes()  # new mail in the IMAP mailboxes (FUWU_IMAP_*)

        while True:
            try:
                keep_going(once, outage)
            except Exception:
                log.exception("clock sweep failed")
            finally:
                connection.close()
            time.sleep(interval)
