"""Self-service changes in the portal (portal/changes.py and its pages): each change shows its
exact money effect before the customer confirms, the figures equal what billing puts on the next
invoice once the order completes, and a change becomes a quote the customer accepts and an order.
Another customer's service and a billing login get 404 with nothing written; bad input comes
back on the form."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from headend.billing import preview
from headend.billing.models import InvoiceLine, LineKind
from headend.catalog import services as catalog_services
from headend.catalog.models import Product, ProductVersion
from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.crm import services as crm_services
from headend.crm.models import Location
from headend.fulfillment.models import Appointment, Technician, WorkOrder
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.portal import auth, changes
from headend.portal.models import PortalLogin
from headend.quoting import services as quoting_services
from headend.quoting.models import Quote
from tests.conftest import relay_and_run_tasks
from tests.factories import make_account, make_user
from tests.module_records import fresh, kept_for_the_module
from tests.portal.conftest import make_portal_login, portal_client
from tests.portal.test_signup import FAR_LAT, FAR_LNG, LAT, LNG, WITH_VISIT, coverage

pytestmark = pytest.mark.django_db

CODE_TASK = [TaskSpec("Change the network", kind="code", code_action="inventory.assign_circuit_id", planned_minutes=1)]
ACTIONS = ("add", "modify", "move", "delete", "suspend", "restore")
MARCH_10 = dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC)


def zero_touch_plan(code: str, name: str, *, speed: int, mrc: str, kind: str = "internet", addon_of=None,
                    actions=ACTIONS, add_tasks=None, **version) -> ProductVersion:  # fmt: skip
    """A residential plan every change of which the worker does alone (one code task each)."""
    product = catalog_services.product_create(
        code=code, name=name, kind=kind, customer_type="residential", addon_of=addon_of or []
    )
    created = catalog_services.version_create(
        product=product,
        effective_from=dt.date(2024, 1, 1),
        prices={12: (mrc, "0.00"), 0: (str(Decimal(mrc) + 5), "25.00")},
        download_mbps=speed if kind == "internet" else None,
        upload_mbps=speed if kind == "internet" else None,
        technology="fiber" if kind == "internet" else "",
        **version,
    )
    for action in actions:
        tasks = add_tasks if action == "add" and add_tasks else CODE_TASK
        catalog_services.template_define(product=product, action=action, name=f"{action} {name}", tasks=tasks)
    return catalog_services.version_publish(version=created)


def build_catalog() -> dict[str, ProductVersion]:
    """Fiber 300 at 50.00 on 12 months (ETF 10.00 a month left, move fee 75.00, hold rate
    9.99) with an upgrade to Fiber 1 Gig (80.00) and a downgrade to Fiber 100 (40.00); Fiber
    2 Gig is on the path but too fast for the network here; a Wi-Fi extender add-on."""
    coverage()
    fiber300 = zero_touch_plan(
        "res-300", "Fiber 300", speed=300, mrc="50.00", etf_kind="per_remaining_month", etf_amount="10.00",
        move_fee="75.00",
    )  # fmt: skip
    Product.objects.filter(pk=fiber300.product_id).update(while_suspended="hold", hold_mrc_amount=Decimal("9.99"))
    gig = zero_touch_plan("res-1g", "Fiber 1 Gig", speed=1000, mrc="80.00")
    slow = zero_touch_plan("res-100", "Fiber 100", speed=100, mrc="40.00")
    too_fast = zero_touch_plan("res-2g", "Fiber 2 Gig", speed=2000, mrc="120.00")
    catalog_services.product_relate(product=fiber300.product, target=gig.product, kind="upgrade")
    catalog_services.product_relate(product=fiber300.product, target=too_fast.product, kind="upgrade")
    catalog_services.product_relate(product=fiber300.product, target=slow.product, kind="downgrade")
    wifi = zero_touch_plan(
        "res-wifi", "Wi-Fi extender", speed=0, mrc="7.00", kind="addon", addon_of=[fiber300.product],
        actions=("add", "modify", "move", "delete"),
    )  # fmt: skip
    return {"fiber300": fiber300, "gig": gig, "slow": slow, "too_fast": too_fast, "wifi": wifi}


def live_service(account, version: ProductVersion, run_worker, *, line1: str = "18 Elm Street") -> Service:
    """A Fiber service ordered on 2 March, live the same day (the worker does its one task)."""
    location = crm_services.location_create(
        account=account, line1=line1, city="Machias", state="ME", postal_code="04654", latitude=LAT, longitude=LNG
    )
    quote = quoting_services.quote_create(account=account)
    quoting_services.quote_line_add(quote=quote, location=location, product_version=version, term_months=12)
    quoting_services.quote_accept(quote=quoting_services.quote_present(quote=quote))
    for _ in range(4):
        run_worker()
    return Service.objects.get(account=account, base_service__isnull=True, product_version=version)


@pytest.fixture(scope="module")
def shared_home(django_db_setup, django_db_blocker):
    """The catalog and a resident signed in to the portal with a live Fiber 300 billed for March
    (in advance), built once for the module's tests on a worker (tests/module_records.py)."""
    with kept_for_the_module(django_db_blocker):
        catalog = build_catalog()
        account = make_account("residential")
        login = make_portal_login(account)
        service = live_service(account, catalog["fiber300"], relay_and_run_tasks)
        assert service.status == "active"
        call_command("run_billing", as_of="2026-03-02", stdout=io.StringIO())
        yield {"login": login, "service": service, **catalog}


