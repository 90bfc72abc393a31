"""A webhook listener for the tests: a real HTTP server on 127.0.0.1 (or another loopback
address) in a thread.

It checks each POST's signature the way a customer's receiver would (HMAC-SHA256 by hand, not
through Headend's code), applies each eventId once (a second POST of the same event is
answered 200 and changes nothing) and records everything it saw."""

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def envelope(self) -> Any:
        return json.loads(self.body)

    @property
    def event_id(self) -> str:
        return self.envelope["eventId"]


def signature_valid(secret: str, header: str, body: bytes) -> bool:
    """`t=<unix>,v1=<hex>`: HMAC-SHA256 over "<t>.<body>", as docs/api.md describes it."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


class Receiver:
    def __init__(self, secret: str | None = None, *, host: str = "127.0.0.1", port: int = 0):
        self.secret = secret
        self.received: list[Received] = []
        self.applied: list[Any] = []  # envelopes, in the order they were applied
        self.statuses: deque[int] = deque()  # answers to give next (then 201)
        self.delay = 0.0  # seconds to wait before answering
        self.hold_first = False  # keep the first POST unanswered until `release` is set
        self.got_first = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver._take(Received(self.path, dict(self.headers.items()), body))
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the worker was killed while we held its request

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.server.server_address[0]}:{self.port}"

    def _take(self, received: Received) -> int:
        with self._lock:
            first = not self.received
            self.received.append(received)
            if self.secret is not None and not signature_valid(
                self.secret, received.headers.get("X-Headend-Signature", ""), received.body
            ):
                return 401
            status = self.statuses.popleft() if self.statuses else 201
            if 200 <= status < 300:
                if received.event_id in {envelope["eventId"] for envelope in self.applied}:
                    status = 200  # seen before: nothing to do
                else:
                    self.applied.append(received.envelope)
        if first and self.hold_first:
            self.got_first.set()
            self.release.wait(60)
        if self.delay:
            time.sleep(self.delay)
        return status

    def event_ids(self) -> list[str]:
        with self._lock:
            return [item.event_id for item in self.received]

    def applied_ids(self) -> list[str]:
        with self._lock:
            return [envelope["eventId"] for envelope in self.applied]

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def wait_until(check: Callable[[], Any], *, timeout: float = 30, what: str = "the condition") -> Any:
    """Poll `check` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Gave up after {timeout} s waiting for {what}.")
        time.sleep(0.05)
