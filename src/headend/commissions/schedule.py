"""The worker loop's monthly accrual (`relay_outbox --follow`, which `make run` starts): each day
once the provider's clock passes settings.HEADEND_COMMISSIONS_RUN_AT ("04:00"; empty or unset:
off, run `manage.py accrue_commissions` from cron instead), the recurring share of the month
that ended last is accrued. The month is accrued again each day of the next one, which writes
only what a late event added (accruing is idempotent per service, rep and month)."""

import datetime as dt
from typing import Any

from django.conf import settings

from headend.core import clock, events

from . import earnings


class MonthlyAccrual:
    def __init__(self) -> None:
        self.done_for: dt.date | None = None

    def __call__(self, should_stop: Any) -> int:
        at = settings.HEADEND_COMMISSIONS_RUN_AT
        if not at:
            return 0
        now = clock.now().astimezone(clock.provider_zone())
        today = now.date()
        if self.done_for == today or now.time() < dt.time.fromisoformat(at):
            return 0
        self.done_for = today
        return len(earnings.accrue(month=earnings.previous_month(today)))


monthly_accrual = events.follow_up(MonthlyAccrual())
