"""Billing reports: the receivables aging (open invoices by customer, by days past due) and the
ledger export for the accountant."""

import csv
import io

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from headend.billing import ledger, views
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


class LedgerExportForm(forms.Form):
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("beancount", "Beancount")])

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end comes on or after the start.")
        return data


@permission_required("ledger.export")
def ledger_export_view(request: HttpRequest) -> HttpResponse:
    """The journal between two dates, for the accountant: CSV or beancount, downloaded (the same
    export as `manage.py export_ledger`)."""
    today = clock.today()
    if "date_from" not in request.GET:
        form = LedgerExportForm(initial={"date_from": today.replace(day=1), "date_to": today, "format": "csv"})
        return render(request, "billing/ledger_export.html", {"form": form})
    form = LedgerExportForm(request.GET)
    if not form.is_valid():
        return render(request, "billing/ledger_export.html", {"form": form}, status=400)
    data = form.cleaned_data
    out = io.StringIO()
    ledger.export(date_from=data["date_from"], date_to=data["date_to"], format=data["format"], out=out)
    kind = "text/csv" if data["format"] == "csv" else "text/plain"
    response = HttpResponse(out.getvalue(), content_type=f"{kind}; charset=utf-8")
    name = f"ledger-{data['date_from']:%Y-%m-%d}-{data['date_to']:%Y-%m-%d}.{data['format']}"
    response["Content-Disposition"] = content_disposition(name)
    return response
