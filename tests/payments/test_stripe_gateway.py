"""The Stripe adapter against the stand-in: customers, attached methods, charges prepared then
confirmed (succeeded, declined, ACH processing), idempotent retries, a confirm sent again after
the keys are forgotten, refunds, webhook signatures, errors, and the outbound policy in the way."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.core.errors import ValidationError
from headend.payments.gateway import BadSignature, Card, Charge, ChargeRefused, GatewayError
from headend.payments.stripe_gateway import StripeGateway, from_cents, to_cents
from tests.conftest import FROZEN_AT
from tests.payments.conftest import WEBHOOK_SECRET


@pytest.fixture
def stripe(gateway_settings):
    return StripeGateway()


def prepare(gateway, customer, token, amount="65.00", key="key-1"):
    return gateway.prepare_charge(
        customer=customer,
        token=token,
        amount=Decimal(amount),
        currency="USD",
        description="BA-000001 March",
        idempotency_key=key,
        metadata={"headend_payment": "1"},
    )


def charge(gateway, customer, token, amount="65.00", key="key-1"):
    """Prepare, then confirm, as payments.payment_confirm does."""
    return gateway.confirm_charge(charge_id=prepare(gateway, customer, token, amount, key), idempotency_key=key)


def customer_with(gateway, token):
    customer = gateway.create_customer(name="Ada", email="ada@example.com", reference="BA-1", idempotency_key="c-1")
    gateway.attach_method(customer=customer, token=token, idempotency_key=f"attach-{token}")
    return customer


@pytest.mark.parametrize(("amount", "cents"), [("65.00", 6500), ("0.01", 1), ("1234.56", 123456)])
def test_amounts_are_whole_cents_both_ways(amount, cents):
    assert to_cents(Decimal(amount)) == cents
    assert from_cents(cents) == Decimal(amount)


def test_a_fraction_of_a_cent_is_refused_not_rounded():
    with pytest.raises(ValueError):
        to_cents(Decimal("1.005"))


def test_attach_says_what_the_card_is(stripe, stripe_standin):
    customer = stripe.create_customer(name="Ada", email="ada@example.com", reference="BA-1", idempotency_key="c-1")

    card = stripe.attach_method(customer=customer, token="pm_card_visa", idempotency_key="a-1")

    assert card == Card(
        kind="card", brand="Visa", last4="4242", exp_month=12, exp_year=2030, holder_name="Ada Lovelace"
    )
    assert stripe_standin.requests[0] == ("POST", "/v1/customers", "c-1")
    assert stripe_standin.requests[1] == ("POST", "/v1/payment_methods/pm_card_visa/attach", "a-1")


def test_attach_of_a_bank_account_is_ach(stripe):
    customer = stripe.create_customer(name="Ada", email="", reference="BA-1", idempotency_key="c-1")

    card = stripe.attach_method(customer=customer, token="pm_usBankAccount", idempotency_key="a-1")

    assert (card.kind, card.brand, card.last4, card.exp_year) == ("ach", "STRIPE TEST BANK", "6789", None)


def test_an_unknown_token_is_the_token_field_at_fault(stripe):
    customer = stripe.create_customer(name="Ada", email="", reference="BA-1", idempotency_key="c-1")

    with pytest.raises(ValidationError) as error:
        stripe.attach_method(customer=customer, token="pm_nonsense", idempotency_key="a-1")

    assert error.value.field == "token"


def test_a_prepared_charge_moves_no_money_until_confirmed(stripe, stripe_standin):
    customer = customer_with(stripe, "pm_card_visa")

    charge_id = prepare(stripe, customer, "pm_card_visa", amount="65.10")

    intent = stripe_standin.intents[charge_id]
    assert (intent["status"], intent["amount"], intent["currency"], intent["metadata"]) == (
        "requires_confirmation",
        6510,
        "usd",
        {"headend_payment": "1"},
    )
    assert stripe.get_charge(charge_id=charge_id) == Charge(id=charge_id, status="unconfirmed")
    assert stripe_standin.charges == []


def test_a_card_charge_succeeds_when_confirmed_off_session(stripe, stripe_standin):
    customer = customer_with(stripe, "pm_card_visa")
    charge_id = prepare(stripe, customer, "pm_card_visa", key="pay-9")

    result = stripe.confirm_charge(charge_id=charge_id, idempotency_key="pay-9")

    assert result == Charge(id=charge_id, status="succeeded")
    assert stripe.get_charge(charge_id=charge_id) == result
    assert [r for r in stripe_standin.requests if r[0] == "POST" and "payment_intents" in r[1]] == [
        ("POST", "/v1/payment_intents", "pay-9-create"),
        ("POST", f"/v1/payment_intents/{charge_id}/confirm", "pay-9-confirm"),
    ]


def test_a_decline_is_a_failed_charge_with_the_banks_words(stripe, stripe_standin):
    customer = customer_with(stripe, "pm_card_chargeDeclined")

    result = charge(stripe, customer, "pm_card_chargeDeclined")

    assert result == Charge(id=result.id, status="failed", message="Your card was declined.")
    assert result.id in stripe_standin.intents
    assert stripe.get_charge(charge_id=result.id) == result


def test_an_ach_charge_is_processing(stripe):
    customer = customer_with(stripe, "pm_usBankAccount")

    assert charge(stripe, customer, "pm_usBankAccount").status == "processing"


def test_a_method_stripe_does_not_know_is_refused_when_prepared(stripe, stripe_standin):
    customer = customer_with(stripe, "pm_card_visa")

    with pytest.raises(ChargeRefused, match="No such PaymentMethod"):
        prepare(stripe, customer, "pm_card_visa_gone")

    assert stripe_standin.intents == {}


def test_the_same_key_twice_charges_once(stripe, stripe_standin):
    customer = customer_with(stripe, "pm_card_visa")

    first = charge(stripe, customer, "pm_card_visa", key="pay-9")
    second = charge(stripe, customer, "pm_card_visa", key="pay-9")

    assert first == second
    assert stripe_standin.intents_per_key == {"pay-9-create": 1}
    assert stripe_standin.charges_per_intent == {first.id: 1}


@pytest.mark.parametrize(("token", "status"), [("pm_card_visa", "succeeded"), ("pm_usBankAccount", "processing")])
def test_a_confirm_sent_again_after_the_keys_are_forgotten_answers_what_the_charge_is(
    stripe, stripe_standin, token, status
):
    customer = customer_with(stripe, token)
    first = charge(stripe, customer, token, key="pay-9")
    stripe_standin.forget_keys()

    again = stripe.confirm_charge(charge_id=first.id, idempotency_key="pay-9")

    assert again == first == Charge(id=first.id, status=status)
    assert stripe_standin.charges_per_intent == {first.id: 1}


def test_a_lost_answer_is_retried_with_the_same_key_and_charges_once(stripe, stripe_standin):
    customer = customer_with(stripe, "pm_card_visa")
    stripe_standin.drop_answers(1, path="/confirm")

    result = charge(stripe, customer, "pm_card_visa", key="pay-9")

    assert result.status == "succeeded"
    assert stripe_standin.charges_per_intent == {result.id: 1}
    assert [r for r in stripe_standin.requests if r[1].endswith("/confirm")] == [
        ("POST", f"/v1/payment_intents/{result.id}/confirm", "pay-9-confirm")
    ] * 2


def test_a_500_is_retried_then_answered(stripe, stripe_standin):
    customer = customer_with(stripe, "pm_card_visa")
    stripe_standin.fail_next(1)

    assert charge(stripe, customer, "pm_card_visa").status == "succeeded"


def test_500s_past_the_retries_are_a_gateway_error(stripe, stripe_standin):
    customer = customer_with(stripe, "pm_card_visa")
    charge_id = prepare(stripe, customer, "pm_card_visa")
    stripe_standin.fail_next(3)

    with pytest.raises(GatewayError):
        stripe.confirm_charge(charge_id=charge_id, idempotency_key="key-1")
    stripe_standin.fail_next(3)
    with pytest.raises(GatewayError):
        stripe.get_charge(charge_id=charge_id)

    assert stripe_standin.charges == []


def test_a_gateway_nobody_answers_is_a_gateway_error(gateway_settings):
    gateway_settings.HEADEND_STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: nothing listens

    with pytest.raises(GatewayError):
        StripeGateway().create_customer(name="Ada", email="", reference="BA-1", idempotency_key="c-1")


def test_the_outbound_policy_refuses_a_host_not_allowed(gateway_settings, stripe_standin):
    gateway_settings.HEADEND_OUTBOUND_ALLOW = []

    with pytest.raises(GatewayError, match="loopback"):
        StripeGateway().create_customer(name="Ada", email="", reference="BA-1", idempotency_key="c-1")

    assert stripe_standin.requests == []


def test_a_refund_names_the_payment_intent_in_cents(stripe, stripe_standin):
    customer = customer_with(stripe, "pm_card_visa")
    paid = charge(stripe, customer, "pm_card_visa")

    result = stripe.refund(charge_id=paid.id, amount=Decimal("15.00"), currency="USD", idempotency_key="refund-1")

    assert result.status == "succeeded"
    refund = stripe_standin.refunds[result.id]
    assert (refund["amount"], refund["payment_intent"], refund["metadata"]) == (
        1500,
        paid.id,
        {"headend_refund": "refund-1"},
    )


def test_a_signed_delivery_verifies(stripe, stripe_standin):
    body, signature = stripe_standin.signed_event(
        "payment_intent.succeeded", {"id": "pi_1"}, WEBHOOK_SECRET, event_id="evt_1"
    )

    event = stripe.verify_webhook(payload=body, signature=signature)

    assert (event.id, event.type, event.object, event.created) == (
        "evt_1",
        "payment_intent.succeeded",
        {"id": "pi_1"},
        FROZEN_AT,
    )


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, sig: (body.replace(b"pi_1", b"pi_2"), sig),
        lambda body, sig: (body, sig.replace("v1=", "v1=0")),
        lambda body, sig: (body, ""),
    ],
    ids=["body changed", "wrong signature", "no signature"],
)
def test_a_bad_signature_is_refused(stripe, stripe_standin, tamper):
    body, signature = tamper(*stripe_standin.signed_event("payment_intent.succeeded", {"id": "pi_1"}, WEBHOOK_SECRET))

    with pytest.raises(BadSignature):
        stripe.verify_webhook(payload=body, signature=signature)


def test_a_delivery_signed_with_another_secret_is_refused(stripe, stripe_standin):
    body, signature = stripe_standin.signed_event("payment_intent.succeeded", {"id": "pi_1"}, "whsec_other")

    with pytest.raises(BadSignature):
        stripe.verify_webhook(payload=body, signature=signature)


def test_a_signature_older_than_five_minutes_is_refused_and_one_at_five_is_not(stripe, stripe_standin):
    now = int(FROZEN_AT.timestamp())
    fresh = stripe_standin.signed_event("x.y", {"id": "pi_1"}, WEBHOOK_SECRET, signed_at=now - 300)
    stale = stripe_standin.signed_event("x.y", {"id": "pi_1"}, WEBHOOK_SECRET, signed_at=now - 301)

    assert stripe.verify_webhook(payload=fresh[0], signature=fresh[1]).created == FROZEN_AT
    with pytest.raises(BadSignature):
        stripe.verify_webhook(payload=stale[0], signature=stale[1])


def test_event_time_is_the_events_own(stripe, stripe_standin):
    created = int((FROZEN_AT - dt.timedelta(hours=2)).timestamp())
    body, signature = stripe_standin.signed_event("x.y", {"id": "pi_1"}, WEBHOOK_SECRET, created=created)

    assert stripe.verify_webhook(payload=body, signature=signature).created == FROZEN_AT - dt.timedelta(hours=2)
