import datetime as dt

import pytest

from headend.core import clock, events
from headend.core.models import OutboxEvent
from tests.radius_fixtures import fast_coa, freeradius, nas, nas_standin, radius_schema, radius_tables  # noqa: F401

FROZEN_AT = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # Mon 2 March 2026, 10:00 in Maine


@pytest.fixture(autouse=True)
def frozen_clock(request):
    """Freeze the domain clock, except for browser tests that run a live server."""
    if request.node.get_closest_marker("browser"):
        yield None
        return
    with clock.frozen(FROZEN_AT) as at:
        yield at


@pytest.fixture
def run_worker(django_capture_on_commit_callbacks):
    """What the worker does after a commit: relay the outbox and run the tasks it queues."""

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            published = events.relay()
        return published

    return run


def outbox_names(*, subject=None, name_prefix: str = "") -> list[str]:
    events_qs = OutboxEvent.objects.order_by("id")
    if subject is not None:
        events_qs = events_qs.filter(subject_type=subject._meta.label_lower, subject_id=str(subject.pk))
    if name_prefix:
        events_qs = events_qs.filter(name__startswith=name_prefix)
    return list(events_qs.values_list("name", flat=True))


@pytest.fixture(scope="session", autouse=True)
def required_database(django_db_setup, django_db_blocker):
    """In CI, HEADEND_REQUIRE_DB names the database the run must be on: never a silent fallback."""
    import os

    from django.db import connection

    wanted = os.environ.get("HEADEND_REQUIRE_DB")
    if wanted and connection.vendor != wanted:
        pytest.exit(f"Tests must run on {wanted}, but the database is {connection.vendor}.", returncode=1)
