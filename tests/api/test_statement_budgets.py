"""Statement budgets of the TMF648 quote reads: a page of 10 quotes and a page of 100 cost the same
SQL statements, and one quote by id the same whatever its items, so that a field read per quote
or per item (a relation not loaded with the rest) fails here rather than in production.

The quotes carry everything QuoteOut shows: items at sites, an add-on riding on its base, a
discount and a promotion, a quote discount, a change to a live service, authorizations (one
decided), an order, and a revision's previous and next versions.

The budgets, a body already kept (api/representations.py): the token with its user and the user's
roles, the rows each body is built from: the quotes with their customer, order and adjacent versions joined
(and, in each row of a page, how many quotes match in all), their items with site, offering and
promotion joined, and their authorizations. A body not kept yet costs three statements more: the
same three reads as model instances, which the body is built from. A warm read costing more than
its budget means that the rows of the instances differ from the rows read first: no body would
ever be served from what is kept."""

import copy
import datetime as dt
from decimal import Decimal

import pytest
from django.db.models.base import ModelState
from django.test import RequestFactory

from headend.api.representations import Representations
from headend.catalog import services as catalog_services
from headend.catalog.services import TaskSpec
from headend.quoting import services as quoting_services
from headend.quoting.api import BODIES
from headend.quoting.models import ApprovalRule, Quote, QuoteLine
from tests.api.client import body
from tests.factories import (
    define_change_templates,
    make_account,
    make_change_catalog,
    make_half_price_promotion,
    make_live_service,
    make_location,
    make_long_quote,
    make_product,
    make_user,
)

pytestmark = pytest.mark.django_db

PATH = "/quoteManagement/v4/quote"
LIST_BUDGET, GET_BUDGET = 4, 4
BUILDING = 3  # statements more for the bodies not kept yet
COPIES = 100


def _addon_of(base):
    product = catalog_services.product_create(
        code="static-block", name="Static block", kind="addon", customer_type="any", addon_of=[base.product]
    )
    version = catalog_services.version_create(
        product=product, effective_from=dt.date(2020, 1, 1), prices={12: ("20.00", "0.00")}
    )
    catalog_services.template_define(product=product, action="add", name="Route it", tasks=[TaskSpec("Route")])
    define_change_templates(product)
    return catalog_services.version_publish(version=version)


def _clone(row, **changes):
    """A new row with `row`'s values and `changes`, not yet saved."""
    twin = copy.copy(row)
    twin._state = ModelState()
    twin.pk = None
    for name, value in changes.items():
        setattr(twin, name, value)
    return twin


def _copies(quote: Quote, count: int) -> None:
    """`count` copies of `quote` with its items (an add-on riding on its copied base), each older
    than the last: the rows bulk-inserted, as many quotes as a page holds, quickly."""
    lines = list(quote.lines.order_by("position"))
    positions = {line.pk: line.position for line in lines}
    copies = Quote.objects.bulk_create(
        _clone(quote, created_at=quote.created_at - dt.timedelta(minutes=n)) for n in range(1, count + 1)
    )
    bases: dict[tuple[int, int], QuoteLine] = {}
    for riding in (False, True):  # the bases first: an add-on's copy names its base's copy
        batch = [
            _clone(line, quote=copy, base_line=bases[copy.pk, positions[line.base_line_id]] if riding else None)
            for copy in copies
            for line in lines
            if (line.base_line_id is not None) == riding
        ]
        for twin in QuoteLine.objects.bulk_create(batch):
            bases[twin.quote_id, twin.position] = twin


