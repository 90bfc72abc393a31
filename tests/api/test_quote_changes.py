"""TMF648 quote in full: change items (modify/delete naming the service), change prices, line
discounts, versions (revise) and approvals (authorization), through to the order."""

from decimal import Decimal

import pytest

from headend.inventory.models import Service
from headend.orders.models import Order
from headend.quoting import services as quoting_services
from headend.quoting.api import BODIES
from headend.quoting.models import ApprovalRule, Quote, QuoteApproval, QuoteLine
from tests.api.client import TMFClient, assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import (
    make_account,
    make_change_catalog,
    make_live_service,
    make_location,
    make_product,
    make_quote,
    make_user,
)

pytestmark = pytest.mark.django_db

PATH = "/quoteManagement/v4/quote"
ORDERS = "/productOrderingManagement/v4/productOrder"


@pytest.fixture
def catalog():
    """The change catalog, and a voice product with an installation charge."""
    voice = make_product(code="voice", customer_type="business", prices={12: ("65.00", "199.00")})
    return {**make_change_catalog(), "voice": voice}


def add_item(version, site, *, months=12, discount=None):
    item = {
        "action": "add",
        "quantity": 1,
        "productOffering": {"id": str(version.pk)},
        "product": {
            "place": [{"id": str(site.pk), "role": "installationAddress", "@referredType": "GeographicSite"}],
            "productTerm": [{"duration": {"amount": months, "units": "month"}}],
        },
    }
    if discount is not None:
        item["quoteItemPrice"] = [
            {
                "priceType": "recurring",
                "priceAlteration": [{"priceType": "recurring", "price": {"percentage": discount}}],
            }
        ]
    return item


def change_item(service, change_type, *, offering=None, months=None, site=None, price=None):
    """A modify (or, for a cancel, delete) item naming the service by its TMF638 id."""
    product = {
        "id": str(service.pk),
        "href": f"http://testserver/tmf-api/serviceInventory/v4/service/{service.pk}",
        "@referredType": "Service",
        "productCharacteristic": [{"name": "changeType", "valueType": "string", "value": change_type}],
    }
    if months is not None:
        product["productTerm"] = [{"duration": {"amount": months, "units": "month"}}]
    if site is not None:
        product["place"] = [{"id": str(site.pk), "role": "installationAddress"}]
    item = {"action": "delete" if change_type == "cancel" else "modify", "product": product}
    if offering is not None:
        item["productOffering"] = {"id": str(offering.pk)}
    if price is not None:
        item["quoteItemPrice"] = [
            {"priceType": "recurring", "recurringChargePeriod": "month", "price": {"dutyFreeAmount": price}}
        ]
    return item


def quote_body(account, *items):
    request = {
        "description": "Changes",
        "relatedParty": [{"id": str(account.pk), "role": "customer", "@referredType": "Organization"}],
        "quoteItem": list(items),
    }
    assert_valid(request, api="648", definition="Quote_Create")
    return request


def prices(entries):
    """{name: (priceType, value)} of a quoteItemPrice or quoteTotalPrice list."""
    named = {entry["name"]: (entry["priceType"], entry["price"]["dutyFreeAmount"]["value"]) for entry in entries}
    assert len(named) == len(entries), entries
    return named


def usd(value):
    return Decimal(value)


