"""Billing reports: the receivables aging (open invoices by customer, by days past due)."""

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from headend.billing import views
from headend.core import clock
from headend.core.permissions import permission_required
from headend.core.user_files import content_disposition


@permission_required("billing.read")
def aging_view(request: HttpRequest) -> HttpResponse:
    """Open invoices by customer in buckets of days past due as of today; `?format=csv` downloads it."""
    report = views.aging(as_of=clock.today())
    if request.GET.get("format") == "csv":
        return _csv(report)
    return render(request, "billing/aging.html", {"report": report, "buckets": views.BUCKETS})


def _csv(report: views.Aging) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(f"ar-aging-{report.as_of:%Y-%m-%d}.csv")
    writer = csv.writer(response)
    writer.writerow(["Account", "Customer", "Invoices", *(label for _, label in views.BUCKETS), "Total"])
    for row in report.rows:
        amounts = [*row.cells, row.total]
        writer.writerow([row.account.number, _cell(row.account.name), row.invoices, *(f"{a:.2f}" for a in amounts)])
    amounts = [*report.totals, report.total]
    writer.writerow(["", "Total", sum(row.invoices for row in report.rows), *(f"{a:.2f}" for a in amounts)])
    return response


def _cell(text: str) -> str:
    """A name as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
