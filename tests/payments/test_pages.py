"""The payments staff pages: the billing account page's payments section (standing, take a
payment, stored methods, dunning, promise to pay), one payment (refund, reverse), the invoice
page's payments and write-off, the payment list, the dunning queue and policies; who may see
them and who may move money."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from headend.billing.models import Invoice
from headend.core import clock
from headend.payments import dunning, payments
from headend.payments.models import DunningPolicy, Payment, PaymentMethod, PromiseToPay, Refund, WriteOff
from tests.factories import make_account, make_billing_account, make_overdue, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    return make_user("billing", first_name="Bea", last_name="Biller")


@pytest.fixture
def owed():
    """A business customer owing two invoices: $120.00 due 20 days ago and $80.00 due 5 days ago."""
    account = make_account(legal_name="Lubec Marine Supply Co.", name="Lubec Marine")
    older = make_overdue(account, "120.00", 20)
    newer = make_overdue(account, "80.00", 5)
    return {"account": account, "payer": older.billing_account, "older": older, "newer": newer}


@pytest.fixture
def paid(owed, clerk):
    """A cheque of $150.00 that paid the older invoice and $30.00 of the newer one."""
    payment = payments.payment_record(
        billing_account=owed["payer"], amount="150.00", means="cheque", reference="1042", recorded_by=clerk
    )
    return {**owed, "payment": payment}


def client_for(client, *roles):
    client.force_login(make_user(*roles))
    return client


def html_of(response) -> str:
    return response.content.decode()


def take_form(**values):
    return {"means": "cheque", "amount": "120.00", "reference": "1042", "received_on": "2026-03-01", **values}


# --- Every page answers billing staff -------------------------------------------------------------


def test_every_payments_page_renders_for_billing_staff(client, paid):
    client = client_for(client, "billing")
    urls = [
        paid["payer"].get_absolute_url(),
        paid["older"].get_absolute_url(),
        paid["payment"].get_absolute_url(),
        reverse("payments:payment_list"),
        reverse("payments:payment_list") + "?status=succeeded&means=cheque&from=2026-03-01&to=2026-03-02",
        reverse("payments:payment_take", args=[paid["payer"].pk]),
        reverse("payments:write_off_create", args=[paid["newer"].pk]),
        reverse("payments:payment_method_add", args=[paid["payer"].pk]),
        reverse("payments:promise_create", args=[paid["payer"].pk]),
        reverse("payments:dunning_queue"),
        reverse("payments:dunning_policy_list"),
        reverse("payments:dunning_policy_edit", args=["business"]),
    ]

    assert [client.get(url).status_code for url in urls] == [200] * len(urls)


def test_navigation_links_payments_and_dunning_for_billing_readers_only(client):
    billing = html_of(client_for(client, "billing").get(reverse("payments:payment_list")))
    provisioning = client_for(client, "provisioning")

    assert f'<a href="{reverse("payments:payment_list")}" aria-current="page">Payments</a>' in billing
    assert f'href="{reverse("payments:dunning_queue")}"' in billing
    assert provisioning.get(reverse("payments:payment_list")).status_code == 403
    assert reverse("payments:dunning_queue") not in html_of(provisioning.get(reverse("home")))
    # Sales read payments (billing.read) but do not chase them: the page opens, the menu leaves it out.
    sales = client_for(client, "sales")
    assert sales.get(reverse("payments:payment_list")).status_code == 200
    assert f'href="{reverse("payments:payment_list")}"' not in html_of(sales.get(reverse("home")))


# --- The billing account page ----------------------------------------------------------------------


def test_account_page_shows_standing_credit_and_the_payment_form(client, owed):
    html = html_of(client_for(client, "billing").get(owed["payer"].get_absolute_url()))

    assert '<h2 id="payments-heading">Payments and collections' in html
    assert '<div class="figure" data-testid="overdue">$200.00</div>' in html
    assert '<div class="figure" data-testid="days-past-due">20</div>' in html
    assert '<div class="figure" data-testid="credit">$0.00</div>' in html
    assert f'action="{reverse("payments:payment_take", args=[owed["payer"].pk])}"' in html
    assert f'value="{owed["older"].pk}"' in html  # an open invoice to tick
    assert 'value="200.00"' in html  # the amount offered: all that is owed
    assert "No card or bank account stored." in html


def test_manual_payment_from_the_account_page_settles_the_invoice(client, owed, run_worker):
    client = client_for(client, "billing")

    response = client.post(
        reverse("payments:payment_take", args=[owed["payer"].pk]), take_form(invoices=[str(owed["newer"].pk)])
    )

    assert response.status_code == 302
    assert response["Location"] == owed["payer"].get_absolute_url()
    payment = Payment.objects.get()
    assert (payment.means, payment.amount, payment.reference, payment.received_on, payment.status) == (
        "cheque", Decimal("120.00"), "1042", dt.date(2026, 3, 1), "succeeded",
    )  # fmt: skip
    owed["newer"].refresh_from_db()
    owed["older"].refresh_from_db()
    assert (owed["newer"].status, owed["newer"].amount_due) == ("settled", Decimal(0))  # the one ticked first
    assert (owed["older"].status, owed["older"].amount_due) == ("partially_paid", Decimal("80.00"))
    page = client.get(owed["payer"].get_absolute_url())
    html = html_of(page)
    assert f"Payment {payment.number} of $120.00 recorded." in html
    assert f'<a href="{payment.get_absolute_url()}">{payment.number}</a>' in html
    assert '<div class="figure" data-testid="overdue">$80.00</div>' in html


def test_a_payment_form_sent_twice_records_one_payment(client, owed):
    client = client_for(client, "billing")
    html = html_of(client.get(owed["payer"].get_absolute_url()))
    key = html.split('name="key" value="', 1)[1].split('"', 1)[0]
    url = reverse("payments:payment_take", args=[owed["payer"].pk])

    first = client.post(url, take_form(key=key))
    second = client.post(url, take_form(key=key))  # a double click

    assert (first.status_code, second.status_code) == (302, 302)
    assert Payment.objects.count() == 1
    owed["older"].refresh_from_db()
    assert owed["older"].amount_due == Decimal("0.00")


def test_an_overpayment_is_kept_as_credit(client, owed):
    client = client_for(client, "billing")

    client.post(reverse("payments:payment_take", args=[owed["payer"].pk]), take_form(amount="250.00"))

    html = html_of(client.get(owed["payer"].get_absolute_url()))
    assert "$50.00 is credit" in html
    assert '<div class="figure" data-testid="credit">$50.00</div>' in html
    assert '<span class="badge badge-completed">Paid up</span>' in html


def test_payment_form_shows_the_use_cases_error_on_its_field_and_writes_nothing(client, owed):
    client = client_for(client, "billing")
    url = reverse("payments:payment_take", args=[owed["payer"].pk])

    no_cheque_number = client.post(url, take_form(reference=""))
    future = client.post(url, take_form(received_on="2026-03-03"))

    assert no_cheque_number.status_code == 200
    assert no_cheque_number.context["form"].errors == {"reference": ["Give the cheque number."]}
    assert '<small class="error" id="id_reference-error">Give the cheque number.</small>' in html_of(no_cheque_number)
    assert future.context["form"].errors == {"received_on": ["A payment cannot be received in the future."]}
    assert not Payment.objects.exists()
    owed["older"].refresh_from_db()
    assert owed["older"].amount_due == Decimal("120.00")


def test_a_billing_account_its_parent_pays_for_points_to_the_payer(client, owed):
    child = make_billing_account(owed["account"], name="Warehouse", parent=owed["payer"])

    html = html_of(client_for(client, "billing").get(child.get_absolute_url()))

    assert f'Paid by <a href="{owed["payer"].get_absolute_url()}">' in html
    assert reverse("payments:payment_take", args=[child.pk]) not in html


# --- Payment methods ---------------------------------------------------------------------------------


def test_method_form_stores_a_token_and_the_page_lists_it(client, owed, gateway_settings):
    client = client_for(client, "billing")

    response = client.post(
        reverse("payments:payment_method_add", args=[owed["payer"].pk]), {"token": "pm_card_visa", "autopay": "on"}
    )

    assert response.status_code == 302
    method = PaymentMethod.objects.get()
    assert (method.billing_account, method.last4, method.autopay) == (owed["payer"], "4242", True)
    html = html_of(client.get(owed["payer"].get_absolute_url()))
    assert "Visa •••• 4242" in html
    assert "12/2030" in html
    assert '<span class="badge badge-active">Autopay</span>' in html
    assert "Stored card or bank account" in html  # the payment form offers it


def test_method_form_refuses_a_card_number_on_its_field(client, owed, gateway_settings):
    response = client_for(client, "billing").post(
        reverse("payments:payment_method_add", args=[owed["payer"].pk]), {"token": "4242 4242 4242 4242"}
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["token"]
    assert "Never type a card number here" in html_of(response)
    assert not PaymentMethod.objects.exists()


def stored_method(payer, *, autopay=False):
    return PaymentMethod.objects.create(
        billing_account=payer, kind="card", gateway="stripe", gateway_customer="cus_1", token="pm_card_visa",
        brand="Visa", last4="4242", exp_month=12, exp_year=2030, autopay=autopay, created_at=clock.now(),
    )  # fmt: skip


def test_autopay_is_turned_off_and_the_method_removed(client, owed):
    method = stored_method(owed["payer"], autopay=True)
    client = client_for(client, "billing")

    off = client.post(reverse("payments:payment_method_autopay", args=[method.pk]), {"autopay": "off"})
    method.refresh_from_db()
    assert (off.status_code, method.autopay) == (302, False)

    removed = client.post(reverse("payments:payment_method_remove", args=[method.pk]))

    method.refresh_from_db()
    assert (removed.status_code, method.status) == (302, "removed")
    assert "Visa •••• 4242" not in html_of(client.get(owed["payer"].get_absolute_url()))


# --- One payment: refund, reverse ------------------------------------------------------------------


def test_payment_page_shows_what_it_paid_and_its_history(client, paid):
    payment, older, newer = paid["payment"], paid["older"], paid["newer"]

    response = client_for(client, "billing").get(payment.get_absolute_url())

    html = html_of(response)
    assert f"<h1>Payment {payment.number}</h1>" in html
    assert '<div class="figure" data-testid="amount">$150.00</div>' in html
    assert [(row.invoice, row.amount) for row in response.context["allocations"]] == [
        (older, Decimal("120.00")), (newer, Decimal("30.00")),
    ]  # fmt: skip
    assert f'<a href="{older.get_absolute_url()}">{older.display_number}</a>' in html
    assert [(row.status, row.unapplied_amount) for row in response.context["history"]] == [
        ("pending", 0), ("succeeded", 0), ("succeeded", 0),
    ]  # fmt: skip
    assert "Bea Biller" in html
    for action in ("refund_create", "payment_reverse"):
        assert reverse(f"payments:{action}", args=[payment.pk]) in html


def test_refund_above_the_payment_shows_the_error_on_its_field_and_writes_nothing(client, paid):
    payment = paid["payment"]

    response = client_for(client, "billing").post(
        reverse("payments:refund_create", args=[payment.pk]), {"amount": "150.01", "reason": "Paid twice"}
    )

    assert response.status_code == 200
    message = f"At most 150.00 USD of {payment.number} can be refunded."
    assert response.context["refund_form"].errors == {"amount": [message]}
    assert f'<small class="error" id="id_amount-error">{message}</small>' in html_of(response)
    assert not Refund.objects.exists()
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal(0)


def test_refund_reopens_what_the_payment_paid_newest_first(client, paid):
    payment, newer = paid["payment"], paid["newer"]

    response = client_for(client, "billing").post(
        reverse("payments:refund_create", args=[payment.pk]), {"amount": "20.00", "reason": "Goodwill"}
    )

    assert response["Location"] == payment.get_absolute_url()
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.reason) == (Decimal("20.00"), "succeeded", "Goodwill")
    newer.refresh_from_db()
    assert newer.amount_due == Decimal("70.00")


def test_reverse_form_reopens_the_invoices_a_bounced_cheque_paid(client, paid):
    payment, older = paid["payment"], paid["older"]
    client = client_for(client, "billing")

    needs_reason = client.post(reverse("payments:payment_reverse", args=[payment.pk]), {"reason": ""})
    reversed_ = client.post(reverse("payments:payment_reverse", args=[payment.pk]), {"reason": "Cheque bounced"})

    assert needs_reason.context["reverse_form"].errors == {"reason": ["This field is required."]}
    assert reversed_.status_code == 302
    payment.refresh_from_db()
    older.refresh_from_db()
    assert (payment.status, payment.reversal_reason) == ("reversed", "Cheque bounced")
    assert (older.status, older.amount_due) == ("finalised", Decimal("120.00"))


# --- The invoice page: payments and write-off --------------------------------------------------------


def test_invoice_page_shows_the_payments_allocated_to_it(client, paid):
    newer, payment = paid["newer"], paid["payment"]

    html = html_of(client_for(client, "billing").get(newer.get_absolute_url()))

    assert '<h2 id="paid-heading">Payments</h2>' in html
    assert f'<a href="{payment.get_absolute_url()}">{payment.number}</a> Cheque 1042' in html
    assert '<td class="num">$30.00</td>' in html
    assert reverse("payments:write_off_create", args=[newer.pk]) in html


def test_write_off_form_writes_off_what_is_owed(client, paid):
    newer = paid["newer"]
    client = client_for(client, "billing")

    too_much = client.post(
        reverse("payments:write_off_create", args=[newer.pk]), {"amount": "50.01", "reason": "Gone out of business"}
    )
    written = client.post(reverse("payments:write_off_create", args=[newer.pk]), {"reason": "Gone out of business"})

    assert too_much.status_code == 200
    assert too_much.context["form"].errors == {"amount": [f"{newer.number} owes 50.00; no more can be written off."]}
    assert written["Location"] == newer.get_absolute_url()
    newer.refresh_from_db()
    assert (newer.status, newer.amount_due) == ("settled", Decimal(0))
    assert WriteOff.objects.get().amount == Decimal("50.00")
    html = html_of(client.get(newer.get_absolute_url()))
    assert "<td>Written off</td><td>Gone out of business · " in html
    assert reverse("payments:write_off_create", args=[newer.pk]) not in html  # nothing owed any more


# --- The payment list -------------------------------------------------------------------------------


def test_payment_list_filters_by_status_means_and_dates(client, paid, clerk):
    transfer = payments.payment_record(
        billing_account=paid["payer"], amount="10.00", means="bank_transfer", received_on="2026-02-20",
        recorded_by=clerk,
    )  # fmt: skip
    client = client_for(client, "sales")
    url = reverse("payments:payment_list")

    def listed(query):
        return [payment.pk for payment in client.get(url + query).context["items"]]

    assert listed("") == [paid["payment"].pk, transfer.pk]
    assert listed("?means=bank_transfer") == [transfer.pk]
    assert listed("?status=reversed") == []
    assert listed("?from=2026-03-01") == [paid["payment"].pk]
    assert listed("?to=2026-02-28") == [transfer.pk]
    assert listed("?means=bogus&from=not-a-date") == [paid["payment"].pk, transfer.pk]


# --- Dunning -----------------------------------------------------------------------------------------


def test_dunning_queue_shows_who_is_overdue_and_what_comes_next(client, owed):
    response = client_for(client, "billing").get(reverse("payments:dunning_queue"))

    html = html_of(response)
    [row] = response.context["rows"]
    assert (row.payer, row.days_past_due, row.overdue_amount) == (owed["payer"], 20, Decimal("200.00"))
    assert f'<a href="{owed["payer"].get_absolute_url()}">Lubec Marine' in html
    assert '<td class="num">$200.00</td>' in html
    assert row.next_action in html


def test_dunning_policy_form_saves_and_shows_errors(client):
    client = client_for(client, "finance")
    url = reverse("payments:dunning_policy_edit", args=["business"])
    form = {
        "grace_days": "15", "minimum_overdue_amount": "25.00", "reminder_days": "20, 5, 10", "late_fee_amount": "25",
        "late_fee_percent": "1.5", "suspend_after_days": "45", "waive_late_fee_on_payment": "on",
    }  # fmt: skip

    bad = client.post(url, {**form, "reminder_days": "5, soon"})
    saved = client.post(url, form)

    assert bad.status_code == 200
    assert bad.context["form"].errors == {"reminder_days": ["'soon' is not a day from 1 to 365."]}
    assert saved["Location"] == reverse("payments:dunning_policy_list")
    policy = DunningPolicy.objects.get(customer_type="business")
    assert (policy.grace_days, policy.reminder_days, policy.late_fee_percent, policy.suspend_after_days) == (
        15, [5, 10, 20], Decimal("1.50"), 45,
    )  # fmt: skip
    assert client.get(reverse("payments:dunning_policy_edit", args=["martian"])).status_code == 404


def test_promise_form_records_a_promise_the_account_page_shows(client, owed):
    client = client_for(client, "support")
    url = reverse("payments:promise_create", args=[owed["payer"].pk])

    past = client.post(url, {"until": "2026-03-01", "amount": "200.00"})
    made = client.post(url, {"until": "2026-03-16", "amount": "200.00", "note": "Paying after the boat show"})

    assert past.context["form"].errors == {"until": ["A promise is to pay by a day after today."]}
    assert made["Location"] == owed["payer"].get_absolute_url()
    promise = PromiseToPay.objects.get()
    assert (promise.until, promise.amount) == (dt.date(2026, 3, 16), Decimal("200.00"))
    html = html_of(client.get(owed["payer"].get_absolute_url()))
    assert "Promised $200.00 by Mar 16, 2026 (Paying after the boat show)" in html

    cancelled = client.post(reverse("payments:promise_cancel", args=[promise.pk]))

    promise.refresh_from_db()
    assert (cancelled.status_code, promise.cancelled_at) == (302, clock.now())


def test_account_page_lists_the_dunning_steps_taken(client, owed):
    dunning.run(clock.today())

    response = client_for(client, "billing").get(owed["payer"].get_absolute_url())

    assert dunning.steps_of(owed["payer"])
    for step in dunning.steps_of(owed["payer"]):
        assert step.get_step_display() in html_of(response)


# --- Who may move money -----------------------------------------------------------------------------


def test_sales_sees_no_money_forms(client, paid):
    client = client_for(client, "sales")

    account_html = html_of(client.get(paid["payer"].get_absolute_url()))
    payment_html = html_of(client.get(paid["payment"].get_absolute_url()))
    invoice_html = html_of(client.get(paid["newer"].get_absolute_url()))
    policies_html = html_of(client.get(reverse("payments:dunning_policy_list")))

    assert '<h2 id="payments-heading">' in account_html  # sales may read billing
    assert reverse("payments:payment_take", args=[paid["payer"].pk]) not in account_html
    assert reverse("payments:payment_method_add", args=[paid["payer"].pk]) not in account_html
    assert reverse("payments:promise_create", args=[paid["payer"].pk]) not in account_html
    assert reverse("payments:refund_create", args=[paid["payment"].pk]) not in payment_html
    assert reverse("payments:payment_reverse", args=[paid["payment"].pk]) not in payment_html
    assert reverse("payments:write_off_create", args=[paid["newer"].pk]) not in invoice_html
    assert reverse("payments:dunning_policy_edit", args=["business"]) not in policies_html


def test_money_forms_are_refused_to_sales(client, paid):
    client = client_for(client, "sales")
    payer, payment, newer = paid["payer"], paid["payment"], paid["newer"]
    method = stored_method(payer)
    posts = {
        reverse("payments:payment_take", args=[payer.pk]): take_form(),
        reverse("payments:refund_create", args=[payment.pk]): {"amount": "1", "reason": "x"},
        reverse("payments:payment_reverse", args=[payment.pk]): {"reason": "x"},
        reverse("payments:write_off_create", args=[newer.pk]): {"reason": "x"},
        reverse("payments:payment_method_add", args=[payer.pk]): {"token": "pm_card_visa"},
        reverse("payments:payment_method_autopay", args=[method.pk]): {"autopay": "on"},
        reverse("payments:payment_method_remove", args=[method.pk]): {},
        reverse("payments:promise_create", args=[payer.pk]): {"until": "2026-03-16", "amount": "1"},
        reverse("payments:dunning_policy_edit", args=["business"]): {"grace_days": "1"},
    }

    assert [client.post(url, data).status_code for url, data in posts.items()] == [403] * len(posts)
    assert (Payment.objects.count(), Refund.objects.count(), WriteOff.objects.count()) == (1, 0, 0)
    assert (PromiseToPay.objects.count(), PaymentMethod.objects.get().status) == (0, "active")
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert Invoice.objects.get(pk=newer.pk).amount_due == Decimal("50.00")
