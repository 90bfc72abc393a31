"""Commissions: plans, the rep's earnings on booking, turn-up and recurring revenue, clawbacks,
splits, monthly statements and their journal entries."""

from django.apps import AppConfig


class CommissionsConfig(AppConfig):
    name = "headend.commissions"
    label = "commissions"
    verbose_name = "Commissions"

    def ready(self) -> None:
        from headend.commissions import (
            handlers,  # noqa: F401  (bookings, turn-ups and disconnections from the outbox)
            panels,  # noqa: F401  (who is credited, on the opportunity page)
            schedule,  # noqa: F401  (the worker loop's monthly accrual)
        )
