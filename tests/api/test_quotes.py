"""TMF648 quote: creation with items, reading, and the lifecycle driven by PATCH state."""

from decimal import Decimal

import pytest

from headend.crm.models import Opportunity
from headend.orders.models import Order
from headend.quoting.api import ROWS
from headend.quoting.models import Quote, QuoteLine
from tests.api.client import assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_account, make_location, make_product, make_quote

pytestmark = pytest.mark.django_db

PATH = "/quoteManagement/v4/quote"


def item(version, location, *, months=12, quantity=1, **changes):
    quote_item = {
        "action": "add",
        "quantity": quantity,
        "productOffering": {"id": str(version.pk)},
        "product": {
            "place": [{"id": str(location.pk), "role": "installationAddress", "@referredType": "GeographicSite"}],
            "productTerm": [{"duration": {"amount": months, "units": "month"}}],
        },
    }
    quote_item.update(changes)
    return quote_item


def quote_body(account, *items, description="Two sites"):
    return {
        "description": description,
        "relatedParty": [{"id": str(account.pk), "role": "customer", "@referredType": "Customer"}],
        "quoteItem": list(items),
    }


@pytest.fixture
def setup():
    account = make_account()
    version = make_product(prices={0: ("70.00", "99.00"), 12: ("65.00", "0.00"), 24: ("60.00", "0.00")})
    return account, version, make_location(account), make_location(account)


def test_create_quote_with_two_items(sales_api, setup):
    account, version, cannery, pier = setup
    items = [item(version, cannery), item(version, pier, months=0, quantity=2)]

    response = sales_api.post(PATH, quote_body(account, *items))

    assert response.status_code == 201
    quote = body(response)
    assert_valid(quote, api="648", definition="Quote")
    stored = Quote.objects.get()
    assert (quote["id"], quote["state"], quote["description"], stored.name) == (
        str(stored.pk),
        "inProgress",
        "Two sites",
        "Two sites",
    )
    assert quote["relatedParty"][0]["id"] == str(account.pk)
    assert [(line.position, line.location, line.term_months, line.quantity) for line in stored.lines.all()] == [
        (1, cannery, 12, 1),
        (2, pier, 0, 2),
    ]
    first, second = quote["quoteItem"]
    assert (first["id"], first["productOffering"]["id"], first["product"]["place"][0]["id"]) == (
        "1",
        str(version.pk),
        str(cannery.pk),
    )
    assert second["product"]["productTerm"][0]["duration"] == {"amount": 0, "units": "month"}
    assert [(price["priceType"], price["price"]["dutyFreeAmount"]["value"]) for price in second["quoteItemPrice"]] == [
        ("recurring", Decimal("140.00")),
        ("oneTime", Decimal("198.00")),
        ("total", Decimal("338.00")),
    ]
    totals = {price["priceType"]: price for price in quote["quoteTotalPrice"]}
    assert totals["recurring"]["recurringChargePeriod"] == "month"
    assert {kind: price["price"]["dutyFreeAmount"] for kind, price in totals.items()} == {
        "recurring": {"unit": "USD", "value": Decimal("205.00")},
        "oneTime": {"unit": "USD", "value": Decimal("198.00")},
        "total": {"unit": "USD", "value": Decimal("1118.00")},  # 65*12 + 140 + 198
    }
    assert totals["total"]["name"] == "Total contract value"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"quantity": 0}, "quoteItem[1].quantity", "invalid_quantity"),
        ({"quantity": -2}, "quoteItem[1].quantity", "invalid_quantity"),
        ({"quantity": "many"}, "quoteItem[1].quantity", "int_parsing"),
        ({"months": 18}, "quoteItem[1].product.productTerm[0].duration.amount", "unknown_term"),
        ({"months": 36}, "quoteItem[1].product.productTerm[0].duration.amount", "term_not_offered"),
        ({"units": "year"}, "quoteItem[1].product.productTerm[0].duration.units", "invalid_units"),
        ({"no_term": True}, "quoteItem[1].product.productTerm", "term_required"),
        ({"no_place": True}, "quoteItem[1].product.place", "one_place"),
        ({"action": "noChange"}, "quoteItem[1].action", "unsupported_action"),
        ({"action": "modify"}, "quoteItem[1].product.productCharacteristic", "change_type_required"),
        ({"offering": "999999"}, "quoteItem[1].productOffering.id", "unknown_reference"),
        ({"draft": True}, "quoteItem[1].productOffering.id", "unknown_reference"),
        ({"residential_only": True}, "quoteItem[1].productOffering.id", "not_eligible"),
        ({"site": "999999"}, "quoteItem[1].product.place[0].id", "unknown_reference"),
        ({"foreign_site": True}, "quoteItem[1].product.place[0].id", "foreign_location"),
        ({"no_offering": True}, "quoteItem[1].productOffering", "missing"),
    ],
)
def test_one_bad_item_is_400_naming_it_and_nothing_is_written(sales_api, setup, change, field, code):
    account, version, cannery, pier = setup
    bad = item(version, pier, months=change.pop("months", 12), quantity=change.pop("quantity", 1))
    if "units" in change:
        bad["product"]["productTerm"][0]["duration"]["units"] = change.pop("units")
    if change.pop("no_term", False):
        del bad["product"]["productTerm"]
    if change.pop("no_place", False):
        bad["product"]["place"] = []
    if "action" in change:
        bad["action"] = change.pop("action")
    if "offering" in change:
        bad["productOffering"]["id"] = change.pop("offering")
    if change.pop("draft", False):
        bad["productOffering"]["id"] = str(make_product(publish=False).pk)
    if change.pop("residential_only", False):
        bad["productOffering"]["id"] = str(make_product(customer_type="residential").pk)
    if "site" in change:
        bad["product"]["place"][0]["id"] = change.pop("site")
    if change.pop("foreign_site", False):
        bad["product"]["place"][0]["id"] = str(make_location().pk)
    if change.pop("no_offering", False):
        del bad["productOffering"]
    assert not change

    response = sales_api.post(PATH, quote_body(account, item(version, cannery), bad))

    assert_error(response, status=400, code=code, field=field, api="648")
    assert not Quote.objects.exists()
    assert not QuoteLine.objects.exists()
    assert not Opportunity.objects.exists()


