"""A quote's body kept between reads (api/representations.py) is never served after what it shows
has changed, whichever way the change is written: here each change bypasses the use cases (a
queryset `.update()` or `.delete()`, as the admin, a data migration or SQL by hand would), so no
signal or hook could have told the cache. After each, the next read equals a body built from
nothing kept, and differs from the read before."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import override_settings

from headend.catalog.models import Product, ProductVersion, Promotion
from headend.crm.models import Account, Location
from headend.quoting import api as quoting_api
from headend.quoting import services as quoting_services
from headend.quoting.api import BODIES
from headend.quoting.models import ApprovalRule, Quote, QuoteApproval, QuoteLine
from tests.api.client import ROOT, TMFClient, body
from tests.factories import make_account, make_half_price_promotion, make_location, make_product, make_user

pytestmark = pytest.mark.django_db

PATH = "/quoteManagement/v4/quote"


@pytest.fixture
def quote():
    """A quote with an item at a site, a promotion, and an authorization a director approved."""
    product = make_product(prices={12: ("100.00", "99.00")})
    make_half_price_promotion(product.product, waives_installation=False)
    ApprovalRule.objects.create(
        name="Big deal", kind="contract_value_above", threshold=Decimal("100"), approver_role="director"
    )
    account = make_account()
    made = quoting_services.quote_create(account=account, name="Kept")
    quoting_services.quote_line_add(
        quote=made, location=make_location(account), product_version=product, term_months=12
    )
    quoting_services.quote_approval_decide(
        approval=made.approvals.get(status="pending"),
        approve=True,
        comment="Fine.",
        decided_by=make_user("director", first_name="Dana", last_name="Director"),
    )
    return made


def _line(quote):
    return QuoteLine.objects.filter(quote=quote)


CHANGES = {
    "the quote's name": lambda q: Quote.objects.filter(pk=q.pk).update(name="Renamed"),
    "the quote's status": lambda q: Quote.objects.filter(pk=q.pk).update(status="rejected"),
    "the quote's total": lambda q: Quote.objects.filter(pk=q.pk).update(mrr_amount=Decimal("1.23")),
    "the customer's name": lambda q: Account.objects.filter(pk=q.account_id).update(name="Other Name Inc"),
    "the site's street": lambda q: Location.objects.filter(quote_lines__quote=q).update(line1="1 Other St"),
    "the product's name": lambda q: Product.objects.filter(versions__quote_lines__quote=q).update(name="Renamed"),
    "the offering's version": lambda q: ProductVersion.objects.filter(quote_lines__quote=q).update(version=7),
    "the promotion's name": lambda q: Promotion.objects.filter(quote_lines__quote=q).update(name="Other promo"),
    "an item's price": lambda q: _line(q).update(mrc_amount=Decimal("12.34")),
    "an item's quantity": lambda q: _line(q).update(quantity=3),
    "an item removed": lambda q: _line(q).delete(),
    "the approver's name": lambda q: User.objects.filter(username__startswith="user", first_name="Dana").update(
        first_name="Robin"
    ),
    "the authorization's comment": lambda q: QuoteApproval.objects.filter(quote=q).update(comment="Changed."),
    "the authorization's rule": lambda q: ApprovalRule.objects.update(name="Renamed rule"),
}


def _to_a_twin_account(quote):
    """The quote moved to another account of the same name (fixing a duplicate in the admin)."""
    twin = make_account()
    Account.objects.filter(pk=twin.pk).update(name=Account.objects.get(pk=quote.account_id).name)
    Quote.objects.filter(pk=quote.pk).update(account=twin)


def _to_a_twin_site(quote):
    """The item moved to a site with the same address on another account."""
    site = Location.objects.get(quote_lines__quote=quote)
    twin = make_location(make_account(), line1=site.line1, city=site.city, postal_code=site.postal_code)
    Location.objects.filter(pk=twin.pk).update(name=site.name, line2=site.line2, state=site.state)
    _line(quote).update(location=twin)


def _to_a_twin_offering(quote):
    """The item switched to another product's version with the same name and version number."""
    version = ProductVersion.objects.get(quote_lines__quote=quote)
    twin = make_product(prices={12: ("100.00", "99.00")})
    Product.objects.filter(pk=twin.product_id).update(name=version.product.name)
    ProductVersion.objects.filter(pk=twin.pk).update(version=version.version)
    _line(quote).update(product_version=twin)


def _to_a_twin_approver(quote):
    """The authorization given to a new user with the old one's username and names."""
    old = User.objects.get(first_name="Dana")
    User.objects.filter(pk=old.pk).update(username=f"{old.username}-gone")
    twin = make_user(username=old.username, first_name=old.first_name, last_name=old.last_name)
    QuoteApproval.objects.filter(quote=quote).update(decided_by=twin)


