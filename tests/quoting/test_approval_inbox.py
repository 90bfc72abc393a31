"""Approvals inbox (issue 17): sales submits a quote whose rules fired, each approver's inbox and
home page list what waits for them, and the approvals panel follows every edit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from headend.core import clock
from headend.core.errors import Conflict
from headend.quoting import selectors, services
from headend.quoting.models import ApprovalRule, Quote
from tests.conftest import FROZEN_AT, outbox_names
from tests.factories import make_account, make_location, make_product, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules():
    return {
        "discount": ApprovalRule.objects.create(
            name="Deep discount", kind="discount_above", threshold=Decimal("10"), approver_role="sales_manager"
        ),
    }


def quote_for(seller, *, percent="20", term=12):
    account = make_account()
    quote = services.quote_create(account=account, name="Harbor fiber", created_by=seller)
    line = services.quote_line_add(
        quote=quote, location=make_location(account), product_version=make_product(), term_months=term, added_by=seller
    )
    if percent:
        services.quote_line_discount(line=line, percent=percent, discounted_by=seller)
    return Quote.objects.get(pk=quote.pk)


def test_submitting_a_quote_whose_rules_fired_puts_it_in_the_approvers_inboxes(rules):
    ApprovalRule.objects.create(
        name="Big deal", kind="contract_value_above", threshold=Decimal("100"), approver_role="director"
    )
    seller, manager, director = make_user("sales"), make_user("sales_manager"), make_user("director")
    quote = quote_for(seller)

    services.quote_submit_for_approval(quote=quote, submitted_by=seller)

    quote.refresh_from_db()
    assert quote.awaiting_approval
    assert [a.rule.name for a in selectors.approval_inbox(user=manager)] == ["Deep discount"]
    assert [a.rule.name for a in selectors.approval_inbox(user=director)] == ["Big deal"]
    assert list(selectors.approval_inbox(user=seller)) == []
    assert "quote.submitted_for_approval" in outbox_names(subject=quote)


def test_a_draft_not_submitted_is_in_no_inbox(rules):
    quote_for(make_user("sales"))

    assert list(selectors.approval_inbox(user=make_user("sales_manager"))) == []


def test_the_inbox_leaves_out_quotes_the_approver_made_or_priced(rules):
    manager = make_user("sales_manager")
    quote = quote_for(manager)
    services.quote_submit_for_approval(quote=quote, submitted_by=manager)

    assert list(selectors.approval_inbox(user=manager)) == []
    assert len(selectors.approval_inbox(user=make_user("sales_manager"))) == 1


def test_the_inbox_lists_the_oldest_submission_first(rules):
    seller = make_user("sales")
    first, second = quote_for(seller), quote_for(seller)
    services.quote_submit_for_approval(quote=second, submitted_by=seller)
    with clock.frozen(FROZEN_AT + dt.timedelta(minutes=5)):
        services.quote_submit_for_approval(quote=first, submitted_by=seller)

    inbox = selectors.approval_inbox(user=make_user("sales_manager"))

    assert [a.quote_id for a in inbox] == [second.pk, first.pk]


def test_submitting_a_quote_that_needs_no_approval_is_refused(rules):
    seller = make_user("sales")
    quote = quote_for(seller, percent="")

    with pytest.raises(Conflict) as error:
        services.quote_submit_for_approval(quote=quote, submitted_by=seller)

    assert error.value.code == "nothing_to_approve"
    assert Quote.objects.get(pk=quote.pk).submitted_at is None


def test_approving_the_last_one_makes_the_quote_presentable(rules):
    seller, manager = make_user("sales"), make_user("sales_manager")
    quote = quote_for(seller)
    services.quote_submit_for_approval(quote=quote, submitted_by=seller)
    (approval,) = selectors.approval_inbox(user=manager)

    services.quote_approval_decide(approval=approval, approve=True, comment="ok", decided_by=manager)

    quote.refresh_from_db()
    assert not quote.awaiting_approval
    assert list(selectors.approval_inbox(user=manager)) == []
    assert "quote.approved" in outbox_names(subject=quote)
    assert services.quote_present(quote=quote).status == "presented"


def test_a_rejection_sends_the_quote_back_to_sales(rules):
    seller, manager = make_user("sales"), make_user("sales_manager")
    quote = quote_for(seller)
    services.quote_submit_for_approval(quote=quote, submitted_by=seller)
    (approval,) = selectors.approval_inbox(user=manager)

    services.quote_approval_decide(approval=approval, approve=False, comment="Too deep", decided_by=manager)

    quote.refresh_from_db()
    assert not quote.awaiting_approval
    with pytest.raises(Conflict) as error:
        services.quote_submit_for_approval(quote=quote, submitted_by=seller)
    assert error.value.code == "approval_rejected"


def test_an_edit_that_removes_the_discount_removes_the_pending_approval_and_the_submission(rules):
    seller = make_user("sales")
    quote = quote_for(seller)
    services.quote_submit_for_approval(quote=quote, submitted_by=seller)

    services.quote_line_discount(line=quote.lines.get(), percent="0", discounted_by=seller)

    quote.refresh_from_db()
    panel = selectors.approval_panel(quote=quote)
    assert (panel.approvals, panel.step, quote.awaiting_approval) == ([], "ready", False)
    assert list(selectors.approval_inbox(user=make_user("sales_manager"))) == []


def test_the_quotes_list_filters_those_awaiting_approval(client, rules):
    seller = make_user("sales")
    waiting, other = quote_for(seller), quote_for(seller)
    services.quote_submit_for_approval(quote=waiting, submitted_by=seller)
    client.force_login(seller)

    html = client.get(reverse("quoting:quote_list"), {"status": "awaiting_approval"}).content.decode()

    assert waiting.number in html
    assert other.number not in html
    assert "Awaiting approval" in html


def test_the_inbox_page_and_the_home_page_show_age_value_rule_and_reason(client, rules):
    seller, manager = make_user("sales"), make_user("sales_manager")
    quote = quote_for(seller)
    services.quote_submit_for_approval(quote=quote, submitted_by=seller)
    client.force_login(manager)

    with clock.frozen(FROZEN_AT + dt.timedelta(hours=3)):
        inbox = client.get(reverse("quoting:approval_inbox")).content.decode()
        home = client.get(reverse("home")).content.decode()

    for html in (inbox, home):
        assert quote.number in html
        assert "3\xa0hours" in html
        assert "Deep discount" in html
        assert "Discount of 20% is above 10%." in html
        assert f"${quote.contract_value_amount:,}" in html
    assert "Waiting for your approval" in home


def test_submit_view_submits_and_redirects(client, rules):
    seller = make_user("sales")
    quote = quote_for(seller)
    client.force_login(seller)

    response = client.post(reverse("quoting:quote_submit", args=[quote.pk]))

    assert response.status_code == 302
    assert Quote.objects.get(pk=quote.pk).awaiting_approval


def test_an_htmx_edit_redraws_the_approvals_panel_out_of_band(client, rules):
    seller = make_user("sales")
    quote = quote_for(seller)
    client.force_login(seller)
    url = reverse("quoting:quote_line_discount", args=[quote.pk, quote.lines.get().pk])

    discounted = client.get(quote.get_absolute_url()).content.decode()
    response = client.post(url, {"discount_percent": "0"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "Deep discount" in discounted
    assert 'id="approvals" aria-live="polite" hx-swap-oob="true"' in html
    assert "Deep discount" not in html
    assert "Submit for approval" not in html
