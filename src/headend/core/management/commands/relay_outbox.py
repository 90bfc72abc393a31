import contextlib
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connections

from headend.core import events

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Publish every outbox event still waiting (the worker does this after each commit). "
        "With --follow, keep running: relay the outbox and send webhook deliveries about once a "
        "second until SIGTERM or SIGINT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--follow", action="store_true", help="Run until stopped, relaying and sending deliveries.")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds to wait when there is nothing to do (default 1)."
        )

    def handle(self, *args: Any, follow: bool = False, interval: float = 1.0, **options: Any) -> None:
        if not follow:
            self.stdout.write(f"Published {events.relay(limit=1_000_000)} events.")
            return
        self._follow(interval)

    def _follow(self, interval: float) -> None:
        stop = threading.Event()

        def request_stop(signum: int, frame: Any) -> None:
            stop.set()  # the turn under way finishes (a webhook POST is bounded by its timeout)
            with contextlib.suppress(OSError, ValueError):  # unbuffered: safe inside a handler
                name = signal.Signals(signum).name
                os.write(sys.stdout.fileno(), f"{name}: stopping after the turn under way.\n".encode())

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write("Relaying the outbox and sending webhooks (SIGTERM or Ctrl-C stops).")
        self.stdout.flush()
        retry_at = 0.0  # events whose handler failed are retried on the back-off schedule
        try:
            while not stop.is_set():
                close_old_connections()  # a database restart or CONN_MAX_AGE must not stop the loop
                done = 0
                try:
                    retry = time.monotonic() >= retry_at
                    done = events.work(retry_failed=retry, should_stop=stop.is_set)
                    if retry:
                        delay = events.retry_delay()
                        retry_at = time.monotonic() + (delay.total_seconds() if delay else interval)
                except Exception:
                    logger.exception("The outbox worker's turn failed; trying again.")
                if not done:
                    stop.wait(interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            connections.close_all()
        self.stdout.write("Stopped.")
