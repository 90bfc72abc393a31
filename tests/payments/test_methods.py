"""Stored payment methods: a token attached at the gateway and kept with brand and last four
digits only; a number typed instead is refused with nothing written or sent; one gateway
customer per payer; one autopay method per payer; billing staff only."""

import pytest

from headend.core.errors import Conflict, Forbidden, ValidationError
from headend.core.models import OutboxEvent
from headend.payments.methods import payment_method_add, payment_method_remove, payment_method_set_autopay
from headend.payments.models import PaymentMethod
from tests.factories import make_billing_account, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway_settings")]


@pytest.fixture
def clerk():
    return make_user("billing")


@pytest.fixture
def payer():
    return make_billing_account()


def test_a_token_is_stored_with_brand_last4_and_expiry_only(payer, clerk, stripe_standin):
    method = payment_method_add(billing_account=payer, token="pm_card_visa", added_by=clerk)

    method.refresh_from_db()
    assert (method.kind, method.brand, method.last4, method.exp_month, method.exp_year) == (
        "card",
        "Visa",
        "4242",
        12,
        2030,
    )
    assert (method.token, method.gateway, method.status, method.autopay) == ("pm_card_visa", "stripe", "active", False)
    assert method.gateway_customer in stripe_standin.customers
    assert str(method) == "Visa ending 4242"


def test_a_bank_account_is_stored_as_ach(payer, clerk):
    method = payment_method_add(billing_account=payer, token="pm_usBankAccount", added_by=clerk)

    assert (method.kind, method.last4, method.exp_year) == ("ach", "6789", None)


@pytest.mark.parametrize("typed", ["4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242", "123456789012"])
def test_a_card_number_typed_as_the_token_is_refused_with_nothing_written_or_sent(payer, clerk, stripe_standin, typed):
    with pytest.raises(ValidationError) as error:
        payment_method_add(billing_account=payer, token=typed, added_by=clerk)

    assert (error.value.field, error.value.code) == ("token", "card_number")
    assert "Never type a card number" in error.value.message
    assert PaymentMethod.objects.count() == 0
    assert stripe_standin.requests == []


def test_eleven_digits_are_not_taken_for_a_card_number(payer, clerk, stripe_standin):
    with pytest.raises(ValidationError) as error:
        payment_method_add(billing_account=payer, token="12345678901", added_by=clerk)

    assert error.value.code != "card_number"  # unknown to the gateway instead
    assert error.value.field == "token"


def test_a_token_the_gateway_does_not_know_is_refused_on_the_token(payer, clerk):
    with pytest.raises(ValidationError) as error:
        payment_method_add(billing_account=payer, token="pm_made_up", added_by=clerk)

    assert error.value.field == "token"
    assert PaymentMethod.objects.count() == 0


def test_the_gateway_customer_is_made_once_per_payer(payer, clerk, stripe_standin):
    first = payment_method_add(billing_account=payer, token="pm_card_visa_1", added_by=clerk)
    second = payment_method_add(billing_account=payer, token="pm_usBankAccount_1", added_by=clerk)

    assert first.gateway_customer == second.gateway_customer
    assert [key for method, path, key in stripe_standin.requests if path == "/v1/customers"] == [f"customer-{payer.pk}"]


def test_a_child_billing_accounts_method_is_its_payers(clerk):
    parent = make_billing_account()
    child = make_billing_account(parent.account, parent=parent)

    method = payment_method_add(billing_account=child, token="pm_card_visa", added_by=clerk)

    assert method.billing_account == parent


def test_the_same_token_sent_twice_stores_one_method(payer, clerk):
    first = payment_method_add(billing_account=payer, token="pm_card_visa", added_by=clerk)

    again = payment_method_add(billing_account=payer, token="pm_card_visa", added_by=clerk)

    assert again == first
    assert PaymentMethod.objects.count() == 1


def test_a_second_autopay_method_turns_the_first_off(payer, clerk):
    first = payment_method_add(billing_account=payer, token="pm_card_visa_1", added_by=clerk, autopay=True)

    second = payment_method_add(billing_account=payer, token="pm_card_visa_2", added_by=clerk, autopay=True)

    first.refresh_from_db()
    assert (first.autopay, second.autopay) == (False, True)


def test_setting_autopay_on_one_turns_it_off_on_the_other(payer, clerk):
    first = payment_method_add(billing_account=payer, token="pm_card_visa_1", added_by=clerk, autopay=True)
    second = payment_method_add(billing_account=payer, token="pm_card_visa_2", added_by=clerk)

    payment_method_set_autopay(payment_method=second, autopay=True, changed_by=clerk)

    assert dict(PaymentMethod.objects.values_list("pk", "autopay")) == {first.pk: False, second.pk: True}
    assert OutboxEvent.objects.filter(name="payment_method.autopay_changed").count() == 1


def test_removing_a_method_stops_its_autopay_and_a_second_removal_is_a_conflict(payer, clerk):
    method = payment_method_add(billing_account=payer, token="pm_card_visa", added_by=clerk, autopay=True)

    removed = payment_method_remove(payment_method=method, removed_by=clerk)

    assert (removed.status, removed.autopay, removed.removed_at is not None) == ("removed", False, True)
    with pytest.raises(Conflict):
        payment_method_remove(payment_method=method, removed_by=clerk)
    with pytest.raises(Conflict):
        payment_method_set_autopay(payment_method=method, autopay=True, changed_by=clerk)


def test_only_billing_staff_manage_methods(payer, clerk, stripe_standin):
    method = payment_method_add(billing_account=payer, token="pm_card_visa", added_by=clerk)
    sales = make_user("sales")

    with pytest.raises(Forbidden):
        payment_method_add(billing_account=payer, token="pm_card_visa_2", added_by=sales)
    with pytest.raises(Forbidden):
        payment_method_set_autopay(payment_method=method, autopay=True, changed_by=sales)
    with pytest.raises(Forbidden):
        payment_method_remove(payment_method=method, removed_by=sales)

    assert PaymentMethod.objects.count() == 1
    assert len(stripe_standin.requests) == 2  # the first add's customer and attach


def test_the_portal_acting_as_nobody_may_add(payer):
    method = payment_method_add(billing_account=payer, token="pm_card_visa", added_by=None, autopay=True)

    assert (method.autopay, method.created_by) == (True, None)


def test_without_a_gateway_a_method_cannot_be_stored(payer, clerk, settings):
    settings.HEADEND_PAYMENT_GATEWAY = ""

    with pytest.raises(Conflict):
        payment_method_add(billing_account=payer, token="pm_card_visa", added_by=clerk)
