"""What the CRM reads from billing, which sits above it in the stack: a customer's payment
standing, worked out from real invoices and payments. Billing provides `payment_standing` in
`BillingConfig.ready()`."""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from headend.core.hooks import Hook


@dataclass(frozen=True)
class Standing:
    """How late a customer pays: days the oldest unpaid invoice is past its due date (0: none
    is), what is overdue, and what they owe in all (overdue or not)."""

    days_past_due: int = 0
    overdue_amount: Decimal = Decimal("0.00")
    balance_amount: Decimal = Decimal("0.00")


class PaymentStanding(Protocol):
    def __call__(self, *, account_ids: Collection[int], today: dt.date) -> dict[int, Standing]:
        """Each account's standing on `today`, by account id (every id given has one)."""
        ...


payment_standing: Hook[PaymentStanding] = Hook("crm.hooks.payment_standing", provided_by="headend.billing")


def standing_of(account_id: int, today: dt.date) -> Standing:
    return payment_standing()(account_ids=[account_id], today=today)[account_id]
