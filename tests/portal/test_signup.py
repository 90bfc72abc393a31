"""Self sign-up and the first order (portal/signup.py) and its pages: the address normalised as
the CRM does, what can be sold there, "not yet" as a lead, the customer checked without writing,
and one transaction at the end that opens the account and orders through the staff use cases."""

import dataclasses
import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import h3
import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail

from headend.catalog import services as catalog_services
from headend.catalog.models import ProductVersion
from headend.catalog.services import TaskSpec
from headend.contracts.models import TermsVersion
from headend.core.errors import ValidationError
from headend.core.models import OutboxEvent
from headend.crm import services as crm_services
from headend.crm.models import Account, Contact, Location, Opportunity
from headend.fulfillment.models import Appointment, Technician
from headend.inventory.models import Service
from headend.network import services as network_services
from headend.orders.models import Order
from headend.payments.models import PaymentMethod
from headend.portal import signup
from headend.portal.models import PortalLogin
from headend.quoting.models import Quote
from tests.factories import define_change_templates, make_user
from tests.payments.stripe_standin import StripeStandin

pytestmark = pytest.mark.django_db

LAT, LNG = "44.715100", "-67.461400"  # Machias, Maine: inside the coverage built below
FAR_LAT, FAR_LNG = "45.000000", "-69.000000"  # no coverage
PASSWORD = "wide-harbor-47"
ZERO_TOUCH = [TaskSpec("Assign circuit ID", kind="code", code_action="inventory.assign_circuit_id", planned_minutes=1)]
WITH_VISIT = [
    TaskSpec("Assign circuit ID", kind="code", code_action="inventory.assign_circuit_id", planned_minutes=1),
    TaskSpec("Install ONT", role="provisioning", planned_minutes=120, needs_appointment=True),
]


def plan(
    code: str,
    name: str,
    *,
    customer_type: str = "residential",
    speed: int = 300,
    tasks: list[TaskSpec] | None = None,
    prices: dict[int, tuple[str, str]] | None = None,
    kind: str = "internet",
    addon_of: list[Any] | None = None,
) -> ProductVersion:
    """A published plan named as customers see it (the factories number their names)."""
    product = catalog_services.product_create(
        code=code, name=name, kind=kind, customer_type=customer_type, addon_of=addon_of or []
    )
    version = catalog_services.version_create(
        product=product,
        effective_from=dt.date(2024, 1, 1),
        prices=prices or {0: ("55.00", "99.00"), 12: ("50.00", "0.00")},
        download_mbps=speed if kind == "internet" else None,
        upload_mbps=speed if kind == "internet" else None,
        technology="fiber" if kind == "internet" else "",
    )
    catalog_services.template_define(product=product, action="add", name=f"Install {name}", tasks=tasks or ZERO_TOUCH)
    define_change_templates(product)
    return catalog_services.version_publish(version=version)


def coverage() -> None:
    network_services.coverage_area_create(
        name="Machias FTTH",
        technology="fiber",
        max_down_mbps=1000,
        max_up_mbps=1000,
        created_by=None,
        cells=h3.latlng_to_cell(float(LAT), float(LNG), 8),
    )


def terms() -> TermsVersion:
    """The terms in force (a migration seeds the first version)."""
    TermsVersion.objects.get_or_create(
        label="Standard terms v1", defaults={"effective_date": dt.date(2024, 1, 1), "body": "1. Service."}
    )
    return TermsVersion.objects.filter(effective_date__lte=dt.date(2026, 3, 2)).order_by("-effective_date", "-id")[0]


@pytest.fixture
def machias() -> dict[str, Any]:
    coverage()
    return {
        "terms": terms(),
        "fiber300": plan("res-fiber-300", "Fiber 300"),
        "fiber2g": plan("res-fiber-2g", "Fiber 2 Gig", speed=2000),
        "business": plan(
            "biz-dia-1g",
            "Dedicated Internet 1 Gbps",
            customer_type="business",
            speed=1000,
            tasks=WITH_VISIT,
            prices={12: ("650.00", "1500.00")},
        ),
    }


