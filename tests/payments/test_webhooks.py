"""Stripe's webhook deliveries through the real view: verified or refused with nothing written,
stored once per event, acted on in any order of arrival (ACH cleared or bounced, chargebacks,
refunds settled, a webhook before the synchronous answer); an intent no payment names moves none."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import include, path

from headend.core.models import OutboxEvent
from headend.payments import methods, payments
from headend.payments.models import GatewayEvent, Payment
from tests.conftest import FROZEN_AT
from tests.factories import make_billing_account, make_invoice, make_user
from tests.payments.conftest import WEBHOOK_SECRET

urlpatterns = [path("payments/", include("headend.payments.urls"))]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__), pytest.mark.usefixtures("gateway_settings")]
URL = "/payments/webhooks/stripe/"


@pytest.fixture
def clerk():
    return make_user("billing")


@pytest.fixture
def deliver(stripe_standin):
    """POST a signed event as Stripe does (no CSRF token); return the response."""
    client = Client(enforce_csrf_checks=True)

    def send(type, obj, *, at=FROZEN_AT, event_id=None, secret=WEBHOOK_SECRET):
        body, signature = stripe_standin.signed_event(type, obj, secret, created=int(at.timestamp()), event_id=event_id)
        return client.post(URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)

    return send


def taken(clerk, token, amount="80.00", *, before_charge=lambda: None):
    """An invoice of `amount` and a charge of it on a stored `token`."""
    payer = make_billing_account()
    invoice = make_invoice(payer, amount)
    method = methods.payment_method_add(billing_account=payer, token=token, added_by=clerk)
    before_charge()
    payment = payments.payment_take(
        billing_account=payer, amount=amount, payment_method=method, taken_by=clerk, invoices=[invoice.pk]
    )
    return payment, invoice


def state(obj):
    obj.refresh_from_db()
    return obj.status


def later(minutes):
    return FROZEN_AT + dt.timedelta(minutes=minutes)


def test_a_bad_signature_is_400_and_writes_nothing(clerk, deliver, stripe_standin):
    payment, _invoice = taken(clerk, "pm_usBankAccount")
    intent = {**stripe_standin.intent_of(payment), "status": "succeeded"}

    response = deliver("payment_intent.succeeded", intent, secret="whsec_someone_else")

    assert response.status_code == 400
    assert GatewayEvent.objects.count() == 0
    assert state(payment) == "pending"


def test_ach_processing_then_succeeded_pays_the_invoice(clerk, deliver, stripe_standin):
    payment, invoice = taken(clerk, "pm_usBankAccount")
    intent = stripe_standin.intent_of(payment)
    assert state(payment) == "pending"

    processing = deliver("payment_intent.processing", intent, at=later(1))
    assert (processing.status_code, state(payment)) == (200, "pending")
    succeeded = deliver("payment_intent.succeeded", {**intent, "status": "succeeded"}, at=later(60))

    assert succeeded.json()["outcome"] == f"{payment.number} succeeded"
    assert state(payment) == "succeeded"
    assert (payment.succeeded_at, payment.gateway_updated_at) == (later(60), later(60))
    assert state(invoice) == "settled"


def test_a_replayed_delivery_is_200_and_does_nothing_again(clerk, deliver, stripe_standin):
    payment, _invoice = taken(clerk, "pm_usBankAccount")
    intent = {**stripe_standin.intent_of(payment), "status": "succeeded"}
    deliver("payment_intent.succeeded", intent, event_id="evt_same")

    again = deliver("payment_intent.succeeded", intent, event_id="evt_same")

    assert (again.status_code, again.json()["outcome"]) == (200, "replay: done before")
    assert GatewayEvent.objects.count() == 1
    assert OutboxEvent.objects.filter(name="payment.succeeded").count() == 1


def test_an_older_event_never_moves_a_payment_back(clerk, deliver, stripe_standin):
    payment, invoice = taken(clerk, "pm_usBankAccount")
    intent = stripe_standin.intent_of(payment)
    returned = {**intent, "status": "requires_payment_method", "last_payment_error": {"message": "Account closed."}}
    deliver("payment_intent.payment_failed", returned, at=later(120))  # the bank's return came first

    stale = deliver("payment_intent.succeeded", {**intent, "status": "succeeded"}, at=later(60))

    assert stale.json()["outcome"].startswith("stale")
    assert (state(payment), payment.failure_message) == ("failed", "Account closed.")
    assert state(invoice) == "finalised"


def test_an_ach_debit_returned_after_success_is_reversed_and_reopens_the_invoice(clerk, deliver, stripe_standin):
    payment, invoice = taken(clerk, "pm_usBankAccount")
    intent = stripe_standin.intent_of(payment)
    deliver("payment_intent.succeeded", {**intent, "status": "succeeded"}, at=later(60))
    returned = {**intent, "status": "requires_payment_method", "last_payment_error": {"message": "Insufficient funds."}}

    response = deliver("payment_intent.payment_failed", returned, at=later(3 * 24 * 60))

    assert response.json()["outcome"] == f"{payment.number} reversed (ACH returned)"
    assert (state(payment), payment.reversal_reason) == ("reversed", "ACH debit returned: Insufficient funds.")
    assert (state(invoice), invoice.amount_due) == ("finalised", invoice.total_amount)


def test_a_card_failure_after_success_is_ignored(clerk, deliver, stripe_standin):
    payment, invoice = taken(clerk, "pm_card_visa")
    intent = stripe_standin.intent_of(payment)
    failed = {**intent, "status": "requires_payment_method", "last_payment_error": {"message": "Declined."}}

    response = deliver("payment_intent.payment_failed", failed, at=later(5))

    assert response.json()["outcome"].startswith("ignored")
    assert state(payment) == "succeeded"
    assert state(invoice) == "settled"


def test_a_dispute_reverses_the_payment_and_reopens_the_invoice(clerk, deliver, stripe_standin):
    payment, invoice = taken(clerk, "pm_card_visa")
    intent = stripe_standin.intent_of(payment)
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "payment_intent": intent["id"],
        "reason": "fraudulent",
        "amount": 8000,
    }

    response = deliver("charge.dispute.created", dispute, at=later(10))

    assert response.json()["outcome"] == f"{payment.number} reversed (chargeback)"
    assert (state(payment), payment.reversal_reason) == ("reversed", "Chargeback: fraudulent")
    assert state(invoice) == "finalised"
    assert OutboxEvent.objects.filter(name="payment.reversed").count() == 1
    again = deliver("charge.dispute.created", dispute, at=later(11))  # a second event id, same dispute
    assert again.json()["outcome"] == f"ignored: {payment.number} is reversed"


def test_a_payment_nobody_knows_is_200_with_the_outcome_kept(deliver):
    response = deliver(
        "payment_intent.succeeded",
        {"id": "pi_elsewhere", "object": "payment_intent", "status": "succeeded", "metadata": {}},
    )

    assert response.status_code == 200
    assert GatewayEvent.objects.get().outcome == "no payment for pi_elsewhere"


def test_a_webhook_before_the_synchronous_answer_finds_the_payment_by_the_intent_it_names(
    clerk, deliver, stripe_standin
):
    # Charged, but the confirm's answer never came: the payment waits, naming its intent.
    payment, invoice = taken(
        clerk, "pm_card_visa", before_charge=lambda: stripe_standin.drop_answers(3, path="/confirm")
    )
    intent = stripe_standin.intent_of(payment)
    assert (state(payment), payment.gateway_id, intent["status"]) == ("pending", intent["id"], "succeeded")

    response = deliver("payment_intent.succeeded", intent)
    payments.payment_confirm(payment=Payment.objects.get(pk=payment.pk))  # the retry finds it answered

    assert response.json()["outcome"] == f"{payment.number} succeeded"
    assert state(payment) == "succeeded"
    assert stripe_standin.charges_per_intent == {intent["id"]: 1}
    assert state(invoice) == "settled"


def test_an_intent_the_payment_does_not_name_never_moves_it_even_by_its_metadata(clerk, deliver, stripe_standin):
    # As an intent a dead process prepared and never named would be.
    payment, _invoice = taken(clerk, "pm_usBankAccount")
    other = {
        "id": "pi_other",
        "object": "payment_intent",
        "status": "succeeded",
        "metadata": {"headend_payment": str(payment.pk)},
    }

    response = deliver("payment_intent.succeeded", other)

    assert response.json()["outcome"] == "no payment for pi_other"
    assert state(payment) == "pending"


def test_an_ach_refund_settles_by_webhook(clerk, deliver, stripe_standin):
    payment, invoice = taken(clerk, "pm_usBankAccount")
    intent = stripe_standin.intent_of(payment)
    deliver("payment_intent.succeeded", {**intent, "status": "succeeded"}, at=later(60))
    refund = payments.refund_create(payment=payment, amount="30.00", reason="Outage credit", refunded_by=clerk)
    assert state(refund) == "pending"
    settled = {**stripe_standin.refunds[refund.gateway_id if refund.gateway_id else ""], "status": "succeeded"}

    deliver("refund.updated", settled, at=later(120))

    assert state(refund) == "succeeded"
    payment.refresh_from_db()
    assert payment.refunded_amount == 30
    assert (state(invoice), invoice.amount_due) == ("partially_paid", 30)
