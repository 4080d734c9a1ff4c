"""Send every due message that no queued task will send.

The backstop of the task worker: after the task table was pruned, when a
task could not be enqueued (the backend was down), or when a worker died
mid-send. Run it from cron every few minutes, or with ``--every`` as a
process of its own. Messages still queued for the worker are left to it.
Safe to run beside workers and as often as wanted: each message is
claimed by one sender only (messaging.sending).
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from messaging.sending import sweep


class Command(BaseCommand):
    help = "Send due messages that no queued task will send (idempotent)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            metavar="SECONDS",
            help="Keep running, sweeping every SECONDS (default: sweep once and exit).",
        )

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            counts = sweep()
            if counts or options["verbosity"] > 1:
                summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
                self.stdout.write(f"Due messages: {summary or 'none'}")
            if every <= 0:
                return
            time.sleep(every)
