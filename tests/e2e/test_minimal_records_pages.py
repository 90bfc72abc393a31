"""Every staff page renders for records made with only what the API requires: customers with no
owner, email or phone, sites with no name or coordinates, quotes with no description in every
state, orders placed directly (no quote) and cancelled, services pending, live and disconnected,
and their work orders; beside them, what the staff UI and the Django admin let a person save
(no owner, a contact with no email or phone, an account with only a kind and a name)."""

import datetime as dt

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from headend.core import clock
from headend.crm import services as crm_services
from headend.crm.models import Account, Location
from headend.fulfillment.models import WorkOrder
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.quoting.models import Quote
from tests.api.client import TMFClient, body
from tests.conftest import FROZEN_AT
from tests.factories import make_product, make_user

pytestmark = pytest.mark.django_db

CUSTOMER = "/customerManagement/v4/customer"
SITE = "/geographicSiteManagement/v4/geographicSite"
QUOTE = "/quoteManagement/v4/quote"
ORDER = "/productOrderingManagement/v4/productOrder"
WORK_ORDER = "/workOrderManagement/v4/workOrder"
# The apps whose records these are: their admin pages are opened too.
RECORD_APPS = {"crm", "catalog", "quoting", "contracts", "orders", "inventory", "fulfillment"}


def expect(response, status: int = 201) -> dict:
    """The body of a response that has `status` (201: created)."""
    assert response.status_code == status, response.content
    return body(response)


def customer_party(customer: dict) -> list[dict]:
    return [{"id": customer["id"], "role": "customer"}]


def bare_site(api: TMFClient, customer: dict, street: str) -> dict:
    place = {"streetName": street, "city": "Eastport", "stateOrProvince": "ME", "postcode": "04631"}
    return expect(api.post(SITE, {"relatedParty": customer_party(customer), "place": [place]}))


def bare_item(offering_id: int, site: dict) -> dict:
    return {
        "productOffering": {"id": str(offering_id)},
        "product": {"place": [{"id": site["id"]}], "productTerm": [{"duration": {"amount": 12, "units": "month"}}]},
    }


def bare_quote(api: TMFClient, customer: dict, offering_id: int, site: dict) -> dict:
    return expect(
        api.post(QUOTE, {"relatedParty": customer_party(customer), "quoteItem": [bare_item(offering_id, site)]})
    )


def bare_order(api: TMFClient, customer: dict, offering_id: int, site: dict) -> dict:
    item = {
        "productOffering": {"id": str(offering_id)},
        "product": {"place": [{"id": site["id"]}]},
        "itemTerm": [{"duration": {"amount": 12, "units": "month"}}],
    }
    return expect(api.post(ORDER, {"relatedParty": customer_party(customer), "productOrderItem": [item]}))


def complete_manual_tasks(api: TMFClient, order: dict, run_worker) -> None:
    """Technicians complete each manual task of the order as it becomes ready."""
    while ready := [
        (work_order["id"], item["id"])
        for work_order in body(api.get(WORK_ORDER, **{"order.id": order["id"]}))
        for item in work_order["workOrderItem"]
        if item["state"] == "acknowledged" and item["work"]["workType"] == "manual"
    ]:
        for work_order_id, task_id in ready:
            expect(api.post(f"{WORK_ORDER}/{work_order_id}/task/{task_id}/complete", {}), 200)
            run_worker()


def build_minimal_records(api: TMFClient, run_worker) -> None:
    """What the API makes of bodies with only the required attributes, in each state they reach."""
    offering = make_product()
    business = expect(api.post(CUSTOMER, {"name": "Quoddy Fuel", "engagedParty": {"@referredType": "Organization"}}))
    person = expect(
        api.post(
            CUSTOMER,
            {
                "name": "Ada Lovelace",
                "engagedParty": {"@referredType": "Individual"},
                "characteristic": [{"name": "givenName", "value": "Ada"}, {"name": "familyName", "value": "Lovelace"}],
            },
        )
    )
    yard, shed, pier, home = (
        bare_site(api, business, "1 Water St"),
        bare_site(api, business, "2 Water St"),
        bare_site(api, business, "3 Water St"),
        bare_site(api, person, "4 Water St"),
    )
    run_worker()

    waiting = bare_quote(api, business, offering.pk, yard)
    expect(api.patch(f"{QUOTE}/{waiting['id']}", {"state": "approved"}), 200)  # presented to the customer
    presented = bare_quote(api, business, offering.pk, shed)
    expect(api.patch(f"{QUOTE}/{presented['id']}", {"state": "approved"}), 200)
    expect(api.post(f"{QUOTE}/{presented['id']}/revise"))  # superseded, and a draft version 2
    rejected = bare_quote(api, business, offering.pk, pier)
    expect(api.patch(f"{QUOTE}/{rejected['id']}", {"state": "approved"}), 200)
    expect(api.patch(f"{QUOTE}/{rejected['id']}", {"state": "rejected"}), 200)
    accepted = bare_quote(api, person, offering.pk, home)
    expect(api.patch(f"{QUOTE}/{accepted['id']}", {"state": "approved"}), 200)
    expect(api.patch(f"{QUOTE}/{accepted['id']}", {"state": "accepted"}), 200)
    run_worker()
    (from_quote,) = body(api.get(ORDER, **{"quote.id": accepted["id"]}))
    with clock.frozen(FROZEN_AT + dt.timedelta(days=2)):
        complete_manual_tasks(api, from_quote, run_worker)  # its service goes live

    bare_order(api, business, offering.pk, pier)  # placed directly, acknowledged
    cancelled = bare_order(api, business, offering.pk, yard)
    expect(
        api.post(
            "/productOrderingManagement/v4/cancelProductOrder",
            {"productOrder": {"id": cancelled["id"]}, "cancellationReason": "Changed plans"},
        )
    )
    run_worker()

    # What the staff UI adds beside the API: a contact reached by phone only, an opportunity with no owner.
    account = Account.objects.get(pk=business["id"])
    crm_services.contact_create(account=account, first_name="Pat", last_name="Doe", phone="207-555-0134")
    crm_services.opportunity_create(account=account, name="Fleet depot", close_date=dt.date(2026, 4, 1))