@pytest.fixture
def catalog(shared_home):
    return {name: version for name, version in fresh(shared_home).items() if isinstance(version, ProductVersion)}


@pytest.fixture
def home(shared_home):
    """The shared resident's records, read again for this test, and a portal client signed in."""
    records = fresh(shared_home)
    return {**records, "client": portal_client(records["login"])}


def written() -> dict[str, int]:
    return {
        "quotes": Quote.objects.count(),
        "orders": Order.objects.count(),
        "work_orders": WorkOrder.objects.count(),
        "locations": Location.objects.count(),
        "appointments": Appointment.objects.count(),
    }


def url(name: str, service: Service) -> str:
    return f"/portal/services/{service.pk}/change/{name}/"


# --- Plan change ------------------------------------------------------------------------------


def test_plan_options_are_the_catalog_paths_sellable_here_with_their_prices(home):
    options = changes.plan_options(service=home["service"])

    assert [(o.version.product.name, o.kind, o.mrc_amount) for o in options] == [
        ("Fiber 1 Gig", "upgrade", Decimal("80.00")),  # 2 Gig is on the path but not carried here
        ("Fiber 100", "downgrade", Decimal("40.00")),
    ]


def test_an_upgrade_review_shows_billings_proration_and_the_next_invoice_matches_it(home, run_worker):
    client, service = home["client"], home["service"]
    with clock.frozen(MARCH_10):
        page = client.get(url("plan", service))
        assert page.status_code == 200
        assert "Fiber 1 Gig" in page.content.decode()
        assert "$80.00" in page.content.decode()
        review_page = client.post(url("plan", service), {"plan": home["gig"].pk, "step": "review"})
        review = review_page.context["review"]
        shown = review_page.content.decode()

        # 22 unused March days of 50.00 credited, 80.00 charged for them, April at 80.00.
        assert [line.amount for line in review.main.preview.changed] == [
            Decimal("-35.49"),
            Decimal("56.77"),
            Decimal("80.00"),
        ]
        assert review.effect == Decimal("51.28")  # 80.00 - 50.00 + (56.77 - 35.49)
        assert (review.mrc_amount, review.effective) == (Decimal("80.00"), dt.date(2026, 3, 10))
        for figure in ("-$35.49", "$56.77", "$80.00", "$51.28"):
            assert figure in shown
        assert written()["orders"] == 1  # only the first order: looking writes nothing

        confirmed = client.post(
            url("plan", service), {"plan": home["gig"].pk, "step": "confirm", "expected_effect": str(review.effect)}
        )
        order = Order.objects.latest("id")
        assert confirmed.status_code == 302
        assert confirmed["Location"] == f"/portal/orders/{order.pk}/"
        quote = order.quote
        assert (quote.status, quote.accepted_by_name) == ("accepted", f"{home['login'].contact.first_name} Customer")
        assert quote.lines.get().action == "upgrade"
        for _ in range(4):
            run_worker()
        service.refresh_from_db()
        assert (service.product_version_id, service.mrc_amount) == (home["gig"].pk, Decimal("80.00"))

        after = preview.preview_change(service=service)  # the next invoice as billing now has it
        assert [(line.description, line.amount) for line in after.lines] == [
            (line.description, line.amount) for line in review.main.preview.lines
        ]

    with clock.frozen(dt.datetime(2026, 4, 1, 15, tzinfo=dt.UTC)):
        call_command("run_billing", as_of="2026-04-01", stdout=io.StringIO())
    billed = InvoiceLine.objects.filter(
        service=service, kind=LineKind.RECURRING, invoice__bill_date=dt.date(2026, 4, 1)
    ).order_by("position")
    assert [line.amount for line in billed] == [line.amount for line in review.main.preview.lines]
    page = client.get(f"/portal/services/{service.pk}/").content.decode()
    assert "Fiber 1 Gig" in page