def test_add_upgrade_and_cancel_approve_accept_and_order(client, sales_api, catalog):
    account = make_account()
    keep, drop = make_live_service(account, catalog["gig"]), make_live_service(account, catalog["gig"])
    site = make_location(account)
    ApprovalRule.objects.create(
        name="Big deal", kind="contract_value_above", threshold=Decimal("1000"), approver_role="director"
    )

    # One quote: a new voice line at 10% off, the 1 Gbps upgraded to 2 Gbps on 24 months, and
    # the other 1 Gbps cancelled 12 months before its term ends.
    response = sales_api.post(
        PATH,
        quote_body(
            account,
            add_item(catalog["voice"], site, discount=10),
            change_item(keep, "upgrade", offering=catalog["two_gig"], months=24),
            change_item(drop, "cancel"),
        ),
    )

    assert response.status_code == 201, response.content
    quote = body(response)
    assert_valid(quote, api="648", definition="Quote")
    added, upgraded, cancelled = quote["quoteItem"]
    for quote_item in quote["quoteItem"]:
        assert_valid(quote_item, api="648", definition="QuoteItem")
    assert (quote["state"], quote["version"]) == ("inProgress", "1")
    assert [quote_item["action"] for quote_item in quote["quoteItem"]] == ["add", "modify", "delete"]

    assert "id" not in added["product"]
    assert prices(added["quoteItemPrice"]) == {
        "Monthly recurring charge": ("recurring", usd("58.50")),
        "One-time charge": ("oneTime", usd("199.00")),
        "Total contract value": ("total", usd("901.00")),  # 58.50 x 12 + 199
    }
    assert added["quoteItemPrice"][0]["priceAlteration"] == [
        {
            "name": "Discount",
            "description": "10% off the list monthly charge.",
            "priceType": "recurring",
            "recurringChargePeriod": "month",
            "price": {"percentage": Decimal("10.00")},
            "@type": "PriceAlteration",
        }
    ]

    assert upgraded["product"]["id"] == str(keep.pk)
    assert upgraded["product"]["href"] == f"http://testserver/tmf-api/serviceInventory/v4/service/{keep.pk}"
    assert upgraded["product"]["@referredType"] == "Service"
    assert upgraded["product"]["productCharacteristic"] == [
        {"name": "changeType", "valueType": "string", "value": "upgrade"}
    ]
    assert upgraded["productOffering"]["id"] == str(catalog["two_gig"].pk)
    assert upgraded["product"]["productTerm"][0]["duration"] == {"amount": 24, "units": "month"}
    assert prices(upgraded["quoteItemPrice"]) == {
        "Monthly recurring charge": ("recurring", usd("140.00")),
        "Current monthly charge": ("recurring", usd("100.00")),
        "One-time charge": ("oneTime", usd("0.00")),
        "Early-termination fee": ("oneTime", usd("0.00")),
        "Total contract value": ("total", usd("3360.00")),  # 140 x 24
        "Contract value change": ("total", usd("2160.00")),  # 140 x 24 - 100 x 12 released
    }

    assert (cancelled["product"]["id"], cancelled["product"]["productCharacteristic"][0]["value"]) == (
        str(drop.pk),
        "cancel",
    )
    assert prices(cancelled["quoteItemPrice"]) == {
        "Monthly recurring charge": ("recurring", usd("0.00")),
        "Current monthly charge": ("recurring", usd("100.00")),
        "One-time charge": ("oneTime", usd("0.00")),
        "Early-termination fee": ("oneTime", usd("600.00")),  # 50% x 100 x 12 months left
        "Total contract value": ("total", usd("600.00")),  # the ETF
        "Contract value change": ("total", usd("-600.00")),  # - 100 x 12 released + 600
    }

    assert prices(quote["quoteTotalPrice"]) == {
        "Monthly recurring charge": ("recurring", usd("198.50")),
        "Monthly recurring charge change": ("recurring", usd("-1.50")),  # 198.50 - 200.00
        "One-time charge": ("oneTime", usd("799.00")),  # 199 + the 600 ETF
        "Total contract value": ("total", usd("4861.00")),  # 901 + 3360 + 600
        "Contract value change": ("total", usd("2461.00")),  # 901 + 2160 - 600
    }

    # The contract value fires the director's approval: presenting waits for it.
    (authorization,) = quote["authorization"]
    approval = QuoteApproval.objects.get(quote_id=quote["id"], status="pending")
    assert authorization == {
        "id": str(approval.pk),
        "@type": "Authorization",
        "name": "Big deal",
        "state": "pending",
        "requestedDate": "2026-03-02T15:00:00Z",
        "approverRole": "director",
        "reason": approval.reason,
    }
    assert "4,861.00" in approval.reason

    refused = sales_api.patch(f"{PATH}/{quote['id']}", {"state": "approved"})

    assert_error(refused, status=409, code="approvals_pending", field="authorization", api="648")
    authorize = f"{PATH}/{quote['id']}/authorization/{approval.pk}"
    assert_error(sales_api.post(authorize, {"state": "approved"}), status=403, code="role_required", api="648")

    director = make_user("director", first_name="Dana", last_name="Director")
    approved = TMFClient.for_user(client, director).post(authorize, {"state": "approved", "comment": "Fine."})

    assert approved.status_code == 200, approved.content
    after = body(approved)
    assert_valid(after, api="648", definition="Quote")
    assert after["authorization"] == [
        {
            **authorization,
            "state": "approved",
            "givenDate": "2026-03-02T15:00:00Z",
            "approver": [
                {"id": str(director.pk), "name": "Dana Director", "role": "director", "@referredType": "Individual"}
            ],
            "comment": "Fine.",
        }
    ]

    presented = sales_api.patch(f"{PATH}/{quote['id']}", {"state": "approved"})
    accepted = sales_api.patch(f"{PATH}/{quote['id']}", {"state": "accepted"})

    assert body(presented)["state"] == "approved"
    assert body(accepted)["state"] == "accepted"
    order_ref = next(entity for entity in body(accepted)["relatedEntity"] if entity["role"] == "productOrder")
    order = body(sales_api.get(f"{ORDERS}/{order_ref['id']}"))
    assert_valid(order, api="622", definition="ProductOrder")
    assert [(item["id"], item["action"]) for item in order["productOrderItem"]] == [
        ("1", "add"),
        ("2", "modify"),
        ("3", "delete"),
    ]
    new_service = Service.objects.get(order_line__order_id=order_ref["id"])
    assert order["productOrderItem"][0]["product"]["id"] == str(new_service.pk)
    stored = Order.objects.get(pk=order_ref["id"]).lines.order_by("position")
    assert [(line.action, line.target_service) for line in stored] == [
        ("add", None),
        ("modify", keep),
        ("delete", drop),
    ]
    drop.refresh_from_db()
    assert drop.status == "pending_disconnect"


