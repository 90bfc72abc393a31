"""A service's usage cycle: the month its data cap counts over.

It is the service's bill cycle: the month from the bill day of the billing account that pays for
it. Billing sits above usage, so it provides `bill_days` (a hook, core/hooks.py) from its
handlers; until it does (an installation billed elsewhere), every service's cycle starts on
settings.HEADEND_BILLING_BILL_DAY (default 1)."""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from headend.core.hooks import Hook
from headend.core.periods import add_months


class BillDays(Protocol):
    def __call__(self, *, service_ids: Collection[int]) -> dict[int, int]:
        """The bill day (1-28) of each service that has one, by service id."""
        ...


bill_days: Hook[BillDays] = Hook("usage.cycles.bill_days", provided_by="headend.billing")


@dataclass(frozen=True, order=True)
class Cycle:
    """One cycle: `start` to the day before `end`."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day < self.end


def default_bill_day() -> int:
    return min(max(int(getattr(settings, "HEADEND_BILLING_BILL_DAY", 1)), 1), 28)


def cycle_containing(day: dt.date, bill_day: int) -> Cycle:
    """The cycle `day` falls in, for cycles that start on `bill_day` (1-28)."""
    start = day.replace(day=bill_day)
    if day.day < bill_day:
        start = add_months(start, -1)
    return Cycle(start, add_months(start, 1))


def service_bill_days(service_ids: Collection[int]) -> dict[int, int]:
    """Each service's bill day: its payer's (billing), else the default one."""
    try:
        known = bill_days()(service_ids=service_ids)
    except ImproperlyConfigured:
        known = {}
    default = default_bill_day()
    return {service_id: known.get(service_id) or default for service_id in service_ids}
