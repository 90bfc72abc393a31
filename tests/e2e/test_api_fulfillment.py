"""One walk through order fulfillment over the public API only: an order placed directly with
two items, its tasks started and completed in dependency order, a second order cancelled
mid-way (and its undo work done), and the services' state history read back."""

import datetime as dt

import pytest

from headend.api.services import token_issue
from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.fulfillment.models import Technician
from tests.api.client import TMFClient, body
from tests.api.tmf_schema import assert_valid
from tests.conftest import FROZEN_AT
from tests.e2e.test_api_spine import BUSINESS_INSTALL, site
from tests.factories import make_product, make_user

pytestmark = pytest.mark.django_db

ORDERS = "/productOrderingManagement/v4/productOrder"
CANCELS = "/productOrderingManagement/v4/cancelProductOrder"
WORK_ORDERS = "/workOrderManagement/v4/workOrder"
SERVICES = "/serviceInventory/v4/service"

# A wireless product whose mast, once up, has to come down again if the order is cancelled.
WIRELESS_INSTALL = [
    TaskSpec("Raise mast", role="provisioning", planned_minutes=180, undo="Take the mast down"),
    TaskSpec("Aim radio", role="provisioning", planned_minutes=60, depends_on=["Raise mast"]),
]


def item(offering_id: str, site_id: str, months: int) -> dict:
    return {
        "action": "add",
        "quantity": 1,
        "productOffering": {"id": offering_id},
        "product": {"place": [{"id": site_id, "role": "installationAddress", "@referredType": "GeographicSite"}]},
        "itemTerm": [{"duration": {"amount": months, "units": "month"}}],
    }


def ready_manual_tasks(api: TMFClient, order_id: str) -> list[tuple[str, str, str]]:
    """(work order id, task id, task name) of every task someone can start or complete now."""
    return [
        (work_order["id"], task["id"], task["work"]["name"])
        for work_order in body(api.get(WORK_ORDERS, **{"order.id": order_id}))
        for task in work_order["workOrderItem"]
        if task["state"] in ("acknowledged", "inProgress") and task["work"]["workType"] == "manual"
    ]


