"""Voice rating (issue 20): import and rate 1,000,000 Asterisk CDRs (a tenth in a small run) from
one Master.csv against a rate deck of about a thousand prefixes, for 2,000 voice lines of which
half have included minutes, against a bare baseline in the same run: the same CallRecord rows,
already built, inserted by the same set-wise insert (COPY on PostgreSQL, executemany on SQLite),
no reading, matching or rating. Then the same calls again in a new file: all duplicates, nothing
written.

The voice lines are written straight into the tables in bulk (accounts, locations, services with
their numbers, billing accounts, subscriptions): what a turn-up leaves behind."""

import datetime as dt
import random
import time

from bench import goal, size
from bench.profile import profiled
from bench.setup_django import setup

GOAL_PER_SECOND = 20_000
CALLS = size(1_000_000)
LINES = 2000
TOLL_FREE = {"800", "833", "844", "855", "866", "877", "888"}
AREAS = [
    str(code) for code in range(201, 990) if code % 100 != 11 and str(code)[1] != "9" and str(code) not in TOLL_FREE
]
COUNTRIES = ["44", "33", "49", "34", "39", "31", "32", "41", "43", "45", "46", "47", "48", "351", "353", "354",
             "52", "55", "54", "56", "57", "58", "61", "64", "81", "82", "86", "852", "886", "91", "92", "63",
             "66", "84", "60", "65", "62", "27", "234", "254", "20", "212", "90", "30", "36", "420", "421", "40",
             "380", "7"]  # fmt: skip


def deck_text() -> str:
    """US and Canada by area code (Maine's own cheaper), about fifty countries, their mobiles with
    a weekday peak band; toll free at nothing."""
    lines = [
        "prefix,description,rate_per_minute,minimum_seconds,increment_seconds,effective_from,band,in_bundle",
        "1,United States and Canada,0.0200,60,6,2026-01-01,,yes",
        "1800,Toll free,0,0,1,2026-01-01,,no",
    ]
    for area in AREAS:
        rate = "0.0100" if area == "207" else f"0.0{150 + int(area) % 50}"
        lines.append(f"1{area},Area {area},{rate},60,6,2026-01-01,,yes")
    for n, country in enumerate(COUNTRIES):
        lines.append(f"{country},Country {country},0.{40 + n:03d},30,6,2026-01-01,,no")
        lines.append(f"{country}7,Country {country} mobile,0.{200 + n:03d},60,6,2026-01-01,mon-fri 08:00-19:00,no")
        lines.append(f"{country}7,Country {country} mobile,0.{120 + n:03d},60,6,2026-01-01,,no")
    return "\n".join(lines) + "\n"


