"""The database task worker: django-tasks-db's `db_worker`, made to outlive database errors.

The library's worker stops on the first database error it does not expect: SQLite's "database
is locked" when another connection holds the write lock longer than the busy timeout (at BEGIN
EXCLUSIVE, where the library does not catch it), or a PostgreSQL connection that dropped. This
one logs the error, closes the broken connections, waits (doubling up to a minute) and carries
on; a task whose outcome could not be recorded goes back in the queue (tasks are idempotent)."""

import logging
import os
import time
from typing import Any

from django.core.management.base import CommandError
from django.db import Error as DatabaseError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from headend.core import backoff, connections

logger = logging.getLogger("headend.worker")

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0
QUIET = 300.0


class Worker(db_worker.Worker):
    def __init__(self, *, backoff: float = FIRST_BACKOFF, **kwargs: Any):
        super().__init__(**kwargs)
        self.first_backoff = backoff
        self.errors = 0  # database errors in a row: a quiet spell of QUIET seconds starts over
        self.last_error_at = 0.0

    def run(self) -> None:
        while self.running:
            try:
                super().run()
                return  # --batch or --max-tasks reached, or stopped
            except DatabaseError as exc:
                self._wait_after(exc)

    def _wait_after(self, exc: BaseException) -> None:
        now = time.monotonic()
        self.errors = 1 if now - self.last_error_at > QUIET else self.errors + 1
        self.last_error_at = now
        delay = backoff.delay(self.errors, first=self.first_backoff, cap=MAX_BACKOFF)
        logger.warning(
            "The task worker hit a database error (%s: %s); trying again in %.1f s.", type(exc).__name__, exc, delay
        )
        connections.drop_all()
        if self.running:
            time.sleep(delay)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        except DatabaseError as exc:
            # The task ran (or failed) but neither outcome could be written: put it back in the
            # queue once the database answers again, rather than leave it "running" for ever.
            logger.warning(
                "Task %s: its outcome could not be recorded (%s); queueing it again.", db_task_result.id, exc
            )
            self._requeue(db_task_result)

    def _requeue(self, db_task_result: DBTaskResult) -> None:
        while True:
            connections.drop_all()
            try:
                DBTaskResult.objects.filter(pk=db_task_result.pk, status=TaskResultStatus.RUNNING).update(
                    status=TaskResultStatus.READY, started_at=None
                )
                return
            except DatabaseError as exc:
                if not self.running:
                    return
                self._wait_after(exc)


class Command(db_worker.Command):
    help = (
        "Run the background task worker (django-tasks-db's db_worker) so that a database error never "
        "stops it: the error is logged, the connection closed, and the worker tries again after a back-off."
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--error-backoff",
            type=float,
            default=FIRST_BACKOFF,
            help=f"Seconds to wait after a first database error, doubling up to {MAX_BACKOFF:.0f} (default 1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # As db_worker's handle, with this module's Worker.
        self.configure_logging(options["verbosity"])
        reload, batch = options["reload"], options["batch"]
        if reload and batch:
            logger.warning("--reload and --batch cannot be specified together; not reloading.")
            reload = False
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            backoff=options["error_backoff"],
            queue_names=queue_names,
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
