"""Allocation: a payment pays the invoices named, then the oldest open; the rest is credit
applied to the next invoices; a reversal or a refund re-opens what it paid; every step posts a
balanced entry; bad input is refused with nothing written."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.billing.models import JournalEntry, JournalLine
from headend.core.errors import Conflict, Forbidden, ValidationError
from headend.payments import allocation, payments
from headend.payments.models import Allocation, Payment
from tests.factories import make_billing_account, make_invoice, make_user

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def clerk():
    return make_user("billing")


@pytest.fixture
def payer():
    return make_billing_account()


def invoices(payer, *amounts):
    """Invoices billed 1, 2, ... February, in the order given."""
    return [make_invoice(payer, amount, bill_date=dt.date(2026, 2, 1 + i)) for i, amount in enumerate(amounts)]


def state(invoice):
    invoice.refresh_from_db()
    return invoice.status, invoice.amount_due


def balances():
    """Each ledger account's balance (debit positive) across every entry."""
    totals: dict[str, Decimal] = {}
    for line in JournalLine.objects.all():
        totals[line.account] = totals.get(line.account, D(0)) + line.debit - line.credit
    return {account: amount for account, amount in totals.items() if amount}


def test_a_payment_pays_the_oldest_open_invoices_first_and_keeps_the_rest_as_credit(payer, clerk):
    old, new = invoices(payer, "60.00", "50.00")
    payment = payments.payment_record(
        billing_account=payer, amount="80.00", means="cheque", reference="1001", recorded_by=clerk
    )
    assert state(old) == ("settled", D("0.00"))
    assert state(new) == ("partially_paid", D("30.00"))
    assert (payment.status, payment.unapplied_amount) == ("succeeded", D("0.00"))
    more = payments.payment_record(billing_account=payer, amount="50.00", means="cash", recorded_by=clerk)
    assert state(new) == ("settled", D("0.00"))
    assert more.unapplied_amount == D("20.00")
    assert allocation.credit_balance(payer) == D("20.00")
    assert balances() == {
        "Assets:Cash:Cheque": D("80.00"),
        "Assets:Cash:Cash": D("50.00"),
        "Income:Other": D("-110.00"),
        "Liabilities:CustomerCredit": D("-20.00"),
    }


def test_a_payment_pays_the_invoices_the_payer_names_first(payer, clerk):
    old, new = invoices(payer, "60.00", "50.00")
    payments.payment_record(
        billing_account=payer, amount="50.00", means="bank_transfer", recorded_by=clerk, invoices=[new.pk]
    )
    assert state(new) == ("settled", D("0.00"))
    assert state(old) == ("finalised", D("60.00"))


def test_credit_pays_the_next_invoice_as_it_is_made(payer, clerk):
    payments.payment_record(billing_account=payer, amount="100.00", means="cash", recorded_by=clerk)  # pay-ahead
    (invoice,) = invoices(payer, "65.00")
    allocation.apply_credit(payer)
    assert state(invoice) == ("settled", D("0.00"))
    assert allocation.credit_balance(payer) == D("35.00")
    assert Allocation.objects.filter(kind="credit").count() == 1
    assert JournalEntry.objects.filter(kind="credit_applied").count() == 1
    assert allocation.apply_credit(payer) == []  # nothing more to pay


def test_a_reversal_reopens_what_the_payment_paid_and_takes_its_credit(payer, clerk):
    old, new = invoices(payer, "60.00", "50.00")
    payment = payments.payment_record(
        billing_account=payer, amount="130.00", means="cheque", reference="77", recorded_by=clerk
    )
    payments.payment_reverse(payment=payment, reversed_by=clerk, reason="Cheque bounced")
    assert [state(old), state(new)] == [("finalised", D("60.00")), ("finalised", D("50.00"))]
    payment.refresh_from_db()
    assert (payment.status, payment.unapplied_amount) == ("reversed", D("0.00"))
    assert allocation.credit_balance(payer) == D("0.00")
    assert balances() == {"Assets:AccountsReceivable": D("110.00"), "Income:Other": D("-110.00")}


