"""Bill runs, invoices and what billing staff do to them: idempotent runs, one failing account,
parents paying for children, gap-free numbers, credit notes, voids, and bad input refused with
nothing written."""

import datetime as dt
import io
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from headend.billing import accounts, invoices, invoicing, runs
from headend.billing.models import BillingAccount, BillRun, BillRunResult, Invoice, OneTimeCharge, Subscription
from headend.catalog.models import Product
from headend.core import clock
from headend.core.errors import Conflict, Forbidden, ValidationError
from tests.factories import TaskSpec, make_account, make_live_service, make_product, make_user

pytestmark = pytest.mark.django_db
MARCH_2 = dt.date(2026, 3, 2)


def run(day: str = "2026-03-02") -> str:
    out = io.StringIO()
    call_command("run_billing", as_of=day, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


@pytest.fixture
def product():
    return make_product(tasks=[TaskSpec("Install")])  # 65.00 a month on 12 months


@pytest.fixture
def live(product, run_worker):
    """A service turned up on 2 March 2026 (the frozen day), its events consumed."""
    service = make_live_service(make_account("residential"), product)
    run_worker()
    return service


@pytest.fixture
def billed(live):
    assert run() == "1 invoices created"
    return Invoice.objects.get()


def test_the_first_invoice_is_final_numbered_and_due_after_the_terms(billed):
    assert (billed.number, billed.status, billed.bill_date) == ("INV-0000001", "finalised", dt.date(2026, 3, 1))
    assert billed.due_date == dt.date(2026, 3, 16)  # net 15
    assert [line.amount for line in billed.lines.all()] == [Decimal("62.90")]  # 30 of 31 days of 65.00
    assert billed.total_amount == billed.amount_due == Decimal("62.90")


def test_running_again_for_the_same_date_creates_no_invoice(billed):
    assert run() == "0 invoices created"
    assert Invoice.objects.count() == 1


def test_a_run_before_the_last_one_is_refused_and_writes_nothing(billed):
    with pytest.raises(CommandError, match="--as-of: A bill run as of 2026-03-02 exists"):
        run("2026-03-01")
    with pytest.raises(ValidationError) as refused:
        runs.bill_run_start(as_of=dt.date(2026, 2, 1))
    assert refused.value.field == "as_of"
    assert BillRun.objects.count() == 1
    with pytest.raises(CommandError, match="is not a date"):
        run("March")
    with pytest.raises(CommandError, match="in the future"):
        run("2026-04-01")


def test_one_failing_account_never_stops_the_run(live, product):
    other = make_live_service(make_account("residential"), product)
    from headend.core import events

    events.relay()
    real = invoicing.draft_for

    def draft_for(payer, bill_date, book):
        if payer.account_id == other.account_id:
            raise RuntimeError("the tax engine is down")
        return real(payer, bill_date, book)

    with mock.patch.object(invoicing, "draft_for", draft_for):
        assert run() == "1 invoices created"
    failed = BillRunResult.objects.get(outcome="failed")
    assert "the tax engine is down" in failed.error
    assert BillRun.objects.get().status == "done"


def test_a_parent_billing_account_pays_for_its_children(product, run_worker):
    account = make_account("business")
    billing = make_user("billing")
    parent = accounts.billing_account_create(account=account, created_by=billing, name="Head office")
    sites = [make_live_service(account, product) for _ in range(2)]
    run_worker()
    child = accounts.billing_account_create(account=account, created_by=billing, name="Site 2", parent=parent)
    Subscription.objects.filter(service=sites[1]).update(billing_account=child)
    assert run() == "1 invoices created"
    invoice = Invoice.objects.get()
    assert invoice.billing_account == parent
    assert [line.service for line in invoice.lines.all()] == sites


def test_numbers_have_no_gaps_across_runs_and_credit_notes_have_their_own(billed, product, run_worker):
    make_live_service(make_account("residential"), product)
    run_worker()
    with clock.frozen(dt.datetime(2026, 4, 1, 15, tzinfo=dt.UTC)):
        assert run("2026-04-01") == "2 invoices created"
        note = invoices.credit_note_create(
            invoice=billed, created_by=make_user("billing"), reason="outage", amount="10"
        )
        note = invoices.credit_note_finalise(credit_note=note, finalised_by=make_user("billing"))
    numbers = sorted(Invoice.objects.filter(kind="invoice").values_list("number", flat=True))
    assert numbers == ["INV-0000001", "INV-0000002", "INV-0000003"]
    assert note.number == "CN-0000001"
    billed.refresh_from_db()
    assert (note.total_amount, billed.amount_due) == (Decimal("-10.00"), Decimal("52.90"))


def test_a_final_invoice_is_never_edited_and_credit_notes_stay_within_it(billed):
    billing = make_user("billing")
    with pytest.raises(Conflict) as refused:
        invoices.invoice_update(invoice=billed, updated_by=billing, reason="typo")
    assert (refused.value.field, refused.value.code) == ("status", "invoice_final")
    with pytest.raises(ValidationError) as too_much:
        invoices.credit_note_create(invoice=billed, created_by=billing, reason="outage", amount="62.91")
    assert too_much.value.field == "amount"
    with pytest.raises(ValidationError) as no_reason:
        invoices.credit_note_create(invoice=billed, created_by=billing, reason=" ", amount="5")
    assert no_reason.value.field == "reason"
    with pytest.raises(Forbidden):
        invoices.credit_note_create(invoice=billed, created_by=make_user("sales"), reason="x", amount="5")
    assert Invoice.objects.count() == 1


def test_a_voided_invoice_is_billed_again_on_the_next_run(billed):
    invoices.invoice_void(invoice=billed, voided_by=make_user("billing"), reason="wrong address")
    billed.refresh_from_db()
    assert (billed.status, billed.amount_due) == ("void", Decimal("0"))
    with clock.frozen(dt.datetime(2026, 4, 1, 15, tzinfo=dt.UTC)):
        assert run("2026-04-01") == "1 invoices created"
    again = Invoice.objects.exclude(pk=billed.pk).get()
    assert [line.amount for line in again.lines.all()] == [Decimal("62.90"), Decimal("65.00")]


def test_a_negative_price_revision_is_refused_and_changes_nothing(live):
    with pytest.raises(ValidationError) as refused:
        invoices.price_revise(
            service=live, revised_by=make_user("billing"), mrc_amount="-5", effective="next_period", reason="x"
        )
    assert refused.value.field == "mrc_amount"
    live.refresh_from_db()
    assert live.mrc_amount == Decimal("65.00")


def test_charges_and_credits_go_on_the_next_invoice(live):
    billing = make_user("billing")
    account = BillingAccount.objects.get()
    invoices.charge_add(billing_account=account, created_by=billing, description="Outage credit", amount="-12.50")
    with pytest.raises(ValidationError) as zero:
        invoices.charge_add(billing_account=account, created_by=billing, description="x", amount="0")
    assert zero.value.field == "amount"
    run()  # dated 1 March: the credit of the 2nd waits for the next invoice
    assert [line.amount for line in Invoice.objects.get().lines.all()] == [Decimal("62.90")]
    with clock.frozen(dt.datetime(2026, 4, 1, 15, tzinfo=dt.UTC)):
        run("2026-04-01")
    april = Invoice.objects.get(bill_date=dt.date(2026, 4, 1))
    assert [line.amount for line in april.lines.all()] == [Decimal("65.00"), Decimal("-12.50")]
    assert OneTimeCharge.objects.get().invoice_line.invoice == april


def test_arrears_and_whole_period_products(run_worker):
    arrears, whole = make_product(tasks=[TaskSpec("Install")]), make_product(tasks=[TaskSpec("Install")])
    Product.objects.filter(pk=arrears.product_id).update(billing_timing="arrears")
    Product.objects.filter(pk=whole.product_id).update(proration="none")
    late = make_live_service(make_account("residential"), arrears)
    full = make_live_service(make_account("residential"), whole)
    run_worker()
    assert run() == "1 invoices created"  # arrears: nothing has been used before 1 March
    assert Invoice.objects.get().lines.get().service == full
    with clock.frozen(dt.datetime(2026, 4, 1, 15, tzinfo=dt.UTC)):
        run("2026-04-01")
    arrears_invoice = Invoice.objects.get(lines__service=late)
    assert [line.amount for line in arrears_invoice.lines.all()] == [Decimal("62.90")]
    whole_lines = Invoice.objects.get(bill_date=dt.date(2026, 3, 1)).lines.all()
    assert [line.amount for line in whole_lines] == [Decimal("65.00")]  # started the 2nd, whole March


def test_the_worker_loop_starts_the_daily_bill_run_once_after_its_hour(live, settings):
    daily = runs.DailyRun()
    settings.HEADEND_BILLING_RUN_AT = ""
    assert daily(lambda: False) == 0  # off
    settings.HEADEND_BILLING_RUN_AT = "11:00"
    assert daily(lambda: False) == 0  # 10:00 in Maine: not yet
    with clock.frozen(dt.datetime(2026, 3, 2, 16, 5, tzinfo=dt.UTC)):  # 11:05
        assert daily(lambda: False) == 1
        assert daily(lambda: False) == 0
        assert runs.DailyRun()(lambda: False) == 0  # another worker: the run of today exists
    (queued,) = BillRun.objects.all()
    assert (queued.as_of, queued.chunks) == (MARCH_2, 1)
    assert runs.work(queued) == 1  # what the workers do with its chunks


def test_the_cycle_of_an_account_that_was_billed_cannot_change(billed):
    billing = make_user("billing")
    with pytest.raises(ValidationError) as refused:
        accounts.billing_account_update(billing_account=billed.billing_account, updated_by=billing, bill_day=15)
    assert (refused.value.field, refused.value.code) == ("bill_day", "already_billed")
    assert BillingAccount.objects.get().bill_day == 1


def test_an_invoice_whose_days_a_later_one_corrected_cannot_be_voided(billed, live, run_worker):
    billing = make_user("billing")
    with clock.frozen(dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC)):
        invoices.price_revise(service=live, revised_by=billing, mrc_amount="10", effective="immediate", reason="x")
        run_worker()
    with clock.frozen(dt.datetime(2026, 4, 2, 15, tzinfo=dt.UTC)):
        run("2026-04-02")
        with pytest.raises(Conflict) as refused:
            invoices.invoice_void(invoice=billed, voided_by=billing, reason="wrong")
    assert refused.value.code == "billed_again"
    billed.refresh_from_db()
    assert billed.status == "sent"  # emailed when the worker relayed its event; not void


