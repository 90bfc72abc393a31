"""What billing staff do to invoices and charges: credit notes (the only way to correct an invoice
once it is final), voids, sending, one-time charges and credits, and price revisions."""

import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction

from headend.billing import call_charges, invoicing, ledger
from headend.billing.models import (
    BillingAccount,
    ChargeKind,
    Invoice,
    InvoiceLine,
    LineKind,
    OneTimeCharge,
    Subscription,
)
from headend.catalog.models import TaxCategory
from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.money import round_cents, total
from headend.core.numbers import parse_amount
from headend.core.permissions import require
from headend.inventory import services as inventory_services
from headend.inventory.models import Service

OPEN = (Invoice.Status.FINALISED, Invoice.Status.SENT, Invoice.Status.PARTIALLY_PAID)


def _lock(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why: the customer and the auditors read it.", field="reason", code="required")
    return reason[:200]


def credited_so_far(invoice: Invoice) -> Decimal:
    """What finalised credit notes have taken off `invoice` (a positive amount)."""
    notes = invoice.credit_notes.exclude(status__in=(Invoice.Status.DRAFT, Invoice.Status.VOID))
    return -total(note.total_amount for note in notes)


@transaction.atomic
def credit_note_create(*, invoice: Invoice, created_by: Any, reason: str, amount: Any) -> Invoice:
    """A draft credit note of `amount` (before tax) against a final invoice; the invoice's taxes
    are credited in proportion. Never more than what is left to credit."""
    require(created_by, "billing.manage")
    invoice = _lock(invoice)
    invoicing.external_biller_refuses(invoice)
    reason = _reason(reason)
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status not in (*OPEN, Invoice.Status.SETTLED):
        raise Conflict("Only a final invoice that is not void can be credited.", field="status", code="not_creditable")
    credit = parse_amount(amount, field="amount", minimum=Decimal("0.01"))
    # Drafts count too, so two drafts cannot credit the same money twice.
    notes = invoice.credit_notes.exclude(status=Invoice.Status.VOID)
    left = invoice.subtotal_amount + total(note.subtotal_amount for note in notes)
    if credit > left:
        raise ValidationError(
            f"At most {left} is left to credit on {invoice.number} (before tax).",
            field="amount",
            code="too_much",
        )
    today = clock.today()
    note = Invoice.objects.create(
        kind=Invoice.Kind.CREDIT_NOTE,
        billing_account=invoice.billing_account,
        bill_date=today,
        due_date=today,
        currency=invoice.currency,
        corrects=invoice,
        reason=reason,
        created_at=clock.now(),
    )
    lines = [
        InvoiceLine(
            invoice=note,
            position=1,
            kind=LineKind.ONE_TIME,
            description=f"Credit on {invoice.number}: {reason}",
            unit_amount=-credit,
            amount=-credit,
            tax_category=TaxCategory.OTHER,
            cause=f"Invoice {invoice.number}",
            revenue_account="Income:Credits",
        )
    ]
    share = credit / invoice.subtotal_amount if invoice.subtotal_amount else Decimal(0)
    credited_tax: dict[str, Decimal] = {}
    for earlier in InvoiceLine.objects.filter(invoice__in=notes, kind=LineKind.TAX):
        credited_tax[earlier.jurisdiction] = credited_tax.get(earlier.jurisdiction, Decimal(0)) - earlier.amount
    for tax in invoice.lines.filter(kind=LineKind.TAX).order_by("position"):
        # In proportion, never more than the tax left on the invoice (the last credit takes the rest).
        left_tax = tax.amount - credited_tax.get(tax.jurisdiction, Decimal(0))
        amount_off = left_tax if credit == left else min(round_cents(tax.amount * share), left_tax)
        if amount_off:
            lines.append(
                InvoiceLine(
                    invoice=note,
                    position=len(lines) + 1,
                    kind=LineKind.TAX,
                    description=tax.description,
                    unit_amount=-amount_off,
                    amount=-amount_off,
                    tax_category=tax.tax_category,
                    jurisdiction=tax.jurisdiction,
                    tax_rate=tax.tax_rate,
                    taxable_amount=-round_cents((tax.taxable_amount or Decimal(0)) * share),
                )
            )
    InvoiceLine.objects.bulk_create(lines)
    _totals(note)
    events.emit("credit_note.created", subject=note, data={"invoice": invoice.number, "amount": str(credit)})
    return note


def _totals(invoice: Invoice) -> None:
    lines = list(invoice.lines.all())
    invoice.subtotal_amount = total(line.amount for line in lines if line.kind != LineKind.TAX)
    invoice.tax_amount = total(line.amount for line in lines if line.kind == LineKind.TAX)
    invoice.total_amount = invoice.amount_due = invoice.subtotal_amount + invoice.tax_amount
    invoice.save(update_fields=["subtotal_amount", "tax_amount", "total_amount", "amount_due"])


@transaction.atomic
def credit_note_finalise(*, credit_note: Invoice, finalised_by: Any) -> Invoice:
    """Number the credit note, post it, and take it off what its invoice still owes."""
    require(finalised_by, "billing.manage")
    note = _lock(credit_note)
    invoicing.external_biller_refuses(note)
    if note.kind != Invoice.Kind.CREDIT_NOTE:
        raise Conflict("Invoices are finalised by bill runs.", field="kind", code="not_credit_note")
    note.check_transition(Invoice.Status.FINALISED)
    if note.corrects is None:
        raise Conflict("A credit note corrects an invoice.", field="corrects", code="required")
    invoice = _lock(note.corrects)
    if invoice.status == Invoice.Status.VOID:
        raise Conflict(f"{invoice.number} was voided meanwhile.", field="status", code="invoice_void")
    (note.number,) = invoicing.take_numbers(Invoice.Kind.CREDIT_NOTE, 1)
    note.status, note.finalised_at = Invoice.Status.FINALISED, clock.now()
    note.save(update_fields=["number", "status", "finalised_at"])
    ledger.post_invoice(note)
    applied = min(invoice.amount_due, -note.total_amount)
    if applied > 0:
        invoice.amount_due -= applied
        note.amount_due += applied
        note.save(update_fields=["amount_due"])
        if invoice.amount_due == 0 and invoice.can_transition(Invoice.Status.SETTLED):
            invoice.status = Invoice.Status.SETTLED
        invoice.save(update_fields=["amount_due", "status"])
    events.emit("invoice.finalised", subject=note, data={"number": note.number, "corrects": invoice.number})
    return note


@transaction.atomic
def invoice_void(*, invoice: Invoice, voided_by: Any, reason: str) -> Invoice:
    """Cancel a final invoice nothing was paid or credited on: its ledger entry is reversed, and
    its charges and days go on the next invoice as if it had never been."""
    require(voided_by, "billing.manage")
    invoice = _lock(invoice)
    invoicing.external_biller_refuses(invoice)
    reason = _reason(reason)
    if invoice.kind != Invoice.Kind.INVOICE:
        raise Conflict("A credit note is not voided; credit the invoice again instead.", field="kind")
    invoice.check_transition(Invoice.Status.VOID)
    later = InvoiceLine.objects.filter(
        kind=LineKind.RECURRING,
        invoice__kind=Invoice.Kind.INVOICE,
        invoice__id__gt=invoice.pk,
        subscription__invoice_lines__invoice=invoice,
        period_start__in=invoice.lines.filter(kind=LineKind.RECURRING).values("period_start"),
    ).exclude(invoice__status=Invoice.Status.VOID)
    if later.exists():
        raise Conflict(
            "A later invoice already corrects days this one billed: void that one first, or credit this one.",
            field="status",
            code="billed_again",
        )
    if invoice.amount_due != invoice.total_amount or credited_so_far(invoice):
        raise Conflict(
            "Something was paid or credited on this invoice: correct it with a credit note.",
            field="status",
            code="not_voidable",
        )
    invoice.status, invoice.voided_at, invoice.reason, invoice.amount_due = (
        Invoice.Status.VOID,
        clock.now(),
        reason,
        Decimal(0),
    )
    invoice.save(update_fields=["status", "voided_at", "reason", "amount_due"])
    ledger.post_void(invoice)
    OneTimeCharge.objects.filter(invoice_line__invoice=invoice).update(invoice_line=None)
    call_charges.release(invoice)
    for line in invoice.lines.filter(kind=LineKind.RECURRING).values("subscription_id", "period_start"):
        subscription = Subscription.objects.select_for_update().get(pk=line["subscription_id"])
        start = line["period_start"]
        if start is not None and (subscription.dirty_from is None or start < subscription.dirty_from):
            subscription.dirty_from = start
            subscription.save(update_fields=["dirty_from"])
    events.emit("invoice.voided", subject=invoice, data={"number": invoice.number, "reason": reason})
    return invoice


@transaction.atomic
def invoice_send(*, invoice: Invoice, sent_by: Any = None) -> Invoice:
    """Mark a final invoice sent (the email went out, or staff sent it by hand); sending again
    changes nothing."""
    if sent_by is not None:
        require(sent_by, "billing.manage")
    invoice = _lock(invoice)
    if invoice.sent_at is not None or invoice.status != Invoice.Status.FINALISED:
        return invoice
    invoice.status, invoice.sent_at = Invoice.Status.SENT, clock.now()
    invoice.save(update_fields=["status", "sent_at"])
    events.emit("invoice.sent", subject=invoice, data={"number": invoice.number})
    return invoice


@transaction.atomic
def invoice_update(*, invoice: Invoice, updated_by: Any, **fields: Any) -> Invoice:
    """Change a draft (a credit note's reason or date); a final invoice never changes."""
    require(updated_by, "billing.manage")
    invoice = _lock(invoice)
    invoicing.external_biller_refuses(invoice)
    if invoice.is_final:
        raise Conflict(
            f"{invoice.display_number} is final: correct it with a credit note.", field="status", code="invoice_final"
        )
    allowed = {"reason", "bill_date", "due_date"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]} cannot be changed.", field=sorted(unknown)[0])
    if "reason" in fields:
        fields["reason"] = _reason(fields["reason"])
    for name, value in fields.items():
        setattr(invoice, name, value)
    invoice.save(update_fields=list(fields))
    return invoice


