"""Bill pay in the portal: the customer's invoices and their PDF, pay now (against the Stripe
stand-in: settled, declined, pay ahead, a double submit charging once), stored methods with
autopay, the payment history; another customer's ids are 404 and a technical login sees none
of it."""

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse

from headend.billing.models import Invoice
from headend.core import clock
from headend.payments import allocation, methods, payments
from headend.payments.models import Payment, PaymentMethod
from headend.portal.auth import session_values
from headend.portal.models import PortalLogin
from tests.factories import make_account, make_billing_account, make_invoice, make_user
from tests.payments import conftest as payment_fixtures
from tests.payments.stripe_standin import DECLINE_MESSAGE
from tests.portal.conftest import make_portal_login, sign_in

pytestmark = pytest.mark.django_db
# The Stripe stand-in (tests/payments) and Debian's Chromium (tests/e2e), shared from their conftests.
stripe_standin, gateway_settings = payment_fixtures.stripe_standin, payment_fixtures.gateway_settings
SHOTS = Path("/tmp/portal-shots")


@pytest.fixture
def payer(customer_login):
    """The signed-in customer's billing account (conftest: `customer_login`, `customer`)."""
    return make_billing_account(customer_login.account)


@pytest.fixture
def other_payer(other_login):
    return make_billing_account(other_login.account)


def key() -> str:
    return f"portal-{uuid.uuid4()}"


def pay(client, payer, *, step, invoices=(), amount="", method="", token="", form_key=None):
    data = {"step": step, "invoices": [i.pk for i in invoices], "amount": amount, "method": method, "token": token}
    data["key"] = form_key or key()
    return client.post(reverse("portal:bill_pay_for", args=[payer.pk]), data)


def stored(payer, token="pm_card_visa", *, autopay=False) -> PaymentMethod:
    return methods.payment_method_add(
        billing_account=payer, token=f"{token}_{uuid.uuid4().hex[:6]}", added_by=None, autopay=autopay
    )


# The bills page and invoices ---------------------------------------------------------------------


def test_bills_page_lists_the_customers_invoices_newest_first_with_their_standing(customer, payer, other_payer):
    today = clock.today()
    overdue = make_invoice(payer, "40.00", bill_date=today - dt.timedelta(days=40), due_in=10)
    due = make_invoice(payer, "100.00", bill_date=today)
    foreign = make_invoice(other_payer, "77.00")

    html = customer.get(reverse("portal:bills")).content.decode()

    assert html.index(due.number) < html.index(overdue.number)
    assert foreign.number not in html
    assert ">Overdue</span>" in html
    assert ">Due</span>" in html
    assert "$140.00" in html  # what is owed
    assert "$40.00" in html  # of it overdue
    assert "Next invoice" in html