def test_the_order_names_the_services_its_modify_and_delete_items_change(sales_api, catalog):
    account = make_account()
    keep, drop = make_live_service(account, catalog["gig"]), make_live_service(account, catalog["gig"])
    created = body(
        sales_api.post(
            PATH,
            quote_body(account, change_item(keep, "upgrade", offering=catalog["two_gig"]), change_item(drop, "cancel")),
        )
    )
    sales_api.patch(f"{PATH}/{created['id']}", {"state": "approved"})
    accepted = body(sales_api.patch(f"{PATH}/{created['id']}", {"state": "accepted"}))
    order = body(sales_api.get(f"{ORDERS}/{accepted['relatedEntity'][0]['id']}"))

    assert [item["product"].get("id") for item in order["productOrderItem"]] == [str(keep.pk), str(drop.pk)]


def test_move_re_rate_and_re_term_items(sales_api, catalog):
    account = make_account()
    moved, rerated, retermed = (make_live_service(account, catalog["gig"]) for _ in range(3))
    new_site = make_location(account, line1="9 Key St")

    response = sales_api.post(
        PATH,
        quote_body(
            account,
            change_item(moved, "move", site=new_site),
            change_item(rerated, "re_rate", price={"unit": "USD", "value": 85.00}),
            change_item(retermed, "re_term", months=24),
        ),
    )

    assert response.status_code == 201, response.content
    quote = body(response)
    assert_valid(quote, api="648", definition="Quote")
    move, re_rate, re_term = quote["quoteItem"]
    assert [item["action"] for item in quote["quoteItem"]] == ["modify", "modify", "modify"]
    assert move["product"]["place"][0]["id"] == str(new_site.pk)
    assert prices(move["quoteItemPrice"]) == {
        "Monthly recurring charge": ("recurring", usd("100.00")),
        "Current monthly charge": ("recurring", usd("100.00")),
        "One-time charge": ("oneTime", usd("150.00")),  # the move fee
        "Early-termination fee": ("oneTime", usd("0.00")),
        "Total contract value": ("total", usd("1350.00")),  # 100 x 12 + the move fee
        "Contract value change": ("total", usd("150.00")),
    }
    assert prices(re_rate["quoteItemPrice"])["Monthly recurring charge"] == ("recurring", usd("85.00"))
    assert prices(re_rate["quoteItemPrice"])["Total contract value"] == ("total", usd("1020.00"))  # 85 x 12
    assert prices(re_rate["quoteItemPrice"])["Contract value change"] == ("total", usd("-180.00"))  # (85 - 100) x 12
    assert re_term["product"]["productTerm"][0]["duration"]["amount"] == 24
    assert prices(re_term["quoteItemPrice"])["Monthly recurring charge"] == ("recurring", usd("90.00"))
    assert prices(re_term["quoteItemPrice"])["Total contract value"] == ("total", usd("2160.00"))  # 90 x 24
    assert prices(re_term["quoteItemPrice"])["Contract value change"] == ("total", usd("960.00"))  # - 100 x 12
    stored = Quote.objects.get(pk=quote["id"]).lines.order_by("position")
    assert [(line.action, line.target_service) for line in stored] == [
        ("move", moved),
        ("re_rate", rerated),
        ("re_term", retermed),
    ]
    assert stored[1].negotiated_mrc_amount == Decimal("85.00")


