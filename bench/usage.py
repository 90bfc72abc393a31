"""Ingest 1,000,000 radacct rows (a month of sessions of 10,000 subscribers, as FreeRADIUS's rlm_sql
writes them) into usage per service per day, with the data caps checked (goal: at least 20,000
rows a second on PostgreSQL), against two bare baselines measured in the same run: COPY of the
same radacct rows into the table (what writing them costs), and reading them back through one
server-side cursor (what the ingest's read costs at the least). Then the ingest run again (it
reads the look-back window again and counts nothing), and an Interim-Update of a tenth of the
sessions in the next ten minutes (marks updated rather than inserted: a pass every few minutes).

The RADIUS database is PostgreSQL whatever Headend's own is: `headend_bench_usage_radius` on the
server of HEADEND_BENCH_RADIUS_DATABASE_URL (default postgres://postgres@127.0.0.1:5432), with
FreeRADIUS's own schema.sql (scripts/ensure-freeradius), dropped and created for the run.
Headend's database is DATABASE_URL's (its *_bench sibling), SQLite if unset."""

import datetime as dt
import io
import time
from zoneinfo import ZoneInfo

from bench import goal, radius_db, size
from bench.profile import profiled
from bench.setup_django import setup
from bench.templates import define_missing

ROWS = size(1_000_000)
SUBSCRIBERS = size(10_000)
RADIUS_DB = "headend_bench_usage_radius"
GOAL = 20_000  # rows a second
COPY_KEY = f"baseline: COPY of the {ROWS:,} radacct rows"
READ_KEY = "baseline: bare read of them, one server-side cursor"
ZONE = ZoneInfo("America/New_York")
MONTH = dt.datetime(2026, 3, 1, tzinfo=ZONE)
COLUMNS = (
    "acctsessionid, acctuniqueid, username, nasipaddress, acctstarttime, acctupdatetime, acctstoptime, "
    "acctsessiontime, acctinputoctets, acctoutputoctets"
)


