"""The live test server keeps its database connections between requests.

Django's test server (pytest-django's `live_server`) answers each request in a new thread and
closes that thread's connections when the request ends, so on PostgreSQL every request opened a
new connection: a server process forked and its catalogue caches filled again, most of the cost
of a short API request (schemathesis's ~2,000 requests spent more time connecting than
answering). Here a fixed set of threads answers the requests, and each keeps its connections
as a gunicorn thread under `make run` does (CONN_MAX_AGE, closed by Django when too old or
broken). Connections are autocommit and idle between requests, so a test's flush is not held
up by them; the run drops its PostgreSQL databases WITH (FORCE) at the end (tests/template_db.py).
"""

import contextlib
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

# More than a browser opens to one host (6) and schemathesis's one at a time: a keep-alive
# connection holds its thread until the client closes it.
THREADS = 32


class ReusingThreadsWSGIServer(ThreadedWSGIServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._answering = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="live-server")
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        self._answering.submit(self.process_request_thread, request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def _close_connections(self) -> None:
        """Keep this thread's connections for its next request."""

    def server_close(self) -> None:
        """Stop listening, end the keep-alive connections clients left open (their threads would
        wait on them and hold the process at exit), then let the threads finish."""
        super().server_close()
        with self._open_lock:
            still_open = list(self._open)
        for request in still_open:
            with contextlib.suppress(OSError):  # the client closed it meanwhile
                request.shutdown(socket.SHUT_RDWR)
        self._answering.shutdown(wait=True, cancel_futures=True)


def install() -> None:
    LiveServerThread.server_class = ReusingThreadsWSGIServer