def test_a_quote_of_adds_only_keeps_its_three_totals(sales_api, catalog):
    account = make_account()

    quote = body(sales_api.post(PATH, quote_body(account, add_item(catalog["voice"], make_location(account)))))

    assert [entry["name"] for entry in quote["quoteTotalPrice"]] == [
        "Monthly recurring charge",
        "One-time charge",
        "Total contract value",
    ]
    assert [entry["name"] for entry in quote["quoteItem"][0]["quoteItemPrice"]] == [
        "Monthly recurring charge",
        "One-time charge",
        "Total contract value",
    ]
    assert "priceAlteration" not in quote["quoteItem"][0]["quoteItemPrice"][0]
    assert "authorization" not in quote


BAD_ITEMS = {
    # case: (item given the account's service, the catalog and another site -> field, code)
    "unknown_service": ("quoteItem[1].product.id", "unknown_reference"),
    "foreign_service": ("quoteItem[1].product.id", "foreign_service"),
    "no_service": ("quoteItem[1].product.id", "service_required"),
    "no_change_type": ("quoteItem[1].product.productCharacteristic", "change_type_required"),
    "bad_change_type": ("quoteItem[1].product.productCharacteristic[0].value", "invalid_change_type"),
    "delete_as_upgrade": ("quoteItem[1].product.productCharacteristic[0].value", "invalid_change_type"),
    "unknown_characteristic": ("quoteItem[1].product.productCharacteristic[1].name", "unknown_characteristic"),
    "upgrade_without_offering": ("quoteItem[1].productOffering", "missing"),
    "upgrade_off_path": ("quoteItem[1].productOffering.id", "not_on_path"),
    "move_without_site": ("quoteItem[1].product.place", "one_place"),
    "move_to_same_site": ("quoteItem[1].product.place[0].id", "same_location"),
    "re_term_without_term": ("quoteItem[1].product.productTerm", "term_required"),
    "re_term_unsold_term": ("quoteItem[1].product.productTerm[0].duration.amount", "term_not_offered"),
    "re_rate_without_price": ("quoteItem[1].quoteItemPrice", "invalid"),
    "re_rate_negative": ("quoteItem[1].quoteItemPrice[0].price.dutyFreeAmount.value", "invalid"),
    "re_rate_in_euros": ("quoteItem[1].quoteItemPrice[0].price.dutyFreeAmount.unit", "currency_mismatch"),
    "re_rate_by_percent": ("quoteItem[1].quoteItemPrice[0].price.percentage", "price_not_negotiable"),
    "price_on_upgrade": ("quoteItem[1].quoteItemPrice[0].price", "price_not_negotiable"),
    "discount_on_change": ("quoteItem[1].quoteItemPrice[0].priceAlteration[0].price.percentage", "invalid"),
    "discount_above_100": ("quoteItem[1].quoteItemPrice[0].priceAlteration[0].price.percentage", "invalid_discount"),
    "negative_discount": ("quoteItem[1].quoteItemPrice[0].priceAlteration[0].price.percentage", "invalid_discount"),
    "amount_discount": ("quoteItem[1].quoteItemPrice[0].priceAlteration[0].price.percentage", "percentage_required"),
    "price_on_add": ("quoteItem[1].quoteItemPrice[0].price", "price_not_negotiable"),
}


