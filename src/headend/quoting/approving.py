"""Approvals of a quote: ask for those its prices need (which rules fire is `approvals`, pure),
an approver's decision (maker-checker), and the check that all are given before it is presented."""

from decimal import Decimal
from typing import Any

from django.db import models, transaction

from headend.core import clock, events
from headend.core.errors import Conflict, Forbidden, ValidationError
from headend.core.permissions import require
from headend.crm import hooks as crm_hooks
from headend.quoting import approvals
from headend.quoting.construction import check_surveys
from headend.quoting.models import ApprovalRule, Quote, QuoteApproval


def quote_facts(quote: Quote) -> approvals.QuoteFacts:
    """What the approval rules look at: discounts, floors, contract value, the customer's standing."""
    from headend.inventory import selectors as inventory_selectors

    # Aggregates, not the lines themselves: this runs after every edit of a quote of any size.
    worst = quote.lines.aggregate(worst=models.Max("price_cut_percent"))["worst"]
    below_floor = quote.lines.filter(floor_breached=True).order_by("position").values_list("position", flat=True)
    account = quote.account
    standing = crm_hooks.standing_of(account.pk, clock.today())
    live = inventory_selectors.account_live_services(account_id=account.pk)
    return approvals.QuoteFacts(
        max_line_discount_percent=worst if worst is not None else Decimal("0"),
        quote_discount_percent=quote.discount_percent,
        lines_below_floor=tuple(below_floor),
        contract_value_amount=quote.contract_value_amount,
        days_past_due=standing.days_past_due,
        overdue_balance_amount=standing.overdue_amount,
        account_mrr_amount=sum((service.mrc_amount for service in live), Decimal("0.00")),
        account_services=len(live),
        currency=quote.currency,
    )


def refresh_approvals(quote: Quote) -> None:
    """Ask for the approvals the quote needs now: earlier decisions are void once it changes, and
    so is a submission for approval (the new prices are submitted again)."""
    now = clock.now()
    if quote.submitted_at is not None:
        quote.submitted_at, quote.submitted_by = None, None
        Quote.objects.filter(pk=quote.pk).update(submitted_at=None, submitted_by=None)
    quote.approvals.filter(status=QuoteApproval.Status.PENDING).delete()
    quote.approvals.exclude(status=QuoteApproval.Status.VOID).update(status=QuoteApproval.Status.VOID)
    facts = quote_facts(quote)
    needed = approvals.rules_fired(ApprovalRule.objects.filter(active=True), facts)
    QuoteApproval.objects.bulk_create(
        QuoteApproval(
            quote=quote,
            rule=rule,
            approver_role=rule.approver_role,
            reason=reason[:300],
            created_at=now,
            price_revision=quote.price_revision,
        )
        for rule, reason in needed
    )
    if needed:
        events.emit("quote.approval_requested", subject=quote, data={"rules": [rule.pk for rule, _ in needed]})


@transaction.atomic
def quote_approval_decide(*, approval: QuoteApproval, approve: bool, comment: str, decided_by: Any) -> QuoteApproval:
    """An approver approves or rejects what a rule flagged on a draft quote, with a comment.
    Maker-checker: never the quote's creator nor whoever last changed its prices, whatever their
    role; and only on the prices the approval was asked on."""
    quote = Quote.objects.select_for_update().get(pk=approval.quote_id)  # no price change meanwhile
    current = QuoteApproval.objects.filter(pk=approval.pk, quote=quote).first()
    require(decided_by, "quote.approve", named=approval.approver_role)
    if current is None:
        raise Conflict("The quote changed since: this approval was withdrawn.", field="status", code="approval_void")
    approval = current
    if approval.status != QuoteApproval.Status.PENDING:
        raise Conflict(f"This approval is already {approval.get_status_display().lower()}.", field="status")
    if approval.price_revision != quote.price_revision:
        raise Conflict("The prices changed since this approval was asked for.", field="status", code="approval_void")
    user_id = getattr(decided_by, "pk", None)
    if user_id is not None and user_id == quote.created_by_id:
        raise Forbidden("You made this quote: another approver must decide.", field="approver", code="maker_checker")
    if user_id is not None and user_id == quote.priced_by_id:
        raise Forbidden(
            "You changed this quote's prices last: another approver must decide.",
            field="approver",
            code="maker_checker",
        )
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError("Say why you reject it.", field="comment", code="required")
    approval.status = QuoteApproval.Status.APPROVED if approve else QuoteApproval.Status.REJECTED
    approval.decided_by, approval.decided_at, approval.comment = decided_by, clock.now(), comment
    approval.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    events.emit(f"quote.approval_{approval.status}", subject=quote, data={"approval_id": approval.pk})
    waiting = quote.approvals.filter(status=QuoteApproval.Status.PENDING).exists()
    if quote.submitted_at is not None and (not approve or not waiting):
        # Rejected: back to sales to change it. The last one given: sales may present it.
        quote.submitted_at, quote.submitted_by = None, None
        quote.save(update_fields=["submitted_at", "submitted_by"])
    if approve and not waiting:
        events.emit("quote.approved", subject=quote)
    return approval


@transaction.atomic
def quote_submit_for_approval(*, quote: Quote, submitted_by: Any) -> Quote:
    """Sales submits a draft whose rules fired to the approvers they name: it waits in their
    inbox until the last approval is given (then it may be presented) or one is rejected.

    Raises Conflict unless the quote is a draft that needs an approval not given yet, or when an
    approval was rejected on these prices (change the quote first). Submitting twice is harmless."""
    require(submitted_by, "quote.edit")
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != Quote.Status.DRAFT:
        raise Conflict(
            f"Quote {quote.number} is {quote.get_status_display().lower()}; only a draft is submitted for approval.",
            field="status",
            code="quote_not_editable",
        )
    if quote.submitted_at is not None:
        return quote
    check_surveys(quote)
    current = quote.approvals.exclude(status=QuoteApproval.Status.VOID)
    if current.filter(status=QuoteApproval.Status.REJECTED).exists():
        raise Conflict(
            "An approval was rejected on these prices; change the quote, then submit it again.",
            field="approvals",
            code="approval_rejected",
        )
    roles = sorted(set(current.filter(status=QuoteApproval.Status.PENDING).values_list("approver_role", flat=True)))
    if not roles:
        raise Conflict(
            "Nothing on this quote needs approval: present it.", field="approvals", code="nothing_to_approve"
        )
    quote.submitted_at, quote.submitted_by = clock.now(), submitted_by if getattr(submitted_by, "pk", None) else None
    quote.save(update_fields=["submitted_at", "submitted_by"])
    events.emit("quote.submitted_for_approval", subject=quote, data={"approver_roles": roles})
    return quote


def check_approved(quote: Quote) -> None:
    """Every approval the prices need is given: one given on earlier prices does not count."""
    open_ones = list(
        quote.approvals.exclude(status=QuoteApproval.Status.VOID).exclude(
            status=QuoteApproval.Status.APPROVED, price_revision=quote.price_revision
        )
    )
    if open_ones:
        waiting = "; ".join(f"{a.get_approver_role_display()}: {a.reason}" for a in open_ones)
        rejected = any(a.status == QuoteApproval.Status.REJECTED for a in open_ones)
        raise Conflict(
            ("An approval was rejected; change the quote. " if rejected else "Waiting for approval. ") + waiting,
            field="approvals",
            code="approval_rejected" if rejected else "approvals_pending",
        )