def admin_add_bare_account(browser: Client) -> None:
    """What the Django admin lets a person save: an account with only a kind and a name, a
    contact with no email or phone, a location with no site name or coordinates."""
    response = browser.post(
        reverse("admin:crm_account_add"),
        {
            "kind": "residential",
            "status": "prospect",
            "name": "Walk-in",
            "created_at_0": "2026-03-02",
            "created_at_1": "10:00:00",
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-0-first_name": "Sam",
            "contacts-0-last_name": "Doe",
            "contacts-0-role": "primary",
            "contacts-0-created_at_0": "2026-03-02",
            "contacts-0-created_at_1": "10:00:00",
            "locations-TOTAL_FORMS": "1",
            "locations-INITIAL_FORMS": "0",
            "locations-0-line1": "9 Water St",
            "locations-0-city": "Eastport",
            "locations-0-state": "ME",
            "locations-0-postal_code": "04631",
            "locations-0-country": "US",
            "locations-0-created_at_0": "2026-03-02",
            "locations-0-created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].errors if response.context else response
    walk_in = Account.objects.get(name="Walk-in")
    assert (walk_in.contacts.count(), walk_in.locations.count(), walk_in.owner) == (1, 1, None)


def staff_pages() -> list[str]:
    """Every staff page that shows these records, and the Django admin's pages of every record."""
    pages = [
        reverse(name)
        for name in (
            "home",
            "crm:account_list",
            "crm:opportunity_list",
            "quoting:quote_list",
            "orders:order_list",
            "inventory:service_list",
            "inventory:service_board",
            "fulfillment:work_order_list",
            "fulfillment:board",
            "fulfillment:my_tasks",
            "fulfillment:my_work",
        )
    ]
    for account in Account.objects.all():
        pages += [
            reverse("crm:account_detail", args=[account.pk]),
            reverse("crm:account_edit", args=[account.pk]),
            reverse("crm:contact_create", args=[account.pk]),
            reverse("crm:location_create", args=[account.pk]),
            reverse("crm:opportunity_create", args=[account.pk]),
            reverse("quoting:quote_create") + f"?account={account.pk}",
        ]
        pages += [reverse("crm:contact_edit", args=[contact.pk]) for contact in account.contacts.all()]
        pages += [reverse("crm:opportunity_detail", args=[opp.pk]) for opp in account.opportunities.all()]
    for location in Location.objects.all():
        pages += [reverse("crm:location_detail", args=[location.pk]), reverse("crm:location_edit", args=[location.pk])]
    for quote in Quote.objects.all():
        pages += [
            reverse("quoting:quote_detail", args=[quote.pk]),
            reverse("quoting:quote_sites_import", args=[quote.pk]),
            reverse("contracts:quote_document", args=[quote.pk]),
            reverse("contracts:quote_pdf", args=[quote.pk]),
        ]
        if quote.previous_id:
            pages.append(reverse("quoting:quote_compare", args=[quote.pk, quote.previous_id]))
    for order in Order.objects.all():
        pages += [reverse("orders:order_detail", args=[order.pk]), reverse("fulfillment:order_gantt", args=[order.pk])]
    pages += [reverse("inventory:service_detail", args=[service.pk]) for service in Service.objects.all()]
    for work_order in WorkOrder.objects.all():
        pages += [
            reverse("fulfillment:work_order_detail", args=[work_order.pk]),
            reverse("fulfillment:work_order_gantt", args=[work_order.pk]),
        ]
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label not in RECORD_APPS:
            continue
        rows = list(model._default_manager.values_list("pk", flat=True)[:50])
        if not rows:
            continue
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        for pk in rows:
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]))
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[pk]))
    return pages


def test_every_staff_page_renders_for_records_made_with_only_the_required_fields(client, run_worker):
    api = TMFClient.for_user(client, make_user("sales", "provisioning"))
    build_minimal_records(api, run_worker)
    browser = Client(raise_request_exception=False)
    browser.force_login(make_user("admin", is_staff=True, is_superuser=True))
    admin_add_bare_account(browser)
    assert (
        set(Quote.objects.values_list("status", flat=True)),
        set(Order.objects.values_list("status", flat=True)),
        set(Service.objects.values_list("status", flat=True)),
        set(WorkOrder.objects.values_list("status", flat=True)),
    ) == (
        {"draft", "presented", "superseded", "rejected", "accepted"},
        {"acknowledged", "completed", "cancelled"},
        {"pending", "active", "disconnected"},
        {"pending", "completed", "cancelled"},
    )

    statuses = {page: browser.get(page).status_code for page in staff_pages()}

    assert {page: status for page, status in statuses.items() if status != 200} == {}