def bad_item(case, service, catalog, site):
    if case == "unknown_service":
        return change_item(service, "cancel") | {"product": {"id": "999999"}}
    if case == "foreign_service":
        return change_item(make_live_service(make_account(), catalog["gig"]), "cancel")
    if case == "no_service":
        item = change_item(service, "cancel")
        del item["product"]["id"]
        return item
    if case == "no_change_type":
        item = change_item(service, "upgrade", offering=catalog["two_gig"])
        del item["product"]["productCharacteristic"]
        return item
    if case == "bad_change_type":
        return change_item(service, "teleport")
    if case == "delete_as_upgrade":
        return change_item(service, "upgrade") | {"action": "delete"}
    if case == "unknown_characteristic":
        item = change_item(service, "cancel")
        item["product"]["productCharacteristic"].append({"name": "colour", "value": "blue"})
        return item
    if case == "upgrade_without_offering":
        return change_item(service, "upgrade")
    if case == "upgrade_off_path":
        return change_item(service, "upgrade", offering=catalog["voice"])
    if case == "move_without_site":
        return change_item(service, "move")
    if case == "move_to_same_site":
        return change_item(service, "move", site=service.location)
    if case == "re_term_without_term":
        return change_item(service, "re_term")
    if case == "re_term_unsold_term":
        return change_item(service, "re_term", months=36)
    if case == "re_rate_without_price":
        return change_item(service, "re_rate")
    if case == "re_rate_negative":
        return change_item(service, "re_rate", price={"unit": "USD", "value": -5})
    if case == "re_rate_in_euros":
        return change_item(service, "re_rate", price={"unit": "EUR", "value": 80})
    if case == "re_rate_by_percent":
        return change_item(service, "re_rate") | {
            "quoteItemPrice": [{"priceType": "recurring", "price": {"percentage": 90}}]
        }
    if case == "price_on_upgrade":
        return change_item(service, "upgrade", offering=catalog["two_gig"], price={"value": 10})
    if case == "discount_on_change":
        return change_item(service, "upgrade", offering=catalog["two_gig"]) | {
            "quoteItemPrice": [{"priceAlteration": [{"priceType": "recurring", "price": {"percentage": 5}}]}]
        }
    if case == "discount_above_100":
        return add_item(catalog["voice"], site, discount=101)
    if case == "negative_discount":
        return add_item(catalog["voice"], site, discount=-1)
    if case == "amount_discount":
        item = add_item(catalog["voice"], site)
        item["quoteItemPrice"] = [
            {"priceAlteration": [{"priceType": "recurring", "price": {"dutyFreeAmount": {"unit": "USD", "value": 5}}}]}
        ]
        return item
    if case == "price_on_add":
        item = add_item(catalog["voice"], site)
        item["quoteItemPrice"] = [{"priceType": "recurring", "price": {"dutyFreeAmount": {"unit": "USD", "value": 1}}}]
        return item
    raise AssertionError(case)


@pytest.mark.parametrize("case", list(BAD_ITEMS))
def test_one_bad_change_item_is_400_naming_it_and_nothing_is_written(sales_api, catalog, case):
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    site = make_location(account)
    item = bad_item(case, service, catalog, site)
    field, code = BAD_ITEMS[case]
    quotes, lines = Quote.objects.count(), QuoteLine.objects.count()

    response = sales_api.post(PATH, quote_body(account, add_item(catalog["voice"], site), item))

    assert_error(response, status=400, code=code, field=field, api="648")
    assert (Quote.objects.count(), QuoteLine.objects.count()) == (quotes, lines)


