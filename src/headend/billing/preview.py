"""The money effect of a change before anyone makes it: the lines a plan change, a suspension, a
price revision or a cancellation of a live service would put on its next invoice, beside the
lines that invoice holds without it (the same engine and rules as the bill run; nothing is
written)."""

import copy
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from headend.billing import invoicing, proration
from headend.billing.charges import label_of
from headend.billing.models import InvoiceLine, LineKind, RateChange, RateKind, Subscription
from headend.catalog.models import ProductVersion, SuspendedCharge
from headend.core import clock
from headend.core.money import ZERO, total
from headend.inventory.models import Service


@dataclass
class Preview:
    """The service's lines on its next invoice (`bill_date`) with and without the change."""

    bill_date: dt.date
    effective: dt.date
    lines: list[InvoiceLine] = field(default_factory=list)
    baseline: list[InvoiceLine] = field(default_factory=list)
    one_time: Decimal = ZERO

    @property
    def changed(self) -> list[InvoiceLine]:
        """The lines the change adds to (or alters on) the next invoice."""
        before = {(line.description, line.amount) for line in self.baseline}
        return [line for line in self.lines if (line.description, line.amount) not in before]

    @property
    def effect(self) -> Decimal:
        """How much the next invoice changes (before tax), one-time charges included."""
        return total(line.amount for line in self.lines) - total(line.amount for line in self.baseline) + self.one_time


class _Single:
    """A `Book` of one subscription (what `invoicing.recurring_lines` reads)."""

    def __init__(self, subscription: Subscription, extra: RateChange | None):
        self.rates = {subscription.pk: [*subscription.rates.order_by("occurred_at", "id"), *([extra] if extra else [])]}
        self.billed = {
            subscription.pk: list(
                InvoiceLine.objects.filter(subscription=subscription, kind=LineKind.RECURRING)
                .exclude(invoice__status="void")
                .filter(invoice__kind="invoice")
                .order_by("invoice_id", "position")
            )
        }


def _lines(subscription: Subscription, bill_date: dt.date, extra: RateChange | None, dirty: dt.date) -> list:
    subscription = copy.copy(subscription)
    subscription.dirty_from = min(filter(None, [subscription.dirty_from, dirty]))
    payer = subscription.billing_account.payer
    return invoicing.recurring_lines(subscription, _Single(subscription, extra), payer, bill_date)  # type: ignore[arg-type]


def preview_change(
    *,
    service: Service,
    mrc_amount: Decimal | None = None,
    product_version: ProductVersion | None = None,
    suspend: bool = False,
    cancel: bool = False,
    revision: bool = False,
    immediate: bool = False,
    one_time: Decimal = ZERO,
    at: dt.datetime | None = None,
) -> Preview | None:
    """What the next invoice says of `service` if, now (or `at`): it takes a new monthly price
    (and product), is suspended, is cancelled, or is re-priced by a revision. None while the
    service is not billed yet (it bills from its turn-up)."""
    subscription = (
        Subscription.objects.select_related("billing_account__parent", "service__product_version__product")
        .filter(service=service)
        .first()
    )
    if subscription is None or subscription.billable_from is None:
        return None
    at = at or clock.now()
    day = clock.local_date(at)
    payer = subscription.billing_account.payer
    bill_date = invoicing.next_bill_date(payer, day)
    dirty = min(day, bill_date)
    baseline = _lines(subscription, bill_date, None, dirty)
    product = service.product_version.product
    extra = None
    effective = day
    if cancel:
        ended = copy.copy(subscription)
        ended.billable_until = day
        lines = _lines(ended, bill_date, None, dirty)
        return Preview(bill_date, day, lines, baseline, one_time)
    if suspend:
        if product.while_suspended != SuspendedCharge.FULL:
            hold_rate = product.hold_mrc_amount if product.while_suspended == SuspendedCharge.HOLD else None
            hold = hold_rate is not None
            extra = RateChange(
                subscription=subscription,
                effective_date=day,
                occurred_at=at,
                kind=RateKind.SUSPENDED,
                mrc_amount=hold_rate if hold_rate is not None else Decimal("0.00"),
                label=f"{label_of(service)} ({'on hold' if hold else 'suspended'})",
            )
    elif mrc_amount is not None:
        kind = proration.REVISION if revision else proration.change_kind(service.mrc_amount, mrc_amount)
        effective = proration.effective_date(kind, day, bill_day=payer.bill_day, immediate=immediate)
        version = product_version or service.product_version
        extra = RateChange(
            subscription=subscription,
            effective_date=effective,
            occurred_at=at,
            kind=RateKind.ACTIVE,
            mrc_amount=mrc_amount,
            label=label_of(service, version.product),
        )
    lines = _lines(subscription, bill_date, extra, min(dirty, effective))
    return Preview(bill_date, effective, lines, baseline, one_time)