def master_csv(count: int, numbers: list[str], *, seed: int = 20) -> bytes:
    """`count` Master.csv lines over March 2026: 70% to US and Canada, 20% international, 5% not
    answered, 2% to numbers no rate prices, 3% from numbers no service has."""
    pick = random.Random(seed)
    start = dt.datetime(2026, 3, 1)
    out = []
    for n in range(count):
        roll = pick.random()
        src = numbers[n % len(numbers)] if roll < 0.97 else f"207999{n % 10000:04d}"
        kind = pick.random()
        if kind < 0.70:
            dst = f"1{AREAS[n % len(AREAS)]}555{n % 10000:04d}"
        elif kind < 0.90:
            dst = f"011{COUNTRIES[n % len(COUNTRIES)]}{'7' if n % 3 == 0 else '2'}0079{n % 100000:05d}"
        elif kind < 0.98:
            dst = f"1800555{n % 10000:04d}" if n % 2 else f"1207555{n % 10000:04d}"
        else:
            dst = f"999{n % 100000:05d}"
        answered = pick.random() > 0.05
        billsec = pick.randrange(1, 1800) if answered else 0
        begin = start + dt.timedelta(seconds=n * (31 * 86400 // max(count, 1)))
        answer = (begin + dt.timedelta(seconds=4)).isoformat(" ") if answered else ""
        end = (begin + dt.timedelta(seconds=4 + billsec)).isoformat(" ")
        disposition = "ANSWERED" if answered else "NO ANSWER"
        out.append(
            f'"","{src}","{dst}","from-internal","""Line"" <{src}>","SIP/{src}-0001","SIP/trunk-0002","Dial",'
            f'"SIP/trunk/{dst},60","{begin.isoformat(" ")}","{answer}","{end}",{billsec + 4},{billsec},'
            f'"{disposition}","DOCUMENTATION","1772400000.{seed}.{n}",""'
        )
    return ("\n".join(out) + "\n").encode()


def voice_lines(count: int) -> list[str]:
    """`count` voice services in bulk, with their numbers; return the numbers."""
    from decimal import Decimal

    from django.db import transaction

    from bench.templates import define_missing
    from headend.billing.models import BillingAccount, Subscription
    from headend.catalog import services as catalog
    from headend.crm.models import Account, Location
    from headend.inventory.models import Service

    turned_up = dt.datetime(2026, 2, 1, 15, tzinfo=dt.UTC)
    versions = []
    for code, minutes in (("bench-rating-voice-100", 100), ("bench-rating-voice", None)):
        product = catalog.product_create(code=code, name=code, kind="voice", customer_type="any")
        define_missing(product)
        versions.append(
            catalog.version_publish(
                version=catalog.version_create(
                    product=product, effective_from=dt.date(2020, 1, 1), prices={12: ("20.00", "0.00")},
                    voice_included_minutes=minutes,
                )
            )
        )  # fmt: skip
    numbers = [f"207555{n:04d}" for n in range(count)]
    with transaction.atomic():
        accounts = Account.objects.bulk_create(
            Account(kind="residential", status="active", name=f"Caller {n}", first_name="Caller", last_name=str(n),
                    email=f"c{n}@example.com", created_at=turned_up)
            for n in range(count)
        )  # fmt: skip
        locations = Location.objects.bulk_create(
            Location(account=account, line1=f"{n} Water St", city="Eastport", state="ME", postal_code="04631",
                     address_key=f"{n} water st eastport me 04631", created_at=turned_up)
            for n, account in enumerate(accounts)
        )  # fmt: skip
        services = Service.objects.bulk_create(
            Service(account=account, location=location, product_version=versions[n % 2], status="active",
                    term_months=12, mrc_amount=Decimal("20.00"), nrc_amount=Decimal("0.00"), currency="USD",
                    identifiers={"phone_number": f"+1{numbers[n]}"}, created_at=turned_up, activated_at=turned_up,
                    billable_from=turned_up, current_since=turned_up, status_changed_at=turned_up)
            for n, (account, location) in enumerate(zip(accounts, locations, strict=True))
        )  # fmt: skip
        payers = BillingAccount.objects.bulk_create(
            BillingAccount(account=account, name=account.name, is_default=True, currency="USD", created_at=turned_up)
            for account in accounts
        )
        Subscription.objects.bulk_create(
            Subscription(service=service, billing_account=payer, billable_from=turned_up.date(), created_at=turned_up)
            for service, payer in zip(services, payers, strict=True)
        )
    return numbers


def empty(vendor: str) -> None:
    """Empty the calls table (TRUNCATE on PostgreSQL: no dead rows left behind)."""
    from django.db import connection

    from headend.billing.models import CallRecord

    table = connection.ops.quote_name(CallRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}" if vendor == "postgresql" else f"DELETE FROM {table}")


def main() -> None:
    vendor = setup()
    from django.db import transaction

    from headend.billing import cdrs, rate_decks
    from headend.billing.models import CallRecord, CdrImport, RateDeck
    from headend.core import clock

    with clock.frozen(dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)):
        numbers = voice_lines(LINES)
        start = time.perf_counter()
        deck = rate_decks.rate_deck_upload(data=deck_text().encode(), file_name="retail.csv", name="Retail")
        deck_seconds = time.perf_counter() - start
        data = master_csv(CALLS, numbers)
        results: dict[str, float] = {}

        # Baseline: the same rows, read and rated beforehand, inserted bare and committed (as the
        # import commits them); then emptied again for the import.
        calls = cdrs.read_calls(data, format="asterisk")
        rater = cdrs.Rater(cdrs.directory(), rate_decks.rate_table())
        for call in calls:
            rater.rate(call)
        with transaction.atomic():
            cdrs.apply_bundles(calls, rater)
            batch = CdrImport.objects.create(file_name="baseline", digest="0" * 64, format="asterisk",
                                             time_zone="provider", imported_at=clock.now())  # fmt: skip
        rows = list(cdrs.rows_of(calls, batch.pk, clock.now()))
        del calls
        start = time.perf_counter()
        with transaction.atomic():
            inserted = cdrs.insert_rows(rows)
        results[f"baseline: insert of the same {inserted:,} call rows"] = time.perf_counter() - start
        del rows
        empty(vendor)
        batch.delete()

        start, cpu = time.perf_counter(), time.process_time()
        with profiled("rating-import"):
            imported = cdrs.cdr_import(data=data, file_name="Master.csv")
        results[f"import and rate {CALLS:,} calls (one Master.csv)"] = time.perf_counter() - start
        cpu = time.process_time() - cpu
        assert imported.added == CALLS, imported.added
        assert CallRecord.objects.count() == CALLS

        again = data + b"\n"  # another file (another digest), the same calls
        start = time.perf_counter()
        duplicate = cdrs.cdr_import(data=again, file_name="Master-again.csv")
        results["the same calls again in a new file"] = time.perf_counter() - start
        assert (duplicate.added, duplicate.duplicates) == (0, CALLS)
        assert CallRecord.objects.count() == CALLS

    work = results[f"import and rate {CALLS:,} calls (one Master.csv)"]
    baseline = results[f"baseline: insert of the same {inserted:,} call rows"]
    per_second = CALLS / work
    print(f"\nBenchmark: import and rate {CALLS:,} CDRs ({vendor})")
    print(f"  rate deck: {RateDeck.objects.get().lines:,} lines uploaded in {deck_seconds:.2f} s ({deck.name})")
    for name, seconds in results.items():
        print(f"  {name:<62} {seconds:8.3f} s")
    print(f"  {imported.rated:,} rated, {imported.unrated:,} unrated, {imported.not_charged:,} not charged: "
          f"{per_second:,.0f} calls/s, {work / baseline:.1f}x the bare insert")  # fmt: skip
    print(f"  this process's CPU for the import: {cpu:.1f} s ({CALLS / cpu:,.0f} calls per CPU second; the machine is "
          f"shared, the wall time waits for it)")  # fmt: skip
    print(f"  goal >= {GOAL_PER_SECOND:,} calls/s: {goal(per_second >= GOAL_PER_SECOND)}")


if __name__ == "__main__":
    main()
