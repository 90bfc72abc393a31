"""Data caps: what a plan's monthly allowance (ProductVersion.data_cap_gb, in GB of 10^9 bytes,
upload and download together) does when a service's usage in a cycle (cycles.py) passes it.

The ingest calls `caps_check` in each batch's transaction with the bytes it added per service and
day. One `CapCycle` row per service and cycle keeps the cycle's usage and what was done, so each
step happens once:

- the customer is told at 80 % and at 100 % of the cap, once each (`usage.threshold`, emailed by
  notifications.py); usage that jumps past both at once sends the 100 % notice only. Only in
  the cycle under way: late usage of a past cycle tells nobody.
- overage (`data_cap_action` overage): each block of `data_overage_block_gb` begun past the cap
  is billed once, at `data_overage_block_amount`: a `usage.overage` event per step carrying the
  new blocks and their amount, keyed by service, cycle and block count, which billing turns into
  a one-time charge (billing/handlers.py). Late usage of a past cycle is billed too.
- throttle: the cycle's row is marked to throttle (in the cycle under way, for an active
  service); throttling.py moves the subscriber to the throttled RADIUS group and sends the CoA
  outside the transaction, and lifts it when the cycle is over.
- notify: the notices only."""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F

from headend.catalog.models import DataCapAction
from headend.core import clock, events
from headend.core.money import line_amount
from headend.inventory.models import Service
from headend.usage import bulk, cycles
from headend.usage.models import CapCycle, DailyUsage

GB = 10**9
WARN_PERCENT = 80
CAP_FIELDS = [
    "cap_octets",
    "used_octets",
    "action",
    "notified_80_at",
    "notified_100_at",
    "overage_blocks",
    "throttle",
    "throttled_at",
]
NEW_ONLY_FIELDS = ["lifted_at", "throttle_attempts", "throttle_error", "throttle_log"]  # throttling.py's
STATE_FIELDS = ["service_id", "cycle_start", "cycle_end", *CAP_FIELDS]


@dataclass(slots=True)
class CapState:
    """What caps read and write of a CapCycle row (STATE_FIELDS, in order): a plain object, as a
    batch handles thousands (a model instance costs ten times more to make)."""

    service_id: int
    cycle_start: dt.date
    cycle_end: dt.date
    cap_octets: int = 0
    used_octets: int = 0
    action: str = ""
    notified_80_at: dt.datetime | None = None
    notified_100_at: dt.datetime | None = None
    overage_blocks: int = 0
    throttle: str = CapCycle.Throttle.NONE
    throttled_at: dt.datetime | None = None