def place(kind: str = "residential", **overrides: Any) -> signup.Place:
    values = {
        "kind": kind,
        "line1": "18 Elm Street",
        "city": "Machias",
        "state": "ME",
        "postal_code": "04654",
        "latitude": LAT,
        "longitude": LNG,
    }
    return signup.address_check(**{**values, **overrides})


def request_for(version: ProductVersion, terms_version: TermsVersion, **overrides: Any) -> signup.SignupRequest:
    values: dict[str, Any] = {
        "place": place(),
        "version_id": version.pk,
        "term_months": 12,
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@example.com",
        "phone": "(207) 555-0134",
        "password_hash": make_password(PASSWORD),
        "terms_version_id": terms_version.pk,
        "accepted_by_name": "Grace Hopper",
    }
    return signup.SignupRequest(**{**values, **overrides})


def written() -> dict[str, int]:
    return {
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "locations": Location.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "logins": PortalLogin.objects.count(),
        "quotes": Quote.objects.count(),
        "orders": Order.objects.count(),
        "events": OutboxEvent.objects.count(),
    }


# The address


def test_address_check_normalises_the_address_as_the_crm_does():
    checked = place(line1="18 elm street", line2="apartment 2", city="machias", state="me")

    assert (checked.line1, checked.line2, checked.city, checked.state) == ("18 ELM ST", "APT 2", "MACHIAS", "ME")
    assert checked.latitude == LAT


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"line1": "Elm Street"}, "line1"),
        ({"postal_code": "4654"}, "postal_code"),
        ({"state": "XX"}, "state"),
        ({"city": ""}, "city"),
        ({"longitude": ""}, "longitude"),
    ],
)
def test_address_check_malformed_address_names_the_field(overrides, field):
    with pytest.raises(ValidationError) as caught:
        place(**overrides)

    assert caught.value.field == field


# What can be sold there


def test_plans_at_lists_the_plans_sellable_there_with_their_labels(machias):
    available = signup.plans_at(place=place())

    assert [offer.version.product.name for offer in available.plans] == ["Fiber 300"]  # 2 Gig is too fast here
    assert available.plans[0].label.terms[1].mrc_amount == machias["fiber300"].prices.get(term_months=12).mrc_amount


def test_plans_at_business_sees_business_plans(machias):
    available = signup.plans_at(place=place("business"))

    assert [offer.version.product.name for offer in available.plans] == ["Dedicated Internet 1 Gbps"]


def test_plans_at_uncovered_address_offers_nothing_with_the_reason(machias):
    available = signup.plans_at(place=place(latitude=FAR_LAT, longitude=FAR_LNG))

    assert not available.serviceable
    assert "unknown" in available.reason


def test_plan_check_refuses_a_plan_not_sellable_there(machias):
    with pytest.raises(ValidationError) as caught:
        signup.plan_check(place=place(), version_id=machias["fiber2g"].pk, term_months=12)

    assert (caught.value.field, caught.value.code) == ("plan", "not_sellable")


def test_plan_check_refuses_a_term_the_plan_is_not_sold_on(machias):
    with pytest.raises(ValidationError) as caught:
        signup.plan_check(place=place(), version_id=machias["fiber300"].pk, term_months=24)

    assert caught.value.field == "term_months"


def test_addons_for_lists_the_add_ons_of_the_plan_only(machias):
    wifi = plan(
        "managed-wifi",
        "Managed Wi-Fi",
        kind="addon",
        customer_type="any",
        addon_of=[machias["fiber300"].product],
        prices={12: ("12.00", "0.00")},
    )
    plan("static-ip", "Static IP", kind="addon", customer_type="any", addon_of=[machias["business"].product])

    offers = signup.addons_for(place=place(), plan=machias["fiber300"], term_months=12)

    assert [offer.version for offer in offers] == [wifi]


# "Not yet": a lead