def test_a_service_with_a_change_in_flight_is_409_and_nothing_is_written(sales_api, catalog):
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    first = make_quote(account=account, lines=0)
    quoting_services.quote_line_change(
        quote=first, service=service, action="upgrade", product_version=catalog["two_gig"]
    )
    quoting_services.quote_present(quote=first)
    quoting_services.quote_accept(quote=first, accepted_by_name="Pat")
    quotes = Quote.objects.count()

    response = sales_api.post(
        PATH, quote_body(account, add_item(catalog["voice"], make_location(account)), change_item(service, "cancel"))
    )

    error = assert_error(response, status=409, code="change_in_flight", field="quoteItem[1].product.id", api="648")
    assert Order.objects.get(quote=first).number in error["reason"]
    assert Quote.objects.count() == quotes


def test_the_same_service_twice_is_400_on_the_second_item(sales_api, catalog):
    account = make_account()
    service = make_live_service(account, catalog["gig"])

    response = sales_api.post(
        PATH, quote_body(account, change_item(service, "re_term", months=24), change_item(service, "cancel"))
    )

    assert_error(response, status=400, code="changed_twice", field="quoteItem[1].product.id", api="648")


# --- Versions --------------------------------------------------------------------------------


def test_revise_makes_the_next_version_and_the_old_one_shows_cancelled(sales_api):
    quote = make_quote(status="presented", lines=2)

    response = sales_api.post(f"{PATH}/{quote.pk}/revise")

    assert response.status_code == 201, response.content
    revision = body(response)
    assert_valid(revision, api="648", definition="Quote")
    stored = Quote.objects.get(previous=quote)
    assert response["Location"] == f"http://testserver/tmf-api/quoteManagement/v4/quote/{stored.pk}"
    assert (revision["id"], revision["version"], revision["state"]) == (str(stored.pk), "2", "inProgress")
    assert [item["id"] for item in revision["quoteItem"]] == ["1", "2"]
    assert revision["relatedEntity"] == [
        {
            "id": str(quote.pk),
            "href": f"http://testserver/tmf-api/quoteManagement/v4/quote/{quote.pk}",
            "name": quote.number,
            "role": "previousVersion",
            "@referredType": "Quote",
        }
    ]
    old = body(sales_api.get(f"{PATH}/{quote.pk}"))
    assert_valid(old, api="648", definition="Quote")
    assert (old["version"], old["state"]) == ("1", "cancelled")
    assert [(entity["id"], entity["role"]) for entity in old["relatedEntity"]] == [(str(stored.pk), "nextVersion")]
    cancelled = body(sales_api.get(PATH, state="cancelled"))
    assert [listed["id"] for listed in cancelled] == [str(quote.pk)]


@pytest.mark.parametrize("status", ["draft", "accepted"])
def test_revising_a_draft_or_an_accepted_quote_is_409(sales_api, status):
    quote = make_quote(status=status)

    response = sales_api.post(f"{PATH}/{quote.pk}/revise")

    assert_error(response, status=409, code="invalid_transition", field="state", api="648")
    assert not Quote.objects.filter(previous=quote).exists()


def test_revise_needs_a_sales_role_and_a_known_quote(support_api, sales_api):
    quote = make_quote(status="presented")

    assert_error(support_api.post(f"{PATH}/{quote.pk}/revise"), status=403, code="role_required", api="648")
    assert_error(sales_api.post(f"{PATH}/777777/revise"), status=404, api="648")
    assert not Quote.objects.filter(previous=quote).exists()


# --- Authorizations --------------------------------------------------------------------------


@pytest.fixture
def waiting(client):
    """A draft whose contract value needs a director's approval, and a director's API."""
    ApprovalRule.objects.create(
        name="Big deal", kind="contract_value_above", threshold=Decimal("100"), approver_role="director"
    )
    quote = make_quote()
    approval = quote.approvals.get(status="pending")
    return quote, approval, TMFClient.for_user(client, make_user("director"))