def test_a_revision_during_a_promotion_waits_for_its_end(live, run_worker):
    from headend.billing.models import RateChange

    subscription = Subscription.objects.get(service=live)
    (first,) = RateChange.objects.filter(subscription=subscription)
    RateChange.objects.filter(pk=first.pk).update(kind="promotion", mrc_amount=Decimal("30.00"))
    RateChange.objects.create(
        subscription=subscription, effective_date=dt.date(2026, 9, 2), occurred_at=first.occurred_at, kind="active",
        mrc_amount=Decimal("65.00"), label=first.label, source_key="promo-end:0",
    )  # fmt: skip
    with clock.frozen(dt.datetime(2026, 3, 15, 15, tzinfo=dt.UTC)):
        invoices.price_revise(
            service=live, revised_by=make_user("billing"), mrc_amount="70", effective="next_period", reason="2026"
        )
        run_worker()
    revision = RateChange.objects.filter(subscription=subscription).latest("id")
    assert (revision.effective_date, revision.mrc_amount) == (dt.date(2026, 9, 2), Decimal("70.00"))


def test_credit_notes_never_credit_more_tax_than_the_invoice_charged(billed):
    from headend.billing.models import InvoiceLine

    Invoice.objects.filter(pk=billed.pk).update(
        subtotal_amount=Decimal("3.00"), tax_amount=Decimal("0.20"), total_amount=Decimal("3.20"),
        amount_due=Decimal("3.20"),
    )  # fmt: skip
    InvoiceLine.objects.filter(invoice=billed).update(amount=Decimal("3.00"))
    InvoiceLine.objects.create(
        invoice=billed, position=9, kind="tax", description="Maine sales tax (ME)", unit_amount=Decimal("0.20"),
        amount=Decimal("0.20"), jurisdiction="Maine sales tax (ME)", tax_rate=Decimal("6.6667"),
        taxable_amount=Decimal("3.00"),
    )  # fmt: skip
    billed.refresh_from_db()
    billing = make_user("billing")
    for _ in range(3):
        note = invoices.credit_note_create(invoice=billed, created_by=billing, reason="outage", amount="1.00")
        invoices.credit_note_finalise(credit_note=note, finalised_by=billing)
    credited = Invoice.objects.filter(kind="credit_note").values_list("tax_amount", flat=True)
    assert sum(credited) == Decimal("-0.20")


