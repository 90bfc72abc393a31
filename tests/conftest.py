import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.test import TestCase
from hypothesis import HealthCheck, settings

from headend.core import clock, events
from headend.core.models import OutboxEvent
from tests.fast_flush import install as flush_by_deleting
from tests.live_server import install as keep_live_server_connections
from tests.radius_fixtures import fast_coa, freeradius, nas, nas_standin, radius_schema, radius_tables  # noqa: F401

keep_live_server_connections()
flush_by_deleting()
# The property tests judge what is generated, never how fast: Hypothesis's timing checks (its
# deadline and the slow-generation health check) failed a clean-clone run on a loaded machine.
settings.register_profile("headend", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("headend")

FROZEN_AT = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # Mon 2 March 2026, 10:00 in Maine

# The tests that take minutes, not seconds (`--durations`), longest first: each starts a worker's
# share of the run, so that none of them starts last and leaves the other workers idle at the end.
LONG_FIRST = (
    "tests/api/test_schemathesis.py::test_no_api_operation_answers_a_server_error",
    "tests/e2e/test_default_install.py::test_default_install_serves_through_a_held_write_lock_a_long_pdf",
    "tests/test_migrations.py::test_replaying_the_migrations_gives_what_migrate_makes_of_a_new_database",
    "tests/e2e/test_csp_browser.py::test_every_staff_page_and_the_admin_work_under_the_policy",
)


@pytest.hookimpl(trylast=True)  # after -k and -m deselect: the shares are of what runs
def pytest_collection_modifyitems(config, items):
    ranks = {
        item: next((rank for rank, test in enumerate(LONG_FIRST) if item.nodeid.startswith(test)), None)
        for item in items
    }
    long = sorted((item for item in items if ranks[item] is not None), key=ranks.__getitem__)
    rest = [item for item in items if ranks[item] is None]
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    items[:] = heads_of_shares(long, rest, workers)


def heads_of_shares(long: list, rest: list, workers: int) -> list:
    """`long` and `rest` in one list whose each worker's share begins with its part of `long`
    (dealt back and forth: the first and the last to one share), the rest keeping their order.
    xdist's worksteal hands the workers contiguous shares of the collection: the first
    `n // workers` items, then a `// (workers - 1)` of what is left, and so on; a worker that
    runs out steals from the end of another's share."""
    sizes, left = [], len(long) + len(rest)
    for share in range(workers):
        sizes.append(left // (workers - share))
        left -= sizes[-1]
    heads: list[list] = [[] for _ in range(workers)]
    for n, test in enumerate(long):
        turn, share = divmod(n, workers)
        heads[share if turn % 2 == 0 else workers - 1 - share].append(test)
    if any(len(head) > size for head, size in zip(heads, sizes, strict=True)):
        return long + rest  # a run of a few tests: the long ones first
    ordered, following = [], iter(rest)
    for head, size in zip(heads, sizes, strict=True):
        ordered += head + [next(following) for _ in range(size - len(head))]
    return ordered


@pytest.fixture(autouse=True)
def frozen_clock(request):
    """Freeze the domain clock, except for browser tests that run a live server."""
    if request.node.get_closest_marker("browser"):
        yield None
        return
    with clock.frozen(FROZEN_AT) as at:
        yield at


def relay_and_run_tasks() -> int:
    """What the worker does after a commit: relay the outbox and run the tasks it queues (the
    tasks are on-commit callbacks, run here without a commit). The events published."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return events.relay()


@pytest.fixture
def run_worker():
    """`relay_and_run_tasks`, for a test to call after what it commits."""
    return relay_and_run_tasks


def outbox_names(*, subject=None, name_prefix: str = "") -> list[str]:
    events_qs = OutboxEvent.objects.order_by("id")
    if subject is not None:
        events_qs = events_qs.filter(subject_type=subject._meta.label_lower, subject_id=str(subject.pk))
    if name_prefix:
        events_qs = events_qs.filter(name__startswith=name_prefix)
    return list(events_qs.values_list("name", flat=True))


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, django_db_modify_db_settings):
    """pytest-django's set-up, except that the default database is a copy of a template built
    once for the whole run, not migrated again by every worker, and the RADIUS one is created
    empty (tests/template_db.py)."""
    from django.db import connections

    from tests import template_db

    with django_db_blocker.unblock():
        created = [(*template_db.create("default"), True)]
        for alias in connections:
            if alias != "default":
                created.append((*template_db.create_empty(alias), True))
    yield
    with django_db_blocker.unblock():
        template_db.destroy(created)


@pytest.fixture(scope="session", autouse=True)
def required_database(django_db_setup, django_db_blocker):
    """In CI, HEADEND_REQUIRE_DB names the database the run must be on: never a silent fallback."""
    import os

    from django.db import connection

    wanted = os.environ.get("HEADEND_REQUIRE_DB")
    if wanted and connection.vendor != wanted:
        pytest.exit(f"Tests must run on {wanted}, but the database is {connection.vendor}.", returncode=1)


# The browser: one Debian Chromium per test process, for every directory's browser tests. ----------

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser); missing = failure."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Browser tests need Debian's chromium at /usr/bin/chromium (make test installs it).")
    # Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
    # around it are ordinary blocking calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# Chromium's words for what a Content-Security-Policy blocked, and ours (REPORT_VIOLATIONS).
CSP_VIOLATION = re.compile(r"Refused to|Content Security Policy|CSP violation")
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"} `
    + `at ${event.sourceFile}:${event.lineNumber} ${event.sample}`);
});
"""


@pytest.fixture
def page(browser):
    """A fresh browser tab. The test fails if any page it opened broke the Content-Security-Policy
    (an inline script or style, a source from elsewhere): the policy is enforced, so that is a
    feature that silently does not work."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and CSP_VIOLATION.search(message.text):
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    yield page
    context.close()
    assert violations == [], "The Content-Security-Policy blocked:\n" + "\n".join(violations)