def blocks_over(used: int, cap: int, block: int) -> int:
    """The overage blocks begun: none up to the cap, one for its first byte past it."""
    if used <= cap or block <= 0:
        return 0
    return -(-(used - cap) // block)


class Plans:
    """The caps (plan, status, currency) and bill days of services, each read once: an ingest
    keeps one for its run, as its batches see the same services again and again."""

    def __init__(self) -> None:
        self.plans: dict[int, dict[str, Any]] = {}
        self.bill_days: dict[int, int] = {}
        self._known: set[int] = set()
        self.cycle_of = _cycles()

    def load(self, service_ids: set[int]) -> None:
        unknown = service_ids - self._known
        if not unknown:
            return
        found: dict[int, dict[str, Any]] = {
            row["pk"]: dict(row)
            for row in Service.objects.filter(
                pk__in=bulk.ids_in(unknown), product_version__data_cap_gb__isnull=False
            ).values(
                "pk",
                "status",
                "currency",
                cap_gb=F("product_version__data_cap_gb"),
                action=F("product_version__data_cap_action"),
                block_gb=F("product_version__data_overage_block_gb"),
                block_amount=F("product_version__data_overage_block_amount"),
            )
        }
        self.plans |= found
        if found:
            self.bill_days |= cycles.service_bill_days(list(found))
        self._known |= unknown


def caps_check(*, added: Mapping[tuple[int, dt.date], int], at: dt.datetime, known: Plans | None = None) -> int:
    """Bring the cap cycles of the days whose usage grew (`added`: {(service id, day): octets
    added}) up to their usage, with the notices, overage events and throttles that are due
    (module docstring). A cycle's usage is its row's plus what was added (the ingest adds every
    byte through here), or, for a cycle it has no row of yet, the sum of its days. `known`: the
    plans read before in this run. Returns how many events it emitted. Runs in the caller's
    transaction."""
    if not added:
        return 0
    known = known or Plans()
    known.load({service_id for service_id, _ in added})
    plans, bill_days, cycle_of = known.plans, known.bill_days, known.cycle_of
    if not any(service_id in plans for service_id, _ in added):
        return 0
    wanted: dict[tuple[int, dt.date], cycles.Cycle] = {}
    growth: dict[tuple[int, dt.date], int] = defaultdict(int)
    for (service_id, day), octets in added.items():
        if service_id in plans:
            cycle = cycle_of(day, bill_days[service_id])
            wanted[(service_id, cycle.start)] = cycle
            growth[(service_id, cycle.start)] += octets
    existing = {
        (values[0], values[1]): CapState(*values)
        # No row locks: the ingest's lock (ingest.py) is held by every writer of these rows.
        for values in CapCycle.objects.filter(
            service_id__in=bulk.ids_in({service_id for service_id, _ in wanted}),
            cycle_start__in={cycle.start for cycle in wanted.values()},
        ).values_list(*STATE_FIELDS)
        if (values[0], values[1]) in wanted
    }
    missing = {key: cycle for key, cycle in wanted.items() if key not in existing}
    totals = _cycle_usage(missing, bill_days, cycle_of) if missing else {}
    today = clock.local_date(at)
    rows = []
    emitted: dict[str, tuple[list[Any], list[dict[str, Any]]]] = defaultdict(lambda: ([], []))
    for key, cycle in sorted(wanted.items()):
        row = existing.get(key)
        if row is None:
            row = CapState(service_id=key[0], cycle_start=cycle.start, cycle_end=cycle.end)
            used = totals.get(key, 0)
        else:
            used = row.used_octets + growth[key]
        for name, data in cap_decide(row, used=used, plan=plans[key[0]], current=today in cycle, at=at):
            subjects, values = emitted[name]
            subjects.append(Service(pk=key[0]))
            values.append(data)
        rows.append(row)
    _write(rows)
    count = 0
    for name, (subjects, values) in emitted.items():
        count += events.emit_many(name, subjects=subjects, data=values)
    return count


CycleOf = Callable[[dt.date, int], cycles.Cycle]


def _cycles() -> CycleOf:
    """cycles.cycle_containing, remembered per (day, bill day) for one batch."""
    known: dict[tuple[dt.date, int], cycles.Cycle] = {}

    def cycle_of(day: dt.date, bill_day: int) -> cycles.Cycle:
        found = known.get((day, bill_day))
        if found is None:
            found = known[(day, bill_day)] = cycles.cycle_containing(day, bill_day)
        return found

    return cycle_of


def _cycle_usage(
    wanted: Mapping[tuple[int, dt.date], cycles.Cycle], bill_days: Mapping[int, int], cycle_of: CycleOf
) -> dict[tuple[int, dt.date], int]:
    """The octets of each wanted (service, cycle start), summed from its days in one query."""
    first = min(cycle.start for cycle in wanted.values())
    last = max(cycle.end for cycle in wanted.values())
    service_ids = {service_id for service_id, _ in wanted}
    used: dict[tuple[int, dt.date], int] = defaultdict(int)
    days = DailyUsage.objects.filter(service_id__in=bulk.ids_in(service_ids), day__gte=first, day__lt=last).values_list(
        "service_id", "day", "input_octets", "output_octets"
    )
    for service_id, day, octets_in, octets_out in days:
        key = (service_id, cycle_of(day, bill_days[service_id]).start)
        if key in wanted:
            used[key] += octets_in + octets_out
    return used


def _write(rows: list[CapState]) -> None:
    """The cap cycles, new or changed, in one upsert: what caps decide, and for a new row the
    throttle's bookkeeping empty."""
    values = [(*(getattr(row, name) for name in STATE_FIELDS), None, 0, "", "[]") for row in rows]
    columns = [*STATE_FIELDS, *NEW_ONLY_FIELDS]
    update = ", ".join(f"{name} = excluded.{name}" for name in ["cycle_end", *CAP_FIELDS])
    bulk.upsert(CapCycle._meta.db_table, columns, values, "service_id, cycle_start", update)


def cap_decide(
    row: CapState, *, used: int, plan: Mapping[str, Any], current: bool, at: dt.datetime
) -> list[tuple[str, dict[str, Any]]]:
    """Update one service's cap cycle to `used` octets under its plan; return the events due."""
    cap = int(plan["cap_gb"]) * GB
    row.used_octets, row.cap_octets, row.action = used, cap, plan["action"]
    block_gb = plan["block_gb"] or 0
    block_amount: Decimal | None = plan["block_amount"]
    facts = {
        "service_id": plan["pk"],
        "cycle_start": row.cycle_start.isoformat(),
        "cycle_end": row.cycle_end.isoformat(),
        "used_octets": used,
        "cap_octets": cap,
        "action": row.action,
    }
    due: list[tuple[str, dict[str, Any]]] = []
    if current:
        if used >= cap and row.notified_100_at is None:
            row.notified_100_at = at
            row.notified_80_at = row.notified_80_at or at
            due.append(("usage.threshold", {**facts, "percent": 100, **_overage_terms(block_gb, block_amount, plan)}))
        elif used * 100 >= cap * WARN_PERCENT and row.notified_80_at is None:
            row.notified_80_at = at
            due.append(("usage.threshold", {**facts, "percent": WARN_PERCENT}))
    if row.action == DataCapAction.OVERAGE and block_gb and block_amount:
        blocks = blocks_over(used, cap, block_gb * GB)
        if blocks > row.overage_blocks:
            added = blocks - row.overage_blocks
            due.append(
                (
                    "usage.overage",
                    {
                        **facts,
                        "key": f"usage-overage:{plan['pk']}:{row.cycle_start.isoformat()}:{blocks}",
                        "blocks_before": row.overage_blocks,
                        "blocks": blocks,
                        "new_blocks": added,
                        "block_gb": block_gb,
                        "block_amount": str(block_amount),
                        "amount": str(line_amount(block_amount, added)),
                        "currency": plan["currency"],
                        "day": clock.local_date(at).isoformat(),
                    },
                )
            )
            row.overage_blocks = blocks
    if (
        row.action == DataCapAction.THROTTLE
        and used >= cap
        and current
        and row.throttle == CapCycle.Throttle.NONE
        and plan["status"] == Service.Status.ACTIVE
    ):
        row.throttle, row.throttled_at = CapCycle.Throttle.PENDING, at
    return due


def _overage_terms(block_gb: int, block_amount: Decimal | None, plan: Mapping[str, Any]) -> dict[str, Any]:
    if plan["action"] != DataCapAction.OVERAGE or not block_gb or block_amount is None:
        return {}
    return {"block_gb": block_gb, "block_amount": str(block_amount), "currency": plan["currency"]}
