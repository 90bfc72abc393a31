"""SLA credits: after an outage ends, a credit is proposed for each business service it impacted
whose product version promises an availability the service then missed for the month; billing
or finance approve it (billing books it as a credit on the next invoice) or reject it.

- The month measured is the calendar month, where the provider is, in which the service's
  outage ended; its availability is inventory/availability.py's over the whole month the service
  existed in (the rest of a month not over yet counts as up), planned maintenance not counted.
- The credit owed for the month is the credit percent of the lowest level of the version's table
  the availability is under, times the month's charge (the service's MRC when the outage hit it),
  rounded half-up to the cent once. A later outage in the same month proposes only what is owed
  beyond the credits already proposed, approved or applied for that service and month (never a
  negative amount; nothing when nothing more is owed).
- One credit per service and outage: handling the same outage again proposes nothing twice.
- Approving books the credit through billing once (a second approval changes nothing); with an
  external biller keeping the book, it stays approved, to be credited there."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from headend.billing import charges as billing_charges
from headend.billing import invoicing as billing_invoicing
from headend.catalog.sla_terms import credit_percent_for
from headend.core import clock, events
from headend.core.errors import Conflict, NotFound
from headend.core.ids import parse_id
from headend.core.models import OutboxEvent
from headend.core.money import ZERO, line_amount, total
from headend.core.permissions import require
from headend.crm.models import Account
from headend.inventory.availability import service_month_availability
from headend.inventory.models import Service, ServiceOutage
from headend.network.models import Outage
from headend.support.models import SlaCredit

COUNTED = (SlaCredit.Status.PROPOSED, SlaCredit.Status.APPROVED, SlaCredit.Status.APPLIED)
HUNDRED = Decimal(100)


# --- The arithmetic ----------------------------------------------------------------------------


def month_credit(*, mrc: Decimal, credit_percent: Decimal) -> Decimal:
    """`credit_percent` of a month's charge, rounded half-up to the cent once."""
    return line_amount(mrc, 1, credit_percent / HUNDRED)


def increment(*, owed: Decimal, already: Decimal) -> Decimal:
    """What is still to propose for a month: what it owes less what was proposed, approved or
    applied for it already; never below zero."""
    return max(owed - already, ZERO)


