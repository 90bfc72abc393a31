"""The customer's service, order and quote pages, signing a quote through the e-signature flow,
and a business admin's contacts and logins; what a billing or technical login may not do."""

import re

import pytest
from django.contrib.auth.hashers import is_password_usable
from django.core import mail
from django.urls import reverse

from headend.catalog.services import TaskSpec
from headend.contracts import services as contracts_services
from headend.contracts.models import QuoteDocumentJob, Signature, SigningLink
from headend.core.models import OutboxEvent
from headend.crm.models import Contact
from headend.orders.models import Order
from headend.portal.models import PortalLogin
from headend.quoting import services as quoting_services
from headend.quoting.models import Quote
from tests.factories import make_live_service, make_product, make_quote
from tests.portal.conftest import make_portal_login, portal_client

pytestmark = pytest.mark.django_db


def test_service_page_shows_plan_speeds_address_term_price_and_its_order(customer, customer_login):
    version = make_product(tasks=[TaskSpec("Install")], download_mbps=300, upload_mbps=100)
    service = make_live_service(customer_login.account, version, term=24)

    html = customer.get(reverse("portal:service", args=[service.pk])).content.decode()

    assert version.product.name in html
    assert "300 Mbps down / 100 Mbps up" in html
    assert service.location.line1 in html
    assert "24 months" in html
    assert f"{service.term_end_date:%b %-d, %Y}" in html
    assert "$60.00" in html  # the 24-month price
    assert reverse("portal:order", args=[service.order_line.order_id]) in html
    assert 'id="changes-heading"' in html


def test_order_page_shows_its_lines_and_forecast(customer, customer_login):
    order = Order.objects.get(quote=make_quote(account=customer_login.account, status="accepted"))
    line = order.lines.get()

    html = customer.get(reverse("portal:order", args=[order.pk])).content.decode()

    assert f"Add: {line.product_version.product.name}" in html
    assert "Ready by" in html
    assert order.get_status_display() in html


def test_quote_page_compares_the_versions_shown_to_the_customer(customer, customer_login):
    first = make_quote(account=customer_login.account, status="presented")
    second = quoting_services.quote_revise(quote=first)
    line = second.lines.get()
    quoting_services.quote_line_discount(line=line, percent="10")
    second = quoting_services.quote_present(quote=second)
    draft_third = quoting_services.quote_revise(quote=second)

    response = customer.get(reverse("portal:quote", args=[second.pk]) + f"?compare={first.pk}")

    html = response.content.decode()
    assert "Revision A" in html
    assert "Revision B (this one)" in html
    assert "Revision C" not in html  # a draft is not the customer's yet
    assert "changed" in html
    assert "$65.00 · 12 mo" in html
    assert "$58.50 · 12 mo" in html
    assert customer.get(reverse("portal:quote", args=[draft_third.pk])).status_code == 404


def test_signing_a_presented_quote_opens_the_e_signature_page(customer, customer_login):
    quote = make_quote(account=customer_login.account, status="presented")
    contracts_services.quote_document_render(quote=quote)  # as the worker does on quote.presented

    response = customer.post(reverse("portal:quote_sign", args=[quote.pk]))

    link = SigningLink.objects.get(quote=quote)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/sign/{link.document_id}/")
    page = customer.get(response["Location"])
    assert page.status_code == 200
    assert "decline" in page.content.decode().lower()
    again = customer.post(reverse("portal:quote_sign", args=[quote.pk]))
    assert again["Location"] == response["Location"]  # the same link, no second one
    assert SigningLink.objects.count() == 1


def test_a_quote_whose_document_is_not_ready_says_so_and_queues_it(customer, customer_login):
    quote = make_quote(account=customer_login.account, status="presented")

    response = customer.post(reverse("portal:quote_sign", args=[quote.pk]), follow=True)

    assert "being prepared" in response.content.decode()
    assert QuoteDocumentJob.objects.filter(quote=quote).count() == 1
    assert not SigningLink.objects.exists()


def test_an_accepted_quote_has_nothing_to_sign(customer, customer_login):
    quote = make_quote(account=customer_login.account, status="accepted")

    response = customer.post(reverse("portal:quote_sign", args=[quote.pk]))

    assert response["Location"] == reverse("portal:quote", args=[quote.pk])
    assert not SigningLink.objects.exists()