def test_a_downgrade_waits_for_the_next_bill_period(home):
    with clock.frozen(MARCH_10):
        review = changes.plan_review(service=home["service"], version_id=home["slow"].pk)

    assert review.action == "downgrade"
    assert review.effective == dt.date(2026, 4, 1)
    assert [line.amount for line in review.main.preview.changed] == [Decimal("40.00")]
    assert review.effect == Decimal("-10.00")


def test_a_plan_off_the_path_is_refused_on_the_form_and_nothing_is_written(home):
    before = written()
    for tampered in (home["too_fast"].pk, home["fiber300"].pk, "999999", "x"):
        answer = home["client"].post(url("plan", home["service"]), {"plan": tampered, "step": "confirm"})

        assert answer.status_code == 400
        assert "not one this service can change to" in answer.content.decode()
    assert written() == before


# --- Add-ons ------------------------------------------------------------------------------------


def test_an_add_on_is_reviewed_then_ordered_on_the_service(home, run_worker):
    client, service = home["client"], home["service"]
    page = client.get(url("addon", service)).content.decode()
    assert "Wi-Fi extender" in page
    assert "$7.00" in page
    review = client.post(url("addon", service), {"addon": home["wifi"].pk, "step": "review"}).context["review"]
    assert (review.offer.mrc_amount, review.mrc_after_amount) == (Decimal("7.00"), Decimal("57.00"))

    client.post(url("addon", service), {"addon": home["wifi"].pk, "step": "confirm"})
    for _ in range(4):
        run_worker()

    addon = Service.objects.get(base_service=service)
    assert (addon.product_version_id, addon.status, addon.mrc_amount) == (home["wifi"].pk, "active", Decimal("7.00"))
    refused = client.post(url("addon", service), {"addon": home["wifi"].pk, "step": "review"})
    assert refused.status_code == 400  # it has it now


# --- Vacation hold --------------------------------------------------------------------------------


def test_a_vacation_hold_shows_the_hold_rate_then_suspends_and_restores(home, run_worker):
    client, service = home["client"], home["service"]
    with clock.frozen(MARCH_10):
        page = client.get(url("hold", service))
        assert "$9.99" in page.content.decode()
        assert page.context["review"].hold_mrc_amount == Decimal("9.99")
        client.post(url("hold", service), {"step": "confirm"})
        work = WorkOrder.objects.get(service=service, action="suspend")
        assert (work.reason, work.requested_by) == (changes.VACATION_REASON, None)
        for _ in range(3):
            run_worker()
        service.refresh_from_db()
        assert service.status == "suspended"
        assert changes.on_vacation(service)
        assert "End the hold" in client.get(url("hold", service)).content.decode()
        client.post(url("hold", service), {"step": "end"})
        for _ in range(3):
            run_worker()
    service.refresh_from_db()
    assert service.status == "active"


def test_a_hold_is_refused_with_a_message_when_the_product_has_no_suspend_template(home):
    service = home["service"]
    service.product_version.product.templates.filter(action="suspend").delete()
    before = written()

    answer = home["client"].post(url("hold", service), {"step": "confirm"}, follow=True)

    assert "cannot be put on hold online" in answer.content.decode()
    assert written() == before


# --- Move -----------------------------------------------------------------------------------------

NEW_HOME = {"line1": "40 Court Street", "city": "Machias", "state": "ME", "postal_code": "04654"}


def test_a_move_checks_the_new_address_and_shows_the_move_fee(home, run_worker):
    client, service = home["client"], home["service"]
    answer = client.post(url("move", service), {**NEW_HOME, "latitude": LAT, "longitude": LNG, "step": "review"})
    review = answer.context["review"]
    assert review.place.line1 == "40 COURT ST"
    assert (review.fee_amount, review.mrc_amount) == (Decimal("75.00"), Decimal("50.00"))
    assert "$75.00" in answer.content.decode()

    client.post(url("move", service), {**NEW_HOME, "latitude": LAT, "longitude": LNG, "step": "confirm"})
    line = Order.objects.latest("id").quote.lines.get()
    assert (line.action, line.location.line1, line.nrc_amount) == ("move", "40 COURT ST", Decimal("75.00"))
    for _ in range(4):
        run_worker()
    service.refresh_from_db()
    assert service.location.line1 == "40 COURT ST"


def test_a_move_to_an_uncovered_address_is_refused_on_the_form_with_nothing_written(home):
    before = written()

    answer = home["client"].post(
        url("move", home["service"]), {**NEW_HOME, "latitude": FAR_LAT, "longitude": FAR_LNG, "step": "confirm"}
    )

    assert answer.status_code == 400
    assert "We cannot carry Fiber 300 at 40 COURT ST" in answer.content.decode()
    assert written() == before
    malformed = home["client"].post(url("move", home["service"]), {**NEW_HOME, "line1": "Court", "step": "review"})
    assert malformed.status_code == 400
    assert written() == before


