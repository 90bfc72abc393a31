"""`manage.py ingest_usage`, the cron's way to run a usage pass (bad options name themselves),
and the worker loop's pass."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from headend.core import clock
from headend.usage import runs
from headend.usage.models import DailyUsage, IngestCursor
from tests.factories import make_account, make_live_service
from tests.usage.conftest import RADIUS_DB, daily, local, make_capped_plan, make_subscriber, radacct

pytestmark = [pytest.mark.django_db(**RADIUS_DB), pytest.mark.usefixtures("radius_tables")]


def test_the_command_ingests_and_says_how_much():
    service = make_live_service(make_account("residential"), make_capped_plan(None))
    make_subscriber(service, "ada")
    radacct("s1", "ada", start=local("2026-03-01", "10:00"), stop=local("2026-03-01", "11:00"), octets_in=5)
    out = io.StringIO()

    call_command("ingest_usage", "--create-index", "--batch", "100", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "Index headend_radacct_updated on radacct: added."
    assert lines[-1] == "1 radacct rows read"
    assert daily(service) == {"2026-03-01": (5, 0)}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--batch", "0"], "--batch: Enter a whole number from 1 to 1,000,000."),
        (["--batch", "lots"], "--batch: Enter a whole number, in digits 0-9."),
        (["--max-rows", "-5"], "--max-rows: Enter a whole number from 1 to 2,147,483,647."),
    ],
)
def test_a_bad_option_is_named_and_nothing_is_read(options, message):
    with pytest.raises(CommandError) as error:
        call_command("ingest_usage", *options, stdout=io.StringIO())

    assert str(error.value).startswith(message)
    assert not IngestCursor.objects.exists()
    assert not DailyUsage.objects.exists()


def test_the_worker_loops_pass_waits_its_interval_then_ingests(settings):
    settings.HEADEND_USAGE_INGEST_EVERY = 300
    service = make_live_service(make_account("residential"), make_capped_plan(None))
    make_subscriber(service, "ada")
    radacct("s1", "ada", start=local("2026-03-01", "10:00"), stop=local("2026-03-01", "11:00"), octets_in=5)
    usage_pass = runs.UsagePass()

    first = usage_pass(lambda: False)  # the loop has just started
    with clock.frozen(clock.now() + dt.timedelta(seconds=299)):
        early = usage_pass(lambda: False)
    with clock.frozen(clock.now() + dt.timedelta(seconds=300)):
        due = usage_pass(lambda: False)

    assert (first, early, due) == (0, 0, 1)
    assert daily(service) == {"2026-03-01": (5, 0)}