def test_a_billing_login_cannot_sign_a_quote(customer_login):
    billing = make_portal_login(customer_login.account, role="billing")
    quote = make_quote(account=customer_login.account, status="presented")
    client = portal_client(billing)
    events = OutboxEvent.objects.count()

    page = client.get(reverse("portal:quote", args=[quote.pk])).content.decode()
    response = client.post(reverse("portal:quote_sign", args=[quote.pk]))

    assert reverse("portal:quote_sign", args=[quote.pk]) not in page
    assert response.status_code == 404
    assert not SigningLink.objects.exists()
    assert not Signature.objects.exists()
    assert Quote.objects.get(pk=quote.pk).status == "presented"
    assert OutboxEvent.objects.count() == events


@pytest.mark.parametrize("role", ["billing", "technical"])
def test_only_an_admin_reaches_contacts(customer_login, role):
    login = make_portal_login(customer_login.account, role=role)
    target = make_portal_login(customer_login.account, role="technical")
    client = portal_client(login)

    assert client.get(reverse("portal:contacts")).status_code == 404
    assert client.post(reverse("portal:contact_invite"), {"email": "x@y.example"}).status_code == 404
    assert client.post(reverse("portal:login_deactivate", args=[target.pk])).status_code == 404
    assert PortalLogin.objects.get(pk=target.pk).is_active
    assert "Contacts</a>" not in client.get(reverse("portal:dashboard")).content.decode()


def test_contacts_lists_the_accounts_people_and_logins(customer, customer_login, other_login):
    billing = make_portal_login(customer_login.account, role="billing")

    html = customer.get(reverse("portal:contacts")).content.decode()

    assert billing.contact.first_name in html
    assert "Billing" in html
    assert other_login.contact.first_name not in html
    assert reverse("portal:login_deactivate", args=[billing.pk]) in html
    assert reverse("portal:login_deactivate", args=[customer_login.pk]) not in html


def test_an_invited_person_chooses_a_password_by_the_emailed_link(
    customer, customer_login, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = customer.post(
            reverse("portal:contact_invite"),
            {"first_name": "Grace", "last_name": "Hopper", "email": "Grace@Cobscook.example", "role": "billing"},
        )

    assert response.status_code == 302
    login = PortalLogin.objects.get(email="grace@cobscook.example")
    assert (login.account, login.role, login.verified_at) == (customer_login.account, "billing", None)
    assert not is_password_usable(login.password)  # until the invitee chooses one
    assert login.contact.get_role_display() == "Billing"
    (message,) = mail.outbox
    assert message.to == ["grace@cobscook.example"]
    assert "invited you" in message.subject
    link = re.search(r"https?://[^/\s]+(/portal/\S+)", message.body).group(1)
    invitee = portal_client(make_portal_login())  # any browser: the link is the key
    invitee.post(reverse("portal:logout"))
    invitee.post(link, {"password": "tide-pools-and-gulls-7"})
    login.refresh_from_db()
    assert login.verified_at is not None
    assert login.check_password("tide-pools-and-gulls-7")


def test_an_invite_to_an_email_with_a_login_writes_nothing(customer, customer_login):
    contacts, logins = Contact.objects.count(), PortalLogin.objects.count()

    response = customer.post(
        reverse("portal:contact_invite"),
        {"first_name": "Pat", "last_name": "Again", "email": customer_login.email, "role": "technical"},
    )

    assert response.status_code == 400
    assert "already has a portal login" in response.content.decode()
    assert (Contact.objects.count(), PortalLogin.objects.count()) == (contacts, logins)


def test_an_admin_closes_another_login_who_then_cannot_get_in(customer, customer_login):
    target = make_portal_login(customer_login.account, role="technical")
    theirs = portal_client(target)

    customer.post(reverse("portal:login_deactivate", args=[target.pk]))

    assert PortalLogin.objects.get(pk=target.pk).is_active is False
    assert theirs.get(reverse("portal:dashboard")).status_code == 302


def test_a_billing_login_sees_no_change_buttons_on_a_service():
    from django.urls import reverse

    from headend.catalog.services import TaskSpec
    from tests.factories import make_live_service, make_product
    from tests.portal.conftest import make_portal_login, portal_client

    login = make_portal_login(role="billing")
    admin = make_portal_login(account=login.account, role="admin")
    service = make_live_service(login.account, make_product(tasks=[TaskSpec("Install")]))
    url = reverse("portal:service", args=[service.pk])

    assert "/change/" in portal_client(admin).get(url).content.decode()
    assert "/change/" not in portal_client(login).get(url).content.decode()
