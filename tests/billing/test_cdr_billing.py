"""A month of calls rated to the cent against a hand-checked rate deck, the plan's included
minutes used in call order, and billed by the bill run: one usage line per service and cycle,
taxed as voice, never billed twice (billing/cdrs.py, call_charges.py)."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.billing import cdrs, invoices, runs
from headend.billing.models import BillRunResult, CallRecord, Invoice, InvoiceLine, LineKind
from headend.core import clock
from headend.core.errors import ValidationError
from tests.api.client import TMFClient, body
from tests.api.tmf_schema import assert_valid
from tests.billing.cdr_factories import cdr, make_voice_service, master_csv, upload_deck, voice_tax
from tests.factories import make_user

pytestmark = pytest.mark.django_db

APRIL_1 = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)
MAY_1 = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)
RATES = "/customerBillManagement/v4/appliedCustomerBillingRate"

# March 2026 of one voice line with 60 included minutes (3,600 s), times in Maine. Worked by
# hand: billed seconds with the rate's minimum/increment, included seconds in call order for the
# rates that use them, then rate x charged seconds / 60, rounded half-up to the cent.
MARCH = [
    #     id, start,                 dialled,            answered s  # rate; billed; included; amount
    cdr("c01", "2026-03-02 09:00:00", "12075550199", 1500),  # Maine 0.01; 1500; 1500; 0.00
    cdr("c02", "2026-03-03 10:00:00", "2125550100", 2401),  # US 0.02; 2406; 2100 (the rest); 306 s = 0.102 -> 0.10
    cdr("c03", "2026-03-05 18:30:00", "011447700900123", 95),  # UK mobile peak 0.20; 96; not in bundle; 0.32
    cdr("c04", "2026-03-07 11:00:00", "+447700900123", 200),  # Saturday: UK mobile 0.12; 204; 0.408 -> 0.41
    cdr("c05", "2026-03-10 14:00:00", "18005550000", 600),  # toll free 0.00 (0/1); 600; not in bundle; 0.00
    cdr("c06", "2026-03-12 20:00:00", "12075550199", 1200),  # Maine 0.01; 1200; none left; 0.20
    cdr("c07", "2026-03-15 09:00:00", "6175550100", 1000),  # US 0.02; 1002; 0.334 -> 0.33
    cdr("c08", "2026-03-20 10:00:00", "12075550199", 45),  # Maine; minimum 60; 0.01
    cdr("c09", "2026-03-22 16:00:00", "011442079460000", 31),  # UK 0.05, 30/6; 36; 0.03
    cdr("c10", "2026-03-25 11:00:00", "99912345", 300),  # no prefix: unrated, kept
    cdr("c11", "2026-03-26 12:00:00", "12075550199", 0, disposition="NO ANSWER"),  # not charged
    cdr("c12", "2026-03-28 10:00:00", "12125550100", 3599),  # US; 3600; 1.20
    cdr("c13", "2026-03-31 23:30:00", "12075550199", 61),  # Maine; 66; 0.011 -> 0.01 (April 1 in UTC)
    cdr("c14", "2026-04-01 00:10:00", "12075550199", 90),  # April's cycle: not on the April 1 invoice
    cdr("c15", "2026-03-16 09:00:00", "12075550199", 120, src="2075559999"),  # nobody's number: unrated
]
MARCH_TOTAL = Decimal("2.61")  # 0.10 + 0.32 + 0.41 + 0.20 + 0.33 + 0.01 + 0.03 + 1.20 + 0.01


@pytest.fixture
def line(run_worker):
    service = make_voice_service(minutes=60)
    run_worker()
    upload_deck()
    voice_tax()
    return service


@pytest.fixture
def month(line):
    return cdrs.cdr_import(data=master_csv(*MARCH), file_name="Master.csv")


def amounts(**filters) -> dict[str, tuple[int, int, Decimal]]:
    rows = CallRecord.objects.filter(**filters).order_by("unique_id")
    return {row.unique_id: (row.billed_seconds, row.included_seconds, row.amount) for row in rows}


def test_a_month_of_calls_is_rated_to_the_cent_with_the_included_minutes_in_call_order(line, month):
    assert amounts(status="rated") == {
        "c01": (1500, 1500, Decimal("0.00")),
        "c02": (2406, 2100, Decimal("0.10")),
        "c03": (96, 0, Decimal("0.32")),
        "c04": (204, 0, Decimal("0.41")),
        "c05": (600, 0, Decimal("0.00")),
        "c06": (1200, 0, Decimal("0.20")),
        "c07": (1002, 0, Decimal("0.33")),
        "c08": (60, 0, Decimal("0.01")),
        "c09": (36, 0, Decimal("0.03")),
        "c12": (3600, 0, Decimal("1.20")),
        "c13": (66, 0, Decimal("0.01")),
        "c14": (90, 90, Decimal("0.00")),  # April: a new allowance
    }
    assert sum(amount for _, _, amount in amounts(status="rated", cycle_start=dt.date(2026, 3, 1)).values()) == (
        MARCH_TOTAL
    )
    assert (month.lines, month.added, month.rated, month.unrated, month.not_charged, month.duplicates) == (
        15, 15, 12, 2, 1, 0,
    )  # fmt: skip
    assert CallRecord.objects.get(unique_id="c03").destination_name == "United Kingdom mobile"
    assert CallRecord.objects.filter(subscription__service=line).count() == 14


def test_unrated_calls_are_kept_with_their_reason_and_reported(month):
    unrated = {row.unique_id: row.reason for row in CallRecord.objects.filter(status="unrated")}

    assert unrated == {
        "c10": "No rate for '99912345' on 2026-03-25 11:00.",
        "c15": "No voice service has number '2075559999'.",
    }
    assert [row[:3] for row in month.report] == [[10, "c10", "unrated"], [15, "c15", "unrated"]]


def test_the_bill_run_bills_the_month_on_one_usage_line_taxed_as_voice(line, month):
    with clock.frozen(APRIL_1):
        run = runs.bill_run_start(as_of=dt.date(2026, 4, 1))
        runs.work(run)

    invoice = Invoice.objects.get()
    usage = invoice.lines.get(kind=LineKind.USAGE)
    assert usage.amount == MARCH_TOTAL
    assert usage.description == "Voice calls Mar 1\N{EN DASH}Mar 31, 2026: 11 calls, 179.5 min, 60 included"
    assert (usage.service, usage.period_start, usage.period_end, usage.tax_category) == (
        line, dt.date(2026, 3, 1), dt.date(2026, 4, 1), "voice",
    )  # fmt: skip
    tax = invoice.lines.get(kind=LineKind.TAX)
    assert (tax.taxable_amount, tax.amount) == (MARCH_TOTAL, Decimal("0.16"))  # 6% of 2.61 = 0.1566
    assert set(CallRecord.objects.filter(invoice_line=usage).values_list("unique_id", flat=True)) == {
        "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09", "c12", "c13",
    }  # fmt: skip


def test_a_call_is_never_billed_twice(line, month):
    with clock.frozen(APRIL_1):
        runs.work(runs.bill_run_start(as_of=dt.date(2026, 4, 1)))
        again = runs.bill_run_start(as_of=dt.date(2026, 4, 1))
        assert runs.work(again) == 0
    with clock.frozen(MAY_1):
        runs.work(runs.bill_run_start(as_of=dt.date(2026, 5, 1)))

    may = Invoice.objects.get(bill_date=dt.date(2026, 5, 1))
    assert [line.description for line in may.lines.filter(kind=LineKind.USAGE)] == [
        "Voice calls Apr 1\N{EN DASH}Apr 30, 2026: 1 call, 1.5 min, 1.5 included"
    ]
    assert InvoiceLine.objects.filter(kind=LineKind.USAGE).count() == 2
    assert CallRecord.objects.filter(status="rated", invoice_line=None).count() == 0


def test_a_late_call_takes_its_place_in_call_order_and_the_unbilled_calls_are_rated_again(line, month):
    late = cdr("c00", "2026-03-01 08:00:00", "12075550199", 1800)  # 30 minutes before all the others

    cdrs.cdr_import(data=master_csv(late), file_name="late.csv")

    rated = amounts(status="rated", cycle_start=dt.date(2026, 3, 1))
    assert rated["c00"] == (1800, 1800, Decimal("0.00"))
    assert rated["c01"] == (1500, 1500, Decimal("0.00"))
    assert rated["c02"] == (2406, 300, Decimal("0.70"))  # 2,106 s at 0.02 = 0.702
    assert sum(amount for _, _, amount in rated.values()) == MARCH_TOTAL + Decimal("0.60")


def test_a_call_arriving_after_its_cycle_was_billed_goes_on_the_next_invoice(line, month):
    with clock.frozen(APRIL_1):
        runs.work(runs.bill_run_start(as_of=dt.date(2026, 4, 1)))
    late = cdr("c99", "2026-03-30 10:00:00", "12125550100", 60)

    cdrs.cdr_import(data=master_csv(late), file_name="late.csv")
    with clock.frozen(MAY_1):
        runs.work(runs.bill_run_start(as_of=dt.date(2026, 5, 1)))

    assert amounts(unique_id="c99") == {"c99": (60, 0, Decimal("0.02"))}  # the allowance was used up
    may = Invoice.objects.get(bill_date=dt.date(2026, 5, 1))
    assert sorted(line.description for line in may.lines.filter(kind=LineKind.USAGE)) == [
        "Voice calls Apr 1\N{EN DASH}Apr 30, 2026: 1 call, 1.5 min, 1.5 included",
        "Voice calls Mar 1\N{EN DASH}Mar 31, 2026: 1 call, 1 min",
    ]


def test_voiding_the_invoice_frees_its_calls_for_the_next_one(line, month):
    with clock.frozen(APRIL_1):
        runs.work(runs.bill_run_start(as_of=dt.date(2026, 4, 1)))
        invoice = Invoice.objects.get()
        invoices.invoice_void(invoice=invoice, voided_by=make_user("billing"), reason="Wrong deck")

    assert CallRecord.objects.filter(invoice_line__isnull=False).count() == 0
    with clock.frozen(MAY_1):
        runs.work(runs.bill_run_start(as_of=dt.date(2026, 5, 1)))
    may = Invoice.objects.get(bill_date=dt.date(2026, 5, 1))
    assert may.lines.filter(kind=LineKind.USAGE, period_start=dt.date(2026, 3, 1)).get().amount == MARCH_TOTAL


def test_calls_rated_again_while_the_invoice_was_drafted_fail_that_payer_and_bill_nothing(line, month, monkeypatch):
    real = runs.invoicing.write

    def meanwhile(drafts, **kwargs):  # another import rates a call again between draft and write
        CallRecord.objects.filter(unique_id="c02").update(amount=Decimal("9.99"))
        return real(drafts, **kwargs)

    monkeypatch.setattr(runs.invoicing, "write", meanwhile)
    with clock.frozen(APRIL_1):
        runs.work(runs.bill_run_start(as_of=dt.date(2026, 4, 1)))

    assert Invoice.objects.count() == 0
    assert BillRunResult.objects.get().outcome == BillRunResult.Outcome.FAILED
    assert CallRecord.objects.filter(invoice_line__isnull=False).count() == 0


@pytest.mark.parametrize("calls", [10, 100])
def test_a_bill_run_with_usage_costs_the_same_statements_for_10_or_100_calls(
    line, calls, django_assert_max_num_queries
):
    many = [cdr(f"m{n:04d}", f"2026-03-{1 + n % 28:02d} 10:{n % 60:02d}:00", "12125550100", 61) for n in range(calls)]
    cdrs.cdr_import(data=master_csv(*many), file_name="many.csv")

    with clock.frozen(APRIL_1), django_assert_max_num_queries(43):
        runs.work(runs.bill_run_start(as_of=dt.date(2026, 4, 1)))

    assert InvoiceLine.objects.get(kind=LineKind.USAGE).calls.count() == calls


def test_the_usage_line_is_a_usage_charge_over_its_cycle_in_the_api(line, month, client):
    with clock.frozen(APRIL_1):
        runs.work(runs.bill_run_start(as_of=dt.date(2026, 4, 1)))
    usage = InvoiceLine.objects.get(kind=LineKind.USAGE)

    rate = body(TMFClient.for_user(client, make_user("billing")).get(f"{RATES}/{usage.pk}"))

    assert_valid(rate, api="678", definition="AppliedCustomerBillingRate")
    assert (rate["type"], rate["taxExcludedAmount"]["value"]) == ("usageCharge", MARCH_TOTAL)
    assert rate["periodCoverage"] == {
        "startDateTime": "2026-03-01T00:00:00-05:00",
        "endDateTime": "2026-03-31T23:59:59-04:00",
    }


def test_a_file_without_calls_is_refused(line):
    with pytest.raises(ValidationError, match="The file holds no call"):
        cdrs.cdr_import(data=b"\n", file_name="empty.csv")

    assert CallRecord.objects.count() == 0
