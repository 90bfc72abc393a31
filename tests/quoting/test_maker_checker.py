"""Maker-checker approvals (issue 11): whoever made a quote or last changed its prices never
approves it, any line priced below the catalog counts as a discount, and an approval holds only
for the prices it was asked on."""

from decimal import Decimal

import pytest

from headend.core.errors import Conflict, Forbidden
from headend.quoting import services
from headend.quoting.models import ApprovalRule
from tests.factories import make_account, make_change_catalog, make_live_service, make_location, make_product, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def discount_rule():
    return ApprovalRule.objects.create(
        name="Discount", kind="discount_above", threshold=Decimal("10"), approver_role="sales_manager"
    )


def discounted_quote(*, made_by, priced_by=None, percent="90"):
    account = make_account()
    quote = services.quote_create(account=account, name="Deal", created_by=made_by)
    line = services.quote_line_add(
        quote=quote, location=make_location(account), product_version=make_product(), term_months=12, added_by=made_by
    )
    services.quote_line_discount(line=line, percent=percent, discounted_by=priced_by or made_by)
    return quote


def decide(quote, user, approve=True):
    return services.quote_approval_decide(
        approval=quote.approvals.get(status="pending"), approve=approve, comment="ok", decided_by=user
    )


def test_a_sales_manager_does_not_approve_their_own_discount(discount_rule):
    manager = make_user("sales_manager")
    quote = discounted_quote(made_by=manager)

    with pytest.raises(Forbidden) as error:
        decide(quote, manager)

    assert (error.value.code, error.value.field) == ("maker_checker", "approver")
    assert quote.approvals.get().status == "pending"
    decide(quote, make_user("sales_manager"))
    services.quote_present(quote=quote)


def test_an_admin_is_held_to_it_too(discount_rule):
    admin = make_user(username="root", is_superuser=True, is_staff=True)
    quote = discounted_quote(made_by=admin)

    with pytest.raises(Forbidden):
        decide(quote, admin, approve=False)


def test_whoever_changed_the_prices_last_does_not_approve_them(discount_rule):
    rep, manager, other = make_user("sales"), make_user("sales_manager"), make_user("sales_manager")
    quote = discounted_quote(made_by=rep, priced_by=manager)

    with pytest.raises(Forbidden) as error:
        decide(quote, manager)

    assert "changed this quote's prices last" in str(error.value)
    decide(quote, other)


def test_once_someone_else_changes_the_prices_the_earlier_editor_may_approve(discount_rule):
    rep, manager = make_user("sales"), make_user("sales_manager")
    quote = discounted_quote(made_by=rep, priced_by=manager)

    services.quote_line_discount(line=quote.lines.get(), percent="80", discounted_by=rep)

    decide(quote, manager)
    assert quote.approvals.get(status="approved").decided_by == manager


def test_an_approval_on_earlier_prices_is_void_and_cannot_be_decided(discount_rule):
    rep, manager = make_user("sales"), make_user("sales_manager")
    quote = discounted_quote(made_by=rep)
    asked = quote.approvals.get()
    decide(quote, manager)

    services.quote_line_discount(line=quote.lines.get(), percent="50", discounted_by=rep)

    assert sorted(quote.approvals.values_list("status", flat=True)) == ["pending", "void"]
    with pytest.raises(Conflict):
        services.quote_approval_decide(approval=asked, approve=True, comment="", decided_by=manager)
    with pytest.raises(Conflict) as error:
        services.quote_present(quote=quote)
    assert error.value.code == "approvals_pending"


def test_a_pending_approval_withdrawn_by_a_price_change_is_a_conflict_not_a_crash(discount_rule):
    rep = make_user("sales")
    quote = discounted_quote(made_by=rep)
    asked = quote.approvals.get()

    services.quote_line_discount(line=quote.lines.get(), percent="50", discounted_by=rep)

    with pytest.raises(Conflict) as error:
        services.quote_approval_decide(approval=asked, approve=True, comment="", decided_by=make_user("sales_manager"))
    assert error.value.code == "approval_void"


@pytest.mark.parametrize(
    ("negotiated", "reasons"),
    [
        ("0.00", ["Discount of 100% is above 10%."]),
        ("85.00", ["Discount of 15% is above 10%."]),
        ("95.00", []),
        ("120.00", []),
    ],
)
def test_re_rating_a_live_service_below_the_catalog_price_is_a_discount(discount_rule, negotiated, reasons):
    account = make_account()
    service = make_live_service(account, make_change_catalog()["gig"])  # 100.00 a month on 12 months
    quote = services.quote_create(account=account, name="Re-rate")

    services.quote_line_change(quote=quote, service=service, action="re_rate", negotiated_mrc_amount=negotiated)

    assert [a.reason for a in quote.approvals.filter(status="pending")] == reasons


def test_the_admin_form_shows_a_quotes_prices_but_cannot_change_them(client, discount_rule):
    client.force_login(make_user(username="root", is_superuser=True, is_staff=True))
    quote = discounted_quote(made_by=make_user("sales"))

    page = client.get(f"/admin/quoting/quote/{quote.pk}/change/").content.decode()

    assert "Q-" in page
    assert "90.00" in page
    for field in ("discount_percent", "mrc_amount", "status"):
        assert f'name="{field}"' not in page
    for field in ("discount_percent", "negotiated_mrc_amount", "mrc_unit_amount", "price_cut_percent"):
        assert f'name="lines-0-{field}"' not in page


def test_the_quote_page_offers_the_decision_to_another_approver_only(client, discount_rule):
    maker, checker = make_user("sales_manager"), make_user("sales_manager")
    quote = discounted_quote(made_by=maker)
    approval = quote.approvals.get()
    decide_url = f"/quotes/{quote.pk}/approvals/{approval.pk}/"

    client.force_login(maker)
    assert "another approver decides" in client.get(quote.get_absolute_url()).content.decode()
    refused = client.post(decide_url, {"decision": "approve"}, follow=True)
    assert "You made this quote" in refused.content.decode()
    approval.refresh_from_db()
    assert approval.status == "pending"

    client.force_login(checker)
    page = client.get(quote.get_absolute_url()).content.decode()
    assert decide_url in page
    assert "another approver decides" not in page
    client.post(decide_url, {"decision": "approve"})
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by) == ("approved", checker)
