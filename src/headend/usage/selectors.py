"""Reads of usage: a service's days (the TMF635 API), and its cycle against its cap (the chart)."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models

from headend.core import clock
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.crm.selectors import account_scope
from headend.usage import cycles
from headend.usage.caps import GB
from headend.usage.models import CapCycle, DailyUsage


def daily_usage_list(
    *,
    user: Any,
    account_id: Any = None,
    service_id: Any = None,
    day_from: dt.date | None = None,
    day_until: dt.date | None = None,
) -> models.QuerySet[DailyUsage]:
    """The days of usage `user` may see (every customer's, for staff), newest first; filtered by
    customer account, service, and days from `day_from` and before `day_until`."""
    found = DailyUsage.objects.filter(service__account__in=account_scope(user=user)).select_related(
        "service__account", "service__product_version__product"
    )
    if account_id is not None:
        found = found.filter(service__account_id=parse_id(account_id))
    if service_id is not None:
        found = found.filter(service_id=parse_id(service_id))
    if day_from is not None:
        found = found.filter(day__gte=day_from)
    if day_until is not None:
        found = found.filter(day__lt=day_until)
    return found.order_by("-day", "service_id", "pk")


def daily_usage_get_for(*, user: Any, usage_id: Any) -> DailyUsage:
    """One day of a service's usage if `user` may see it; NotFound otherwise."""
    found = daily_usage_list(user=user).filter(pk=parse_id(usage_id)).first()
    if found is None:
        raise NotFound("No such usage.", field="id")
    return found


@dataclass(frozen=True)
class UsageDay:
    day: dt.date
    input_octets: int
    output_octets: int

    @property
    def total_octets(self) -> int:
        return self.input_octets + self.output_octets


@dataclass(frozen=True)
class CycleUsage:
    """A service's usage in one cycle: every day of it (none missing), the cap (None: unlimited),
    and what the cap did (its CapCycle, None before the first byte)."""

    cycle: cycles.Cycle
    days: list[UsageDay]
    cap_octets: int | None
    cap_cycle: CapCycle | None
    today: dt.date

    @property
    def total_octets(self) -> int:
        return sum(day.total_octets for day in self.days)

    @property
    def input_octets(self) -> int:
        return sum(day.input_octets for day in self.days)

    @property
    def output_octets(self) -> int:
        return sum(day.output_octets for day in self.days)

    @property
    def percent(self) -> int | None:
        return None if not self.cap_octets else int(self.total_octets * 100 // self.cap_octets)


def service_cycle_usage(*, service: Any, at: dt.datetime | None = None) -> CycleUsage:
    """The service's usage in the cycle under way (its bill cycle, cycles.py), day by day."""
    today = clock.local_date(at or clock.now())
    bill_day = cycles.service_bill_days([service.pk])[service.pk]
    cycle = cycles.cycle_containing(today, bill_day)
    stored = {
        row.day: row
        for row in DailyUsage.objects.filter(service_id=service.pk, day__gte=cycle.start, day__lt=cycle.end)
    }
    days = []
    day = cycle.start
    while day < cycle.end:
        row = stored.get(day)
        days.append(UsageDay(day, row.input_octets if row else 0, row.output_octets if row else 0))
        day += dt.timedelta(days=1)
    cap_gb = service.product_version.data_cap_gb
    cap_cycle = CapCycle.objects.filter(service_id=service.pk, cycle_start=cycle.start).first()
    return CycleUsage(
        cycle=cycle, days=days, cap_octets=cap_gb * GB if cap_gb else None, cap_cycle=cap_cycle, today=today
    )
