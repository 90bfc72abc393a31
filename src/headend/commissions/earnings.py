"""What reps earn: on booking (an accepted quote's order), on turn-up, the recurring share each
month, and the clawback when the customer leaves early; each batch posted to billing's ledger as
commission expense (debit) against commission payable (credit), a clawback the other way.

Every earning is written once: (source_key, rep) is unique and the keys name what was earned
(`booking:<service>`, `turn_up:<service>`, `recurring:<service>:<YYYY-MM>`,
`clawback:<earning>`), so a replayed event or a second run of a month writes nothing, not even a
journal entry (an entry is keyed by the first earning it posts).

A sale is commissioned when its order comes from an accepted quote and a plan covers its
product on the day the order was booked; that plan governs all it earns. An order placed
without a quote (`order_create`) credits nobody: no quote, no opportunity, no rep.

The clawback follows `service.disconnected`, not `service.pending_disconnect`: a requested
disconnection can still be called off (back to active, a save by retention), and a clawback
taken back would be two more lines on the rep's statement and two more journal entries for
nothing. The window is measured to the day the customer asked (the pending-disconnect step, when
there was one), so a slow truck roll does not save a commission. It reverses every earning of
the sale, one negative line each: the booking, the turn-up and every recurring month accrued so
far; no recurring month is accrued after it. A service disconnected before it ever turned up
(an order cancelled) gives back its booking. Suspended months still accrue (the sale stands)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from headend.billing import ledger
from headend.billing.models import JournalEntry
from headend.core import clock
from headend.core.errors import ValidationError
from headend.core.money import ZERO, default_currency
from headend.core.periods import add_months
from headend.core.permissions import require
from headend.inventory.models import Service, ServiceStatusChange
from headend.orders.models import Order

from . import rules
from .models import AccrualRun, Basis, Deal, Earning
from .plans import MAX_RECURRING_MONTHS, plan_for, plans_in_force
from .splits import credited, quote_owner, splits_of

EXPENSE = "Expenses:Commissions"
PAYABLE = "Liabilities:CommissionsPayable"


@dataclass(frozen=True)
class Due:
    """One trigger of one sale: the whole it pays, before it is split between the reps."""

    deal_id: int
    opportunity_id: int
    owner_id: int | None
    kind: str
    basis: str
    rate: Decimal
    mrr: Decimal
    currency: str
    key: str
    earned_on: dt.date


# --- Booking and turn-up (the outbox handlers call these) -------------------------------------


@transaction.atomic
def order_booked(*, order_id: int) -> list[Earning]:
    """An order from an accepted quote was booked: a deal for each service it adds whose product a
    plan covers on the booking day, and what each plan pays on booking. Returns the new earnings
    (none for an order without a quote, or a second time)."""
    order = Order.objects.select_related("quote__created_by", "quote__opportunity__owner").filter(pk=order_id).first()
    if order is None or order.quote is None:
        return []
    services = list(
        Service.objects.filter(order_line__order=order).select_related("order_line", "product_version__product")
    )
    deals = _deals_for(order, services)
    dues = []
    for service in services:
        deal = deals.get(service.pk)
        if deal is None or service.order_line is None or deal.plan.booking_basis == Basis.NONE:
            continue
        plan, mrr = deal.plan, service.order_line.mrc_amount  # the line's MRR as booked
        dues.append(
            _due(deal, Earning.Kind.BOOKING, plan.booking_basis, plan.booking_value, mrr, service.currency,
                 key=f"booking:{service.pk}", earned_on=deal.booked_on)
        )  # fmt: skip
    return _write(dues, date=clock.local_date(order.created_at), memo=f"Commissions on booking {order.number}")


@transaction.atomic
def service_turned_up(*, service_id: int, at: dt.datetime) -> list[Earning]:
    """A commissioned service turned up: its deal starts its recurring months, and its plan pays
    on turn-up a share of the service's MRR or a fixed amount. Returns the new earnings."""
    service = (
        Service.objects.select_related(
            "order_line__order__quote__created_by", "order_line__order__quote__opportunity__owner",
            "product_version__product",
        )
        .filter(pk=service_id)
        .first()
    )  # fmt: skip
    if service is None:
        return []
    deal = Deal.objects.select_for_update().select_related("plan").filter(service=service).first()
    if deal is None and service.order_line is not None:
        # Booked before its booking reached us (or before commissions were kept): made now.
        deal = _deals_for(service.order_line.order, [service]).get(service.pk)
    if deal is None:
        return []
    turned_up_on = clock.local_date(service.activated_at or at)
    if deal.turned_up_on is None:
        deal.turned_up_on = turned_up_on
        deal.save(update_fields=["turned_up_on"])
    plan = deal.plan
    if plan.turn_up_basis == Basis.NONE:
        return []
    due = _due(deal, Earning.Kind.TURN_UP, plan.turn_up_basis, plan.turn_up_value, service.mrc_amount,
               service.currency, key=f"turn_up:{service.pk}", earned_on=deal.turned_up_on)  # fmt: skip
    return _write([due], date=deal.turned_up_on, memo=f"Commissions on turn-up of {service.number}")