def _month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month holding `day`."""
    first = day.replace(day=1)
    return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


# --- Proposing ---------------------------------------------------------------------------------


def _promises(service: Service) -> bool:
    version = service.product_version
    return (
        service.account.kind == Account.Kind.BUSINESS
        and version.availability_target is not None
        and bool(version.availability_credits)
    )


@transaction.atomic
def sla_credits_propose(*, outage: Outage, at: dt.datetime | None = None) -> list[SlaCredit]:
    """Propose the credits an ended unplanned outage owes (see the module docstring); return
    those proposed now. Planned maintenance, an outage still open, a residential service or a
    version that promises nothing proposes none."""
    at = at or clock.now()
    outage = Outage.objects.get(pk=outage.pk)
    if outage.kind != Outage.Kind.UNPLANNED or outage.status != Outage.Status.RESOLVED:
        return []
    impacts = (
        ServiceOutage.objects.filter(outage=outage)
        # Only what may promise (checked fully below): residential services and versions without
        # a target are never read, so a big residential outage costs one query here.
        .filter(account__kind=Account.Kind.BUSINESS, service__product_version__availability_target__isnull=False)
        .select_related("service__account", "service__product_version")
        .order_by("service_id")
    )
    proposed = []
    for impact in impacts:
        service = impact.service
        if not _promises(service):
            continue
        # The service's row, locked: two outages ending together add up, never both propose the
        # same month's credit.
        Service.objects.select_for_update().filter(pk=service.pk).first()
        if SlaCredit.objects.filter(service=service, outage=outage).exists():
            continue
        credit = _propose(impact=impact, service=service, outage=outage, at=at)
        if credit is not None:
            proposed.append(credit)
    return proposed


def _propose(*, impact: ServiceOutage, service: Service, outage: Outage, at: dt.datetime) -> SlaCredit | None:
    ended = impact.ended_at or outage.ended_at or at
    period_start, period_end = _month_bounds(clock.local_date(ended))
    figure = service_month_availability(service=service, month=period_start, at=at)
    if figure is None:
        return None
    version = service.product_version
    target = version.availability_target
    assert target is not None  # _promises() checked it
    credit_percent = credit_percent_for(figure.percent, version.availability_credits)
    if not credit_percent:
        return None
    owed = month_credit(mrc=impact.mrc_amount, credit_percent=credit_percent)
    # Summed here, exactly: SQLite sums decimals as floats.
    already = total(
        SlaCredit.objects.filter(service=service, period_start=period_start, status__in=COUNTED).values_list(
            "amount", flat=True
        )
    )
    amount = increment(owed=owed, already=already)
    if amount == ZERO:
        return None
    credit = SlaCredit(
        service=service,
        outage=outage,
        period_start=period_start,
        period_end=period_end,
        availability_percent=figure.percent,
        target_percent=target,
        credit_percent=credit_percent,
        amount=amount,
        currency=impact.currency,
        created_at=at,
    )
    credit.full_clean()
    credit.save()
    events.emit(
        "sla_credit.proposed",
        subject=credit,
        data={
            "service_id": service.pk,
            "outage_id": outage.pk,
            "amount": str(amount),
            "availability_percent": str(figure.percent),
        },
    )
    return credit


@events.subscribe("outage.ended")
def on_outage_ended(event: OutboxEvent) -> None:
    """An outage closed: propose what it owes."""
    if event.subject_type != "network.outage":
        return
    outage = Outage.objects.filter(pk=event.subject_id).first()
    if outage is not None:
        sla_credits_propose(outage=outage, at=event.occurred_at)


# --- Deciding ----------------------------------------------------------------------------------


def _locked(credit: SlaCredit) -> SlaCredit:
    return (
        SlaCredit.objects.select_for_update(of=("self",))
        .select_related("service__product_version__product", "outage")
        .get(pk=credit.pk)
    )


@transaction.atomic
def sla_credit_approve(*, credit: SlaCredit, decided_by: Any) -> SlaCredit:
    """Approve a proposed credit and book it through billing, as a credit on the next invoice
    of the account the service bills to. Approving again books nothing twice; a rejected credit
    is a Conflict."""
    require(decided_by, "sla_credit.decide")
    credit = _locked(credit)
    if credit.status == SlaCredit.Status.REJECTED:
        raise Conflict("This credit was rejected; it cannot be approved.", field="status", code="credit_rejected")
    if credit.status == SlaCredit.Status.APPLIED:
        return credit
    now = clock.now()
    if credit.status == SlaCredit.Status.PROPOSED:
        credit.status, credit.decided_by, credit.decided_at = SlaCredit.Status.APPROVED, decided_by, now
        credit.save(update_fields=["status", "decided_by", "decided_at"])
        events.emit("sla_credit.approved", subject=credit, data={"amount": str(credit.amount)})
    try:
        billing_invoicing.external_biller_refuses()
    except Conflict:
        return credit  # approved: the external biller keeps the book, credit it there
    service = credit.service
    month = credit.period_start.strftime("%B %Y")
    charge = billing_charges.record_credit(
        service=service,
        key=f"sla-credit:{credit.pk}",
        amount=credit.amount,
        description=(
            f"SLA credit: {service.product_version.product.name} {service.number}, "
            f"{credit.availability_percent} % available in {month}"
        ),
        cause=f"Outage {credit.outage_id}",
        created_by=decided_by,
    )
    credit.status = SlaCredit.Status.APPLIED
    credit.billing_reference = f"{charge.billing_account.number} charge {charge.pk}"
    credit.save(update_fields=["status", "billing_reference"])
    events.emit("sla_credit.applied", subject=credit, data={"charge_id": charge.pk, "amount": str(credit.amount)})
    return credit


@transaction.atomic
def sla_credit_reject(*, credit: SlaCredit, decided_by: Any) -> SlaCredit:
    """Reject a proposed credit (nothing is booked). Only a proposed credit can be rejected."""
    require(decided_by, "sla_credit.decide")
    credit = _locked(credit)
    if credit.status == SlaCredit.Status.REJECTED:
        return credit
    if credit.status != SlaCredit.Status.PROPOSED:
        raise Conflict(
            f"This credit is {credit.get_status_display().lower()}; only a proposed one can be rejected.",
            field="status",
            code="credit_decided",
        )
    credit.status, credit.decided_by, credit.decided_at = SlaCredit.Status.REJECTED, decided_by, clock.now()
    credit.save(update_fields=["status", "decided_by", "decided_at"])
    events.emit("sla_credit.rejected", subject=credit, data={"amount": str(credit.amount)})
    return credit


# --- Reading -----------------------------------------------------------------------------------


def sla_credit_list(*, status: str = "") -> models.QuerySet[SlaCredit]:
    """Credits newest first, of one status when given, with their service, account and outage."""
    credits = SlaCredit.objects.select_related(
        "service__account", "service__product_version__product", "outage__element", "decided_by"
    )
    if status:
        credits = credits.filter(status=status)
    return credits.order_by("-created_at", "-id")


def sla_credit_get(*, credit_id: Any) -> SlaCredit:
    credit = sla_credit_list().filter(pk=parse_id(credit_id)).first()
    if credit is None:
        raise NotFound("No such SLA credit.", field="id")
    return credit
