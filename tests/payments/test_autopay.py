"""Autopay: an invoice is charged to its payer's autopay method on its due date, once; a
decline is tried again on the retry days and then left to dunning; a run that finds an attempt
a dead process left finishes it, charging once even after the gateway has forgotten its keys."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from headend.payments import autopay, methods, payments
from headend.payments.models import AutopayAttempt, Payment
from tests.factories import make_billing_account, make_invoice, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway_settings")]

BILLED = dt.date(2026, 2, 14)
DUE = dt.date(2026, 3, 1)  # 15 days' terms


def customer(token="pm_card_visa", amount="80.00", autopay_on=True):
    payer = make_billing_account()
    invoice = make_invoice(payer, amount, bill_date=BILLED)
    method = methods.payment_method_add(billing_account=payer, token=token, added_by=None, autopay=autopay_on)
    return invoice, method


def state(invoice):
    invoice.refresh_from_db()
    return invoice.status, invoice.amount_due


def test_an_invoice_is_charged_on_its_due_date_once(stripe_standin):
    invoice, _method = customer()
    assert invoice.due_date == DUE

    assert autopay.run(DUE - dt.timedelta(days=1)) == {"settled": 0}
    counts = autopay.run(DUE)
    again = autopay.run(DUE)

    assert (counts["attempted"], counts["succeeded"]) == (1, 1)
    assert again == {"settled": 0}
    assert state(invoice) == ("settled", Decimal("0.00"))
    attempt = AutopayAttempt.objects.get()
    assert (attempt.attempt, attempt.status, attempt.amount, attempt.payment.status) == (
        1,
        "succeeded",
        Decimal("80.00"),
        "succeeded",
    )
    assert stripe_standin.intents_per_key == {f"autopay-{invoice.pk}-1-create": 1}


def test_a_payer_without_autopay_is_not_charged(stripe_standin):
    _invoice, _method = customer(autopay_on=False)

    autopay.run(DUE)

    assert AutopayAttempt.objects.count() == 0
    assert stripe_standin.intents_per_key == {}


def test_the_amount_is_what_is_due_at_the_attempt(stripe_standin):
    invoice, _method = customer()
    payments.payment_record(
        billing_account=invoice.billing_account, amount="30.00", means="cash", recorded_by=make_user("billing")
    )

    autopay.run(DUE)

    assert AutopayAttempt.objects.get().amount == Decimal("50.00")
    assert state(invoice) == ("settled", Decimal("0.00"))


def test_a_decline_is_retried_on_day_three_and_seven_then_left_to_dunning(stripe_standin):
    invoice, _method = customer(token="pm_card_chargeDeclined")

    first = autopay.run(DUE)
    attempt = AutopayAttempt.objects.get()
    assert first["failed"] == 1
    assert (attempt.status, attempt.error, attempt.next_attempt_on) == (
        "failed",
        "Your card was declined.",
        DUE + dt.timedelta(days=3),
    )

    assert autopay.run(DUE + dt.timedelta(days=2)) == {"settled": 0}
    assert autopay.run(DUE + dt.timedelta(days=3))["failed"] == 1
    assert autopay.run(DUE + dt.timedelta(days=7))["failed"] == 1
    assert autopay.run(DUE + dt.timedelta(days=30)) == {"settled": 0}

    assert list(AutopayAttempt.objects.values_list("attempt", "next_attempt_on")) == [
        (1, DUE + dt.timedelta(days=3)),
        (2, DUE + dt.timedelta(days=7)),
        (3, None),
    ]
    assert sorted(stripe_standin.intents_per_key.values()) == [1, 1, 1]
    assert Payment.objects.filter(status="failed").count() == 3
    assert state(invoice) == ("finalised", Decimal("80.00"))


def test_a_retry_after_the_card_is_replaced_pays(stripe_standin):
    invoice, _declined = customer(token="pm_card_chargeDeclined")
    autopay.run(DUE)
    methods.payment_method_add(
        billing_account=invoice.billing_account, token="pm_card_visa", added_by=None, autopay=True
    )

    counts = autopay.run(DUE + dt.timedelta(days=3))

    assert counts["succeeded"] == 1
    assert state(invoice) == ("settled", Decimal("0.00"))


def test_an_attempt_a_dead_process_left_is_finished_with_the_same_key(stripe_standin):
    invoice, _method = customer()
    stripe_standin.fail_next(3)  # the process "died": the payment waits, unanswered
    autopay.run(DUE)
    attempt = AutopayAttempt.objects.get()
    assert attempt.status == "pending"

    counts = autopay.run(DUE)

    attempt.refresh_from_db()
    assert (counts["resumed"], counts["succeeded"], attempt.status) == (1, 1, "succeeded")
    assert stripe_standin.intents_per_key == {f"autopay-{invoice.pk}-1-create": 1}
    assert Payment.objects.count() == 1
    assert state(invoice) == ("settled", Decimal("0.00"))


def test_an_ach_autopay_waits_for_the_bank_then_is_recorded_paid(stripe_standin):
    invoice, _method = customer(token="pm_usBankAccount")
    assert autopay.run(DUE)["pending"] == 1
    payment = Payment.objects.get()
    payments.record_charge(payment=payment, charge=payments.Charge(id=payment.gateway_id, status="succeeded"))

    counts = autopay.run(DUE + dt.timedelta(days=1))

    assert counts == {"settled": 1}
    assert AutopayAttempt.objects.get().status == "succeeded"
    assert stripe_standin.intents_per_key == {f"autopay-{invoice.pk}-1-create": 1}


def test_a_charge_prepared_but_never_named_is_never_charged_when_the_keys_are_forgotten(stripe_standin):
    invoice, method = customer()
    # The intent is created, its answer never comes (nor the retries'): the payment names none.
    stripe_standin.drop_answers(3, path="/v1/payment_intents")
    autopay.run(DUE)
    assert Payment.objects.get().gateway_id is None
    stripe_standin.forget_keys()  # a day later, Stripe no longer knows the create's key

    counts = autopay.run(DUE + dt.timedelta(days=1))

    payment = Payment.objects.get()
    assert (counts["resumed"], counts["succeeded"], payment.status) == (1, 1, "succeeded")
    assert stripe_standin.intents_per_key == {f"autopay-{invoice.pk}-1-create": 2}
    assert stripe_standin.charges_per_intent == {payment.gateway_id: 1}
    assert stripe_standin.paid_per_customer() == {method.gateway_customer: 1}
    (orphan,) = (i for i in stripe_standin.intents.values() if i["id"] != payment.gateway_id)
    assert orphan["status"] == "requires_confirmation"
    assert state(invoice) == ("settled", Decimal("0.00"))


def test_a_named_charge_whose_confirm_was_lost_is_read_back_not_charged_again(stripe_standin):
    invoice, method = customer()
    stripe_standin.drop_answers(3, path="/confirm")  # charged; the answers never come
    assert autopay.run(DUE)["pending"] == 1
    payment = Payment.objects.get()
    assert (payment.status, stripe_standin.charges_per_intent) == ("pending", {payment.gateway_id: 1})
    stripe_standin.forget_keys()

    counts = autopay.run(DUE + dt.timedelta(days=1))

    assert (counts["resumed"], counts["succeeded"]) == (1, 1)
    assert stripe_standin.charges_per_intent == {payment.gateway_id: 1}
    assert stripe_standin.paid_per_customer() == {method.gateway_customer: 1}
    assert state(invoice) == ("settled", Decimal("0.00"))


def test_a_named_charge_never_confirmed_is_confirmed_on_resume(stripe_standin):
    invoice, _method = customer()
    stripe_standin.fail_next(3, path="/confirm")  # the process "died" after naming the charge
    autopay.run(DUE)
    payment = Payment.objects.get()
    assert stripe_standin.intents[payment.gateway_id]["status"] == "requires_confirmation"
    stripe_standin.forget_keys()

    autopay.run(DUE + dt.timedelta(days=1))

    assert stripe_standin.charges_per_intent == {payment.gateway_id: 1}
    assert state(invoice) == ("settled", Decimal("0.00"))


def test_a_named_charge_is_not_confirmed_once_its_method_is_removed(stripe_standin):
    _invoice, method = customer()
    stripe_standin.fail_next(3, path="/confirm")
    autopay.run(DUE)
    methods.payment_method_remove(payment_method=method, removed_by=make_user("billing"))

    payment = payments.payment_confirm(payment=Payment.objects.get())

    assert (payment.status, payment.failure_message) == ("failed", f"{method} was removed before it was charged.")
    assert stripe_standin.charges == []


def test_the_command_prints_counts(stripe_standin):
    customer()
    out = io.StringIO()

    call_command("run_autopay", as_of=str(DUE), stdout=out)

    assert out.getvalue().strip() == (
        f"Autopay as of {DUE}: settled 0, attempted 1, resumed 0, succeeded 1, pending 0, failed 0, skipped 0, errors 0"
    )
