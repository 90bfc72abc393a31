"""Ownership: customer A asks for customer B's record by id on every portal route that takes
one, and gets 404 with nothing changed (DESIGN.md: the portal checks ownership on every object).

The table is shared: another portal part adds its routes to ROUTES as (url name, kwargs
builder, method), the builder making B's record on `other_login`'s account and returning the
URL's kwargs."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headend.billing.models import Invoice
from headend.catalog.services import TaskSpec
from headend.contracts.models import Signature, SigningLink
from headend.core import clock
from headend.core.models import OutboxEvent
from headend.crm.models import Contact
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.payments import payments
from headend.payments.models import Allocation, Payment, PaymentMethod
from headend.portal.models import PortalLogin
from headend.quoting.models import Quote
from headend.support import cases
from headend.support.models import Case, CaseAttachment, CaseNote
from tests.factories import (
    make_billing_account,
    make_invoice,
    make_live_service,
    make_product,
    make_quote,
    make_user,
)
from tests.portal.conftest import make_portal_login

pytestmark = pytest.mark.django_db

KwargsBuilder = Callable[[PortalLogin], dict[str, Any]]


def service_of(login: PortalLogin) -> dict[str, Any]:
    return {"service_id": make_live_service(login.account, make_product(tasks=[TaskSpec("Install")])).pk}


def order_of(login: PortalLogin) -> dict[str, Any]:
    return {"order_id": Order.objects.get(quote=make_quote(account=login.account, status="accepted")).pk}


def quote_of(login: PortalLogin) -> dict[str, Any]:
    return {"quote_id": make_quote(account=login.account, status="presented").pk}


def login_of(login: PortalLogin) -> dict[str, Any]:
    return {"login_id": make_portal_login(login.account, role=PortalLogin.Role.TECHNICAL).pk}


def payer_of(login: PortalLogin) -> Any:
    return login.account.billing_accounts.filter(is_default=True).first() or make_billing_account(login.account)


def invoice_of(login: PortalLogin) -> dict[str, Any]:
    return {"invoice_id": make_invoice(payer_of(login), "80.00").pk}


def payment_of(login: PortalLogin) -> dict[str, Any]:
    payer = payer_of(login)
    make_invoice(payer, "80.00")
    payment = payments.payment_record(
        billing_account=payer, amount="80.00", means="cash", recorded_by=make_user("billing")
    )
    return {"payment_id": payment.pk}


def payer_id_of(login: PortalLogin) -> dict[str, Any]:
    payer = payer_of(login)
    make_invoice(payer, "80.00")
    return {"payer_id": payer.pk}


def method_of(login: PortalLogin) -> dict[str, Any]:
    method = PaymentMethod.objects.create(
        billing_account=payer_of(login), kind="card", gateway="stripe", gateway_customer="cus_b",
        token=f"pm_{login.pk}", brand="Visa", last4="4242", created_at=clock.now(),
    )  # fmt: skip
    return {"payment_method_id": method.pk}


def case_of(login: PortalLogin) -> dict[str, Any]:
    case = cases.case_open(account=login.account, type="other", channel="phone", subject="Theirs")
    return {"case_id": case.pk}


def case_file_of(login: PortalLogin) -> dict[str, Any]:
    case = cases.case_open(account=login.account, type="other", channel="phone", subject="Theirs")
    png = SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")
    cases.case_note_add(case=case, kind="customer", body="See the file.", uploads=[png])
    attachment = CaseAttachment.objects.get(case=case)
    return {"case_id": case.pk, "attachment_id": attachment.pk}


ROUTES: list[tuple[str, KwargsBuilder, str]] = [
    ("portal:bill_invoice", invoice_of, "get"),
    ("portal:bill_invoice_pdf", invoice_of, "get"),
    ("portal:bill_payment", payment_of, "get"),
    ("portal:bill_pay_for", payer_id_of, "get"),
    ("portal:bill_method_remove", method_of, "post"),
    ("portal:bill_method_autopay", method_of, "post"),
    ("portal:service", service_of, "get"),
    ("portal:order", order_of, "get"),
    ("portal:quote", quote_of, "get"),
    ("portal:quote_sign", quote_of, "post"),
    ("portal:login_deactivate", login_of, "post"),
    ("portal:case", case_of, "get"),
    ("portal:case", case_of, "post"),
    ("portal:case_attachment", case_file_of, "get"),
]

# What a route could change: every row of these tables is compared before and after.
WATCHED = [
    *(Quote, Order, Service, PortalLogin, Contact, SigningLink, Signature, OutboxEvent),
    *(Invoice, Payment, PaymentMethod, Allocation),
    *(Case, CaseNote, CaseAttachment),
]


def snapshot() -> dict[str, list[dict[str, Any]]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in WATCHED}


def route_id(route: tuple[str, KwargsBuilder, str]) -> str:
    return f"{route[2]} {route[0]}"


@pytest.mark.parametrize(("name", "build", "method"), ROUTES, ids=[route_id(r) for r in ROUTES])
def test_a_customer_asking_for_another_customers_record_gets_404_and_changes_nothing(
    customer, other_login, name, build, method
):
    url = reverse(name, kwargs=build(other_login))
    before = snapshot()

    response = getattr(customer, method)(url)

    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "build"),
    [(name, build) for name, build, method in ROUTES if method == "get"],
    ids=[name for name, _, method in ROUTES if method == "get"],
)
def test_the_same_route_shows_the_customers_own_record(customer, customer_login, name, build):
    response = customer.get(reverse(name, kwargs=build(customer_login)))

    assert response.status_code == 200


def test_an_admin_closes_a_login_of_their_own_account(customer, customer_login):
    kwargs = login_of(customer_login)

    response = customer.post(reverse("portal:login_deactivate", kwargs=kwargs))

    assert response.status_code == 302
    assert PortalLogin.objects.get(pk=kwargs["login_id"]).is_active is False