def test_api_walk_through_fulfillment_and_cancellation(client, run_worker):
    dia = make_product(
        code="biz-dia-1g",
        customer_type="business",
        tasks=BUSINESS_INSTALL,
        prices={12: ("650.00", "1500.00"), 36: ("475.00", "0.00")},
    )
    wireless = make_product(code="biz-fw-100", customer_type="business", tasks=WIRELESS_INSTALL)
    technician = Technician.objects.create(user=make_user("provisioning", first_name="Ines", last_name="Ortiz"))
    _, raw = token_issue(user=make_user("sales", "provisioning"), name="integration")
    api = TMFClient(client, raw)

    # A business customer and two sites.
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
            },
        )
    )
    cannery = body(api.post("/geographicSiteManagement/v4/geographicSite", site(customer["id"], "12", "Cannery")))
    pier = body(api.post("/geographicSiteManagement/v4/geographicSite", site(customer["id"], "40", "Pier")))
    party = [{"id": customer["id"], "role": "customer", "@referredType": "Organization"}]
    run_worker()

    # An order placed directly, no quote: DIA at both sites.
    response = api.post(
        ORDERS,
        {
            "relatedParty": party,
            "productOrderItem": [item(str(dia.pk), cannery["id"], 36), item(str(dia.pk), pier["id"], 12)],
        },
    )
    assert response.status_code == 201, response.content
    order = body(response)
    assert_valid(order, api="622", definition="ProductOrder")
    assert response["Location"] == order["href"]
    assert (order["state"], order["expectedCompletionDate"]) == ("acknowledged", "2026-03-03T15:00:00Z")
    run_worker()  # the worker runs each work order's code task (the circuit id)

    work_orders = body(api.get(WORK_ORDERS, **{"order.id": order["id"]}))
    assert len(work_orders) == 2
    for work_order in work_orders:
        assert_valid(work_order, api="697", definition="WorkOrder")
        states = {task["work"]["name"]: task["state"] for task in work_order["workOrderItem"]}
        assert states == {
            "Site survey": "acknowledged",
            "Assign circuit ID": "completed",
            "Install CPE": "held",
            "Turn-up test": "held",
        }
    first = work_orders[0]
    survey, install = (
        next(task for task in first["workOrderItem"] if task["work"]["name"] == name)
        for name in ("Site survey", "Install CPE")
    )

    # Installing before the survey is done is refused; the survey goes to the technician.
    early = api.post(f"{WORK_ORDERS}/{first['id']}/task/{install['id']}/complete")
    assert (early.status_code, body(early)["code"]) == (409, "task_blocked")
    assigned = body(api.post(f"{WORK_ORDERS}/{first['id']}/task/{survey['id']}/assign", {"automatic": True}))
    assert assigned["work"]["relatedParty"][0]["id"] == str(technician.user_id)
    run_worker()

    # Every manual task is started, then completed, as it becomes ready.
    turned_up_at = FROZEN_AT + dt.timedelta(days=1, hours=3)
    done = []
    with clock.frozen(turned_up_at):
        while ready := ready_manual_tasks(api, order["id"]):
            for work_order_id, task_id, name in ready:
                started = api.post(f"{WORK_ORDERS}/{work_order_id}/task/{task_id}/start")
                assert (started.status_code, body(started)["state"]) == (200, "inProgress"), started.content
                run_worker()
                completed = api.post(f"{WORK_ORDERS}/{work_order_id}/task/{task_id}/complete", {"note": "done"})
                assert (completed.status_code, body(completed)["state"]) == (200, "completed"), completed.content
                done.append(name)
                run_worker()
    assert sorted(done) == sorted(["Site survey", "Install CPE", "Turn-up test"] * 2)

    finished = body(api.get(f"{ORDERS}/{order['id']}"))
    assert_valid(finished, api="622", definition="ProductOrder")
    assert (finished["state"], finished["completionDate"]) == ("completed", "2026-03-03T18:00:00Z")
    service_id = finished["productOrderItem"][0]["product"]["id"]

    # A second order, for fixed wireless at the pier, is cancelled after the mast went up.
    second = body(
        api.post(ORDERS, {"relatedParty": party, "productOrderItem": [item(str(wireless.pk), pier["id"], 12)]})
    )
    run_worker()
    (work_order,) = body(api.get(WORK_ORDERS, **{"order.id": second["id"]}))
    mast = work_order["workOrderItem"][0]
    assert api.post(f"{WORK_ORDERS}/{work_order['id']}/task/{mast['id']}/complete").status_code == 200
    run_worker()

    response = api.post(
        CANCELS, {"productOrder": {"id": second["id"]}, "cancellationReason": "Landlord refused the mast"}
    )
    assert response.status_code == 201, response.content
    cancellation = body(response)
    assert_valid(cancellation, api="622", definition="CancelProductOrder")
    assert cancellation["state"] == "inProgress"  # the mast has to come down first
    run_worker()
    cancelling = body(api.get(f"{ORDERS}/{second['id']}"))
    assert (cancelling["state"], cancelling["cancellationReason"]) == (
        "pendingCancellation",
        "Landlord refused the mast",
    )
    (undo,) = [
        (work_order_id, task_id)
        for work_order_id, task_id, name in ready_manual_tasks(api, second["id"])
        if name == "Undo: Take the mast down"
    ]
    assert api.post(f"{WORK_ORDERS}/{undo[0]}/task/{undo[1]}/complete").status_code == 200
    run_worker()

    assert body(api.get(f"{CANCELS}/{second['id']}"))["state"] == "done"
    cancelled = body(api.get(f"{ORDERS}/{second['id']}"))
    assert_valid(cancelled, api="622", definition="ProductOrder")
    assert cancelled["state"] == "cancelled"
    assert [cancellation["id"] for cancellation in body(api.get(CANCELS))] == [second["id"]]

    # The services' state history.
    installed = body(api.get(f"{SERVICES}/{service_id}"))
    assert_valid(installed, api="638", definition="Service")
    assert [(change["state"], change["changeDate"]) for change in installed["stateChange"]] == [
        ("designed", "2026-03-02T15:00:00Z"),
        ("reserved", "2026-03-02T15:00:00Z"),  # the worker assigned the circuit id at once
        ("active", "2026-03-03T18:00:00Z"),
    ]
    never_up = body(api.get(f"{SERVICES}/{cancelled['productOrderItem'][0]['product']['id']}"))
    assert_valid(never_up, api="638", definition="Service")
    assert [change["state"] for change in never_up["stateChange"]] == ["designed", "reserved", "terminated"]
    assert never_up["state"] == "terminated"
