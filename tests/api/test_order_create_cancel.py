"""TMF622 productOrder created directly or from an accepted quote, and cancelProductOrder."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headend.catalog import services as catalog_services
from headend.catalog.models import WorkOrderTemplate
from headend.catalog.services import TaskSpec
from headend.core.models import OutboxEvent
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import Task, WorkOrder
from headend.inventory.models import Service
from headend.orders import services as orders_services
from headend.orders.models import Order
from tests.api.client import TMFClient, assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.conftest import outbox_names
from tests.factories import make_account, make_location, make_product, make_quote, make_user

pytestmark = pytest.mark.django_db

PATH = "/productOrderingManagement/v4/productOrder"
CANCEL = "/productOrderingManagement/v4/cancelProductOrder"
# A product whose first task, once done, must be undone if the order is cancelled.
UNDOABLE = [
    TaskSpec(name="Splice drop", role="provisioning", planned_minutes=60, undo="Remove drop"),
    TaskSpec(name="Activate", role="provisioning", planned_minutes=20, depends_on=["Splice drop"]),
]


def customer_party(account) -> list[dict]:
    return [{"id": str(account.pk), "role": "customer", "@referredType": "Organization"}]


def order_item(version, location, *, months=12, quantity=1, **extra) -> dict:
    return {
        "action": "add",
        "quantity": quantity,
        "productOffering": {"id": str(version.pk)},
        "product": {"place": [{"id": str(location.pk), "role": "installationAddress"}]},
        "itemTerm": [{"duration": {"amount": months, "units": "month"}}],
        **extra,
    }


def nothing_ordered() -> None:
    assert (Order.objects.count(), Service.objects.count(), WorkOrder.objects.count()) == (0, 0, 0)
    assert not OutboxEvent.objects.filter(name__startswith="order.").exists()


@pytest.fixture
def version():
    return make_product()


@pytest.fixture
def account():
    return make_account()


# --- Create directly ---------------------------------------------------------------------------


def test_create_an_order_directly_with_two_items(sales_api, version, account):
    cannery, pier = make_location(account), make_location(account)

    response = sales_api.post(
        PATH,
        {
            "relatedParty": customer_party(account),
            "productOrderItem": [
                order_item(version, cannery, months=24, quantity=2),
                order_item(version, pier, months=0),
            ],
        },
    )

    assert response.status_code == 201, response.content
    got = body(response)
    assert_valid(got, api="622", definition="ProductOrder")
    order = Order.objects.get()
    assert response["Location"] == f"http://testserver/tmf-api/productOrderingManagement/v4/productOrder/{order.pk}"
    assert (got["id"], got["state"], got["relatedParty"][0]["id"], got.get("quote")) == (
        str(order.pk),
        "acknowledged",
        str(account.pk),
        None,
    )
    assert [
        (
            item["id"],
            item["quantity"],
            item["product"]["place"][0]["id"],
            item["itemTerm"][0]["duration"]["amount"],
            [price["price"]["dutyFreeAmount"]["value"] for price in item["itemPrice"]],
            "quoteItem" in item,
        )
        for item in got["productOrderItem"]
    ] == [
        ("1", 2, str(cannery.pk), 24, [Decimal("120.00"), Decimal("0.00")], False),
        ("2", 1, str(pier.pk), 0, [Decimal("70.00"), Decimal("99.00")], False),
    ]
    services = Service.objects.filter(order_line__order=order).order_by("order_line__position")
    assert [item["product"]["id"] for item in got["productOrderItem"]] == [str(service.pk) for service in services]
    assert WorkOrder.objects.filter(order_line__order=order).count() == 2
    assert got["expectedCompletionDate"] == "2026-03-02T17:35:00Z"  # 10:00 + 15 + 120 + 20 minutes, in Maine
    account.refresh_from_db()
    assert (order.quote, order.created_at.isoformat(), account.status) == (None, "2026-03-02T15:00:00+00:00", "active")
    assert outbox_names(subject=order) == ["order.created"]


def test_the_term_can_be_given_as_the_quote_api_does(sales_api, version, account):
    item = order_item(version, make_location(account))
    del item["itemTerm"]
    item["product"]["productTerm"] = [{"duration": {"amount": 24, "units": "months"}}]

    response = sales_api.post(PATH, {"relatedParty": customer_party(account), "productOrderItem": [item]})

    assert response.status_code == 201, response.content
    assert Order.objects.get().lines.get().term_months == 24


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"quantity": 0}, "invalid_quantity", "productOrderItem[1].quantity"),
        ({"quantity": 10_001}, "invalid_quantity", "productOrderItem[1].quantity"),
        (
            {"itemTerm": [{"duration": {"amount": 36, "units": "month"}}]},
            "term_not_offered",
            "productOrderItem[1].itemTerm[0].duration.amount",
        ),
        (
            {"itemTerm": [{"duration": {"amount": 18, "units": "month"}}]},
            "unknown_term",
            "productOrderItem[1].itemTerm[0].duration.amount",
        ),
        (
            {"itemTerm": [{"duration": {"amount": 1, "units": "year"}}]},
            "invalid_units",
            "productOrderItem[1].itemTerm[0].duration.units",
        ),
        ({"itemTerm": []}, "term_required", "productOrderItem[1].itemTerm"),
        ({"action": "modify"}, "unsupported_action", "productOrderItem[1].action"),
        ({"productOffering": {"id": "999999"}}, "unknown_reference", "productOrderItem[1].productOffering.id"),
        ({"productOffering": None}, "required", "productOrderItem[1].productOffering.id"),
        ({"product": {"place": []}}, "one_place", "productOrderItem[1].product.place"),
        (
            {"product": {"place": [{"id": "999999", "role": "installationAddress"}]}},
            "unknown_reference",
            "productOrderItem[1].product.place[0].id",
        ),
    ],
)
def test_a_bad_second_item_is_400_naming_it_and_nothing_is_ordered(sales_api, version, account, change, code, field):
    good, bad = order_item(version, make_location(account)), order_item(version, make_location(account))
    bad.update(change)

    response = sales_api.post(PATH, {"relatedParty": customer_party(account), "productOrderItem": [good, bad]})

    assert_error(response, status=400, code=code, field=field, api="622")
    nothing_ordered()


def test_another_customers_site_is_400(sales_api, version, account):
    foreign = make_location(make_account())

    response = sales_api.post(
        PATH, {"relatedParty": customer_party(account), "productOrderItem": [order_item(version, foreign)]}
    )

    assert_error(response, status=400, code="foreign_location", field="productOrderItem[0].product.place[0].id")
    nothing_ordered()


def test_a_business_product_for_a_residential_customer_is_400(sales_api):
    person = make_account("residential")
    business_only = make_product(customer_type="business")

    response = sales_api.post(
        PATH,
        {
            "relatedParty": customer_party(person),
            "productOrderItem": [order_item(business_only, make_location(person))],
        },
    )

    assert_error(response, status=400, code="not_eligible", field="productOrderItem[0].productOffering.id")
    nothing_ordered()


def test_a_product_without_an_installation_template_is_409(sales_api, account):
    bare = make_product(code="bare")
    # A catalog from before publishing required every template (the admin keeps them since).
    WorkOrderTemplate.objects.filter(product=bare.product, action="add").delete()

    response = sales_api.post(
        PATH, {"relatedParty": customer_party(account), "productOrderItem": [order_item(bare, make_location(account))]}
    )

    assert_error(response, status=409, code="no_template", field="productOrderItem[0].productOffering.id", api="622")
    nothing_ordered()


def test_an_unknown_customer_is_400(sales_api, version):
    response = sales_api.post(
        PATH,
        {
            "relatedParty": [{"id": "999999", "role": "customer", "@referredType": "Organization"}],
            "productOrderItem": [order_item(version, make_location())],
        },
    )

    assert_error(response, status=400, code="unknown_reference", field="relatedParty[0].id", api="622")
    nothing_ordered()


def test_an_order_needs_items_or_a_quote(sales_api, account):
    response = sales_api.post(PATH, {"relatedParty": customer_party(account)})

    assert_error(response, status=400, code="required", field="productOrderItem", api="622")
    nothing_ordered()


def test_an_order_needs_its_customer(sales_api, version):
    response = sales_api.post(PATH, {"productOrderItem": [order_item(version, make_location())]})

    assert_error(response, status=400, code="customer_required", field="relatedParty", api="622")
    nothing_ordered()


@pytest.mark.parametrize("role", ["support", "provisioning", "billing"])
def test_creating_an_order_needs_a_sales_role(client, version, account, role):
    api = TMFClient.for_user(client, make_user(role))

    response = api.post(
        PATH,
        {"relatedParty": customer_party(account), "productOrderItem": [order_item(version, make_location(account))]},
    )

    assert_error(response, status=403, code="role_required", api="622")
    nothing_ordered()


def test_creating_an_order_needs_a_token(anonymous_api, version, account):
    response = anonymous_api.post(
        PATH,
        {"relatedParty": customer_party(account), "productOrderItem": [order_item(version, make_location(account))]},
    )

    assert_error(response, status=401, api="622")
    nothing_ordered()


# --- Create from a quote ---------------------------------------------------------------------------


def test_posting_an_accepted_quote_answers_its_existing_order(sales_api):
    quote = make_quote(status="accepted", lines=2)
    order = Order.objects.get(quote=quote)

    response = sales_api.post(
        PATH, {"quote": [{"id": str(quote.pk)}], "productOrderItem": [{"id": "1", "action": "add"}]}
    )

    assert response.status_code == 200, response.content
    got = body(response)
    assert_valid(got, api="622", definition="ProductOrder")
    assert response["Location"] == f"http://testserver/tmf-api/productOrderingManagement/v4/productOrder/{order.pk}"
    assert (got["id"], got["quote"][0]["id"], len(got["productOrderItem"])) == (str(order.pk), str(quote.pk), 2)
    assert Order.objects.count() == 1


def test_posting_a_quote_that_is_not_accepted_is_409(sales_api):
    quote = make_quote(status="presented")

    response = sales_api.post(PATH, {"quote": [{"id": str(quote.pk)}]})

    assert_error(response, status=409, code="quote_not_accepted", field="quote[0].id", api="622")
    assert Order.objects.count() == 0


def test_posting_an_unknown_quote_is_400(sales_api):
    response = sales_api.post(PATH, {"quote": [{"id": "424242"}]})

    assert_error(response, status=400, code="unknown_reference", field="quote[0].id", api="622")


# --- Read ------------------------------------------------------------------------------------------


def test_list_orders_of_a_quote(sales_api):
    quote = make_quote(status="accepted")
    make_quote(status="accepted")

    response = sales_api.get(PATH, **{"quote.id": quote.pk})

    assert [order["id"] for order in body(response)] == [str(Order.objects.get(quote=quote).pk)]
    assert response["X-Total-Count"] == "1"


# --- Cancel ----------------------------------------------------------------------------------------


def ordered(**product) -> Order:
    return Order.objects.get(quote=make_quote(status="accepted", version=make_product(**product) if product else None))


def cancel(api, order: Order, reason: str | None = "Customer moved away", **extra):
    payload = {"productOrder": {"id": str(order.pk)}, **extra}
    if reason is not None:
        payload["cancellationReason"] = reason
    return api.post(CANCEL, payload)


def test_cancel_an_order_before_work_started(sales_api):
    order = ordered()

    response = cancel(sales_api, order)

    assert response.status_code == 201, response.content
    got = body(response)
    assert_valid(got, api="622", definition="CancelProductOrder")
    href = f"http://testserver/tmf-api/productOrderingManagement/v4/cancelProductOrder/{order.pk}"
    assert response["Location"] == href
    assert got == {
        "id": str(order.pk),
        "href": href,
        "@type": "CancelProductOrder",
        "state": "done",
        "cancellationReason": "Customer moved away",
        "requestedCancellationDate": "2026-03-02T15:00:00Z",
        "effectiveCancellationDate": "2026-03-02T15:00:00Z",
        "productOrder": {
            "id": str(order.pk),
            "href": f"http://testserver/tmf-api/productOrderingManagement/v4/productOrder/{order.pk}",
            "name": order.number,
            "@referredType": "ProductOrder",
        },
    }
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "Customer moved away")
    assert Service.objects.get(order_line__order=order).status == "disconnected"


def test_a_cancelled_order_reads_back_cancelled_with_reason_and_date(sales_api):
    order = ordered()
    cancel(sales_api, order)

    got = body(sales_api.get(f"{PATH}/{order.pk}"))

    assert_valid(got, api="622", definition="ProductOrder")
    assert (got["state"], got["cancellationReason"], got["cancellationDate"], got["completionDate"]) == (
        "cancelled",
        "Customer moved away",
        "2026-03-02T15:00:00Z",
        "2026-03-02T15:00:00Z",
    )
    assert [item["state"] for item in got["productOrderItem"]] == ["cancelled"]


def test_cancelling_after_work_that_must_be_undone_is_in_progress(fulfil_api):
    order = ordered(tasks=UNDOABLE)
    work_order = WorkOrder.objects.get(order_line__order=order)
    fulfillment_services.task_complete(task=work_order.tasks.get(name="Splice drop"), completed_by=None)

    response = cancel(fulfil_api, order)

    assert response.status_code == 201, response.content
    got = body(response)
    assert_valid(got, api="622", definition="CancelProductOrder")
    assert (got["state"], "effectiveCancellationDate" in got) == ("inProgress", False)
    productorder = body(fulfil_api.get(f"{PATH}/{order.pk}"))
    assert_valid(productorder, api="622", definition="ProductOrder")
    assert productorder["state"] == "pendingCancellation"
    assert list(work_order.tasks.order_by("position").values_list("name", "status")) == [
        ("Splice drop", "done"),
        ("Activate", "cancelled"),
        ("Undo: Remove drop", "ready"),
    ]


def test_cancelling_without_a_reason_is_400_and_changes_nothing(sales_api):
    order = ordered()

    response = cancel(sales_api, order, reason=None)

    assert_error(response, status=400, code="required", field="cancellationReason", api="622")
    order.refresh_from_db()
    assert (order.status, order.cancel_requested_at) == ("acknowledged", None)
    assert outbox_names(subject=order, name_prefix="order.cancel") == []


def test_cancelling_with_a_blank_reason_is_400(sales_api):
    order = ordered()

    assert_error(cancel(sales_api, order, reason="   "), status=400, field="cancellationReason", api="622")


def test_cancelling_a_completed_order_is_409(sales_api):
    order = ordered()
    for task in Task.objects.filter(work_order__order_line__order=order).order_by("position"):
        fulfillment_services.task_complete(task=task, completed_by=None)

    response = cancel(sales_api, order)

    assert_error(response, status=409, code="order_not_cancellable", field="productOrder.id", api="622")
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("completed", "")


def test_cancelling_twice_is_409(sales_api):
    order = ordered()
    cancel(sales_api, order)

    assert_error(cancel(sales_api, order), status=409, code="order_not_cancellable", api="622")


def test_cancelling_an_unknown_order_is_400(sales_api):
    response = sales_api.post(CANCEL, {"productOrder": {"id": "777777"}, "cancellationReason": "x"})

    assert_error(response, status=400, code="unknown_reference", field="productOrder.id", api="622")


def test_cancelling_later_than_now_is_400(sales_api):
    order = ordered()

    response = cancel(sales_api, order, requestedCancellationDate="2026-04-01T00:00:00Z")

    assert_error(response, status=400, code="future_cancellation", field="requestedCancellationDate", api="622")
    order.refresh_from_db()
    assert order.status == "acknowledged"


def test_cancelling_needs_a_sales_or_provisioning_role(support_api):
    order = ordered()

    assert_error(cancel(support_api, order), status=403, code="role_required", api="622")
    order.refresh_from_db()
    assert order.status == "acknowledged"


def test_cancelling_needs_a_token(anonymous_api):
    order = ordered()

    assert_error(cancel(anonymous_api, order), status=401, api="622")


def test_get_and_list_cancellations(support_api):
    cancelled, pending, untouched = ordered(), ordered(tasks=UNDOABLE), ordered()
    fulfillment_services.task_complete(
        task=Task.objects.get(work_order__order_line__order=pending, name="Splice drop"), completed_by=None
    )
    for order in (cancelled, pending):
        orders_services.order_cancel(order=order, reason="Changed plans", cancelled_by=make_user("sales"))

    everything = support_api.get(CANCEL)
    in_progress = support_api.get(CANCEL, state="inProgress")
    one = support_api.get(f"{CANCEL}/{cancelled.pk}")

    assert [item["id"] for item in body(everything)] == [str(pending.pk), str(cancelled.pk)]  # newest first
    assert everything["X-Total-Count"] == "2"
    for item in body(everything):
        assert_valid(item, api="622", definition="CancelProductOrder")
    assert [item["id"] for item in body(in_progress)] == [str(pending.pk)]
    assert (body(one)["state"], body(one)["productOrder"]["id"]) == ("done", str(cancelled.pk))
    assert_error(support_api.get(f"{CANCEL}/{untouched.pk}"), status=404, code="not_found", api="622")


def test_an_unknown_cancellation_is_404(support_api):
    assert_error(support_api.get(f"{CANCEL}/999999"), status=404, code="not_found", api="622")


def test_cancellations_need_a_token(anonymous_api):
    assert_error(anonymous_api.get(CANCEL), status=401, api="622")


def test_listing_cancellations_takes_as_many_queries_for_many_as_for_one(support_api):
    def cancelled() -> None:
        orders_services.order_cancel(order=ordered(), reason="Changed plans", cancelled_by=None)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert support_api.get(CANCEL).status_code == 200
        return len(captured.captured_queries)

    cancelled()
    queries()  # the token's first use records when it was used
    one = queries()
    for _ in range(3):
        cancelled()

    assert queries() == one


# --- Add-ons ordered directly ---------------------------------------------------------------------


@pytest.fixture
def wifi(version):
    from tests.factories import define_change_templates

    product = catalog_services.product_create(
        code="wifi", name="Wi-Fi", kind="addon", customer_type="any", addon_of=[version.product]
    )
    define_change_templates(product)
    return catalog_services.version_publish(
        version=catalog_services.version_create(
            product=product, effective_from=version.effective_from, prices={12: ("10.00", "0.00")}
        )
    )


def test_an_add_on_item_relies_on_an_earlier_item_and_waits_for_its_turn_up(sales_api, version, wifi, account):
    site = make_location(account)
    base = order_item(version, site, id="fiber")
    addon = order_item(wifi, site, productOrderItemRelationship=[{"id": "fiber", "relationshipType": "reliesOn"}])

    response = sales_api.post(PATH, {"relatedParty": customer_party(account), "productOrderItem": [base, addon]})

    got = body(response)
    assert response.status_code == 201, got
    assert_valid(got, api="622", definition="ProductOrder")
    assert got["productOrderItem"][1]["productOrderItemRelationship"] == [{"id": "1", "relationshipType": "reliesOn"}]
    order = Order.objects.get(pk=got["id"])
    base_service = Service.objects.get(order_line__order=order, base_service=None)
    assert Service.objects.get(order_line__order=order, base_service__isnull=False).base_service == base_service
    addon_work = WorkOrder.objects.get(order_line__order=order, order_line__position=2)
    assert set(addon_work.tasks.values_list("status", flat=True)) == {"pending"}


def test_an_add_on_item_without_a_base_at_its_site_is_400(sales_api, wifi, account):
    response = sales_api.post(
        PATH, {"relatedParty": customer_party(account), "productOrderItem": [order_item(wifi, make_location(account))]}
    )

    assert_error(response, status=400, code="addon_without_base", field="productOrderItem[0].productOffering.id")
    nothing_ordered()


def test_an_add_on_item_naming_an_unknown_item_is_400(sales_api, version, wifi, account):
    site = make_location(account)
    addon = order_item(wifi, site, productOrderItemRelationship=[{"id": "nope", "relationshipType": "reliesOn"}])

    response = sales_api.post(
        PATH, {"relatedParty": customer_party(account), "productOrderItem": [order_item(version, site), addon]}
    )

    assert_error(
        response, status=400, code="unknown_reference", field="productOrderItem[1].productOrderItemRelationship[0].id"
    )
    nothing_ordered()
