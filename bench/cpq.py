"""CPQ: price and save a 1,000-line quote (a CSV of 1,000 sites, the sales team's bulk path),
and re-price after editing one line of the 1,000, each against a bare baseline in the same run."""

import statistics
import time

from bench import goal, size
from bench.setup_django import setup
from bench.templates import define_missing

LINES = size(1000)  # a tenth in a small run (CI)
BIG = size(10_000)


def bulk_baseline(quote, version, *, count: int, street: str, city: str, postal_code: str) -> None:
    """The rows an import writes (a location and a line per site), bulk-inserted with no rules."""
    from decimal import Decimal

    from django.db import transaction

    from headend.crm import services as crm
    from headend.crm.models import Location
    from headend.quoting.models import Quote, QuoteLine

    other = crm.account_create(kind="business", legal_name=f"Baseline {count} {street} LLC")
    with transaction.atomic():
        baseline = Quote.objects.create(
            account=other, opportunity=quote.opportunity, currency="USD", created_at=quote.created_at
        )
        locations = Location.objects.bulk_create(
            Location(
                account=other,
                name=f"Site {n}",
                line1=f"{n} {street}",
                city=city,
                state="ME",
                postal_code=postal_code,
                address_key=f"{n} {street}||{city}|ME|{postal_code}",
                created_at=quote.created_at,
            )
            for n in range(1, count + 1)
        )
        QuoteLine.objects.bulk_create(
            QuoteLine(
                quote=baseline,
                position=n,
                location=location,
                product_version=version,
                term_months=36,
                quantity=1,
                mrc_unit_amount=Decimal("475.00"),
                nrc_unit_amount=Decimal("0"),
                mrc_amount=Decimal("475.00"),
                nrc_amount=Decimal("0"),
                contract_value_amount=Decimal("17100.00"),
            )
            for n, location in enumerate(locations, start=1)
        )


def main() -> None:
    vendor = setup()
    import datetime as dt
    from decimal import Decimal

    from django.db import transaction

    from headend.catalog import services as catalog
    from headend.catalog.services import TaskSpec
    from headend.crm import services as crm
    from headend.quoting import services as quoting
    from headend.quoting.models import Quote, QuoteLine

    product = catalog.product_create(code="bench-cpq", name="Bench CPQ DIA", kind="internet", customer_type="business")
    define_missing(product)
    version = catalog.version_publish(
        version=catalog.version_create(
            product=product,
            effective_from=dt.date(2020, 1, 1),
            prices={36: ("475.00", "0.00")},
            floor_mrc="400.00",
            download_mbps=1000,
            upload_mbps=1000,
            technology="fiber",
        )
    )
    catalog.template_define(product=product, action="add", name="Install", tasks=[TaskSpec("Turn up")])
    account = crm.account_create(kind="business", legal_name="Bench CPQ Holdings LLC")
    rows = [f'Site {n},"{n} Harbor Rd, Machias, ME 04654",,,,,bench-cpq,36,1' for n in range(1, LINES + 1)]
    data = (
        "site_name,address,unit,contact_name,contact_email,contact_phone,product,term,quantity\n"
        + "\n".join(rows)
        + "\n"
    ).encode()

    results: dict[str, float] = {}
    quote = quoting.quote_create(account=account, name="Bench CPQ")
    start = time.perf_counter()
    report = quoting.quote_sites_import(quote=quote, data=data)
    results[f"price and save {LINES:,} lines (CSV of sites)"] = time.perf_counter() - start
    assert all(row.valid for row in report), [row.errors for row in report if not row.valid][:3]
    assert QuoteLine.objects.filter(quote=quote).count() == LINES

    # Baseline: the same locations and lines bulk-inserted through the ORM, no parsing or rules.
    start = time.perf_counter()
    bulk_baseline(quote, version, count=LINES, street="HARBOR RD", city="MACHIAS", postal_code="04654")
    results["baseline: bulk insert of the same rows"] = time.perf_counter() - start

    line = QuoteLine.objects.get(quote=quote, position=LINES // 2)
    edits, bare = [], []
    for percent in ("5", "10", "15", "20", "8"):
        begin = time.perf_counter()
        quoting.quote_line_discount(line=line, percent=percent)
        edits.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        with transaction.atomic():
            QuoteLine.objects.filter(pk=line.pk).update(discount_percent=Decimal(percent))
            Quote.objects.filter(pk=quote.pk).update(mrr_amount=Decimal("0"))
        bare.append(time.perf_counter() - begin)
    results[f"re-price one line of {LINES:,} and the totals (median of 5)"] = statistics.median(edits)
    results["baseline: two bare UPDATEs (median of 5)"] = statistics.median(bare)

    # A 10,000-line quote (a tenth in a small run), checked and priced by the worker's job (run here in-process).
    from django.core.files.uploadedfile import SimpleUploadedFile

    big_rows = [f'Big {n},"{n} Court St, Calais, ME 04619",,,,,bench-cpq,36,1' for n in range(1, BIG + 1)]
    big = (
        "site_name,address,unit,contact_name,contact_email,contact_phone,product,term,quantity\n"
        + "\n".join(big_rows)
        + "\n"
    ).encode()
    big_account = crm.account_create(kind="business", legal_name="Bench CPQ Fleet LLC")
    big_quote = quoting.quote_create(account=big_account, name="Bench 10k")
    job = quoting.site_import_job_create(quote=big_quote, upload=SimpleUploadedFile("big.csv", big))
    start = time.perf_counter()
    job = quoting.site_import_job_run(job_id=job.pk)
    results[f"{BIG:,}-line quote priced in the background (job)"] = time.perf_counter() - start
    assert (job.status, job.rows_done) == ("completed", BIG), job.error
    start = time.perf_counter()
    bulk_baseline(big_quote, version, count=BIG, street="COURT ST", city="CALAIS", postal_code="04619")
    results[f"baseline: bulk insert of {BIG:,} rows"] = time.perf_counter() - start

    print(f"\nBenchmark: CPQ, a {LINES:,}-line quote ({vendor})")
    for name, seconds in results.items():
        print(f"  {name:<58} {seconds:8.3f} s")
    save = results[f"price and save {LINES:,} lines (CSV of sites)"]
    edit = results[f"re-price one line of {LINES:,} and the totals (median of 5)"]
    print(
        f"  ratio save / baseline: {save / results['baseline: bulk insert of the same rows']:.1f}x; "
        f"goal <= 2 s: {goal(save <= 2)}"
    )
    print(
        f"  ratio re-price / baseline: {edit / results['baseline: two bare UPDATEs (median of 5)']:.1f}x; "
        f"goal <= 0.200 s: {goal(edit <= 0.2)}"
    )
    background = results[f"{BIG:,}-line quote priced in the background (job)"]
    print(
        f"  ratio {BIG:,}-line job / baseline: {background / results[f'baseline: bulk insert of {BIG:,} rows']:.1f}x; "
        f"goal <= 30 s: {goal(background <= 30)}"
    )


if __name__ == "__main__":
    main()
