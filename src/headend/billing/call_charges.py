"""Rated calls on invoices (the bill run's usage lines; billing/cdrs.py rates the calls).

Usage is billed in arrears: a payer's invoice dated D carries the rated calls, not yet billed,
of every bill cycle that ended by D, one line per service and cycle ("Voice calls Mar 1-Mar 31,
2026: 412 calls, 1,250 min, 1,000 included") whose amount is the sum of its calls' amounts
(each rounded once when rated), taxed as voice. Calls that arrive after their cycle was billed go
on the next invoice, on a line of their own cycle.

Writing the invoice marks each call with its line, guarded: a call another run billed meanwhile,
or rated again since it was read, makes the write fail (the run bills that payer one by one and
reports it; the next run bills the call), so no call is billed twice. Voiding an invoice frees
its calls for the next one."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection
from django.db.models import Count, Sum

from headend.billing import proration
from headend.billing.models import CallRecord, Invoice, InvoiceLine, LineKind, Subscription
from headend.catalog.models import TaxCategory
from headend.core.money import ZERO

REVENUE_ACCOUNT = "Income:Usage"


@dataclass
class Cycle:
    """A service's unbilled rated calls of one bill cycle, as read for a bill run."""

    subscription: Subscription
    cycle_start: dt.date
    calls: list[tuple[int, Decimal]] = field(default_factory=list)  # (id, amount as read)
    seconds: int = 0
    included: int = 0

    @property
    def amount(self) -> Decimal:
        return sum((amount for _, amount in self.calls), ZERO)


@dataclass
class Usage:
    """A usage line drafted and the calls it bills."""

    line: InvoiceLine
    calls: list[tuple[int, Decimal]]


def unbilled(account_ids: Sequence[int], *, up_to: dt.date) -> dict[int, list[Cycle]]:
    """The rated calls not yet billed of cycles starting before `up_to`, of the services billed
    to these billing accounts, by payer (two queries)."""
    rows = (
        CallRecord.objects.filter(
            subscription__billing_account_id__in=account_ids,
            status=CallRecord.Status.RATED,
            invoice_line=None,
            cycle_start__lt=up_to,
        )
        .order_by("subscription_id", "cycle_start", "started_at", "pk")
        .values_list("pk", "subscription_id", "cycle_start", "amount", "billed_seconds", "included_seconds")
    )
    cycles: dict[tuple[int, dt.date], Cycle] = {}
    for pk, subscription_id, cycle_start, amount, seconds, included in rows:
        if cycle_start is None:  # never: the filter compares it
            continue
        cycle = cycles.get((subscription_id, cycle_start))
        if cycle is None:
            cycle = cycles[(subscription_id, cycle_start)] = Cycle(Subscription(pk=subscription_id), cycle_start)
        cycle.calls.append((pk, amount))
        cycle.seconds += seconds
        cycle.included += included
    if not cycles:
        return {}
    subscriptions = {
        subscription.pk: subscription
        for subscription in Subscription.objects.filter(pk__in={key[0] for key in cycles}).select_related(
            "service__location", "service__product_version__product", "billing_account"
        )
    }
    by_payer: dict[int, list[Cycle]] = defaultdict(list)
    for cycle in cycles.values():
        cycle.subscription = subscription = subscriptions[cycle.subscription.pk]
        by_payer[subscription.billing_account.parent_id or subscription.billing_account_id].append(cycle)
    return by_payer


def minutes_text(seconds: int) -> str:
    """`1,250 min`, or `12.5 min` when not whole (to the tenth)."""
    minutes = Decimal(seconds) / 60
    if minutes == minutes.to_integral_value():
        return f"{minutes:,.0f} min"
    return f"{minutes.quantize(Decimal('0.1')):,} min"


def usage_lines(cycles: Iterable[Cycle], *, bill_date: dt.date, bill_day: int) -> list[Usage]:
    """The usage lines of the cycles that ended by `bill_date` (cycles of a payer's `bill_day`)."""
    found = []
    for cycle in cycles:
        if cycle.cycle_start >= bill_date:
            continue
        period = proration.period_containing(cycle.cycle_start, bill_day)
        last = period.end - dt.timedelta(days=1)
        count = len(cycle.calls)
        text = f"{count:,} call{'s' if count != 1 else ''}, {minutes_text(cycle.seconds)}"
        if cycle.included:
            text += f", {minutes_text(cycle.included).removesuffix(' min')} included"
        amount = cycle.amount
        service = cycle.subscription.service
        line = InvoiceLine(
            kind=LineKind.USAGE,
            description=f"Voice calls {period.start:%b %-d}\N{EN DASH}{last:%b %-d, %Y}: {text}"[:300],
            subscription=cycle.subscription,
            service=service,
            period_start=period.start,
            period_end=period.end,
            start_date=period.start,
            end_date=period.end,
            unit_amount=amount,
            amount=amount,
            tax_category=TaxCategory.VOICE,
            cause=f"Service {service.number}: {count:,} calls"[:200],
            revenue_account=REVENUE_ACCOUNT,
        )
        found.append(Usage(line, cycle.calls))
    return found


def mark_billed(usages: Iterable[Usage]) -> None:
    """Mark each usage line's calls billed by it, one statement. Raises IntegrityError when a call
    was billed or rated again since it was read (nothing of the invoice is kept)."""
    amount_field = CallRecord._meta.get_field("amount")
    rows = [
        [usage.line.pk, pk, amount_field.get_db_prep_save(amount, connection)]
        for usage in usages
        for pk, amount in usage.calls
    ]
    if not rows:
        return
    table = connection.ops.quote_name(CallRecord._meta.db_table)
    sql = (
        f"UPDATE {table} SET invoice_line_id = %s "  # noqa: S608 (the table's name; values are parameters)
        f"WHERE id = %s AND invoice_line_id IS NULL AND amount = %s AND status = '{CallRecord.Status.RATED}'"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        marked = cursor.rowcount
    if marked != len(rows):
        raise IntegrityError(
            f"{len(rows) - marked} of {len(rows)} calls were billed or rated again while the invoice was written."
        )


def release(invoice: Invoice) -> int:
    """A voided invoice's calls wait for the next one; returns how many."""
    return CallRecord.objects.filter(invoice_line__invoice=invoice).update(invoice_line=None)


def usage_detail(invoice: Invoice) -> list[dict[str, Any]]:
    """What the invoice's usage lines billed, by destination: calls, minutes, included, amount."""
    found = (
        CallRecord.objects.filter(invoice_line__invoice=invoice)
        .values("invoice_line_id", "destination_name")
        .annotate(
            calls=Count("id"), seconds=Sum("billed_seconds"), included=Sum("included_seconds"), amount=Sum("amount")
        )
        .order_by("invoice_line_id", "destination_name")
    )
    rows = list(found)
    if not rows:
        return []
    lines = {line.pk: line for line in InvoiceLine.objects.filter(invoice=invoice, kind=LineKind.USAGE)}
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["invoice_line_id"]].append(
            {
                "destination": row["destination_name"],
                "calls": row["calls"],
                "minutes": minutes_text(row["seconds"] or 0),
                "included": minutes_text(row["included"] or 0) if row["included"] else "",
                "amount": row["amount"] or ZERO,
            }
        )
    return [{"line": lines[pk], "destinations": destinations} for pk, destinations in grouped.items() if pk in lines]
