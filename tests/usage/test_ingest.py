"""The ingest of radacct: exact bytes per service per day, interim updates counted once, sessions
over midnight split, 64-bit totals, wrapped counters, again and at once from several workers."""

import contextlib
import datetime as dt
import threading

import pytest
from django.db import connection, connections

from headend.usage import ingest
from headend.usage.ingest import radacct_ingest, tally
from headend.usage.models import IngestCursor, SessionMark
from headend.usage.octets import LocalDays, micros
from tests.factories import make_account, make_live_service
from tests.usage.conftest import NY, RADIUS_DB, daily, local, make_capped_plan, make_subscriber, radacct

pytestmark = [pytest.mark.django_db(**RADIUS_DB), pytest.mark.usefixtures("radius_tables")]


@pytest.fixture
def service():
    return make_live_service(make_account("residential"), make_capped_plan(None))


def test_a_session_is_counted_on_its_day_to_the_byte(service):
    make_subscriber(service, "ada")
    radacct("s1", "ada", start=local("2026-03-01", "10:00"), stop=local("2026-03-01", "12:00"),
            octets_in=1_000, octets_out=5_000)  # fmt: skip

    result = radacct_ingest()

    assert daily(service) == {"2026-03-01": (1_000, 5_000)}
    assert (result.rows_read, result.sessions_counted, result.octets, result.unmatched) == (1, 1, 6_000, 0)


def test_ingesting_again_changes_nothing(service):
    make_subscriber(service, "ada")
    radacct("s1", "ada", start=local("2026-03-01", "23:00"), stop=local("2026-03-02", "01:00"),
            octets_in=1_001, octets_out=7)  # fmt: skip
    radacct_ingest()
    before = (daily(service), list(SessionMark.objects.values()), IngestCursor.objects.get().updated_until)

    again = radacct_ingest()

    assert (daily(service), list(SessionMark.objects.values()), IngestCursor.objects.get().updated_until) == before
    assert (again.rows_read, again.sessions_counted, again.days_written) == (1, 0, 0)  # read again, counted once


def test_interim_updates_add_only_what_is_new(service):
    make_subscriber(service, "ada")
    start = local("2026-03-01", "10:00")
    for updated, octets_in, octets_out, stop in [
        (start, 0, 0, None),  # Start
        (local("2026-03-01", "11:00"), 1_000, 4_000, None),  # Interim-Update
        (local("2026-03-01", "12:00"), 3_000, 9_000, None),  # Interim-Update
        (local("2026-03-01", "12:30"), 3_500, 10_000, local("2026-03-01", "12:30")),  # Stop
    ]:
        radacct("s1", "ada", start=start, updated=updated, stop=stop, octets_in=octets_in, octets_out=octets_out)
        radacct_ingest()

    assert daily(service) == {"2026-03-01": (3_500, 10_000)}
    mark = SessionMark.objects.get()
    assert (mark.input_octets, mark.output_octets, mark.stopped, mark.service_id) == (3_500, 10_000, True, service.pk)


def test_a_session_over_midnight_is_split_by_the_time_between_updates(service):
    make_subscriber(service, "ada")
    start = local("2026-03-01", "23:00")
    radacct("s1", "ada", start=start, updated=local("2026-03-01", "23:30"), octets_in=300, octets_out=3_000)
    radacct_ingest()  # 23:00 to 23:30: all on the 1st

    radacct("s1", "ada", start=start, updated=local("2026-03-02", "01:00"), stop=local("2026-03-02", "01:00"),
            octets_in=1_200, octets_out=12_000)  # fmt: skip
    radacct_ingest()  # 900 and 9,000 more from 23:30 to 01:00: a third on the 1st, two thirds on the 2nd

    assert daily(service) == {"2026-03-01": (600, 6_000), "2026-03-02": (600, 6_000)}


def test_totals_past_4_gb_are_64_bit(service):
    make_subscriber(service, "ada")
    big_in, big_out = 5 * 2**32 + 7, 2 * 2**32 + 500_000_000  # what rlm_sql writes from Gigawords + Octets
    radacct("s1", "ada", start=local("2026-03-01", "08:00"), updated=local("2026-03-01", "20:00"),
            octets_in=big_in, octets_out=big_out)  # fmt: skip

    radacct_ingest()

    assert daily(service) == {"2026-03-01": (big_in, big_out)}


def test_a_32_bit_counter_that_wrapped_counts_what_it_moved(service):
    make_subscriber(service, "ada")
    start = local("2026-03-01", "08:00")
    radacct("s1", "ada", start=start, updated=local("2026-03-01", "09:00"), octets_in=4_294_000_000)
    radacct_ingest()

    radacct("s1", "ada", start=start, updated=local("2026-03-01", "10:00"), octets_in=1_000_000)  # wrapped
    radacct_ingest()

    assert daily(service) == {"2026-03-01": (4_294_000_000 + 1_967_296, 0)}


