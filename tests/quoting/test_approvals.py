from decimal import Decimal

import pytest

from headend.core.errors import Conflict, Forbidden, ValidationError
from headend.crm.models import Opportunity
from headend.quoting import services
from headend.quoting.models import ApprovalRule, QuoteApproval
from tests.factories import make_account, make_location, make_overdue, make_product, make_quote, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules():
    return {
        "tcv": ApprovalRule.objects.create(
            name="Big deal", kind="contract_value_above", threshold=Decimal("1000"), approver_role="director"
        ),
        "late": ApprovalRule.objects.create(
            name="Late payer", kind="days_past_due_above", threshold=Decimal("30"), approver_role="finance"
        ),
    }


def statuses(quote):
    return sorted((a.rule.name, a.status) for a in quote.approvals.all())


def test_a_big_deal_needs_the_director_and_the_reason_is_shown(rules):
    quote = make_quote(lines=2)  # 2 x 65.00 x 12 = 1,560.00

    assert statuses(quote) == [("Big deal", "pending")]
    assert quote.approvals.get().reason == "Total contract value $1,560.00 is above $1,000.00."


def test_a_late_paying_customer_needs_finance_with_their_standing(rules):
    account = make_account()
    make_overdue(account, "120.00", days=45)
    quote = make_quote(account=account, lines=1)

    assert statuses(quote) == [("Late payer", "pending")]
    assert "45 days past due (limit 30); they buy 0 services, $0.00 a month" in quote.approvals.get().reason


def test_a_quote_cannot_be_presented_before_its_approvals(rules):
    quote = make_quote(lines=2)

    with pytest.raises(Conflict) as error:
        services.quote_present(quote=quote)

    assert error.value.code == "approvals_pending"
    quote.refresh_from_db()
    assert quote.status == "draft"


def test_approved_by_the_right_role_the_quote_can_be_presented(rules):
    quote = make_quote(lines=2)
    approval = quote.approvals.get()

    with pytest.raises(Forbidden):
        services.quote_approval_decide(
            approval=approval, approve=True, comment="", decided_by=make_user("sales_manager")
        )
    services.quote_approval_decide(
        approval=approval, approve=True, comment="Strategic", decided_by=make_user("director")
    )
    services.quote_present(quote=quote)

    quote.refresh_from_db()
    assert quote.status == "presented"


def test_a_rejection_needs_a_comment_and_blocks_presenting(rules):
    quote = make_quote(lines=2)
    director = make_user("director")

    with pytest.raises(ValidationError):
        services.quote_approval_decide(approval=quote.approvals.get(), approve=False, comment="", decided_by=director)
    services.quote_approval_decide(
        approval=quote.approvals.get(), approve=False, comment="Margin too thin", decided_by=director
    )

    with pytest.raises(Conflict) as error:
        services.quote_present(quote=quote)
    assert error.value.code == "approval_rejected"


def test_an_edit_after_approval_asks_again(rules):
    quote = make_quote(lines=2)
    services.quote_approval_decide(
        approval=quote.approvals.get(), approve=True, comment="ok", decided_by=make_user("director")
    )

    services.quote_line_add(
        quote=quote, location=make_location(quote.account), product_version=make_product(), term_months=12
    )

    assert statuses(quote) == [("Big deal", "pending"), ("Big deal", "void")]


def test_the_opportunity_follows_its_quote_and_closes_lost_on_decline():
    quote = make_quote(lines=1, status="presented")
    opportunity = Opportunity.objects.get(pk=quote.opportunity_id)
    assert (opportunity.stage, opportunity.amount) == ("proposal", Decimal("65.00"))

    services.quote_reject(quote=quote, note="Too expensive")

    opportunity.refresh_from_db()
    assert opportunity.stage == "closed_lost"


def test_revising_a_presented_quote_makes_a_new_draft_and_keeps_the_old_read_only():
    quote = make_quote(lines=2, status="presented")

    revision = services.quote_revise(quote=quote)

    quote.refresh_from_db()
    assert (quote.status, revision.status, revision.revision, revision.previous) == ("superseded", "draft", 2, quote)
    assert revision.lines.count() == 2
    assert revision.mrr_amount == quote.mrr_amount
    with pytest.raises(Conflict):
        services.quote_line_remove(line=quote.lines.first())


def test_revising_a_declined_quote_reopens_the_opportunity():
    quote = make_quote(lines=1, status="presented")
    services.quote_reject(quote=quote, note="Not now")

    revision = services.quote_revise(quote=quote)

    assert Opportunity.objects.get(pk=revision.opportunity_id).stage == "negotiation"


def test_an_accepted_quote_is_not_revised():
    quote = make_quote(lines=1, status="accepted")

    with pytest.raises(Conflict):
        services.quote_revise(quote=quote)

    assert QuoteApproval.objects.count() == 0


def test_a_discount_above_the_threshold_and_below_floor_asks_the_sales_manager():
    from headend.catalog import services as catalog_services

    ApprovalRule.objects.create(
        name="Big discount", kind="discount_above", threshold=Decimal("10"), approver_role="sales_manager"
    )
    ApprovalRule.objects.create(name="Floor", kind="below_floor", threshold=Decimal("0"), approver_role="sales_manager")
    version = make_product()
    version = catalog_services.version_publish(
        version=catalog_services.version_create(
            product=version.product,
            effective_from=version.effective_from,
            prices={12: ("100.00", "0.00")},
            floor_mrc="85.00",
        )
    )
    quote = make_quote(version=version, lines=1)
    line = quote.lines.get()

    line = services.quote_line_discount(line=line, percent="20")

    assert (line.mrc_amount, line.floor_breached) == (Decimal("80.00"), True)
    assert sorted(a.reason for a in quote.approvals.filter(status="pending")) == [
        "Discount of 20% is above 10%.",
        "Line 1 priced below the floor.",
    ]


def test_a_discount_over_100_percent_is_refused():
    quote = make_quote(lines=1)

    with pytest.raises(ValidationError) as error:
        services.quote_line_discount(line=quote.lines.get(), percent="120")

    assert error.value.field == "discount_percent"
    assert quote.lines.get().discount_percent == 0