@transaction.atomic
def charge_add(
    *,
    billing_account: BillingAccount,
    created_by: Any,
    description: str,
    amount: Any,
    kind: str = "",
    service: Service | None = None,
) -> OneTimeCharge:
    """A one-time charge (or, negative, a credit) on the next invoice of `billing_account`."""
    require(created_by, "billing.manage")
    invoicing.external_biller_refuses()  # no bill run of Headend's would ever invoice it
    description = (description or "").strip()
    if not description:
        raise ValidationError("What is it for? It is printed on the invoice.", field="description", code="required")
    value = parse_amount(amount, field="amount", minimum=Decimal("-99999999.99"))
    if value == 0:
        raise ValidationError("An amount of zero changes nothing.", field="amount", code="zero")
    subscription = None
    if service is not None:
        subscription = Subscription.objects.filter(service=service, billing_account=billing_account).first()
        if subscription is None:
            raise ValidationError(
                f"{service.number} does not bill to {billing_account.number}.", field="service", code="other_account"
            )
    kind = kind or (ChargeKind.CREDIT if value < 0 else ChargeKind.CHARGE)
    if kind not in ChargeKind.values:
        raise ValidationError(f"{kind!r} is not a kind of charge.", field="kind", code="invalid_choice")
    charge = OneTimeCharge.objects.create(
        billing_account=billing_account,
        subscription=subscription,
        kind=kind,
        description=description[:200],
        amount=value,
        tax_category=service.product_version.product.tax_category if service else TaxCategory.OTHER,
        incurred_on=clock.today(),
        cause=f"Added by {created_by}",
        source_key=f"manual:{uuid.uuid4()}",
        created_by=created_by if getattr(created_by, "pk", None) else None,
        created_at=clock.now(),
    )
    events.emit("charge.added", subject=charge, data={"amount": str(value), "billing_account": billing_account.pk})
    return charge


def price_revise(*, service: Service, revised_by: Any, mrc_amount: Any, effective: str, reason: str) -> Service:
    """A new monthly price for a live service (a yearly revision): from the next period, or at
    once when `effective` is "immediate"."""
    require(revised_by, "billing.manage")
    reason = _reason(reason)
    price = parse_amount(mrc_amount, field="mrc_amount")
    if effective not in ("next_period", "immediate"):
        raise ValidationError("Choose the next period or at once.", field="effective", code="invalid_choice")
    return inventory_services.service_revise_price(
        service=service, mrc_amount=price, at=clock.now(), reason=reason, immediate=effective == "immediate"
    )