def _session(n: int) -> tuple[str, ...]:
    """Session n as rlm_sql leaves it: a subscriber's 1 to 5 hour session somewhere in March (a
    few over midnight), most stopped, octets past 4 GB for some (Gigawords added)."""
    hours = 1 + n % 5
    # Each subscriber's sessions spread over the month (one every 30 days / its count), from
    # its own hour of the day.
    per_subscriber = max(ROWS // SUBSCRIBERS, 1)
    offset = (n // SUBSCRIBERS) * (30 * 86_400 // per_subscriber) + (n % SUBSCRIBERS) * 37
    start = MONTH + dt.timedelta(seconds=offset % (30 * 86_400))
    updated = start + dt.timedelta(hours=hours)
    stopped = n % 20 != 0  # one in 20 still open at its last interim update
    return (
        f"{n:08x}",
        f"{n:032x}",
        f"bench-{n % SUBSCRIBERS}",
        "127.0.0.1",
        start.astimezone(dt.UTC).isoformat(),
        updated.astimezone(dt.UTC).isoformat(),
        updated.astimezone(dt.UTC).isoformat() if stopped else "\\N",
        str(hours * 3600),
        str(n * 7_919 % 400_000_000),
        str(n * 104_729 % 6_000_000_000),
    )


def _copy_rows(url: str, table: str, rows: list[tuple[str, ...]]) -> float:
    """Seconds to COPY the rows into `table`, in one transaction."""
    import psycopg

    text = io.StringIO("".join("\t".join(row) + "\n" for row in rows))
    start = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({COLUMNS}) FROM STDIN") as copy:
            while chunk := text.read(1 << 20):
                copy.write(chunk)
        conn.commit()
    return time.perf_counter() - start


def _bare_read(url: str) -> float:
    """Seconds to read the rows the ingest reads, with its query, through one server-side cursor
    of plain psycopg: the least the ingest's read can cost."""
    import psycopg

    from headend.usage.radacct import select_sql

    sql, params = select_sql(since=None, after_id=0)
    start = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor(name="bench") as cursor:
        conn.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        cursor.execute(sql, params)
        while cursor.fetchmany(5_000):
            pass
    return time.perf_counter() - start


def main() -> None:
    vendor = setup()
    from django.db import transaction

    from headend.catalog import services as catalog
    from headend.catalog.models import ProductVersion
    from headend.core import clock
    from headend.crm import services as crm
    from headend.crm.models import Location
    from headend.inventory.models import Service
    from headend.provisioning.models import Subscriber
    from headend.usage import radacct
    from headend.usage.ingest import radacct_ingest
    from headend.usage.models import CapCycle, DailyUsage

    radius_db.create(RADIUS_DB)
    url = radius_db.url(RADIUS_DB)
    at = dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC)
    try:
        with clock.frozen(at):
            product = catalog.product_create(code="bench-capped", name="Bench Capped", kind="internet",
                                             customer_type="any")  # fmt: skip
            define_missing(product)
            version = catalog.version_publish(
                version=catalog.version_create(
                    product=product,
                    effective_from=dt.date(2020, 1, 1),
                    prices={12: ("55.00", "0.00")},
                    download_mbps=300,
                    upload_mbps=100,
                )
            )
            ProductVersion.objects.filter(pk=version.pk).update(data_cap_gb=1_500)
            account = crm.account_create(kind="business", legal_name="Bench Usage LLC")
            location = Location.objects.create(
                account=account, line1="1 Water St", city="Eastport", state="ME", postal_code="04631",
                address_key="1 WATER ST||EASTPORT|ME|04631", created_at=at,
            )  # fmt: skip
            with transaction.atomic():
                services = Service.objects.bulk_create(
                    Service(
                        account=account,
                        location=location,
                        product_version=version,
                        status="active",
                        term_months=12,
                        mrc_amount="55.00",
                        nrc_amount="0.00",
                        currency="USD",
                        created_at=at,
                        status_changed_at=at,
                        activated_at=at,
                    )
                    for _ in range(SUBSCRIBERS)
                )
                Subscriber.objects.bulk_create(
                    Subscriber(
                        service=service, username=f"bench-{n}", plan_group="plan-bench", created_at=at, updated_at=at
                    )
                    for n, service in enumerate(services)
                )
            rows = [_session(n) for n in range(ROWS)]
            results: dict[str, float] = {}
            results[COPY_KEY] = _copy_rows(url, "radacct", rows)
            expected = sum(int(row[8]) + int(row[9]) for row in rows)
            del rows
            radacct.index_create()
            results[READ_KEY] = _bare_read(url)

            start = time.perf_counter()
            with profiled("usage_ingest"):
                first = radacct_ingest(at=at)
            ingest_key = f"ingest {ROWS:,} rows: bytes per service per day, caps"
            results[ingest_key] = time.perf_counter() - start
            counted = sum(DailyUsage.objects.values_list("input_octets", flat=True)) + sum(
                DailyUsage.objects.values_list("output_octets", flat=True)
            )
            start = time.perf_counter()
            again = radacct_ingest(at=at)
            results[f"ingest again ({again.rows_read:,} rows in the look-back, nothing new)"] = (
                time.perf_counter() - start
            )
            # A tenth of the sessions send one more Interim-Update in the next ten minutes: marks
            # updated, not inserted (the steady state of a pass every few minutes).
            import psycopg

            with psycopg.connect(url) as conn:
                conn.execute(
                    "UPDATE radacct SET acctupdatetime = (SELECT max(acctupdatetime) FROM radacct) "
                    "+ make_interval(secs => radacctid % 600), "
                    "acctinputoctets = acctinputoctets + 1000, acctoutputoctets = acctoutputoctets + 4294967296 "
                    "WHERE radacctid % 10 = 0"
                )
            start = time.perf_counter()
            interim = radacct_ingest(at=at)
            interim_key = f"ingest {interim.rows_read:,} interim updates of sessions counted before"
            results[interim_key] = time.perf_counter() - start
            expected += interim.sessions_counted * (1000 + 2**32)
            counted += interim.octets
            days = DailyUsage.objects.count()
            capped = CapCycle.objects.count()
    finally:
        radius_db.drop(RADIUS_DB)

    seconds = results[ingest_key]
    rate = ROWS / seconds
    print(f"\nBenchmark: data usage from radacct (Headend on {vendor}, radacct on postgresql)")
    print(f"rows: {ROWS:,} sessions of {SUBSCRIBERS:,} subscribers -> {days:,} service days, {capped:,} cap cycles")
    for name, value in results.items():
        print(f"  {name:<62} {value:8.3f} s")
    copied, read = results[COPY_KEY], results[READ_KEY]
    print(f"  ratio ingest / COPY baseline: {seconds / copied:.1f}x; ingest / bare read: {seconds / read:.1f}x")
    print(f"  ingest: {rate:,.0f} rows/s ({first.batches} batches); goal >= {GOAL:,}/s: {goal(rate >= GOAL)}")
    print(f"  interim updates: {interim.rows_read / results[interim_key]:,.0f} rows/s")
    exact = "exact" if counted == expected and again.sessions_counted == 0 else "MISMATCH"
    print(f"  bytes counted {counted:,} of {expected:,} in radacct: {exact}; counted again: {again.sessions_counted}")


if __name__ == "__main__":
    main()