def test_a_username_no_subscriber_holds_is_reported_not_counted(service):
    radacct("s1", "stranger", start=local("2026-03-01", "08:00"), updated=local("2026-03-01", "09:00"),
            octets_in=10, octets_out=20)  # fmt: skip

    result = radacct_ingest()

    assert (result.unmatched, result.sessions_counted) == (1, 0)
    assert daily(service) == {}


def test_a_username_moves_to_the_service_now_holding_it(service):
    old = make_live_service(make_account("residential"), make_capped_plan(None))
    make_subscriber(old, "mac-00aa", state="removed")
    make_subscriber(service, "mac-00aa")
    radacct("s1", "mac-00aa", start=local("2026-03-01", "08:00"), updated=local("2026-03-01", "09:00"),
            octets_in=10, octets_out=20)  # fmt: skip

    radacct_ingest()

    assert (daily(service), daily(old)) == ({"2026-03-01": (10, 20)}, {})


def test_the_cursor_reads_only_what_changed_since_with_a_look_back(service, settings):
    settings.HEADEND_USAGE_LOOKBACK_MINUTES = 30
    make_subscriber(service, "ada")
    radacct("s1", "ada", start=local("2026-03-01", "08:00"), updated=local("2026-03-01", "09:00"), octets_in=10)
    radacct("s2", "ada", start=local("2026-03-01", "08:00"), updated=local("2026-03-01", "12:00"), octets_in=20)
    radacct_ingest()
    # A late update whose Event-Timestamp is 10 minutes before the cursor: within the look-back.
    radacct("s3", "ada", start=local("2026-03-01", "11:00"), updated=local("2026-03-01", "11:50"), octets_in=40)

    again = radacct_ingest()

    assert again.rows_read == 2  # s3, and s2 read again (nothing new); s1 is before the look-back
    assert daily(service) == {"2026-03-01": (70, 0)}
    assert IngestCursor.objects.get().updated_until == local("2026-03-01", "12:00")


def test_an_older_reading_than_the_mark_adds_nothing():
    mark = (7, 500, 900, micros(local("2026-03-01", "12:00")), False)
    older = (1, "ada", micros(local("2026-03-01", "10:00")), micros(local("2026-03-01", "11:00")), False, 300, 400)

    counted = tally([older], {1: mark}, {"ada": 7}, LocalDays(NY))

    assert (counted.marks, counted.days) == ([], {})


def test_a_batch_costs_the_same_statements_for_10_and_100_sessions(django_assert_max_num_queries):
    plan = make_capped_plan(50, "notify")
    services = [make_live_service(make_account("residential"), plan) for _ in range(3)]
    for n, service in enumerate(services):
        make_subscriber(service, f"user-{n}")
    radacct_ingest()  # the cursor's row, made once
    # A constant number whatever the rows: on PostgreSQL each upsert is 3 statements (a temporary
    # table, INSERT ... SELECT, TRUNCATE) beside its COPY, which is not counted.
    budget = 19 if connection.vendor == "postgresql" else 15

    for count in (10, 100):
        for n in range(count):
            radacct(f"{count}-{n}", f"user-{n % 3}", start=local("2026-03-01", "23:00"),
                    updated=local("2026-03-02", "01:00"), octets_in=1_000 + n, octets_out=10)  # fmt: skip
        with django_assert_max_num_queries(budget):
            result = radacct_ingest()
        assert result.sessions_counted == count


@pytest.mark.django_db(transaction=True, **RADIUS_DB)
def test_ingests_run_at_once_count_each_byte_once(service):
    make_subscriber(service, "ada")
    for n in range(40):
        radacct(f"s{n}", "ada", start=local("2026-03-01", "23:00"), updated=local("2026-03-02", "01:00"),
                octets_in=1_000, octets_out=3)  # fmt: skip
    start = threading.Barrier(4)
    one_writer = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()
    outcomes: list = []

    def run() -> None:
        try:
            start.wait(10)
            with one_writer:
                outcomes.append(radacct_ingest(batch=3))
        except Exception as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()  # this thread's: Headend's and FreeRADIUS's

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert all(isinstance(outcome, ingest.IngestResult) for outcome in outcomes), outcomes
    assert sum(outcome.sessions_counted for outcome in outcomes) == 40
    assert daily(service) == {"2026-03-01": (20_000, 40), "2026-03-02": (20_000, 80)}  # 3 bytes: 1 + 2


def test_marks_of_sessions_stopped_long_ago_are_forgotten(service):
    make_subscriber(service, "ada")
    radacct("old", "ada", start=local("2026-02-01", "08:00"), stop=local("2026-02-01", "09:00"), octets_in=1)
    radacct("new", "ada", start=local("2026-03-01", "08:00"), stop=local("2026-03-01", "09:00"), octets_in=1)
    radacct_ingest()

    assert ingest.marks_prune() == 1

    assert [mark.seen_until_us for mark in SessionMark.objects.all()] == [micros(local("2026-03-01", "09:00"))]
    assert dt.date(2026, 2, 1).isoformat() in daily(service)
