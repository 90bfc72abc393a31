"""What a service's events mean for its bill: the rate changes and one-time charges billing keeps
for it (the handlers call these with the event's id; a second call with the same id writes
nothing). Effective dates follow billing/proration.py: upgrades, moves, suspension and restore
on the day they happen; downgrades and price revisions from the next period."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from headend.billing import proration
from headend.billing.accounts import default_billing_account
from headend.billing.models import ChargeKind, Cycle, OneTimeCharge, RateChange, RateKind, Subscription
from headend.catalog.models import Product, SuspendedCharge, TaxCategory
from headend.core import clock
from headend.core.periods import add_months
from headend.inventory.models import Service
from headend.orders.models import OrderLine


def label_of(service: Service | Any, product: Product | None = None) -> str:
    """What a line calls the service: its product, times its quantity when more than one."""
    product = product or service.product_version.product
    return product.name if service.quantity == 1 else f"{product.name} \N{MULTIPLICATION SIGN} {service.quantity}"


def _consumed(key: str) -> bool:
    return (
        RateChange.objects.filter(source_key__startswith=f"{key}:").exists()
        or OneTimeCharge.objects.filter(source_key__startswith=f"{key}:").exists()
    )


def subscription_of(service: Service, *, at: dt.datetime | None = None) -> Subscription:
    """The service's subscription, made on first need: it bills to its base service's billing
    account (an add-on), else to the customer's default one."""
    found = Subscription.objects.select_related("billing_account").filter(service=service).first()
    if found is not None:
        return found
    base = Subscription.objects.filter(service_id=service.base_service_id).first() if service.base_service_id else None
    account = base.billing_account if base else default_billing_account(account=service.account)
    at = at or clock.now()
    if account.cycle == Cycle.ANNIVERSARY and not account.subscriptions.exists():
        account.bill_day = min(clock.local_date(at).day, 28)
        account.save(update_fields=["bill_day"])
    return Subscription.objects.create(service=service, billing_account=account, created_at=clock.now())


def _mark_dirty(subscription: Subscription, day: dt.date) -> None:
    if subscription.dirty_from is None or day < subscription.dirty_from:
        subscription.dirty_from = day
        subscription.save(update_fields=["dirty_from"])


def _rate(subscription: Subscription, *, key: str, n: int, day: dt.date, at: dt.datetime, kind: str,
          mrc: Decimal, label: str, cause: str) -> RateChange:  # fmt: skip
    return RateChange.objects.create(
        subscription=subscription,
        effective_date=day,
        occurred_at=at,
        kind=kind,
        mrc_amount=mrc,
        label=label,
        cause=cause[:200],
        source_key=f"{key}:{n}",
    )


def _one_time(subscription: Subscription, *, key: str, kind: str, amount: Decimal, description: str,
              day: dt.date, cause: str, tax_category: str) -> None:  # fmt: skip
    if amount == 0:
        return
    OneTimeCharge.objects.create(
        billing_account=subscription.billing_account,
        subscription=subscription,
        kind=kind,
        description=description[:200],
        amount=amount,
        tax_category=tax_category,
        incurred_on=day,
        cause=cause[:200],
        source_key=f"{key}:charge",
        created_at=clock.now(),
    )


def _cause(order_line: OrderLine | None, fallback: str) -> str:
    return f"Order {order_line.order.number}" if order_line is not None else fallback


def _where(service: Service) -> str:
    location = service.location
    return location.name or f"{location.line1}, {location.city}"


