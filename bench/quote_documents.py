"""A 10,000-line quote (issue 10): its staff page (one page of lines, the whole quote's totals)
and its PDF, rendered by the worker's job, each against a bare baseline in the same run."""

import time

from bench import goal, size
from bench.setup_django import setup

BIG = size(10_000)
PAGE_GOAL_SECONDS, PAGE_GOAL_BYTES = 1.0, 1024 * 1024


def main() -> None:
    vendor = setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client
    from tests.factories import make_long_quote

    from headend.contracts import services as contracts
    from headend.quoting.models import QuoteLine

    call_command("collectstatic", interactive=False, verbosity=0)  # the page links its CSS
    quote = make_long_quote(BIG)
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
    results[f"quote page of {BIG:,} lines (best of 3)"] = min(timings)
    start = time.perf_counter()
    list(QuoteLine.objects.filter(quote=quote).values_list("pk", "location_id", "position"))
    results[f"baseline: read the {BIG:,} lines' ids"] = time.perf_counter() - start

    start = time.perf_counter()
    job = contracts.quote_document_prepare(quote=quote)
    results["ask for the PDF (the request: key and queue)"] = time.perf_counter() - start
    start = time.perf_counter()
    job = contracts.quote_document_job_run(job_id=job.pk)
    results[f"PDF of {BIG:,} lines in the worker (job)"] = time.perf_counter() - start
    assert job.status == "done", job.error
    document = job.document
    assert document is not None
    small = make_long_quote(100)
    start = time.perf_counter()
    contracts.quote_document_render(quote=small)
    results["baseline: PDF of 100 lines"] = time.perf_counter() - start

    print(f"\nBenchmark: a {BIG:,}-line quote's page and PDF ({vendor})")
    for name, seconds in results.items():
        print(f"  {name:<58} {seconds:8.3f} s")
    page = results[f"quote page of {BIG:,} lines (best of 3)"]
    print(
        f"  page: {size / 1024:.0f} KB; goal <= 1 MB and <= {PAGE_GOAL_SECONDS:.0f} s: "
        f"{goal(size <= PAGE_GOAL_BYTES and page <= PAGE_GOAL_SECONDS)}"
    )
    pdf = results[f"PDF of {BIG:,} lines in the worker (job)"]
    per_line = pdf / BIG / (results["baseline: PDF of 100 lines"] / 100)
    print(
        f"  PDF: {document.pages} pages, {document.size / 1024 / 1024:.1f} MB; "
        f"per line {1000 * pdf / BIG:.1f} ms, {per_line:.2f}x the 100-line document's per line"
    )


if __name__ == "__main__":
    main()
