import contextlib
import os
import signal
import sys
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from headend.core import events


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
        try:
            events.follow(stop=stop, interval=interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            connections.close_all()
        self.stdout.write("Stopped.")
