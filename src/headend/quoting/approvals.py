"""Which approval rules a quote fires, from plain facts about it (no ORM)."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, TypeVar

from headend.core.money import format_amount


class Rule(Protocol):
    kind: str
    threshold: Decimal


@dataclass(frozen=True)
class QuoteFacts:
    """What the rules look at: the deal and the customer's standing."""

    max_line_discount_percent: Decimal
    quote_discount_percent: Decimal
    lines_below_floor: tuple[int, ...]  # line positions
    contract_value_amount: Decimal
    days_past_due: int
    overdue_balance_amount: Decimal
    account_mrr_amount: Decimal
    account_services: int
    currency: str = "USD"


def fired(rule: Rule, facts: QuoteFacts) -> str | None:
    """The reason `rule` fires for these facts, in words an approver reads; None if it does not."""
    kind, threshold = rule.kind, rule.threshold

    def money(amount: Decimal) -> str:
        return format_amount(amount, facts.currency)

    standing = f"they buy {facts.account_services} services, {money(facts.account_mrr_amount)} a month"
    if kind == "discount_above":
        worst = max(facts.max_line_discount_percent, facts.quote_discount_percent)
        return f"Discount of {worst.normalize():f}% is above {threshold.normalize():f}%." if worst > threshold else None
    if kind == "below_floor":
        lines = ", ".join(str(position) for position in facts.lines_below_floor)
        plural = "s" if len(facts.lines_below_floor) > 1 else ""
        return f"Line{plural} {lines} priced below the floor." if lines else None
    if kind == "contract_value_above":
        value = facts.contract_value_amount
        return f"Total contract value {money(value)} is above {money(threshold)}." if value > threshold else None
    if kind == "days_past_due_above":
        days = facts.days_past_due
        reason = f"The customer's oldest unpaid invoice is {days} days past due (limit {int(threshold)}); {standing}."
        return reason if days > threshold else None
    if kind == "overdue_balance_above":
        owed = facts.overdue_balance_amount
        reason = f"The customer owes {money(owed)} overdue (limit {money(threshold)}); {standing}."
        return reason if owed > threshold else None
    return None


R = TypeVar("R", bound=Rule)


def rules_fired(rules: Iterable[R], facts: QuoteFacts) -> list[tuple[R, str]]:
    return [(rule, reason) for rule in rules if (reason := fired(rule, facts)) is not None]