CHANGES.update(
    {
        "the quote moved to an account of the same name": _to_a_twin_account,
        "the item moved to a site of the same address": _to_a_twin_site,
        "the item's offering one of the same name": _to_a_twin_offering,
        "the approver a user of the same names": _to_a_twin_approver,
    }
)


def _fresh(api, path):
    BODIES.clear()
    return api.get(path).content


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_change_however_written_is_read_at_once(sales_api, quote, change):
    one = f"{PATH}/{quote.pk}"
    before, listed = sales_api.get(one).content, sales_api.get(PATH).content
    assert sales_api.get(one).content == before  # served from what was kept

    change(quote)

    after, listed_after = sales_api.get(one).content, sales_api.get(PATH).content
    assert after != before
    assert listed_after != listed
    assert after == _fresh(sales_api, one)
    assert listed_after == _fresh(sales_api, PATH)  # the page kept whole follows too


def test_a_kept_page_follows_its_total_and_the_quotes_it_shows(sales_api, quote):
    """A page of one quote, kept whole: a quote off the page deleted changes its total only; a
    newer quote takes the page's place."""
    older = quoting_services.quote_create(account=make_account(), name="Older")
    Quote.objects.filter(pk=older.pk).update(created_at=quote.created_at - timedelta(days=1))
    first = sales_api.get(PATH, limit=1)
    assert sales_api.get(PATH, limit=1).content == first.content
    assert first["X-Total-Count"] == "2"

    Quote.objects.filter(pk=older.pk).delete()
    after = sales_api.get(PATH, limit=1)
    assert (after.content, after["X-Total-Count"], after["X-Result-Count"]) == (first.content, "1", "1")

    newer = quoting_services.quote_create(account=make_account(), name="Newer")
    page = sales_api.get(PATH, limit=1)
    assert [item["id"] for item in body(page)] == [str(newer.pk)]
    assert page["X-Total-Count"] == "2"
    assert page.content == _fresh(sales_api, f"{PATH}?limit=1")


def test_the_body_follows_the_host_and_the_time_zone(sales_api, quote):
    one = f"{PATH}/{quote.pk}"
    here = body(sales_api.get(one))
    with override_settings(ALLOWED_HOSTS=["testserver", "api.example.net"]):
        there = body(sales_api.client.get(ROOT + one, **sales_api.headers, HTTP_HOST="api.example.net"))
    assert here["href"].startswith("http://testserver/")
    assert there["href"].startswith("http://api.example.net/")

    quoting_services.quote_present(quote=Quote.objects.get(pk=quote.pk))
    eastern = body(sales_api.get(one))["validFor"]["endDateTime"]
    with override_settings(HEADEND_TIME_ZONE="America/Los_Angeles"):
        pacific = body(sales_api.get(one))["validFor"]["endDateTime"]
    assert (eastern, pacific) == ("2026-04-01T23:59:59-04:00", "2026-04-01T23:59:59-07:00")


def test_a_token_without_a_staff_role_gets_nothing_kept(sales_api, quote, client):
    """What is kept is looked up only after the reader is let in: a token whose user holds no
    staff role is refused, whatever was kept for a staff member."""
    sales_api.get(f"{PATH}/{quote.pk}")
    outsider = TMFClient.for_user(client, make_user())
    response = outsider.get(f"{PATH}/{quote.pk}")
    assert response.status_code == 403
    assert b"Kept" not in response.content


@pytest.mark.parametrize("read", ["the list", "the quote"])
def test_a_read_again_unchanged_is_served_whole(sales_api, quote, monkeypatch, read):
    path = PATH if read == "the list" else f"{PATH}/{quote.pk}"
    first = sales_api.get(path)
    built = []
    bodies = quoting_api._bodies
    monkeypatch.setattr(quoting_api, "_bodies", lambda *args: built.append(args) or bodies(*args))

    again = sales_api.get(path)

    assert again.content == first.content
    assert built == []  # no quote looked up, none built


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's storage classes: a column may hold any type")
def test_a_value_of_another_type_than_its_columns_is_read_exactly(sales_api, quote):
    """SQL by hand can store a real number in an integer column, or bytes in a text one (SQLite
    keeps what it is given): two such values that JSON would write alike (2.5 and
    2.5000000000000004) are two bodies, and bytes are no error."""
    one = f"{PATH}/{quote.pk}"
    shown = []
    for revision in (2.5, 2.5000000000000004):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE quoting_quote SET revision = %s WHERE id = %s", [revision, quote.pk])
        shown.append((sales_api.get(one).content, sales_api.get(PATH).content))
        assert shown[-1] == (_fresh(sales_api, one), _fresh(sales_api, PATH))
    assert shown[0] != shown[1]

    with connection.cursor() as cursor:
        cursor.execute("UPDATE quoting_quote SET name = X'41' WHERE id = %s", [quote.pk])
    assert sales_api.get(one).status_code == sales_api.get(PATH).status_code == 200