@transaction.atomic
def record_turn_up(*, service: Service, key: str) -> Subscription | None:
    """Billable from the turn-up day at the ordered price (a promotion's price for its months
    first), and the installation charge on the next invoice."""
    if _consumed(key) or service.billable_from is None:
        return None
    at = service.billable_from
    day = clock.local_date(at)
    subscription = subscription_of(service, at=at)
    if subscription.billable_from is None:
        subscription.billable_from = day
        subscription.save(update_fields=["billable_from"])
    product = service.product_version.product
    line = service.order_line
    price = line.mrc_amount if line is not None else service.mrc_amount
    label, cause = label_of(service, product), _cause(line, f"Service {service.number}")
    if line is not None and line.promo_months and line.promo_mrc_amount is not None:
        promo = f"{label} ({line.promotion.name})" if line.promotion is not None else f"{label} (promotion)"
        _rate(subscription, key=key, n=0, day=day, at=at, kind=RateKind.PROMOTION, mrc=line.promo_mrc_amount,
              label=promo, cause=cause)  # fmt: skip
        _rate(subscription, key=key, n=1, day=add_months(day, line.promo_months), at=at, kind=RateKind.ACTIVE,
              mrc=price, label=label, cause=f"{cause}: promotion ends")  # fmt: skip
    else:
        _rate(subscription, key=key, n=0, day=day, at=at, kind=RateKind.ACTIVE, mrc=price, label=label, cause=cause)
    installation = line.nrc_amount if line is not None else service.nrc_amount
    _one_time(subscription, key=key, kind=ChargeKind.INSTALLATION, amount=installation,
              description=f"Installation: {product.name} at {_where(service)}", day=day, cause=cause,
              tax_category=product.tax_category)  # fmt: skip
    _mark_dirty(subscription, day)
    return subscription


def _price_now(subscription: Subscription, day: dt.date) -> proration.Rate | None:
    rates = proration.timeline(rate_values(subscription.rates.all()))
    found = None
    for rate in rates:
        if rate.kind in proration.PRICE and rate.effective <= day:
            found = rate
    return found


@transaction.atomic
def record_suspension(*, service: Service, at: dt.datetime, key: str) -> None:
    """While suspended the service costs nothing, its hold rate, or its full price, as its
    product says; credited by the day from the suspension's day."""
    subscription = Subscription.objects.filter(service=service).first()
    if subscription is None or _consumed(key):
        return
    product = service.product_version.product
    if product.while_suspended == SuspendedCharge.FULL:
        return
    day = clock.local_date(at)
    price = _price_now(subscription, day)
    label = price.label if price else label_of(service, product)
    if product.while_suspended == SuspendedCharge.HOLD and product.hold_mrc_amount is not None:
        mrc, label = product.hold_mrc_amount, f"{label} (on hold)"
    else:
        mrc, label = Decimal("0.00"), f"{label} (suspended)"
    _rate(subscription, key=key, n=0, day=day, at=at, kind=RateKind.SUSPENDED, mrc=mrc, label=label,
          cause="Suspended")  # fmt: skip
    _mark_dirty(subscription, day)


@transaction.atomic
def record_restore(*, service: Service, at: dt.datetime, key: str) -> None:
    subscription = Subscription.objects.filter(service=service).first()
    if subscription is None or _consumed(key):
        return
    day = clock.local_date(at)
    _rate(subscription, key=key, n=0, day=day, at=at, kind=RateKind.RESTORED, mrc=Decimal("0.00"),
          label="", cause="Restored")  # fmt: skip
    _mark_dirty(subscription, day)


@transaction.atomic
def record_change(*, service: Service, at: dt.datetime, data: dict[str, Any], key: str) -> None:
    """A plan change, move, re-term, re-rate or price revision: the new price from its effective
    date (the day for an upgrade or a move, the next period for a downgrade or a revision), and
    the order line's one-time charge (move fee, ETF of a downgrade inside its term)."""
    subscription = Subscription.objects.filter(service=service).select_related("billing_account").first()
    if subscription is None or _consumed(key):
        return
    when = dt.datetime.fromisoformat(data["at"]) if data.get("at") else at
    day = clock.local_date(when)
    line_id = data.get("order_line_id")
    line = OrderLine.objects.select_related("order").filter(pk=line_id).first() if line_id else None
    before = data.get("before") or {}
    old = Decimal(str(before.get("mrc_amount", service.mrc_amount)))
    new = Decimal(str(data["mrc_amount"])) if "mrc_amount" in data else (line.mrc_amount if line else old)
    kind = proration.REVISION if data.get("revision") else proration.change_kind(old, new)
    payer = subscription.billing_account.payer
    effective = proration.effective_date(kind, day, bill_day=payer.bill_day, immediate=bool(data.get("immediate")))
    if kind in (proration.REVISION, proration.DOWNGRADE):
        effective = _after_promotion(subscription, effective)
    product = service.product_version.product
    cause = _cause(line, data.get("reason") or "Price revision")
    _rate(subscription, key=key, n=0, day=effective, at=when, kind=RateKind.ACTIVE, mrc=new,
          label=label_of(service, product), cause=cause)  # fmt: skip
    moved = line is not None and str(before.get("location_id")) != str(line.location_id)
    if line is not None and line.nrc_amount:
        _one_time(subscription, key=key, kind=ChargeKind.MOVE if moved else ChargeKind.CHANGE, amount=line.nrc_amount,
                  description=f"{'Move' if moved else 'Change'}: {product.name} at {_where(service)}", day=day,
                  cause=cause, tax_category=product.tax_category)  # fmt: skip
    _mark_dirty(subscription, min(day, effective))


