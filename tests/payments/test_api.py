"""TMF676 payment and refund, TMF670 paymentMethod: every body validates against the official
definitions; bad input names the field and writes nothing; only billing staff move money."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headend.billing.invoices import invoice_void
from headend.payments.models import Allocation, Payment, PaymentMethod, Refund
from tests.api.client import TMFClient, assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_billing_account, make_invoice, make_user
from tests.payments.stripe_standin import ACH, DECLINE_MESSAGE, DECLINED, VISA

pytestmark = pytest.mark.django_db
D = Decimal

PAYMENTS = "/paymentManagement/v4/payment"
REFUNDS = "/paymentManagement/v4/refund"
METHODS = "/paymentMethod/v4/paymentMethod"
HOST = "http://testserver/tmf-api"


@pytest.fixture
def clerk():
    return make_user("billing")


@pytest.fixture
def billing_api(client, clerk):
    return TMFClient.for_user(client, clerk)


@pytest.fixture
def payer():
    return make_billing_account()


def valid_payment(data):
    assert_valid(data, api="676", definition="Payment")
    return data


def valid_refund(data):
    assert_valid(data, api="676", definition="Refund")
    return data


def valid_method(data):
    assert_valid(data, api="670", definition="PaymentMethod")
    assert not {"token", "cardNumber", "cvv", "accountNumber"} & set(data)
    return data


def cheque(payer, value="80.00", **extra):
    return {
        "account": {"id": str(payer.pk)},
        "totalAmount": {"unit": "USD", "value": value},
        "paymentMethod": {"@type": "check", "checkId": "1001"},
        **extra,
    }


def usd(value):
    return {"unit": "USD", "value": D(value)}


def bill_ref(invoice):
    return {
        "id": str(invoice.pk),
        "href": f"{HOST}/customerBillManagement/v4/customerBill/{invoice.pk}",
        "name": invoice.display_number,
        "@referredType": "CustomerBill",
    }


def store_method(api, payer, token=VISA, **extra):
    response = api.post(METHODS, {"@type": "bankCard", "token": token, "account": [{"id": str(payer.pk)}], **extra})
    assert response.status_code == 201, response.content
    return valid_method(body(response))


# TMF676 payment: money received by hand


def test_a_cheque_pays_the_invoice_it_names_and_reads_back_the_same(billing_api, payer):
    older = make_invoice(payer, "60.00", bill_date=dt.date(2026, 2, 1))
    named = make_invoice(payer, "50.00", bill_date=dt.date(2026, 2, 2))

    response = billing_api.post(
        PAYMENTS, cheque(payer, paymentItem=[{"item": {"id": str(named.pk)}}], paymentDate="2026-03-01T10:00:00-05:00")
    )

    assert response.status_code == 201, response.content
    payment = Payment.objects.get()
    assert (payment.means, payment.reference, payment.received_on) == ("cheque", "1001", dt.date(2026, 3, 1))
    created = valid_payment(body(response))
    money = {"unit": "USD", "value": D("80.00")}
    assert created | {"statusDate": None} == {
        "id": str(payment.pk),
        "href": f"{HOST}/paymentManagement/v4/payment/{payment.pk}",
        "@type": "Payment",
        "name": payment.number,
        "description": "Cheque 1001",
        "correlatorId": "1001",
        "paymentDate": "2026-03-01T00:00:00-05:00",
        "status": "done",
        "statusDate": None,
        "account": {
            "id": str(payer.pk),
            "href": f"{HOST}/accountManagement/v4/billingAccount/{payer.pk}",
            "name": payer.name,
            "@referredType": "BillingAccount",
        },
        "payer": {
            "id": str(payer.account_id),
            "href": f"{HOST}/customerManagement/v4/customer/{payer.account_id}",
            "name": payer.account.name,
            "role": "customer",
            "@referredType": "Customer",
        },
        "amount": money,
        "totalAmount": money,
        "refundedAmount": {"unit": "USD", "value": D("0.00")},
        "unappliedAmount": {"unit": "USD", "value": D("0.00")},
        "paymentMethod": {"name": "Cheque", "@type": "check"},
        "paymentItem": [
            {"item": bill_ref(older), "amount": usd("30.00"), "totalAmount": usd("30.00")},
            {"item": bill_ref(named), "amount": usd("50.00"), "totalAmount": usd("50.00")},
        ],
        "channel": {"id": "headend", "name": "Headend"},
    }
    assert valid_payment(body(billing_api.get(f"{PAYMENTS}/{payment.pk}"))) == created


def test_the_list_filters_by_account_and_status_and_pages(billing_api, payer):
    other = make_billing_account()
    for value in ("10.00", "20.00"):
        assert billing_api.post(PAYMENTS, cheque(payer, value)).status_code == 201
    assert billing_api.post(PAYMENTS, cheque(other, "30.00")).status_code == 201

    listed = billing_api.get(PAYMENTS, **{"account.id": payer.pk, "limit": 1})
    assert listed.status_code == 200
    assert (listed["X-Total-Count"], listed["X-Result-Count"]) == ("2", "1")
    [only] = body(listed)
    valid_payment(only)
    assert only["account"]["id"] == str(payer.pk)
    assert len(body(billing_api.get(PAYMENTS, status="done"))) == 3
    assert body(billing_api.get(PAYMENTS, status="pendingAuthorization")) == []
    assert_error(billing_api.get(PAYMENTS, status="settled"), status=400, field="status", api="676")
    assert set(body(billing_api.get(PAYMENTS, fields="status"))[0]) == {"id", "href", "@type", "status"}


def test_cash_and_bank_transfer_are_recorded_and_named_in_tmf670_words(billing_api, payer):
    for kind, means in (("cash", "cash"), ("bankAccountTransfer", "bank_transfer")):
        response = billing_api.post(
            PAYMENTS, {**cheque(payer, "5.00", correlatorId=f"REF-{kind}"), "paymentMethod": {"@type": kind}}
        )
        assert response.status_code == 201, response.content
        assert valid_payment(body(response))["paymentMethod"]["@type"] == kind
        assert Payment.objects.get(reference=f"REF-{kind}").means == means


# Bad input: the field named, nothing written


@pytest.fixture
def void_invoice(payer, clerk):
    invoice = make_invoice(payer, "40.00")
    return invoice_void(invoice=invoice, voided_by=clerk, reason="billed twice")


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"totalAmount": {"unit": "EUR", "value": "10.00"}}, 400, "currency_mismatch", "totalAmount.unit"),
        ({"totalAmount": {"unit": "USD", "value": "-10.00"}}, 400, "invalid_amount", "totalAmount.value"),
        ({"totalAmount": {"unit": "USD", "value": "0"}}, 400, "invalid_amount", "totalAmount.value"),
        ({"totalAmount": {"unit": "USD", "value": "1e400"}}, 400, None, "totalAmount.value"),
        ({"amount": {"unit": "USD", "value": "79.00"}}, 400, "amount_mismatch", "amount"),
        ({"account": {"id": "987654"}}, 400, "unknown_reference", "account.id"),
        ({"account": {"id": "99999999999999999999"}}, 400, "unknown_reference", "account.id"),
        ({"paymentItem": [{"item": {"id": "987654"}}]}, 400, "not_found", "paymentItem"),
        ({"paymentItem": [{"item": {"id": "x"}}]}, 400, "unknown_reference", "paymentItem[0].item.id"),
        ({"paymentMethod": {"@type": "voucher"}}, 400, "invalid_choice", "paymentMethod.@type"),
        ({"paymentMethod": {"@type": "bankCard"}}, 400, "invalid_choice", "paymentMethod.@type"),
        ({"paymentMethod": {"id": "987654"}}, 400, "unknown_reference", "paymentMethod.id"),
        ({"paymentMethod": {"@type": "check"}}, 400, "required", "correlatorId"),
        ({"paymentDate": "2026-03-09T00:00:00Z"}, 400, "future", "paymentDate"),
        ({"correlatorId": "x" * 65}, 400, "string_too_long", "correlatorId"),
        ({"totalAmount": None}, 400, None, "totalAmount"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(billing_api, payer, change, status, code, field):
    make_invoice(payer, "40.00")
    payment = {key: value for key, value in (cheque(payer) | change).items() if value is not None}
    assert_error(billing_api.post(PAYMENTS, payment), status=status, code=code, field=field, api="676")
    assert not Payment.objects.exists()
    assert not Allocation.objects.exists()


def test_a_payment_to_a_voided_invoice_is_refused(billing_api, payer, void_invoice):
    response = billing_api.post(PAYMENTS, cheque(payer, paymentItem=[{"item": {"id": str(void_invoice.pk)}}]))
    assert_error(response, status=400, code="invoice_void", field="paymentItem", api="676")
    assert not Payment.objects.exists()


def test_only_billing_staff_take_payments_and_sales_may_read_them(client, billing_api, payer):
    sales = TMFClient.for_user(client, make_user("sales"))
    assert_error(sales.post(PAYMENTS, cheque(payer)), status=403, code="role_required", api="676")
    assert_error(sales.post(REFUNDS, {"payment": {"id": "1"}}), status=403, code="role_required", api="676")
    assert_error(sales.post(METHODS, {"@type": "bankCard"}), status=403, code="role_required", api="670")
    assert not Payment.objects.exists()
    billing_api.post(PAYMENTS, cheque(payer))
    assert len(body(sales.get(PAYMENTS))) == 1
    provisioning = TMFClient.for_user(client, make_user("provisioning"))
    for path in (PAYMENTS, REFUNDS, METHODS):
        assert_error(provisioning.get(path), status=403, code="role_required", api="676")


def test_unknown_ids_are_404(billing_api):
    for path in (PAYMENTS, REFUNDS, METHODS):
        assert_error(billing_api.get(f"{path}/987654"), status=404, code="not_found", api="676")
        assert_error(billing_api.get(f"{path}/abc"), status=404, code="not_found", api="676")


# TMF676 refund


def test_a_refund_of_a_cheque_gives_part_back_and_validates(billing_api, payer):
    make_invoice(payer, "50.00")
    payment = Payment.objects.get(pk=body(billing_api.post(PAYMENTS, cheque(payer, "80.00")))["id"])

    response = billing_api.post(
        REFUNDS,
        {
            "payment": {"id": str(payment.pk)},
            "totalAmount": {"unit": "USD", "value": "30.00"},
            "description": "Overpaid",
        },
    )

    assert response.status_code == 201, response.content
    refund = Refund.objects.get()
    created = valid_refund(body(response))
    assert created | {"refundDate": None, "statusDate": None} == {
        "id": str(refund.pk),
        "href": f"{HOST}/paymentManagement/v4/refund/{refund.pk}",
        "@type": "Refund",
        "name": refund.number,
        "description": "Overpaid",
        "refundDate": None,
        "status": "done",
        "statusDate": None,
        "account": {
            "id": str(payer.pk),
            "href": f"{HOST}/accountManagement/v4/billingAccount/{payer.pk}",
            "name": payer.name,
            "@referredType": "BillingAccount",
        },
        "amount": {"unit": "USD", "value": D("30.00")},
        "totalAmount": {"unit": "USD", "value": D("30.00")},
        "payment": {
            "id": str(payment.pk),
            "href": f"{HOST}/paymentManagement/v4/payment/{payment.pk}",
            "name": payment.number,
            "@referredType": "Payment",
        },
        "paymentMethod": {"name": "Cheque", "@type": "check"},
    }
    payment.refresh_from_db()
    assert (payment.refunded_amount, payment.unapplied_amount) == (D("30.00"), D("0.00"))
    assert valid_refund(body(billing_api.get(f"{REFUNDS}/{refund.pk}"))) == created
    listed = body(billing_api.get(REFUNDS, **{"payment.id": payment.pk, "status": "done"}))
    assert [item["id"] for item in listed] == [str(refund.pk)]
    assert valid_payment(body(billing_api.get(f"{PAYMENTS}/{payment.pk}")))["refundedAmount"]["value"] == D("30.00")


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"totalAmount": {"unit": "USD", "value": "80.01"}}, 400, "above_paid", "totalAmount.value"),
        ({"totalAmount": None, "amount": {"unit": "USD", "value": "81"}}, 400, "above_paid", "amount.value"),
        ({"totalAmount": {"unit": "USD", "value": "-1"}}, 400, "invalid_amount", "totalAmount.value"),
        ({"totalAmount": {"unit": "EUR", "value": "1"}}, 400, "currency_mismatch", "totalAmount.unit"),
        ({"totalAmount": None}, 400, "required", "totalAmount"),
        ({"description": ""}, 400, "required", "description"),
        ({"payment": {"id": "987654"}}, 400, "unknown_reference", "payment.id"),
        ({"account": {"id": "987654"}}, 400, "account_mismatch", "account.id"),
    ],
)
def test_a_bad_refund_names_the_field_and_writes_nothing(billing_api, payer, change, status, code, field):
    payment_id = body(billing_api.post(PAYMENTS, cheque(payer, "80.00")))["id"]
    refund = {"payment": {"id": payment_id}, "totalAmount": {"unit": "USD", "value": "10"}, "description": "x"}
    refund = {key: value for key, value in (refund | change).items() if value is not None}
    assert_error(billing_api.post(REFUNDS, refund), status=status, code=code, field=field, api="676")
    assert not Refund.objects.exists()
    assert Payment.objects.get().refunded_amount == 0


# TMF670 paymentMethod and gateway payments (the Stripe stand-in)


def test_a_stored_card_shows_brand_last_four_and_expiry_never_the_token(billing_api, payer, gateway_settings):
    created = store_method(billing_api, payer, f"{VISA}_1", isPreferred=True, name="Main card")

    method = PaymentMethod.objects.get()
    assert created == {
        "id": str(method.pk),
        "href": f"{HOST}/paymentMethod/v4/paymentMethod/{method.pk}",
        "@type": "bankCard",
        "name": "Visa ending 4242",
        "description": f"{method.number} at stripe",
        "isPreferred": True,
        "status": "active",
        "statusDate": "2026-03-02T15:00:00Z",
        "validFor": {"startDateTime": "2026-03-02T15:00:00Z", "endDateTime": "2030-12-31T23:59:59-05:00"},
        "relatedParty": {
            "id": str(payer.account_id),
            "href": f"{HOST}/customerManagement/v4/customer/{payer.account_id}",
            "name": payer.account.name,
            "role": "customer",
            "@referredType": "Customer",
        },
        "account": [
            {
                "id": str(payer.pk),
                "href": f"{HOST}/accountManagement/v4/billingAccount/{payer.pk}",
                "name": payer.name,
                "@referredType": "BillingAccount",
            }
        ],
        "brand": "Visa",
        "lastFourDigits": "4242",
        "expirationDate": "2030-12-31T23:59:59-05:00",
        "nameOnCard": "Ada Lovelace",
    }
    assert method.autopay
    assert method.token.encode() not in billing_api.get(f"{METHODS}/{method.pk}").content
    assert method.token.encode() not in billing_api.get(METHODS, **{"account.id": payer.pk}).content


def test_a_bank_account_is_a_bank_account_debit(billing_api, payer, gateway_settings):
    created = store_method(billing_api, payer, f"{ACH}_1")
    assert (created["@type"], created["bank"], created["lastFourDigits"]) == (
        "bankAccountDebit",
        "STRIPE TEST BANK",
        "6789",
    )


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"cardNumber": "4242424242424242"}, "number_refused", "cardNumber"),
        ({"cvv": "123"}, "number_refused", "cvv"),
        ({"token": "4242 4242 4242 4242"}, "card_number", "token"),
        ({"token": None}, "required", "token"),
        ({"@type": "cash"}, "literal_error", "@type"),
        ({"account": []}, "required", "account"),
        ({"account": [{"id": "987654"}]}, "unknown_reference", "account[0].id"),
    ],
)
def test_a_bad_method_is_refused_without_echoing_a_number(billing_api, payer, gateway_settings, change, code, field):
    method = {"@type": "bankCard", "token": VISA, "account": [{"id": str(payer.pk)}]} | change
    response = billing_api.post(METHODS, {key: value for key, value in method.items() if value is not None})
    assert_error(response, status=400, code=code, field=field, api="670")
    assert b"4242424242424242" not in response.content
    assert b"4242 4242" not in response.content
    assert not PaymentMethod.objects.exists()


def test_preferring_a_method_moves_autopay_and_delete_removes_it(billing_api, payer, gateway_settings):
    first = store_method(billing_api, payer, f"{VISA}_1", isPreferred=True)
    second = store_method(billing_api, payer, f"{VISA}_2")

    patched = billing_api.patch(f"{METHODS}/{second['id']}", {"isPreferred": True, "@type": "bankCard", "name": "x"})

    assert patched.status_code == 200, patched.content
    assert valid_method(body(patched))["isPreferred"] is True
    assert body(billing_api.get(f"{METHODS}/{first['id']}"))["isPreferred"] is False
    assert_error(
        billing_api.patch(f"{METHODS}/{first['id']}", {"token": "pm_other"}), status=400, field="token", api="670"
    )
    deleted = billing_api.client.delete(f"/tmf-api{METHODS}/{second['id']}", **billing_api.headers)
    assert deleted.status_code == 204
    removed = valid_method(body(billing_api.get(f"{METHODS}/{second['id']}")))
    assert (removed["status"], removed["isPreferred"]) == ("removed", False)
    assert [item["id"] for item in body(billing_api.get(METHODS, status="active"))] == [first["id"]]
    again = billing_api.client.delete(f"/tmf-api{METHODS}/{second['id']}", **billing_api.headers)
    assert_error(again, status=409, api="670")
    assert_error(billing_api.patch(f"{METHODS}/{second['id']}", {"isPreferred": True}), status=409, api="670")


def test_a_card_payment_is_charged_once_per_correlator(billing_api, payer, gateway_settings, stripe_standin):
    invoice = make_invoice(payer, "65.00")
    method = store_method(billing_api, payer, f"{VISA}_1")
    take = {
        "account": {"id": str(payer.pk)},
        "totalAmount": {"unit": "USD", "value": "65.00"},
        "paymentMethod": {"id": method["id"]},
        "paymentItem": [{"item": {"id": str(invoice.pk)}}],
        "correlatorId": "order-7781",
    }

    first = billing_api.post(PAYMENTS, take)
    again = billing_api.post(PAYMENTS, take)

    assert first.status_code == again.status_code == 201, first.content
    created = valid_payment(body(first))
    payment = Payment.objects.get()
    assert body(again)["id"] == created["id"] == str(payment.pk)
    assert stripe_standin.intents_per_key == {f"{payment.idempotency_key}-create": 1}
    assert stripe_standin.charges_per_intent == {payment.gateway_id: 1}
    assert (created["status"], created["correlatorId"], created["authorizationCode"]) == (
        "done",
        "order-7781",
        payment.gateway_id,
    )
    assert created["paymentMethod"] == {
        "id": method["id"],
        "href": method["href"],
        "name": "Visa ending 4242",
        "@type": "bankCard",
        "@referredType": "PaymentMethod",
    }
    assert created["paymentItem"][0]["item"]["id"] == str(invoice.pk)
    reused = billing_api.post(PAYMENTS, take | {"totalAmount": {"unit": "USD", "value": "5.00"}})
    assert_error(reused, status=409, code="correlator_reused", field="correlatorId", api="676")
    assert Payment.objects.count() == 1

    refund = billing_api.post(
        REFUNDS, {"payment": {"id": created["id"]}, "amount": {"unit": "USD", "value": "65.00"}, "reason": "Cancelled"}
    )
    assert refund.status_code == 201, refund.content
    assert valid_refund(body(refund))["status"] == "done"
    assert body(refund)["authorizationCode"] == Refund.objects.get().gateway_id
    invoice.refresh_from_db()
    assert invoice.amount_due == D("65.00")


def test_a_declined_card_is_a_failed_payment_saying_why(billing_api, payer, gateway_settings):
    method = store_method(billing_api, payer, f"{DECLINED}_1")
    take = {"account": {"id": str(payer.pk)}, "totalAmount": {"unit": "USD", "value": "10.00"}}
    response = billing_api.post(PAYMENTS, take | {"paymentMethod": {"id": method["id"]}})
    assert response.status_code == 201, response.content
    failed = valid_payment(body(response))
    assert (failed["status"], failed["description"], failed["paymentItem"]) == (
        "failed",
        f"Card: {DECLINE_MESSAGE}",
        [],
    )
    assert body(billing_api.get(PAYMENTS, status="failed"))[0]["id"] == failed["id"]


def test_without_a_gateway_a_card_payment_is_refused_before_anything_is_written(billing_api, payer, settings):
    method = PaymentMethod.objects.create(
        billing_account=payer,
        kind="card",
        gateway="stripe",
        gateway_customer="cus_1",
        token="pm_card_visa_9",
        brand="visa",
        last4="4242",
        exp_month=1,
        exp_year=2027,
        created_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )
    settings.HEADEND_PAYMENT_GATEWAY = ""
    take = {"account": {"id": str(payer.pk)}, "totalAmount": {"unit": "USD", "value": "10.00"}}
    response = billing_api.post(PAYMENTS, take | {"paymentMethod": {"id": str(method.pk)}})
    assert_error(response, status=409, code="no_gateway", field="paymentMethod.id", api="676")
    assert not Payment.objects.exists()
    assert (
        valid_method(body(billing_api.get(f"{METHODS}/{method.pk}")))["expirationDate"] == "2027-01-31T23:59:59-05:00"
    )


def test_a_list_takes_as_many_queries_for_many_objects_as_for_one(billing_api, payer):
    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert billing_api.get(path).status_code == 200
        return len(captured.captured_queries)

    def pay_and_refund():
        make_invoice(payer, "20.00")
        payment_id = body(billing_api.post(PAYMENTS, cheque(payer, "30.00")))["id"]
        refund = {"payment": {"id": payment_id}, "totalAmount": {"unit": "USD", "value": "5"}, "description": "x"}
        assert billing_api.post(REFUNDS, refund).status_code == 201

    pay_and_refund()
    one = {path: queries(path) for path in (PAYMENTS, REFUNDS)}
    for _ in range(3):
        pay_and_refund()

    assert {path: queries(path) for path in (PAYMENTS, REFUNDS)} == one