def test_lead_create_keeps_the_email_as_a_prospect_with_the_address(machias):
    far = place(latitude=FAR_LAT, longitude=FAR_LNG)

    opportunity = signup.lead_create(place=far, email="Ada@Example.com", first_name="Ada", last_name="Lovelace")

    account = opportunity.account
    assert (account.status, account.kind, account.email) == ("prospect", "residential", "ada@example.com")
    assert opportunity.stage == "prospecting"
    assert opportunity.name == "Coverage wanted: 18 ELM ST, MACHIAS, ME 04654"
    assert account.locations.get().line1 == "18 ELM ST"
    assert not Quote.objects.exists()
    assert OutboxEvent.objects.filter(name="signup.lead_created").count() == 1


def test_lead_create_without_email_writes_nothing(machias):
    before = written()

    with pytest.raises(ValidationError) as caught:
        signup.lead_create(place=place(latitude=FAR_LAT, longitude=FAR_LNG), email=" ", first_name="Ada")

    assert caught.value.field == "email"
    assert written() == before


# The customer


def test_contact_check_writes_nothing_and_keeps_only_the_password_hash(machias):
    before = written()

    checked = signup.contact_check(
        kind="residential",
        first_name="Grace",
        last_name="Hopper",
        email="Grace@Example.com",
        phone="(207) 555-0134",
        password=PASSWORD,
    )

    assert written() == before
    assert (checked["email"], checked["phone"]) == ("grace@example.com", "+12075550134")
    assert PASSWORD not in str(checked)
    assert checked["password_hash"].startswith(("pbkdf2", "argon2", "bcrypt", "scrypt", "md5"))


def test_contact_check_refuses_an_email_that_has_a_login(machias):
    account = crm_services.account_create(kind="residential", first_name="Grace", last_name="Hopper")
    contact = crm_services.contact_create(account=account, first_name="Grace", last_name="Hopper", email="g@x.com")
    PortalLogin.objects.create(
        contact=contact, account=account, email="grace@example.com", created_at=account.created_at
    )

    with pytest.raises(ValidationError) as caught:
        signup.contact_check(
            kind="residential", first_name="G", last_name="H", email="GRACE@example.com", phone="", password=PASSWORD
        )

    assert (caught.value.field, caught.value.code) == ("email", "taken")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"password": "12345678"}, "password"),
        ({"phone": "12"}, "phone"),
        ({"last_name": " "}, "last_name"),
        ({"kind": "business", "company_name": ""}, "company_name"),
        ({"kind": "business", "company_name": "Cobscook LLC", "tax_id": "123"}, "tax_id"),
        ({"first_name": "a" * 100, "last_name": "b" * 100}, "last_name"),  # 201 with the space
        ({"email": "a" * 245 + "@x.example"}, "email"),  # more than the 254 stored
        ({"first_name": "Grace\nBcc: all@example.com"}, "first_name"),
    ],
)
def test_contact_check_bad_input_names_the_field(machias, values, field):
    base = {"kind": "residential", "first_name": "Grace", "last_name": "Hopper", "email": "g@example.com"}
    before = written()

    with pytest.raises(ValidationError) as caught:
        signup.contact_check(**{"phone": "", "password": PASSWORD, **base, **values})

    assert caught.value.field == field
    assert written() == before


# The order


def test_signup_complete_residential_opens_the_account_and_orders(machias, run_worker):
    result = signup.signup_complete(request=request_for(machias["fiber300"], machias["terms"], user_agent="pytest"))

    account = Account.objects.get(pk=result.account.pk)
    assert (account.kind, account.name, account.status) == ("residential", "Grace Hopper", "active")
    assert result.contact.email == "grace@example.com"
    assert result.location.line1 == "18 ELM ST"
    login = PortalLogin.objects.get(account=account)
    assert (login.email, login.role, login.verified_at) == ("grace@example.com", "admin", None)
    assert login.check_password(PASSWORD)
    quote = Quote.objects.get(pk=result.quote.pk)
    assert (quote.status, quote.accepted_by_name, quote.name) == ("accepted", "Grace Hopper", "Online sign-up")
    assert Order.objects.get(quote=quote).account_id == account.pk
    accepted = OutboxEvent.objects.get(name="quote.terms_accepted")
    assert accepted.data["terms_version_id"] == machias["terms"].pk
    assert accepted.data["terms_label"] == machias["terms"].label
    assert accepted.data["signer_name"] == "Grace Hopper"
    assert result.appointment is None