def _after_promotion(subscription: Subscription, day: dt.date) -> dt.date:
    """A revision or a downgrade that would land during a promotion waits for its end: the
    customer keeps the promised price for the promised months."""
    rates = proration.timeline(rate_values(subscription.rates.all()))
    current = next((rate for rate in reversed(rates) if rate.kind in proration.PRICE and rate.effective <= day), None)
    if current is None or current.kind != RateKind.PROMOTION:
        return day
    ends = [rate.effective for rate in rates if rate.kind == RateKind.ACTIVE and rate.effective > day]
    return min(ends) if ends else day


@transaction.atomic
def record_disconnection(*, service: Service, at: dt.datetime, key: str) -> None:
    """Billable until the disconnection day (not charged); the cancel line's one-time charges
    (the early-termination fee within the term) on the next invoice."""
    subscription = Subscription.objects.filter(service=service).first()
    if subscription is None or _consumed(key) or service.billable_until is None:
        return
    day = clock.local_date(service.billable_until)
    subscription.billable_until = day
    subscription.save(update_fields=["billable_until"])
    line = (
        OrderLine.objects.select_related("order", "quote_line")
        .filter(target_service=service, action=OrderLine.Action.DELETE)
        .order_by("-id")
        .first()
    )
    product = service.product_version.product
    if line is not None and line.nrc_amount:
        etf = line.quote_line.etf_amount if line.quote_line is not None else Decimal(0)
        cause = _cause(line, "")
        if etf:
            _one_time(subscription, key=key, kind=ChargeKind.ETF, amount=etf,
                      description=f"Early-termination fee: {product.name} at {_where(service)}", day=day, cause=cause,
                      tax_category=TaxCategory.OTHER)  # fmt: skip
        rest = line.nrc_amount - etf
        if rest:
            _one_time(subscription, key=f"{key}:rest", kind=ChargeKind.CHARGE, amount=rest,
                      description=f"Disconnection: {product.name} at {_where(service)}", day=day, cause=cause,
                      tax_category=product.tax_category)  # fmt: skip
    _mark_dirty(subscription, day)


@transaction.atomic
def record_credit(
    *, service: Service, key: str, amount: Decimal, description: str, cause: str, created_by: Any = None
) -> OneTimeCharge:
    """A credit another app decided for a service (an SLA credit support approved), on the next
    invoice of the billing account the service bills to: once per `key` (a second call returns
    the first credit). `amount` is what is credited, above zero."""
    found = OneTimeCharge.objects.filter(source_key=f"{key}:credit").select_related("billing_account").first()
    if found is not None:
        return found
    if amount <= 0:
        raise ValueError("A credit is an amount above zero.")
    subscription = subscription_of(service)
    return OneTimeCharge.objects.create(
        billing_account=subscription.billing_account,
        subscription=subscription,
        kind=ChargeKind.CREDIT,
        description=description[:200],
        amount=-amount,
        tax_category=service.product_version.product.tax_category,
        incurred_on=clock.today(),
        cause=cause[:200],
        source_key=f"{key}:credit",
        created_by=created_by if getattr(created_by, "pk", None) else None,
        created_at=clock.now(),
    )


def rate_values(rows: Any) -> list[proration.Rate]:
    """RateChange rows as the engine's values."""
    return [
        proration.Rate(
            effective=row.effective_date,
            mrc=row.mrc_amount,
            label=row.label,
            order=(row.occurred_at, row.pk or 0),
            kind=row.kind,
            cause=row.cause,
        )
        for row in rows
    ]