def test_a_rejected_authorization_says_why_and_blocks_presenting(sales_api, waiting):
    quote, approval, director = waiting
    authorize = f"{PATH}/{quote.pk}/authorization/{approval.pk}"

    assert_error(director.post(authorize, {"state": "rejected"}), status=400, field="comment", api="648")
    rejected = director.post(authorize, {"state": "rejected", "comment": "Too cheap."})

    assert rejected.status_code == 200
    (authorization,) = body(rejected)["authorization"]
    assert (authorization["state"], authorization["comment"]) == ("rejected", "Too cheap.")
    assert_error(
        sales_api.patch(f"{PATH}/{quote.pk}", {"state": "approved"}),
        status=409,
        code="approval_rejected",
        field="authorization",
        api="648",
    )
    assert_error(director.post(authorize, {"state": "approved"}), status=409, field="state", api="648")


@pytest.mark.parametrize(
    ("change", "field"),
    [({"state": "maybe"}, "state"), ({}, "state"), ({"state": "approved", "note": "x"}, "note")],
)
def test_a_bad_decision_is_400(waiting, change, field):
    quote, approval, director = waiting

    response = director.post(f"{PATH}/{quote.pk}/authorization/{approval.pk}", change)

    assert_error(response, status=400, field=field, api="648")
    approval.refresh_from_db()
    assert approval.status == "pending"


def test_an_unknown_authorization_or_one_of_another_quote_is_404(waiting):
    quote, approval, director = waiting
    other = make_quote()

    assert_error(director.post(f"{PATH}/{quote.pk}/authorization/777777", {"state": "approved"}), status=404, api="648")
    assert_error(
        director.post(f"{PATH}/{other.pk}/authorization/{approval.pk}", {"state": "approved"}), status=404, api="648"
    )


def test_listing_quotes_with_changes_versions_and_authorizations_takes_as_many_queries_for_many(sales_api, catalog):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rule = ApprovalRule.objects.create(
        name="Big deal", kind="contract_value_above", threshold=Decimal("100"), approver_role="director"
    )

    def rich_quote():
        account = make_account()
        ApprovalRule.objects.filter(pk=rule.pk).update(active=False)
        service = make_live_service(account, catalog["gig"])
        ApprovalRule.objects.filter(pk=rule.pk).update(active=True)
        quote = make_quote(account=account, lines=1, version=catalog["voice"])
        quoting_services.quote_line_change(quote=quote, service=service, action="cancel")
        approval = quote.approvals.get(status="pending")
        quoting_services.quote_approval_decide(
            approval=approval, approve=True, comment="", decided_by=make_user("director")
        )
        quoting_services.quote_present(quote=quote)
        quoting_services.quote_revise(quote=quote)

    def queries() -> int:
        BODIES.clear()  # every body built, none served from an earlier read
        with CaptureQueriesContext(connection) as captured:
            response = sales_api.get(PATH)
            assert response.status_code == 200
        listed = body(response)
        for quote in listed:
            assert_valid(quote, api="648", definition="Quote")
        assert {"authorization", "relatedEntity"} <= set().union(*listed)
        assert "delete" in {item["action"] for quote in listed for item in quote["quoteItem"]}
        return len(captured.captured_queries)

    rich_quote()
    queries()  # the token's first use records when it was used
    one = queries()
    for _ in range(2):
        rich_quote()

    assert queries() == one


# Add-ons name their base: an earlier item (quoteItemRelationship) or a live service (productRelationship).


@pytest.fixture
def block(catalog):
    from headend.catalog import services as catalog_services
    from tests.factories import define_change_templates

    product = catalog_services.product_create(
        code="block", name="Static block", kind="addon", customer_type="any", addon_of=[catalog["gig"].product]
    )
    catalog_services.template_define(
        product=product, action="add", name="Route", tasks=[catalog_services.TaskSpec("Route")]
    )
    define_change_templates(product)
    return catalog_services.version_publish(
        version=catalog_services.version_create(
            product=product, effective_from=catalog["gig"].effective_from, prices={12: ("20.00", "0.00")}
        )
    )