def test_quote_without_items_is_400(sales_api, setup):
    account, *_ = setup

    response = sales_api.post(PATH, quote_body(account))

    assert_error(response, status=400, code="too_short", field="quoteItem", api="648")


def test_quote_without_a_customer_is_400(sales_api, setup):
    account, version, cannery, _ = setup
    request = quote_body(account, item(version, cannery))
    request["relatedParty"] = []

    response = sales_api.post(PATH, request)

    assert_error(response, status=400, code="customer_required", field="relatedParty", api="648")
    assert not Quote.objects.exists()


def test_quote_for_an_unknown_customer_is_400(sales_api, setup):
    _, version, cannery, _ = setup
    request = quote_body(make_account(), item(version, cannery))
    request["relatedParty"][0]["id"] = "999999"

    response = sales_api.post(PATH, request)

    assert_error(response, status=400, code="unknown_reference", field="relatedParty[0].id", api="648")


@pytest.mark.parametrize("content_type", ["application/merge-patch+json", "application/json"])
def test_patch_approved_presents_the_quote(sales_api, content_type):
    quote = make_quote()

    response = sales_api.patch(f"{PATH}/{quote.pk}", {"state": "approved"}, content_type=content_type)

    assert response.status_code == 200
    patched = body(response)
    assert_valid(patched, api="648", definition="Quote")
    assert patched["state"] == "approved"
    assert patched["validFor"]["endDateTime"] == "2026-04-01T23:59:59-04:00"
    quote.refresh_from_db()
    assert quote.status == "presented"


def test_patch_accepted_accepts_and_refers_to_the_order(sales_api):
    quote = make_quote(status="presented", lines=2)

    response = sales_api.patch(f"{PATH}/{quote.pk}", {"state": "accepted"})

    assert response.status_code == 200
    patched = body(response)
    assert_valid(patched, api="648", definition="Quote")
    order = Order.objects.get(quote=quote)
    assert patched["state"] == "accepted"
    assert patched["relatedEntity"] == [
        {
            "id": str(order.pk),
            "href": f"http://testserver/tmf-api/productOrderingManagement/v4/productOrder/{order.pk}",
            "name": order.number,
            "role": "productOrder",
            "@referredType": "ProductOrder",
        }
    ]
    quote.refresh_from_db()
    assert (quote.status, quote.decided_by.username) == ("accepted", response.wsgi_request.user.username)


@pytest.mark.parametrize(("state", "status"), [("rejected", "rejected"), ("cancelled", "expired")])
def test_patch_closes_a_presented_quote(sales_api, state, status):
    quote = make_quote(status="presented")

    response = sales_api.patch(f"{PATH}/{quote.pk}", {"state": state})

    assert body(response)["state"] == state
    quote.refresh_from_db()
    assert quote.status == status


def test_patch_to_the_current_state_changes_nothing(sales_api):
    quote = make_quote(status="presented")

    response = sales_api.patch(f"{PATH}/{quote.pk}", {"state": "approved"})

    assert body(response)["state"] == "approved"
    quote.refresh_from_db()
    assert quote.status == "presented"


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("draft", "accepted"),
        ("draft", "rejected"),
        ("presented", "inProgress"),
        ("accepted", "cancelled"),
        ("presented", "pending"),
    ],
)
def test_an_illegal_move_is_409_and_changes_nothing(sales_api, status, state):
    quote = make_quote(status=status)

    response = sales_api.patch(f"{PATH}/{quote.pk}", {"state": state})

    assert_error(response, status=409, code="invalid_transition", field="state", api="648")
    quote.refresh_from_db()
    assert quote.status == status


