"""The demo's commission plans (issue 20): what Headend Fiber pays its sales people, set by
finance before the demo's quotes are won, so the orders the demo books earn their booking and
turn-up commissions (the handlers follow the events the demo relays)."""

import datetime as dt
from typing import Any

from headend.commissions import plans
from headend.commissions.models import Plan


def plans_in_force(users: dict[str, Any]) -> None:
    if Plan.objects.exists():
        return
    plans.plan_create(
        created_by=users["finance"],
        name="Business fiber, 2026",
        product_kind="internet",
        booking_basis="percent",
        booking_value="50",
        turn_up_basis="fixed",
        turn_up_value="25.00",
        recurring_percent="5",
        recurring_months=12,
        clawback_months=6,
        effective_from=dt.date(2024, 1, 1),
    )
    plans.plan_create(
        created_by=users["finance"],
        name="Add-ons and voice",
        booking_basis="fixed",
        booking_value="10.00",
        recurring_percent="3",
        recurring_months=12,
        clawback_months=3,
        effective_from=dt.date(2024, 1, 1),
    )