def test_invoice_page_shows_its_lines_and_a_pay_link(customer, payer):
    invoice = make_invoice(payer, "100.00")

    response = customer.get(reverse("portal:bill_invoice", args=[invoice.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Charge" in html
    assert "$100.00" in html
    assert f"?invoice={invoice.pk}" in html
    assert reverse("portal:bill_invoice_pdf", args=[invoice.pk]) in html


def test_invoice_pdf_is_a_download_never_inline(customer, payer):
    invoice = make_invoice(payer, "100.00")

    response = customer.get(reverse("portal:bill_invoice_pdf", args=[invoice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert invoice.number in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("route", ["portal:bill_invoice", "portal:bill_invoice_pdf"])
def test_another_customers_invoice_is_404(customer, other_payer, route):
    foreign = make_invoice(other_payer, "77.00")

    assert customer.get(reverse(route, args=[foreign.pk])).status_code == 404


def test_another_customers_payment_is_404(customer, other_payer):
    make_invoice(other_payer, "77.00")
    foreign = payments.payment_record(
        billing_account=other_payer, amount="77.00", means="bank_transfer", recorded_by=make_user("billing")
    )

    assert customer.get(reverse("portal:bill_payment", args=[foreign.pk])).status_code == 404
    assert customer.get(reverse("portal:bill_pay_for", args=[other_payer.pk])).status_code == 404


def test_a_technical_login_sees_no_bill_page(client, payer):
    sign_in(client, make_portal_login(payer.account, role=PortalLogin.Role.TECHNICAL))
    invoice = make_invoice(payer, "10.00")

    for url in (reverse("portal:bills"), reverse("portal:bill_invoice", args=[invoice.pk]), reverse("portal:bill_pay")):
        assert client.get(url).status_code == 404


def test_a_billing_login_sees_the_bills(client, payer):
    sign_in(client, make_portal_login(payer.account, role=PortalLogin.Role.BILLING))

    assert client.get(reverse("portal:bills")).status_code == 200


# Pay now -----------------------------------------------------------------------------------------


def test_without_a_gateway_pay_now_says_how_to_pay_by_cheque_or_transfer(customer, payer, settings):
    settings.HEADEND_PAYMENT_GATEWAY = ""
    make_invoice(payer, "100.00")

    html = customer.get(reverse("portal:bill_pay_for", args=[payer.pk])).content.decode()

    assert "cheque or bank transfer" in html
    assert settings.HEADEND_PROVIDER_NAME in html
    assert payer.number in html
    assert 'name="step"' not in html


def test_pay_now_defaults_to_all_that_is_due_then_confirms_and_a_double_submit_charges_once(
    customer, payer, gateway_settings, stripe_standin
):
    first = make_invoice(payer, "40.00", bill_date=clock.today() - dt.timedelta(days=30), due_in=10)
    second = make_invoice(payer, "60.00")
    method = stored(payer)
    form = customer.get(reverse("portal:bill_pay_for", args=[payer.pk])).context["form"]
    assert form.initial["invoices"] == [first.pk, second.pk]
    form_key = key()

    review = pay(customer, payer, step="review", invoices=[first, second], method=method.pk, form_key=form_key)
    assert "Pay $100.00" in review.content.decode()
    assert Payment.objects.count() == 0
    answers = [
        pay(customer, payer, step="confirm", invoices=[first, second], method=method.pk, form_key=form_key)
        for _ in range(2)
    ]

    (payment,) = Payment.objects.all()
    assert [answer["Location"] for answer in answers] == [reverse("portal:bill_payment", args=[payment.pk])] * 2
    assert (payment.status, payment.amount, payment.created_by) == ("succeeded", Decimal("100.00"), None)
    assert stripe_standin.intents_per_key == {f"{form_key}-create": 1}
    assert len(stripe_standin.charges) == 1
    assert set(Invoice.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", "amount_due")) == {
        ("settled", Decimal("0.00"))
    }
    assert "Paid: $100.00" in customer.get(answers[0]["Location"]).content.decode()


def test_a_declined_card_shows_the_banks_words_and_changes_nothing_owed(customer, payer, gateway_settings):
    invoice = make_invoice(payer, "100.00")
    method = stored(payer, "pm_card_chargeDeclined")

    answer = pay(customer, payer, step="confirm", invoices=[invoice], method=method.pk)

    html = customer.get(answer["Location"]).content.decode()
    assert "Declined" in html
    assert DECLINE_MESSAGE in html
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_due) == ("finalised", Decimal("100.00"))
    assert Payment.objects.get().status == "failed"


def test_paying_ahead_says_what_becomes_credit_before_confirming_and_leaves_it(customer, payer, gateway_settings):
    invoice = make_invoice(payer, "100.00")
    method = stored(payer)
    form_key = key()

    review = pay(
        customer, payer, step="review", invoices=[invoice], amount="150.00", method=method.pk, form_key=form_key
    )
    assert "$50.00 is more than you owe" in review.content.decode()
    pay(customer, payer, step="confirm", invoices=[invoice], amount="150.00", method=method.pk, form_key=form_key)

    invoice.refresh_from_db()
    assert invoice.amount_due == Decimal("0.00")
    assert allocation.credit_balance(payer) == Decimal("50.00")


def test_pay_with_a_new_token_stores_it_and_pays(customer, payer, gateway_settings):
    invoice = make_invoice(payer, "100.00")

    answer = pay(customer, payer, step="confirm", invoices=[invoice], method="new", token="pm_card_visa_new1")

    assert answer.status_code == 302
    assert PaymentMethod.objects.get().token == "pm_card_visa_new1"
    invoice.refresh_from_db()
    assert invoice.status == "settled"


def test_a_bank_debit_is_pending_until_the_bank_confirms(customer, payer, gateway_settings):
    invoice = make_invoice(payer, "100.00")
    method = stored(payer, "pm_usBankAccount")

    answer = pay(customer, payer, step="confirm", invoices=[invoice], method=method.pk)

    assert "Pending" in customer.get(answer["Location"]).content.decode()
    invoice.refresh_from_db()
    assert invoice.amount_due == Decimal("100.00")


@pytest.mark.parametrize("number", ["4242424242424242", "4242 4242 4242 4242", "4000-0566-5566-5556"])
def test_a_card_number_typed_as_the_token_is_refused_on_the_field(customer, payer, gateway_settings, number):
    invoice = make_invoice(payer, "100.00")

    answer = pay(customer, payer, step="confirm", invoices=[invoice], method="new", token=number)
    stored_answer = customer.post(reverse("portal:bill_methods"), {"token": number})

    assert "looks like a card or account number" in " ".join(answer.context["form"].errors["token"])
    assert "looks like a card or account number" in " ".join(stored_answer.context["form"].errors["token"])
    assert (PaymentMethod.objects.count(), Payment.objects.count()) == (0, 0)


def test_nothing_ticked_and_no_amount_is_a_field_error(customer, payer, gateway_settings):
    make_invoice(payer, "100.00")
    method = stored(payer)

    answer = pay(customer, payer, step="confirm", method=method.pk)

    assert answer.context["form"].errors["amount"] == ["Tick the invoices to pay or type an amount."]
    assert Payment.objects.count() == 0


# Stored methods and history ----------------------------------------------------------------------


def test_methods_page_adds_by_token_and_lists_brand_last_four_expiry_and_autopay(customer, payer, gateway_settings):
    answer = customer.post(reverse("portal:bill_methods"), {"token": "pm_card_visa_add1", "autopay": "on"})

    assert answer.status_code == 302
    html = customer.get(reverse("portal:bill_methods")).content.decode()
    assert "Visa</strong> ending 4242" in html
    assert "Expires 12/2030" in html
    assert ">Autopay</span>" in html
    assert PaymentMethod.objects.get().autopay is True


def test_autopay_is_on_for_one_method_at_a_time_and_turns_off(customer, payer, gateway_settings):
    first, second = stored(payer, autopay=True), stored(payer)

    customer.post(reverse("portal:bill_method_autopay", args=[second.pk]), {"autopay": "on"})
    assert [m.autopay for m in PaymentMethod.objects.order_by("id")] == [False, True]
    customer.post(reverse("portal:bill_method_autopay", args=[second.pk]), {"autopay": "off"})

    assert [m.autopay for m in PaymentMethod.objects.order_by("id")] == [False, False]
    assert first.pk < second.pk


def test_remove_a_method(customer, payer, gateway_settings):
    method = stored(payer)

    customer.post(reverse("portal:bill_method_remove", args=[method.pk]))

    method.refresh_from_db()
    assert method.status == "removed"
    assert list(customer.get(reverse("portal:bill_methods")).context["methods"]) == []


@pytest.mark.parametrize("route", ["portal:bill_method_remove", "portal:bill_method_autopay"])
def test_another_customers_method_is_404_and_unchanged(customer, other_payer, gateway_settings, route):
    foreign = stored(other_payer)

    assert customer.post(reverse(route, args=[foreign.pk]), {"autopay": "on"}).status_code == 404

    foreign.refresh_from_db()
    assert (foreign.status, foreign.autopay) == ("active", False)


def test_history_lists_payments_what_they_paid_and_refunds(customer, payer, gateway_settings):
    invoice = make_invoice(payer, "100.00")
    pay(customer, payer, step="confirm", invoices=[invoice], amount="120.00", method=stored(payer).pk)
    payments.refund_create(
        payment=Payment.objects.get(), amount="20.00", reason="Overpaid", refunded_by=make_user("billing")
    )

    html = customer.get(reverse("portal:bill_payments")).content.decode()

    assert "Visa ending 4242" in html
    assert "$120.00" in html
    assert "Succeeded" in html
    assert invoice.number in html
    assert "Refund REF-" in html
    assert "$20.00" in html


# In the browser ----------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_bills_page_fits_a_desk_and_a_phone(page, live_server):
    payer = make_billing_account(make_account("residential"))
    today = clock.today()
    make_invoice(payer, "54.99", bill_date=today - dt.timedelta(days=62), due_in=15)
    make_invoice(payer, "79.00", bill_date=today - dt.timedelta(days=31), due_in=15)
    make_invoice(payer, "79.00", bill_date=today)
    login = make_portal_login(payer.account)
    page.goto(f"{live_server.url}/portal/signin/")
    store = SessionStore()
    store.update(session_values(login))
    store.create()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": live_server.url}]
    )
    SHOTS.mkdir(parents=True, exist_ok=True)

    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}{reverse('portal:bills')}")
        page.screenshot(path=str(SHOTS / f"bills-{width}.png"), full_page=True)

        assert page.get_by_role("heading", name="Bills", exact=True).is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
