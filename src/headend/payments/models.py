"""Payments and collections: what customers paid and how (TMF676 payment and refund, TMF670
paymentMethod), which invoices each payment paid (allocations), autopay attempts, the gateway's
webhook deliveries, and dunning (policies, the steps taken, promises to pay, suspensions for
non-payment).

Money moves only forward: a payment's allocations are rows that are never edited; a reversal
(chargeback, bounced ACH) or a refund writes rows of its own, so every amount keeps its history."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from headend.billing.models import BillingAccount, Invoice
from headend.core import audit
from headend.core.models import StatusModel
from headend.crm.models import Account
from headend.inventory.models import Service


class MethodKind(models.TextChoices):
    CARD = "card", "Card"
    ACH = "ach", "Bank account (ACH)"


class PaymentMethod(StatusModel):
    """A card or bank account the gateway holds for a payer (TMF670 paymentMethod): only the
    gateway's token and what identifies it to the customer (brand, last four digits, expiry),
    never a card or account number. At most one method of a payer is charged by autopay."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        REMOVED = "removed", "Removed"

    TRANSITIONS = {"active": {"removed"}, "removed": set()}

    billing_account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="payment_methods")
    kind = models.CharField(max_length=8, choices=MethodKind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    gateway = models.CharField(max_length=20)
    gateway_customer = models.CharField(max_length=80)
    token = models.CharField("gateway token", max_length=80)
    brand = models.CharField(max_length=30, blank=True, help_text="Card brand or bank name.")
    last4 = models.CharField("last four digits", max_length=4)
    exp_month = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    holder_name = models.CharField(max_length=120, blank=True)
    autopay = models.BooleanField(default=False, help_text="Charged on each invoice's due date.")
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)
    history = audit.history()

    class Meta:
        ordering = ["billing_account", "-autopay", "id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "token"], name="payment_method_token_unique"),
            models.UniqueConstraint(
                fields=["billing_account"],
                condition=models.Q(autopay=True, status="active"),
                name="payment_method_one_autopay",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand or self.get_kind_display()} ending {self.last4}"

    @property
    def number(self) -> str:
        return f"PM-{self.pk:06d}"


class Means(models.TextChoices):
    """How the money came."""

    CHEQUE = "cheque", "Cheque"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CASH = "cash", "Cash"
    CARD = "card", "Card"
    ACH = "ach", "ACH debit"
    EXTERNAL = "external", "Recorded by the external biller"


MANUAL_MEANS = (Means.CHEQUE, Means.BANK_TRANSFER, Means.CASH)
GATEWAY_MEANS = (Means.CARD, Means.ACH)


class Payment(StatusModel):
    """Money a payer sent (TMF676 payment). A gateway payment is `pending` until the gateway
    says it succeeded (a card at once, ACH days later) or failed; a manual one is recorded as
    succeeded. Only a succeeded payment pays invoices; what it did not pay (`unapplied_amount`)
    is the payer's credit, applied to the next invoices."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REVERSED = "reversed", "Reversed"

    TRANSITIONS = {
        "pending": {"succeeded", "failed"},
        "succeeded": {"reversed"},
        # A charge the gateway declined may still succeed there later (the customer confirmed it
        # with the bank): the gateway's word on success wins.
        "failed": {"succeeded"},
        "reversed": set(),
    }

    billing_account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="payments")
    means = models.CharField(max_length=14, choices=Means.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    payment_method = models.ForeignKey(
        PaymentMethod, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=80, blank=True, help_text="Cheque number, bank reference, receipt.")
    received_on = models.DateField()
    # The invoices the payer named (ids, in order); empty: oldest open first.
    named_invoices = models.JSONField(default=list, blank=True)
    unapplied_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    refunded_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    gateway = models.CharField(max_length=20, blank=True)
    gateway_id = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001 (unique with gateway; NULL when none)
    # Every call to the gateway for this payment carries it: a retried call charges once.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    # The gateway event that last moved the status (its time): an older event never moves it back.
    gateway_updated_at = models.DateTimeField(null=True, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    reversal_reason = models.CharField(max_length=200, blank=True)
    # From an external biller: its system's name and its id for the payment.
    source = models.CharField(max_length=20, default="headend")
    external_id = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001 (unique with source; NULL when none)
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    history = audit.history()

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "gateway_id"], name="payment_gateway_id_unique"),
            models.UniqueConstraint(fields=["source", "external_id"], name="payment_external_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(unapplied_amount__gte=0, refunded_amount__gte=0), name="payment_amounts_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["billing_account"], condition=models.Q(unapplied_amount__gt=0), name="payment_credit"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.amount} {self.currency}"

    @property
    def number(self) -> str:
        return f"PAY-{self.pk:07d}"

    @property
    def refundable_amount(self) -> Decimal:
        return self.amount - self.refunded_amount if self.status == self.Status.SUCCEEDED else Decimal(0)

    def get_absolute_url(self) -> str:
        return reverse("payments:payment_detail", args=[self.pk])


class Allocation(models.Model):
    """Part of a payment (or of a credit note's leftover) paying part of an invoice. A negative
    row takes an earlier one back (a reversal or a refund re-opens what was paid); rows are
    never edited."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        CREDIT = "credit", "Credit applied"
        REVERSAL = "reversal", "Reversal"
        REFUND = "refund", "Refund"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations")
    credit_note = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_allocations"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["invoice"]), models.Index(fields=["payment"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(payment__isnull=False) | models.Q(credit_note__isnull=False),
                name="allocation_has_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} to {self.invoice_id}"


class Refund(StatusModel):
    """Money given back on a payment (TMF676 refund); never more than was paid and not yet
    refunded."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    TRANSITIONS = {"pending": {"succeeded", "failed"}, "succeeded": set(), "failed": set()}

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.CharField(max_length=200)
    gateway_id = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001 (unique with gateway; NULL when none)
    idempotency_key = models.CharField(max_length=80, unique=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"{self.number} {self.amount}"

    @property
    def number(self) -> str:
        return f"REF-{self.pk:07d}"


class WriteOff(models.Model):
    """What staff gave up collecting on an invoice (bad debt)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="write_offs")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.amount} written off {self.invoice_id}"