def test_a_bill_run_before_anything_was_billed_is_refused():
    with pytest.raises(ValidationError) as refused:
        runs.bill_run_start(as_of=dt.date(1, 1, 1))
    assert (refused.value.field, refused.value.code) == ("as_of", "too_early")


def test_with_an_external_biller_as_the_book_headend_makes_and_changes_no_invoice(billed, settings):
    clerk = make_user("billing")
    settings.HEADEND_BILLER = "lago"
    for attempt in (
        lambda: runs.bill_run_start(as_of=MARCH_2, started_by=clerk),
        lambda: invoices.credit_note_create(invoice=billed, created_by=clerk, reason="Outage", amount="5.00"),
        lambda: invoices.invoice_void(invoice=billed, voided_by=clerk, reason="Wrong"),
        lambda: invoices.charge_add(
            billing_account=billed.billing_account, created_by=clerk, description="Router", amount="5.00"
        ),
    ):
        with pytest.raises(Conflict) as refused:
            attempt()
        assert refused.value.code == "external_biller"
    settings.HEADEND_BILLER = "headend"
    Invoice.objects.filter(pk=billed.pk).update(source="lago", external_id="lago-1")
    billed.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        invoices.invoice_void(invoice=billed, voided_by=clerk, reason="Wrong")
    assert refused.value.code == "external_invoice"
    assert (Invoice.objects.count(), BillRun.objects.count(), OneTimeCharge.objects.count()) == (1, 1, 0)