# --- Cancel ---------------------------------------------------------------------------------------


def test_cancel_shows_the_etf_from_the_terms_and_orders_the_cancellation(home, run_worker):
    client, service = home["client"], home["service"]
    with clock.frozen(MARCH_10):
        page = client.get(url("cancel", service))
        review = page.context["review"]
        # The term ends 1 March 2027: 12 months left (a started month counts), 10.00 each.
        assert (review.months_left, review.etf_amount) == (12, Decimal("120.00"))
        assert "10.00 for each month left in the term" in page.content.decode()
        assert review.effect == review.main.preview.effect
        client.post(url("cancel", service), {"step": "confirm", "expected_effect": str(review.effect)})
    line = Order.objects.latest("id").quote.lines.get()
    assert (line.action, line.etf_amount) == ("cancel", Decimal("120.00"))


def test_a_figure_that_moved_since_the_review_writes_nothing(home):
    before = written()

    answer = home["client"].post(url("cancel", home["service"]), {"step": "confirm", "expected_effect": "1.00"})

    assert answer.status_code == 302
    assert written() == before


# --- Rescheduling the visit -----------------------------------------------------------------------


def test_a_booked_visit_moves_to_another_free_time(catalog, run_worker):
    visit_plan = zero_touch_plan("res-500", "Fiber 500", speed=500, mrc="60.00", add_tasks=WITH_VISIT)
    Technician.objects.create(user=make_user("provisioning"))
    account = make_account("residential")
    login = make_portal_login(account)
    location = crm_services.location_create(
        account=account,
        line1="18 Elm Street",
        city="Machias",
        state="ME",
        postal_code="04654",
        latitude=LAT,
        longitude=LNG,
    )
    quote = quoting_services.quote_create(account=account)
    quoting_services.quote_line_add(quote=quote, location=location, product_version=visit_plan, term_months=12)
    quoting_services.quote_accept(quote=quoting_services.quote_present(quote=quote))
    run_worker()
    service = Service.objects.get(account=account)
    task = WorkOrder.objects.get(service=service).tasks.get(needs_appointment=True)
    from headend.fulfillment import appointments, selectors

    first = selectors.appointment_slots(task=task)[0]
    appointments.appointment_book(task=task, start=first.start, booked_by=None)
    client = portal_client(login)

    page = client.get(url("visit", service))
    slots = page.context["visit"].slots
    assert slots
    assert first.start not in [slot.start for slot in slots]
    assert client.post(url("visit", service), {"start": "2020-01-01T09:00:00+00:00"}).status_code == 400
    client.post(url("visit", service), {"start": slots[0].start.isoformat()})

    booked = Appointment.objects.get(task=task, status="booked")
    assert booked.start == slots[0].start


# --- Who may ----------------------------------------------------------------------------------------


ROUTES = ("plan", "addon", "hold", "move", "cancel", "visit")


def test_another_customers_service_is_404_on_every_change_page_with_nothing_written(home, other_customer):
    before = written()
    for name in ROUTES:
        assert other_customer.get(url(name, home["service"])).status_code == 404
        answer = other_customer.post(
            url(name, home["service"]), {"plan": home["gig"].pk, "step": "confirm", **NEW_HOME}
        )
        assert answer.status_code == 404
    assert written() == before
    home["service"].refresh_from_db()
    assert home["service"].status == "active"


def test_a_billing_login_gets_404_on_the_change_pages(home):
    billing = portal_client(make_portal_login(home["service"].account, role=PortalLogin.Role.BILLING))
    for name in ROUTES:
        assert billing.get(url(name, home["service"])).status_code == 404


def test_the_service_page_links_the_changes_open_to_it(home):
    page = home["client"].get(f"/portal/services/{home['service'].pk}/").content.decode()

    for words in ("Change plan", "Add an add-on", "Vacation hold", "Move to a new address", "Cancel the service"):
        assert words in page
    assert url("plan", home["service"]) in page


def test_a_figure_that_is_not_a_number_is_refused_not_a_500(home):
    before = written()

    response = home["client"].post(url("cancel", home["service"]), {"step": "confirm", "expected_effect": "abc"})

    assert response.status_code == 302  # back to the service page with the message, never a 500
    assert written() == before


def test_an_add_ons_own_service_id_opens_no_plan_move_or_hold_page(home, run_worker):
    login = home["login"]
    customer = auth.Customer(login=login, contact=login.contact, account=login.account)
    changes.addon_order(
        customer=customer, review=changes.addon_review(service=home["service"], version_id=home["wifi"].pk)
    )
    for _ in range(4):
        run_worker()
    addon = Service.objects.get(base_service=home["service"])

    for name in ("plan", "move", "hold", "addon"):
        assert home["client"].get(url(name, addon)).status_code == 404
