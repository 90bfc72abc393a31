"""One walk through the public API, over HTTP only: a business customer from sign-up to
services turned up and billable, the way an integration would drive Headend."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.api.services import token_issue
from headend.catalog.services import TaskSpec
from headend.core import clock
from tests.api.client import TMFClient, body
from tests.api.tmf_schema import assert_valid
from tests.conftest import FROZEN_AT
from tests.factories import make_product, make_user

pytestmark = pytest.mark.django_db

BUSINESS_INSTALL = [
    TaskSpec("Site survey", role="provisioning", planned_minutes=240),
    TaskSpec("Assign circuit ID", kind="code", code_action="inventory.assign_circuit_id", planned_minutes=1),
    TaskSpec("Install CPE", role="provisioning", planned_minutes=240, depends_on=["Site survey"]),
    TaskSpec("Turn-up test", role="provisioning", planned_minutes=60, depends_on=["Install CPE", "Assign circuit ID"]),
]


def site(customer_id: str, street_nr: str, name: str) -> dict:
    return {
        "name": name,
        "relatedParty": [{"id": customer_id, "role": "customer", "@referredType": "Customer"}],
        "place": [
            {
                "@type": "GeographicAddress",
                "streetNr": street_nr,
                "streetName": "Water",
                "streetType": "Street",
                "city": "Eastport",
                "stateOrProvince": "ME",
                "postcode": "04631",
                "country": "US",
            }
        ],
    }


def quote_item(offering_id: str, site_id: str, months: int) -> dict:
    return {
        "action": "add",
        "quantity": 1,
        "productOffering": {"id": offering_id},
        "product": {
            "place": [{"id": site_id, "role": "installationAddress", "@referredType": "GeographicSite"}],
            "productTerm": [{"duration": {"amount": months, "units": "month"}}],
        },
    }


def test_api_walk_from_customer_to_billable_services(client, run_worker):
    make_product(
        code="biz-dia-1g",
        customer_type="business",
        tasks=BUSINESS_INSTALL,
        prices={12: ("650.00", "1500.00"), 36: ("475.00", "0.00")},
    )
    _, raw = token_issue(user=make_user("sales", "provisioning"), name="integration")
    api = TMFClient(client, raw)

    # A business customer and its two sites.
    customer = body(
        api.post(
            "/customerManagement/v4/customer",
            {
                "name": "Cobscook Seafood",
                "engagedParty": {"@referredType": "Organization"},
                "characteristic": [
                    {"name": "legalName", "value": "Cobscook Seafood LLC"},
                    {"name": "taxId", "value": "12-3456789"},
                ],
                "contactMedium": [{"mediumType": "email", "characteristic": {"emailAddress": "ops@cobscook.example"}}],
            },
        )
    )
    assert_valid(customer, api="629", definition="Customer")
    cannery = body(api.post("/geographicSiteManagement/v4/geographicSite", site(customer["id"], "12", "Cannery")))
    pier = body(api.post("/geographicSiteManagement/v4/geographicSite", site(customer["id"], "40", "Pier")))
    run_worker()

    # What is on sale.
    offerings = body(api.get("/productCatalogManagement/v4/productOffering", lifecycleStatus="Launched"))
    (offering,) = [offering for offering in offerings if offering["isSellable"]]
    assert [term["duration"]["amount"] for term in offering["productOfferingTerm"]] == [12, 36]

    # A quote with a line at each site, presented and accepted.
    response = api.post(
        "/quoteManagement/v4/quote",
        {
            "description": "DIA at both sites",
            "relatedParty": [{"id": customer["id"], "role": "customer", "@referredType": "Customer"}],
            "quoteItem": [quote_item(offering["id"], cannery["id"], 36), quote_item(offering["id"], pier["id"], 12)],
        },
    )
    assert response.status_code == 201
    quote = body(response)
    totals = {price["priceType"]: price["price"]["dutyFreeAmount"]["value"] for price in quote["quoteTotalPrice"]}
    assert totals == {
        "recurring": Decimal("1125.00"),
        "oneTime": Decimal("1500.00"),
        "total": Decimal("26400.00"),
    }  # 475*36 + 650*12 + 1500
    run_worker()
    assert body(api.patch(f"/quoteManagement/v4/quote/{quote['id']}", {"state": "approved"}))["state"] == "approved"
    run_worker()
    accepted = body(api.patch(f"/quoteManagement/v4/quote/{quote['id']}", {"state": "accepted"}))
    assert accepted["state"] == "accepted"
    run_worker()

    # The order it became, and its work.
    (order,) = body(api.get("/productOrderingManagement/v4/productOrder", **{"relatedParty.id": customer["id"]}))
    assert accepted["relatedEntity"][0]["id"] == order["id"]
    work_orders = body(api.get("/workOrderManagement/v4/workOrder", **{"order.id": order["id"]}))
    assert len(work_orders) == 2
    # The worker has already run each work order's code task (the circuit id), so work has begun.
    assert (order["state"], order["quote"][0]["id"]) == ("inProgress", quote["id"])
    for work_order in work_orders:
        states = {item["work"]["name"]: item["state"] for item in work_order["workOrderItem"]}
        assert states == {
            "Site survey": "acknowledged",
            "Assign circuit ID": "completed",
            "Install CPE": "held",
            "Turn-up test": "held",
        }

    # Technicians complete every manual task as it becomes ready; the worker runs the code tasks.
    turned_up_at = FROZEN_AT + dt.timedelta(days=2, hours=3)
    completed = []
    with clock.frozen(turned_up_at):
        while True:
            ready = [
                (work_order["id"], item["id"], item["work"]["name"])
                for work_order in body(api.get("/workOrderManagement/v4/workOrder", **{"order.id": order["id"]}))
                for item in work_order["workOrderItem"]
                if item["state"] == "acknowledged" and item["work"]["workType"] == "manual"
            ]
            if not ready:
                break
            for work_order_id, task_id, name in ready:
                response = api.post(
                    f"/workOrderManagement/v4/workOrder/{work_order_id}/task/{task_id}/complete",
                    {"note": f"{name}: done"},
                )
                assert response.status_code == 200, response.content
                completed.append(name)
                run_worker()
    assert sorted(completed) == sorted(["Site survey", "Install CPE", "Turn-up test"] * 2)

    # Both services are up, billable from the instant the last task was done.
    services = body(api.get("/serviceInventory/v4/service", **{"relatedParty.id": customer["id"]}))
    assert len(services) == 2
    for service in services:
        assert_valid(service, api="638", definition="Service")
        values = {item["name"]: item["value"] for item in service["serviceCharacteristic"]}
        assert (service["state"], service["startDate"], values["billableFrom"]) == (
            "active",
            "2026-03-04T18:00:00Z",
            "2026-03-04T18:00:00Z",
        )
        assert values["circuitId"].startswith("DIA-FTTP-")
    assert {service["place"][0]["id"] for service in services} == {cannery["id"], pier["id"]}

    done = body(api.get(f"/productOrderingManagement/v4/productOrder/{order['id']}"))
    assert_valid(done, api="622", definition="ProductOrder")
    assert (done["state"], done["completionDate"]) == ("completed", "2026-03-04T18:00:00Z")
    assert [item["state"] for item in done["productOrderItem"]] == ["completed", "completed"]
    assert {item["product"]["id"] for item in done["productOrderItem"]} == {service["id"] for service in services}
    customer_now = body(api.get(f"/customerManagement/v4/customer/{customer['id']}"))
    assert customer_now["status"] == "active"