@transaction.atomic
def service_disconnected(*, service_id: int, at: dt.datetime) -> list[Earning]:
    """A commissioned service was disconnected: no more recurring months; and if the customer
    asked to leave within the plan's clawback months of turn-up (or it never turned up),
    everything the sale earned is clawed back, one negative line per earning. Returns the
    clawbacks (none a second time)."""
    deal = Deal.objects.select_for_update().select_related("plan", "service").filter(service_id=service_id).first()
    if deal is None or deal.clawed_back_on is not None:
        return []
    service = deal.service
    gone_on = clock.local_date(service.billable_until or at)
    asked_at = (
        ServiceStatusChange.objects.filter(service=service, to_status=Service.Status.PENDING_DISCONNECT)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    asked_on = clock.local_date(asked_at) if asked_at is not None else gone_on
    deal.disconnected_on = deal.disconnected_on or gone_on
    fields = ["disconnected_on"]
    made: list[Earning] = []
    if rules.claws_back(turned_up_on=deal.turned_up_on, asked_on=asked_on, months=deal.plan.clawback_months):
        deal.clawed_back_on = gone_on
        fields.append("clawed_back_on")
        made = _claw_back(deal, on=gone_on)
    deal.save(update_fields=fields)
    return made


def _claw_back(deal: Deal, *, on: dt.date) -> list[Earning]:
    originals = (
        Earning.objects.filter(deal=deal, amount__gt=0, reversed_by__isnull=True)
        .exclude(kind=Earning.Kind.CLAWBACK)
        .order_by("id")
    )
    now = clock.now()
    made = [
        Earning(
            rep_id=original.rep_id,
            deal=deal,
            kind=Earning.Kind.CLAWBACK,
            month=rules.month_start(on),
            earned_on=on,
            basis=original.basis,
            rate=original.rate,
            basis_amount=original.basis_amount,
            share_percent=original.share_percent,
            amount=-original.amount,
            currency=original.currency,
            source_key=f"clawback:{original.pk}",
            reverses=original,
            created_at=now,
        )
        for original in originals
    ]
    _post(made, date=on, memo=f"Commissions clawed back: {deal.service.number} disconnected")
    return Earning.objects.bulk_create(made)


def _deals_for(order: Order, services: Sequence[Service]) -> dict[int, Deal]:
    """The deal of each service (by service id) whose product a plan covers on the day the order
    was booked, made for those that have none yet."""
    deals = {deal.service_id: deal for deal in Deal.objects.select_related("plan").filter(service__in=services)}
    booked_on = clock.local_date(order.created_at)
    plans = plans_in_force(on=[booked_on])
    owner = quote_owner(order.quote) if order.quote is not None else None
    now = clock.now()
    new = []
    for service in services:
        if service.pk in deals or order.quote is None:
            continue
        plan = plan_for(plans, product=service.product_version.product, on=booked_on)
        if plan is not None:
            new.append(
                Deal(
                    service=service,
                    plan=plan,
                    opportunity_id=order.quote.opportunity_id,
                    owner=owner,
                    booked_on=booked_on,
                    created_at=now,
                )
            )
    for deal in Deal.objects.bulk_create(new):
        deals[deal.service_id] = deal
    return deals


def _due(
    deal: Deal, kind: str, basis: str, rate: Decimal, mrr: Decimal, currency: str, *, key: str, earned_on: dt.date
) -> Due:
    return Due(deal.pk, deal.opportunity_id, deal.owner_id, kind, basis, rate, mrr, currency, key, earned_on)


# --- The recurring share (the monthly job) -----------------------------------------------------


def accrue(*, month: dt.date, accrued_by: Any = None) -> list[Earning]:
    """Accrue the recurring share for `month` (any day of it; the month must have ended): for
    each commissioned service in one of its plan's first N months and not disconnected before the
    month began, the plan's share of the service's MRR, split between the reps. Returns the new
    earnings; running it again for the month writes only what was not there (a late turn-up).

    `accrued_by` is who asked (None: the worker's monthly job). Raises Forbidden, or
    ValidationError (`month`) for a month that has not ended."""
    if accrued_by is not None:
        require(accrued_by, "commission.manage")
    month = rules.month_start(month)
    last_day = rules.month_end(month)
    if last_day >= clock.today():
        raise ValidationError(
            f"{month:%B %Y} has not ended yet: accrue a month once it is over.", field="month", code="month_not_over"
        )
    with transaction.atomic():
        run, _ = AccrualRun.objects.get_or_create(month=month, defaults={"accrued_at": clock.now()})
        run = AccrualRun.objects.select_for_update().get(pk=run.pk)  # one run of a month at a time
        rows = (
            Deal.objects.filter(
                turned_up_on__lte=last_day,
                turned_up_on__gte=add_months(month, 1 - MAX_RECURRING_MONTHS),
                clawed_back_on=None,
                plan__recurring_percent__gt=0,
            )
            .filter(Q(disconnected_on=None) | Q(disconnected_on__gte=month))
            .order_by("pk")
            .values_list(
                "pk", "service_id", "opportunity_id", "owner_id", "turned_up_on", "disconnected_on",
                "plan__recurring_percent", "plan__recurring_months", "service__mrc_amount", "service__currency",
            )
        )  # fmt: skip
        dues = [
            Due(pk, opportunity_id, owner_id, Earning.Kind.RECURRING, Basis.PERCENT, percent, mrr, currency,
                f"recurring:{service_id}:{month:%Y-%m}", last_day)
            for pk, service_id, opportunity_id, owner_id, turned_up_on, gone_on, percent, months, mrr, currency in rows
            if turned_up_on is not None
            and rules.earns_recurring(turned_up_on=turned_up_on, disconnected_on=gone_on, month=month, months=months)
        ]  # fmt: skip
        made = _write(dues, date=last_day, memo=f"Recurring commissions for {month:%B %Y}")
        run.accrued_at = clock.now()
        run.earnings += len(made)
        run.save(update_fields=["accrued_at", "earnings"])
    return made


def previous_month(today: dt.date) -> dt.date:
    """The month that ended last before `today`."""
    return add_months(today.replace(day=1), -1)


# --- Writing and posting ------------------------------------------------------------------------


def _write(dues: Sequence[Due], *, date: dt.date, memo: str) -> list[Earning]:
    """Split each due between the reps credited for its sale, write the earnings not written
    before (by key and rep) and post them. Zero amounts are not written."""
    if not dues:
        return []
    splits = splits_of(opportunity_ids={due.opportunity_id for due in dues})
    written = set(Earning.objects.filter(source_key__in={due.key for due in dues}).values_list("source_key", "rep_id"))
    fixed_currency = default_currency()
    now = clock.now()
    new = []
    for due in dues:
        if due.basis == Basis.FIXED and due.currency != fixed_currency:
            continue  # a fixed amount is in the provider's currency
        whole = rules.trigger_amount(basis=due.basis, rate=due.rate, mrr=due.mrr)
        reps = credited(splits.get(due.opportunity_id), owner_id=due.owner_id)
        if whole <= 0 or not reps:
            continue
        amounts = rules.split(whole, [share for _, share in reps])
        for (rep_id, share), amount in zip(reps, amounts, strict=True):
            if amount == 0 or (due.key, rep_id) in written:
                continue
            new.append(
                Earning(
                    rep_id=rep_id,
                    deal_id=due.deal_id,
                    kind=due.kind,
                    month=rules.month_start(due.earned_on),
                    earned_on=due.earned_on,
                    basis=due.basis,
                    rate=due.rate,
                    basis_amount=due.mrr if due.basis == Basis.PERCENT else ZERO,
                    share_percent=share,
                    amount=amount,
                    currency=due.currency,
                    source_key=due.key,
                    created_at=now,
                )
            )
    _post(new, date=date, memo=memo)
    return Earning.objects.bulk_create(new)


def _post(earnings: Sequence[Earning], *, date: dt.date, memo: str) -> None:
    """One balanced journal entry per currency for `earnings` (about to be written): the total to
    commission expense and payable (a negative total, a clawback, the other way); each earning
    names its entry. An entry is keyed by its first earning's key and rep, written once."""
    by_currency: dict[str, list[Earning]] = defaultdict(list)
    for earning in earnings:
        by_currency[earning.currency].append(earning)
    for currency, group in sorted(by_currency.items()):
        amount = sum((earning.amount for earning in group), ZERO)
        if amount == 0:
            continue
        postings = ledger.Postings()
        postings.add(EXPENSE, amount)
        postings.add(PAYABLE, -amount)
        entry = ledger.post(
            key=f"commission:{group[0].source_key}:{group[0].rep_id}",
            date=date,
            kind=JournalEntry.Kind.COMMISSION,
            memo=memo,
            currency=currency,
            postings=postings,
        )
        for earning in group:
            earning.journal_entry = entry