def test_signup_complete_emails_the_verification_link_after_commit(machias, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup.signup_complete(request=request_for(machias["fiber300"], machias["terms"]))

    assert [message.to for message in mail.outbox] == [["grace@example.com"]]
    assert "/portal/verify/" in mail.outbox[0].body


def test_signup_complete_zero_touch_plan_goes_live_with_nobody_touching_it(machias, run_worker):
    result = signup.signup_complete(request=request_for(machias["fiber300"], machias["terms"]))

    for _ in range(5):
        run_worker()

    service = Service.objects.get(account=result.account)
    assert (service.status, service.product_version_id, service.term_months) == ("active", machias["fiber300"].pk, 12)


def test_signup_complete_business_with_visit_books_the_appointment(machias):
    Technician.objects.create(user=make_user("provisioning"))
    request = request_for(
        machias["business"],
        machias["terms"],
        place=place("business"),
        company_name="Cobscook Seafood LLC",
        tax_id="12-3456789",
    )
    slot = signup.visit_slots(plan=machias["business"])[0]

    result = signup.signup_complete(request=dataclasses.replace(request, slot_start=slot.start))

    account = result.account
    assert (account.kind, account.legal_name, account.tax_id) == ("business", "Cobscook Seafood LLC", "12-3456789")
    assert (result.contact.first_name, result.contact.account_id) == ("Grace", account.pk)
    appointment = Appointment.objects.get()
    assert (appointment.start, appointment.task.work_order.service.account_id) == (slot.start, account.pk)
    assert result.appointment == appointment


def test_signup_complete_duplicate_email_writes_nothing(machias):
    signup.signup_complete(request=request_for(machias["fiber300"], machias["terms"]))
    before = written()

    with pytest.raises(ValidationError) as caught:
        signup.signup_complete(request=request_for(machias["fiber300"], machias["terms"], first_name="Other"))

    assert (caught.value.field, caught.value.code) == ("email", "taken")
    assert written() == before


def test_signup_complete_plan_not_sellable_there_writes_nothing(machias):
    before = written()

    with pytest.raises(ValidationError) as caught:
        signup.signup_complete(request=request_for(machias["fiber2g"], machias["terms"]))

    assert caught.value.code == "not_sellable"
    assert written() == before


def test_signup_complete_uncovered_address_writes_nothing(machias):
    before = written()
    far = place(latitude=FAR_LAT, longitude=FAR_LNG)

    with pytest.raises(ValidationError):
        signup.signup_complete(request=request_for(machias["fiber300"], machias["terms"], place=far))

    assert written() == before


def test_signup_complete_refuses_terms_that_changed_meanwhile(machias):
    TermsVersion.objects.create(label="Standard terms v2", effective_date=dt.date(2026, 3, 1), body="2. Service.")
    before = written()

    with pytest.raises(ValidationError) as caught:
        signup.signup_complete(request=request_for(machias["fiber300"], machias["terms"]))

    assert (caught.value.field, caught.value.code) == ("terms", "terms_changed")
    assert written() == before


def test_signup_complete_taken_slot_writes_nothing(machias):
    Technician.objects.create(user=make_user("provisioning"))
    request = request_for(machias["business"], machias["terms"], place=place("business"), company_name="Cobscook LLC")
    taken = dt.datetime(2026, 3, 2, 13, 0, tzinfo=dt.UTC)  # the morning window has begun: not a slot
    before = written()

    with pytest.raises(ValidationError) as caught:
        signup.signup_complete(request=dataclasses.replace(request, slot_start=taken))

    assert caught.value.field == "start"
    assert written() == before


# The pages


def walk(client, *, plan_choice: str, kind: str = "residential", **contact: str) -> Any:
    """Post every step as a browser would, up to the summary."""
    client.post(
        "/portal/signup/",
        {
            "kind": kind,
            "line1": "18 Elm Street",
            "city": "Machias",
            "state": "ME",
            "postal_code": "04654",
            "latitude": LAT,
            "longitude": LNG,
        },
    )
    client.post("/portal/signup/plans/", {"choice": plan_choice})
    client.post("/portal/signup/add-ons/", {})
    client.post(
        "/portal/signup/you/",
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "phone": "",
            "password": PASSWORD,
            **contact,
        },
    )
    return client.post("/portal/signup/terms/", {"accepted_by_name": "Grace Hopper", "accept": "on"})


