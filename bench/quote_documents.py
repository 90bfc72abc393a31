"""A 10,000-line quote (issue 10): its staff page (one page of lines, the whole quote's totals)
and its PDF, rendered by the worker's job, each against a bare baseline in the same run."""

import time

from bench.setup_django import setup

BIG = 10_000
PAGE_GOAL_SECONDS, PAGE_GOAL_BYTES = 1.0, 1024 * 1024


def build_quote(lines: int):
    """The rows a CSV import of `lines` sites writes, bulk-inserted (as tests.factories.make_long_quote)."""
    import datetime as dt
    from decimal import Decimal

    from django.db import transaction

    from headend.catalog import services as catalog
    from headend.catalog.services import TaskSpec
    from headend.core import clock
    from headend.crm import services as crm
    from headend.crm.models import Location
    from headend.quoting import services as quoting
    from headend.quoting.models import Quote, QuoteLine

    product = catalog.product_create(
        code=f"bench-doc-{lines}", name="Bench DIA", kind="internet", customer_type="business"
    )
    version = catalog.version_create(
        product=product,
        effective_from=dt.date(2020, 1, 1),
        prices={36: ("475.00", "0.00")},
        download_mbps=1000,
        upload_mbps=1000,
        technology="fiber",
    )
    for action in catalog.missing_template_actions(product=product):
        catalog.template_define(product=product, action=action, name=action, tasks=[TaskSpec("Do it")])
    version = catalog.version_publish(version=version)
    account = crm.account_create(kind="business", legal_name=f"Bench Documents {lines} LLC")
    quote = quoting.quote_create(account=account, name=f"Bench {lines}")
    now = clock.now()
    with transaction.atomic():
        locations = Location.objects.bulk_create(
            Location(
                account=account,
                name=f"Site {n}",
                line1=f"{n} Court St",
                city="Calais",
                state="ME",
                postal_code="04619",
                address_key=f"{n} COURT ST||CALAIS|ME|04619",
                created_at=now,
            )
            for n in range(1, lines + 1)
        )
        QuoteLine.objects.bulk_create(
            QuoteLine(
                quote=quote,
                position=n,
                location=location,
                product_version=version,
                term_months=36,
                quantity=1,
                mrc_unit_amount=Decimal("475.00"),
                nrc_unit_amount=Decimal("0.00"),
                mrc_amount=Decimal("475.00"),
                nrc_amount=Decimal("0.00"),
                contract_value_amount=Decimal("17100.00"),
            )
            for n, location in enumerate(locations, start=1)
        )
        Quote.objects.filter(pk=quote.pk).update(
            mrr_amount=Decimal("475.00") * lines, contract_value_amount=Decimal("17100.00") * lines
        )
    return quote


def main() -> None:
    vendor = setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client

    from headend.contracts import services as contracts
    from headend.quoting.models import QuoteLine

    call_command("collectstatic", interactive=False, verbosity=0)  # the page links its CSS
    quote = build_quote(BIG)
    user = User.objects.create_user("bench-sales", password="bench")
    user.groups.add(Group.objects.get_or_create(name="sales")[0])
    client = Client()
    client.force_login(user)

    results: dict[str, float] = {}
    client.get(quote.get_absolute_url())  # templates compiled, caches warm
    timings, size = [], 0
    for _ in range(3):
        start = time.perf_counter()
        response = client.get(quote.get_absolute_url())
        timings.append(time.perf_counter() - start)
        size = len(response.content)
        assert response.status_code == 200
    results["quote page of 10,000 lines (best of 3)"] = min(timings)
    start = time.perf_counter()
    list(QuoteLine.objects.filter(quote=quote).values_list("pk", "location_id", "position"))
    results["baseline: read the 10,000 lines' ids"] = time.perf_counter() - start

    start = time.perf_counter()
    job = contracts.quote_document_prepare(quote=quote)
    results["ask for the PDF (the request: key and queue)"] = time.perf_counter() - start
    start = time.perf_counter()
    job = contracts.quote_document_job_run(job_id=job.pk)
    results["PDF of 10,000 lines in the worker (job)"] = time.perf_counter() - start
    assert job.status == "done", job.error
    document = job.document
    assert document is not None
    small = build_quote(100)
    start = time.perf_counter()
    contracts.quote_document_render(quote=small)
    results["baseline: PDF of 100 lines"] = time.perf_counter() - start

    print(f"\nBenchmark: a 10,000-line quote's page and PDF ({vendor})")
    for name, seconds in results.items():
        print(f"  {name:<58} {seconds:8.3f} s")
    page = results["quote page of 10,000 lines (best of 3)"]
    print(
        f"  page: {size / 1024:.0f} KB; goal <= 1 MB and <= {PAGE_GOAL_SECONDS:.0f} s: "
        f"{'met' if size <= PAGE_GOAL_BYTES and page <= PAGE_GOAL_SECONDS else 'missed'}"
    )
    pdf = results["PDF of 10,000 lines in the worker (job)"]
    per_line = pdf / BIG / (results["baseline: PDF of 100 lines"] / 100)
    print(
        f"  PDF: {document.pages} pages, {document.size / 1024 / 1024:.1f} MB; "
        f"per line {1000 * pdf / BIG:.1f} ms, {per_line:.2f}x the 100-line document's per line"
    )


if __name__ == "__main__":
    main()