def test_an_add_on_item_relies_on_an_earlier_item_of_the_quote(sales_api, catalog, block):
    account = make_account()
    site = make_location(account)
    first, second = add_item(catalog["gig"], site), add_item(catalog["gig"], site)
    first["id"], second["id"] = "main", "backup"
    addon = add_item(block, site)
    addon["quoteItemRelationship"] = [{"id": "backup", "relationshipType": "reliesOn"}]

    response = sales_api.post(PATH, quote_body(account, first, second, addon))

    assert response.status_code == 201, response.content
    got = body(response)
    assert_valid(got, api="648", definition="Quote")
    assert got["quoteItem"][2]["quoteItemRelationship"] == [{"id": "2", "relationshipType": "reliesOn"}]
    line = QuoteLine.objects.get(quote_id=got["id"], position=3)
    assert line.base_line.position == 2


def test_an_add_on_item_relies_on_a_live_service(sales_api, catalog, block):
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    addon = add_item(block, service.location)
    addon["product"]["productRelationship"] = [{"relationshipType": "reliesOn", "product": {"id": str(service.pk)}}]

    response = sales_api.post(PATH, quote_body(account, addon))

    assert response.status_code == 201, response.content
    got = body(response)

    assert_valid(got, api="648", definition="Quote")
    relation = got["quoteItem"][0]["product"]["productRelationship"]
    assert relation[0]["relationshipType"] == "reliesOn"
    assert relation[0]["product"]["id"] == str(service.pk)
    assert QuoteLine.objects.get(quote_id=got["id"]).base_service == service


@pytest.mark.parametrize(
    ("relation", "field", "code"),
    [
        (
            [{"id": "nope", "relationshipType": "reliesOn"}],
            "quoteItem[2].quoteItemRelationship[0].id",
            "unknown_reference",
        ),
        (
            [{"id": "main", "relationshipType": "bundles"}],
            "quoteItem[2].quoteItemRelationship[0].relationshipType",
            "unsupported_relationship",
        ),
        ([], "quoteItem[2].quoteItemRelationship", "base_ambiguous"),
    ],
)
def test_an_add_on_item_without_a_clear_base_is_400_and_nothing_is_written(
    sales_api, catalog, block, relation, field, code
):
    account = make_account()
    site = make_location(account)
    first, second = add_item(catalog["gig"], site), add_item(catalog["gig"], site)
    first["id"], second["id"] = "main", "backup"
    addon = add_item(block, site)
    addon["quoteItemRelationship"] = relation
    quotes = Quote.objects.count()

    response = sales_api.post(PATH, quote_body(account, first, second, addon))

    assert_error(response, status=400, code=code, field=field, api="648")
    assert Quote.objects.count() == quotes


def test_a_re_rate_to_zero_asks_for_approval_and_its_maker_may_not_give_it(client, catalog):
    """Issue 11: a manager re-rates a live service to $0 through the API: the discount rule fires
    (the line is 100% below the catalog price) and the manager's own authorization is refused."""
    ApprovalRule.objects.create(
        name="Discount", kind="discount_above", threshold=Decimal("20"), approver_role="sales_manager"
    )
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    maker = TMFClient.for_user(client, make_user("sales_manager"))

    quote = body(
        maker.post(PATH, quote_body(account, change_item(service, "re_rate", price={"unit": "USD", "value": 0})))
    )
    (authorization,) = quote["authorization"]
    authorize = f"{PATH}/{quote['id']}/authorization/{authorization['id']}"

    assert authorization["reason"] == "Discount of 100% is above 20%."
    assert_error(maker.post(authorize, {"state": "approved"}), status=403, code="maker_checker", api="648")
    checker = TMFClient.for_user(client, make_user("sales_manager"))
    assert body(checker.post(authorize, {"state": "approved"}))["authorization"][0]["state"] == "approved"