@pytest.mark.parametrize(
    ("change", "field"),
    [({"state": "done"}, "state"), ({"state": "approved", "description": "x"}, "description"), ({}, "state")],
)
def test_a_bad_patch_is_400(sales_api, change, field):
    quote = make_quote()

    response = sales_api.patch(f"{PATH}/{quote.pk}", change)

    assert_error(response, status=400, field=field, api="648")
    quote.refresh_from_db()
    assert quote.status == "draft"


def test_get_quote(sales_api):
    quote = make_quote(lines=2)

    response = sales_api.get(f"{PATH}/{quote.pk}")

    assert response.status_code == 200
    got = body(response)
    assert_valid(got, api="648", definition="Quote")
    assert [quote_item["id"] for quote_item in got["quoteItem"]] == ["1", "2"]


def test_list_quotes_by_state_and_customer(sales_api):
    account = make_account()
    presented = make_quote(account=account, status="presented")
    make_quote(account=account)
    make_quote(status="presented")  # another customer's

    response = sales_api.get(PATH, state="approved", **{"relatedParty.id": account.pk})

    assert [quote["id"] for quote in body(response)] == [str(presented.pk)]
    assert response["X-Total-Count"] == "1"


def test_list_counts_past_its_last_page_and_for_each_filter(sales_api):
    """The total comes with the page's rows; a page past the end counts on its own. Each filter
    (customer, state, both, none) is its own statement, run again with other values."""
    first, second = make_account(), make_account()
    for account in (first, first, second):
        make_quote(account=account, status="presented")
    make_quote(account=first)
    expected = {
        (): 4,
        (("relatedParty.id", first.pk),): 3,
        (("relatedParty.id", second.pk),): 1,
        (("state", "approved"),): 3,
        (("state", "inProgress"),): 1,
        (("state", "approved"), ("relatedParty.id", first.pk)): 2,
        (("state", "approved"), ("relatedParty.id", second.pk)): 1,
        (("state", "rejected"),): 0,
        (("state", "pending"),): 0,  # no status of ours is shown as pending
        (("state", "pending"), ("relatedParty.id", first.pk)): 0,
        (("relatedParty.id", 0),): 0,
        (("relatedParty.id", "not-an-id"),): 0,
    }
    for filters, total in expected.items():
        for offset, returned in ((0, total), (1, max(total - 1, 0)), (50, 0)):
            response = sales_api.get(PATH, offset=offset, **dict(filters))
            assert response.status_code == 200, (filters, offset)
            assert (response["X-Total-Count"], response["X-Result-Count"]) == (str(total), str(returned))
            assert len(body(response)) == returned


def test_paging_through_quotes_keeps_no_statement_per_page(sales_api):
    """Every offset and limit a client asks for is the same compiled statement: paging cannot
    fill a server's memory with SQL."""
    for _ in range(3):
        make_quote(status="presented")
    sales_api.get(PATH, limit=1)
    kept = len(ROWS)

    for offset in range(20):
        assert sales_api.get(PATH, offset=offset, limit=1 + offset % 7).status_code == 200

    assert len(ROWS) - kept <= 6  # the items and authorizations of pages of 0 to 3 quotes


def test_list_with_an_unknown_state_is_400(sales_api):
    assert_error(sales_api.get(PATH, state="done"), status=400, field="state", api="648")


@pytest.mark.parametrize("method", ["get", "patch"])
def test_unknown_quote_is_404(sales_api, method):
    path = f"{PATH}/777777"
    response = sales_api.get(path) if method == "get" else sales_api.patch(path, {"state": "approved"})

    assert_error(response, status=404, code="not_found", field="id", api="648")


def test_create_and_patch_need_a_sales_role(support_api, setup):
    account, version, cannery, _ = setup
    quote = make_quote(status="presented")

    created = support_api.post(PATH, quote_body(account, item(version, cannery)))
    patched = support_api.patch(f"{PATH}/{quote.pk}", {"state": "accepted"})

    assert_error(created, status=403, code="role_required", api="648")
    assert_error(patched, status=403, code="role_required", api="648")
    quote.refresh_from_db()
    assert (Quote.objects.count(), quote.status) == (1, "presented")


def test_patch_without_a_token_is_401(anonymous_api):
    quote = make_quote(status="presented")

    assert_error(anonymous_api.patch(f"{PATH}/{quote.pk}", {"state": "accepted"}), status=401, api="648")
    quote.refresh_from_db()
    assert quote.status == "presented"