def confirm(client):
    """Press "Place my order" on the summary, as shown (with the figures it showed)."""
    summary = client.get("/portal/signup/confirm/").content.decode()
    figures = html.unescape(re.search(r'name="figures" value="([^"]*)"', summary).group(1))
    return client.post("/portal/signup/confirm/", {"figures": figures})


def test_pages_walk_to_the_confirmation_and_sign_the_customer_in(client, machias, settings):
    settings.HEADEND_PAYMENT_GATEWAY = ""
    response = walk(client, plan_choice=f"{machias['fiber300'].pk}:12")
    assert response.url == "/portal/signup/confirm/"  # no payment step without a gateway, no visit for zero touch
    summary = client.get("/portal/signup/confirm/")
    assert "Billing will send your first invoice" in summary.content.decode()

    response = confirm(client)

    assert response.url == "/portal/signup/done/"
    page = client.get("/portal/signup/done/").content.decode()
    assert "Thank you, Grace" in page
    assert "grace@example.com" in page
    login = PortalLogin.objects.get()
    assert client.session["portal_login_id"] == login.pk
    assert "portal_signup" not in client.session


def test_a_price_changed_after_the_summary_is_shown_again_and_nothing_is_ordered(client, machias, settings):
    settings.HEADEND_PAYMENT_GATEWAY = ""
    walk(client, plan_choice=f"{machias['fiber300'].pk}:12")
    summary = client.get("/portal/signup/confirm/").content.decode()
    figures = html.unescape(re.search(r'name="figures" value="([^"]*)"', summary).group(1))
    machias["fiber300"].prices.filter(term_months=12).update(mrc_amount=Decimal("99.00"))
    before = written()

    response = client.post("/portal/signup/confirm/", {"figures": figures})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Our prices changed since this page was shown" in page
    assert "$99.00/month" in page
    assert written() == before
    assert confirm(client).url == "/portal/signup/done/"  # confirmed at the price now shown


def test_plans_page_refuses_a_tampered_plan_and_writes_nothing(client, machias):
    client.post(
        "/portal/signup/",
        {
            "kind": "residential",
            "line1": "18 Elm Street",
            "city": "Machias",
            "state": "ME",
            "postal_code": "04654",
            "latitude": LAT,
            "longitude": LNG,
        },
    )
    before = written()

    response = client.post("/portal/signup/plans/", {"choice": f"{machias['business'].pk}:12"})

    assert response.status_code == 200
    assert "cannot be sold at this address" in response.content.decode()
    assert "plan" not in client.session["portal_signup"]
    assert written() == before


def test_address_page_shows_a_malformed_address_on_the_form(client, machias):
    response = client.post(
        "/portal/signup/",
        {"kind": "residential", "line1": "Elm Street", "city": "Machias", "state": "ME", "postal_code": "04654"},
    )

    assert response.status_code == 200
    assert "could not be understood; enter number and street" in response.content.decode()
    assert "portal_signup" not in client.session


def test_uncovered_address_page_takes_the_email_as_a_lead(client, machias):
    client.post(
        "/portal/signup/",
        {
            "kind": "residential",
            "line1": "18 Elm Street",
            "city": "Machias",
            "state": "ME",
            "postal_code": "04654",
            "latitude": FAR_LAT,
            "longitude": FAR_LNG,
        },
    )
    page = client.get("/portal/signup/plans/").content.decode()
    assert "Not yet at your address" in page

    response = client.post(
        "/portal/signup/not-yet/", {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}
    )

    assert response.status_code == 200
    assert "We will let you know" in response.content.decode()
    assert Opportunity.objects.get().account.email == "ada@example.com"


def test_a_later_step_reached_first_goes_back_to_the_first_missing_one(client, machias):
    response = client.get("/portal/signup/terms/")

    assert response.url == "/portal/signup/"


