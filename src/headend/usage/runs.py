"""One usage pass, as the worker loop and `manage.py ingest_usage` run it: lift the throttles of
cycles that are over, ingest radacct (ingest.py: bytes per day, caps checked), throttle what the
caps marked, forget the marks of long-stopped sessions.

The worker loop (`relay_outbox --follow`, which `make run` starts) runs it every
settings.HEADEND_USAGE_INGEST_EVERY seconds (default 300; 0: off, run the command from cron).
A pass that finds FreeRADIUS's database unreachable is logged and skipped."""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from headend.core import clock, events
from headend.provisioning.radius_store import RadiusUnavailable
from headend.usage import ingest, throttling

logger = logging.getLogger(__name__)

DEFAULT_EVERY = 300  # seconds between the worker's passes


@dataclass
class RunResult:
    ingest: ingest.IngestResult
    throttled: int = 0
    lifted: int = 0
    pruned: int = 0


def usage_run(
    *,
    at: dt.datetime | None = None,
    batch: int | None = None,
    max_rows: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RunResult:
    """Lift, ingest, throttle, prune (module docstring). Raises RadiusUnavailable."""
    at = at or clock.now()
    lifted = throttling.throttles_lift(at=at, should_stop=should_stop)
    result = ingest.radacct_ingest(at=at, batch=batch, max_rows=max_rows, should_stop=should_stop)
    throttled = throttling.throttles_apply(at=at, should_stop=should_stop)
    return RunResult(ingest=result, throttled=throttled, lifted=lifted, pruned=ingest.marks_prune(at=at))


class UsagePass:
    """The worker loop's usage pass, every HEADEND_USAGE_INGEST_EVERY seconds of the clock, the
    first that long after the loop starts (a worker restarted in a crash loop does not hammer
    FreeRADIUS's database)."""

    def __init__(self) -> None:
        self.next_at: dt.datetime | None = None

    def __call__(self, should_stop: Callable[[], bool]) -> int:
        every = settings.HEADEND_USAGE_INGEST_EVERY
        now = clock.now()
        if every <= 0:
            return 0
        if self.next_at is None:
            self.next_at = now + dt.timedelta(seconds=every)
        if now < self.next_at:
            return 0
        self.next_at = now + dt.timedelta(seconds=every)
        try:
            run = usage_run(at=now, should_stop=should_stop)
        except RadiusUnavailable as exc:
            logger.warning("usage pass skipped: %s", exc)
            return 0
        return run.ingest.batches + run.throttled + run.lifted


usage_pass = events.follow_up(UsagePass())