def test_a_refund_takes_credit_first_then_reopens_the_newest_invoice_and_never_exceeds_the_payment(payer, clerk):
    old, new = invoices(payer, "60.00", "50.00")
    payment = payments.payment_record(billing_account=payer, amount="130.00", means="cash", recorded_by=clerk)
    payments.refund_create(payment=payment, amount="30.00", reason="Overpaid", refunded_by=clerk)
    assert [state(old), state(new)] == [("settled", D("0.00")), ("partially_paid", D("10.00"))]
    with pytest.raises(ValidationError) as refused:
        payments.refund_create(payment=payment, amount="100.01", reason="Too much", refunded_by=clerk)
    assert refused.value.field == "amount"
    payment.refresh_from_db()
    assert (payment.refunded_amount, payment.unapplied_amount) == (D("30.00"), D("0.00"))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"currency": "EUR"}, "currency"),
        ({"means": "card"}, "means"),
        ({"means": "cheque", "reference": ""}, "reference"),
        ({"received_on": "2099-01-01"}, "received_on"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(payer, clerk, values, field):
    (invoice,) = invoices(payer, "60.00")
    arguments = {"amount": "10.00", "means": "cash", "reference": "r"} | values
    with pytest.raises(ValidationError) as refused:
        payments.payment_record(billing_account=payer, recorded_by=clerk, **arguments)
    assert refused.value.field == field
    assert Payment.objects.count() == 0
    assert state(invoice) == ("finalised", D("60.00"))


def test_a_payment_to_a_voided_invoice_is_refused(payer, clerk):
    from headend.billing import invoices as billing_invoices

    (invoice,) = invoices(payer, "60.00")
    billing_invoices.invoice_void(invoice=invoice, voided_by=clerk, reason="Wrong customer")
    with pytest.raises(ValidationError) as refused:
        payments.payment_record(
            billing_account=payer, amount="60.00", means="cash", recorded_by=clerk, invoices=[invoice.pk]
        )
    assert refused.value.field == "invoices"
    assert Payment.objects.count() == 0


def test_only_billing_staff_move_money(payer):
    with pytest.raises(Forbidden):
        payments.payment_record(billing_account=payer, amount="1.00", means="cash", recorded_by=make_user("sales"))


def test_a_write_off_settles_the_invoice_as_bad_debt(payer, clerk):
    (invoice,) = invoices(payer, "60.00")
    payments.write_off_create(invoice=invoice, amount="", reason="Customer gone", written_off_by=clerk)
    assert state(invoice) == ("settled", D("0.00"))
    assert balances()["Expenses:BadDebt"] == D("60.00")
    with pytest.raises(Conflict):
        payments.write_off_create(invoice=invoice, amount="1", reason="again", written_off_by=clerk)


def test_a_new_invoice_is_paid_from_credit_when_it_is_finalised(payer, clerk, run_worker):
    payments.payment_record(billing_account=payer, amount="100.00", means="cash", recorded_by=clerk)
    run_worker()
    (invoice,) = invoices(payer, "65.00")
    run_worker()
    assert state(invoice) == ("settled", D("0.00"))
    assert allocation.credit_balance(payer) == D("35.00")


def test_a_credit_notes_leftover_pays_the_next_invoice(payer, clerk, run_worker):
    from headend.billing import invoices as billing_invoices

    (first,) = invoices(payer, "60.00")
    payments.payment_record(billing_account=payer, amount="60.00", means="cash", recorded_by=clerk)
    note = billing_invoices.credit_note_create(invoice=first, created_by=clerk, reason="Outage", amount="20.00")
    billing_invoices.credit_note_finalise(credit_note=note, finalised_by=clerk)
    assert allocation.credit_balance(payer) == D("20.00")
    run_worker()
    second = make_invoice(payer, "50.00", bill_date=dt.date(2026, 3, 1))
    run_worker()
    assert state(second) == ("partially_paid", D("30.00"))
    assert allocation.credit_balance(payer) == D("0.00")


def test_a_refund_settling_after_the_payments_reversal_is_posted_as_a_loss(payer, clerk):
    (invoice,) = invoices(payer, "60.00")
    payment = payments.payment_record(billing_account=payer, amount="100.00", means="cash", recorded_by=clerk)
    refund = payments._refund_pending(payment=payment, amount="40.00", reason="Overpaid", refunded_by=clerk)
    payments.payment_reverse(payment=payment, reversed_by=clerk, reason="Chargeback")

    payments.refund_settle(refund=refund, status="succeeded")  # the gateway sent it anyway

    assert state(invoice) == ("finalised", D("60.00"))
    assert balances() == {
        "Assets:AccountsReceivable": D("60.00"),
        "Income:Other": D("-60.00"),
        "Assets:Cash:Cash": D("-40.00"),
        "Expenses:PaymentLosses": D("40.00"),
    }


def test_a_declined_charge_the_gateway_later_confirms_pays_after_all(payer, clerk):
    from headend.payments.gateway import Charge
    from headend.payments.models import PaymentMethod

    (invoice,) = invoices(payer, "60.00")
    method = PaymentMethod.objects.create(
        billing_account=payer, kind="card", gateway="stripe", gateway_customer="cus_1", token="pm_1", last4="4242",
        created_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    )  # fmt: skip
    payment = Payment.objects.create(
        billing_account=payer, means="card", payment_method=method, amount=D("60.00"), currency="USD",
        received_on=dt.date(2026, 3, 2), created_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC), gateway="stripe",
    )  # fmt: skip
    payments.record_charge(payment=payment, charge=Charge(id="pi_1", status="failed", message="Needs the bank"))
    payments.record_charge(payment=payment, charge=Charge(id="pi_1", status="succeeded"))

    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert state(invoice) == ("settled", D("0.00"))


def test_a_pending_charge_on_a_method_removed_meanwhile_is_never_sent(payer, clerk):
    from headend.payments.models import PaymentMethod

    method = PaymentMethod.objects.create(
        billing_account=payer, kind="card", gateway="stripe", gateway_customer="cus_1", token="pm_2", last4="4242",
        status="removed", created_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    )  # fmt: skip
    payment = Payment.objects.create(
        billing_account=payer, means="card", payment_method=method, amount=D("60.00"), currency="USD",
        received_on=dt.date(2026, 3, 2), created_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC), gateway="stripe",
        idempotency_key="autopay-1-1",
    )  # fmt: skip

    payment = payments.payment_confirm(payment=payment)  # no gateway is configured: it would raise if called

    assert (payment.status, payment.failure_message) == (
        "failed",
        "Card ending 4242 was removed before it was charged.",
    )