class PaymentImport(models.Model):
    """A bank's file of payments, recorded once: the same file again (its SHA-256) is refused."""

    sha256 = models.CharField(max_length=64, unique=True)
    payments = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    imported_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import of {self.payments} payments"


class AutopayAttempt(models.Model):
    """One try at charging an invoice's payer's autopay method; attempt N of an invoice is made
    once (its idempotency key is the invoice and N), whatever the worker does."""

    class Status(models.TextChoices):
        PENDING = "pending", "Charging"
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Nothing to charge"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="autopay_attempts")
    attempt = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    payment_method = models.ForeignKey(PaymentMethod, on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    due_on = models.DateField()
    next_attempt_on = models.DateField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invoice", "attempt"]
        constraints = [models.UniqueConstraint(fields=["invoice", "attempt"], name="autopay_attempt_unique")]

    def __str__(self) -> str:
        return f"Autopay {self.invoice_id} #{self.attempt}"

    @property
    def idempotency_key(self) -> str:
        return f"autopay-{self.invoice_id}-{self.attempt}"


class GatewayEvent(models.Model):
    """A webhook delivery from the gateway, kept once per event id (a replay writes nothing)."""

    gateway = models.CharField(max_length=20)
    event_id = models.CharField(max_length=80)
    type = models.CharField(max_length=80)
    created = models.DateTimeField(help_text="When the gateway made the event.")
    payload = models.JSONField()
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="gateway_event_unique")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.type} {self.event_id}"


# Dunning --------------------------------------------------------------------------------------


class DunningPolicy(models.Model):
    """How an overdue payer of one customer type is chased, counted in days after the oldest
    unpaid invoice's due date: reminders, a late fee after the grace period, suspension."""

    customer_type = models.CharField(max_length=12, choices=Account.Kind.choices, unique=True)
    grace_days = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(365)], help_text="No late fee or suspension before this day."
    )
    minimum_overdue_amount = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("5.00"), help_text="Less than this overdue is left alone."
    )
    reminder_days = models.JSONField(default=list, blank=True, help_text="Days after the due date to send a reminder.")
    late_fee_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    late_fee_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        help_text="Of what the overdue invoice still owes, added to the fixed fee.",
    )
    suspend_after_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(365)], help_text="Empty: never suspend."
    )
    waive_late_fee_on_payment = models.BooleanField(
        default=False, help_text="Credit the late fee back when the customer pays everything overdue."
    )
    updated_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        verbose_name_plural = "dunning policies"
        ordering = ["customer_type"]

    def __str__(self) -> str:
        return f"Dunning of {self.get_customer_type_display().lower()} customers"


class DunningStep(models.Model):
    """A step dunning took for one overdue invoice: written once per invoice, step and day, so a
    second pass on the same day (or a rerun) does nothing again."""

    class Step(models.TextChoices):
        REMINDER = "reminder", "Reminder sent"
        LATE_FEE = "late_fee", "Late fee charged"
        SUSPENSION = "suspension", "Service suspended"
        RESTORE = "restore", "Service restored"
        LATE_FEE_WAIVED = "late_fee_waived", "Late fee waived"

    billing_account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="dunning_steps")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="dunning_steps")
    step = models.CharField(max_length=16, choices=Step.choices)
    day = models.PositiveSmallIntegerField(help_text="Days past due when it was taken.")
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["invoice", "step", "day"], name="dunning_step_once")]

    def __str__(self) -> str:
        return f"{self.get_step_display()} day {self.day}"


class PromiseToPay(models.Model):
    """The payer promised to pay by `until`: dunning holds off until then (and resumes after,
    if the promise was not kept)."""

    billing_account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="promises")
    until = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    history = audit.history()

    class Meta:
        ordering = ["-until", "-id"]

    def __str__(self) -> str:
        return f"Promise of {self.amount} by {self.until}"


class DunningSuspension(models.Model):
    """A service dunning suspended for non-payment, until it is restored: only these are restored
    on payment (a suspension the customer asked for stays)."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="dunning_suspensions")
    billing_account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="dunning_suspensions")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    suspended_at = models.DateTimeField()
    restore_requested_at = models.DateTimeField(null=True, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-suspended_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"], condition=models.Q(restored_at=None), name="dunning_suspension_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id} suspended for non-payment"