def test_contact_page_refuses_a_duplicate_email_on_the_form(client, machias):
    signup.signup_complete(request=request_for(machias["fiber300"], machias["terms"]))

    walk(client, plan_choice=f"{machias['fiber300'].pk}:12")
    response = client.get("/portal/signup/terms/")

    assert response.url == "/portal/signup/you/"
    assert "contact" not in client.session["portal_signup"]


@pytest.fixture
def gateway(settings):
    """The Stripe adapter against the payments tests' stand-in on loopback."""
    standin = StripeStandin().start()
    settings.HEADEND_PAYMENT_GATEWAY = "headend.payments.stripe_gateway.StripeGateway"
    settings.HEADEND_STRIPE_API_KEY = "sk_test_standin"
    settings.HEADEND_STRIPE_API_BASE = standin.url
    settings.HEADEND_STRIPE_WEBHOOK_SECRET = "whsec_standin_secret"
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    try:
        yield standin
    finally:
        standin.stop()


def test_pages_with_a_gateway_store_the_payment_method_after_the_order(client, machias, gateway):
    response = walk(client, plan_choice=f"{machias['fiber300'].pk}:12")
    assert response.url == "/portal/signup/payment/"
    refused = client.post("/portal/signup/payment/", {"token": "4242 4242 4242 4242"})
    assert "Never type a card number here" in refused.content.decode()
    client.post("/portal/signup/payment/", {"token": "pm_card_visa"})

    response = confirm(client)

    assert response.url == "/portal/signup/done/"
    assert "Your payment method is stored" in client.get("/portal/signup/done/").content.decode()
    method = PaymentMethod.objects.get()
    assert (method.billing_account.account.name, method.token, method.autopay) == ("Grace Hopper", "pm_card_visa", True)


def test_a_payment_method_the_gateway_refuses_leaves_the_order_and_says_so(client, machias, gateway):
    walk(client, plan_choice=f"{machias['fiber300'].pk}:12")
    client.post("/portal/signup/payment/", {"token": "pm_nonsense"})

    confirm(client)

    page = client.get("/portal/signup/done/").content.decode()
    assert "We could not store your payment method" in page
    assert Order.objects.count() == 1
    assert not PaymentMethod.objects.exists()


def test_an_address_that_normalises_too_long_is_refused_on_its_field(machias):
    with pytest.raises(ValidationError) as caught:
        place(line1="1 " + "\u00df" * 190 + " St")  # each ß becomes SS

    assert caught.value.field == "line1"


def test_no_lead_where_a_plan_can_be_ordered_now(machias):
    before = written()

    with pytest.raises(ValidationError) as caught:
        signup.lead_create(place=place(), email="keen@example.com")

    assert caught.value.code == "serviceable"
    assert written() == before


def test_sign_ups_from_one_network_address_are_limited_per_hour(machias, settings):
    settings.HEADEND_SIGNUPS_PER_HOUR = 2
    for n in range(2):
        request = dataclasses.replace(
            request_for(machias["fiber300"], machias["terms"]), email=f"grace{n}@example.com", ip_address="198.51.100.7"
        )
        signup.signup_complete(request=request)
    before = written()
    third = dataclasses.replace(
        request_for(machias["fiber300"], machias["terms"]), email="grace9@example.com", ip_address="198.51.100.7"
    )

    with pytest.raises(ValidationError) as caught:
        signup.signup_complete(request=third)

    assert caught.value.code == "too_many"
    assert written() == before
    other_network = dataclasses.replace(third, ip_address="203.0.113.9")
    assert signup.signup_complete(request=other_network).account.email == "grace9@example.com"


def test_the_same_lead_twice_is_one_lead(machias):
    far = place(latitude=FAR_LAT, longitude=FAR_LNG)
    who = {"first_name": "Ada", "last_name": "Lovelace", "ip_address": "198.51.100.7"}
    first = signup.lead_create(place=far, email="Ada@Example.com", **who)
    again = signup.lead_create(place=far, email="ada@example.com", **who)

    assert again == first
    assert Opportunity.objects.count() == 1