@pytest.fixture
def quotes():
    """The newest quotes hold every relation QuoteOut reads; COPIES older copies of the first
    (items at sites, an add-on riding on its base, discounts and a promotion) fill the pages."""
    base = make_product(prices={12: ("100.00", "99.00"), 24: ("90.00", "0.00")})
    make_half_price_promotion(base.product, valid_from=dt.date(2020, 1, 1))
    addon = _addon_of(base)
    account = make_account()
    site = make_location(account)

    # Items at sites, an add-on riding on its base, a line and a quote discount, a promotion.
    rich = quoting_services.quote_create(account=account, name="Rich")
    first = quoting_services.quote_line_add(quote=rich, location=site, product_version=base, term_months=12)
    quoting_services.quote_line_add(quote=rich, location=site, product_version=addon, term_months=12, rides_on=first)
    quoting_services.quote_line_discount(line=first, percent="5")
    quoting_services.quote_discount_set(quote=rich, percent="2")
    _copies(Quote.objects.get(pk=rich.pk), COPIES)

    # Authorizations, one decided; presented, accepted: an order.
    ApprovalRule.objects.create(
        name="Big deal", kind="contract_value_above", threshold=Decimal("100"), approver_role="director"
    )
    approved = quoting_services.quote_create(account=account, name="Approved")
    quoting_services.quote_line_add(
        quote=approved, location=make_location(account), product_version=base, term_months=12
    )
    approval = approved.approvals.get(status="pending")
    quoting_services.quote_approval_decide(
        approval=approval, approve=True, comment="Fine.", decided_by=make_user("director")
    )
    quoting_services.quote_present(quote=approved)
    quoting_services.quote_accept(quote=approved, accepted_by_name="Pat Customer")

    # A revision: the older version names the newer and the newer the older.
    ApprovalRule.objects.update(active=False)
    older = quoting_services.quote_create(account=account, name="Older")
    quoting_services.quote_line_add(quote=older, location=make_location(account), product_version=base, term_months=24)
    quoting_services.quote_present(quote=older)
    quoting_services.quote_revise(quote=older)

    # A change to a live service.
    change = make_change_catalog()
    service = make_live_service(account, change["gig"])
    upgrade = quoting_services.quote_create(account=account, name="Upgrade")
    quoting_services.quote_line_change(
        quote=upgrade, service=service, action="upgrade", product_version=change["two_gig"], term_months=24
    )
    return Quote.objects.order_by("-created_at", "-id")


@pytest.fixture(autouse=True)
def nothing_kept():
    BODIES.clear()


def _cold_then_warm(api, path, budget, assert_num_queries, **params):
    """The response to `path` built (nothing kept: `budget` + BUILDING statements), then served
    from what was kept (`budget`): the same bytes and headers both times."""
    BODIES.clear()
    with assert_num_queries(budget + BUILDING):
        cold = api.get(path, **params)
    with assert_num_queries(budget):
        warm = api.get(path, **params)
    assert cold.status_code == warm.status_code == 200
    assert warm.content == cold.content
    assert warm.headers == cold.headers
    return warm


@pytest.mark.parametrize("limit", [10, 100])
def test_a_page_of_quotes_costs_the_same_statements_however_many(sales_api, quotes, limit, django_assert_num_queries):
    assert quotes.count() > limit
    sales_api.get(PATH, limit=1)  # the token's first use records when it was used

    response = _cold_then_warm(sales_api, PATH, LIST_BUDGET, django_assert_num_queries, limit=limit)

    page = body(response)
    assert [int(quote["id"]) for quote in page] == list(quotes.values_list("pk", flat=True)[:limit])
    assert all(quote["quoteItem"] for quote in page)
    assert response["X-Total-Count"] == str(quotes.count())
    assert response["X-Result-Count"] == str(limit)


def test_each_quote_by_id_costs_the_same_statements(sales_api, quotes, django_assert_num_queries):
    sales_api.get(PATH, limit=1)
    newest = list(quotes[:6])

    for quote in newest:
        response = _cold_then_warm(sales_api, f"{PATH}/{quote.pk}", GET_BUDGET, django_assert_num_queries)
        assert body(response)["id"] == str(quote.pk)


def test_a_quote_of_many_items_costs_what_one_of_few_does(sales_api, django_assert_num_queries):
    big = make_long_quote(100)
    sales_api.get(PATH, limit=1)

    response = _cold_then_warm(sales_api, f"{PATH}/{big.pk}", GET_BUDGET, django_assert_num_queries)

    assert len(body(response)["quoteItem"]) == 100


def test_a_list_served_from_kept_bodies_is_the_list_built_whole(sales_api, quotes):
    """Some bodies kept (by reads of single quotes), the others built: the page is byte for byte
    the one built from nothing kept."""
    for quote in quotes[3:9]:
        sales_api.get(f"{PATH}/{quote.pk}")
    mixed = sales_api.get(PATH, limit=20)
    BODIES.clear()
    assert mixed.content == sales_api.get(PATH, limit=20).content


def test_what_a_process_keeps_is_bounded_by_bytes():
    kept = Representations(max_bytes=300)  # a body counts three times: itself and its rows
    request = _request()
    kept.keep(request, 1, "a", b"x" * 60)
    kept.keep(request, 2, "b", b"y" * 60)  # over the bound: the least recently read goes
    kept.keep(request, 3, "c", b"z" * 101)  # larger than the bound: not kept at all
    assert kept.get(request, 1, "a") is None
    assert kept.get(request, 2, "b") == b"y" * 60
    assert kept.get(request, 2, "changed") is None
    assert kept.get(request, 3, "c") is None


def _request():
    return RequestFactory().get("/")
