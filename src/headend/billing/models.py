"""Billing: who pays (billing accounts), what each service costs day by day (its rate changes),
one-time charges, bill runs, invoices and credit notes, tax rates and the ledger.

Amounts are Decimal to the cent; an invoice line is rounded once and totals are sums of lines.
A recurring line says which days of which period it charges or credits (`days_added`,
`days_removed`: bit i is the period's i-th day), so what has been billed for a period is known
exactly and a bill run bills only the difference (billing/proration.py)."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from headend.catalog.models import TaxCategory
from headend.core import audit
from headend.core.models import StatusModel
from headend.crm.models import Account, Contact
from headend.inventory.models import Service


class Cycle(models.TextChoices):
    CALENDAR = "calendar", "Calendar month on the bill day"
    ANNIVERSARY = "anniversary", "Anniversary of the first turn-up"


class Delivery(models.TextChoices):
    EMAIL = "email", "Email"
    PORTAL = "portal", "Portal only"


class BillingAccount(models.Model):
    """Who pays, how often and how (TMF666 billingAccount). A customer account has one or more;
    a `parent` pays for its children (a business with many sites gets one invoice)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="billing_accounts")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    is_default = models.BooleanField(
        "default for new services", default=False, help_text="New services of the account bill here."
    )
    currency = models.CharField(max_length=3)
    cycle = models.CharField("bill cycle", max_length=12, choices=Cycle.choices, default=Cycle.CALENDAR)
    bill_day = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(28)], help_text="1 to 28."
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        "payment terms (net days)", default=15, validators=[MaxValueValidator(120)]
    )
    delivery = models.CharField("invoice delivery", max_length=8, choices=Delivery.choices, default=Delivery.EMAIL)
    tax_exempt = models.BooleanField(default=False)
    tax_exempt_certificate = models.CharField("exemption certificate", max_length=60, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="paid by",
        help_text="A parent billing account that receives this one's charges on its invoice.",
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="billing_accounts"
    )
    # Empty: each product's own proration policy.
    proration = models.CharField("proration override", max_length=8, blank=True)
    # The last bill date this account was invoiced for; bill runs never go back before it.
    last_bill_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["account", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(is_default=True), name="billing_account_one_default"
            ),
            models.CheckConstraint(
                condition=models.Q(bill_day__gte=1, bill_day__lte=28), name="billing_account_bill_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def number(self) -> str:
        return f"BA-{self.pk:06d}"

    @property
    def payer(self) -> "BillingAccount":
        return self.parent or self

    def get_absolute_url(self) -> str:
        return reverse("billing:billing_account_detail", args=[self.pk])


class Subscription(models.Model):
    """Billing's record of one service: which billing account pays for it and the days from
    which its charges must be worked out again (`dirty_from`, None: nothing new)."""

    service = models.OneToOneField(Service, on_delete=models.PROTECT, related_name="billing")
    billing_account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="subscriptions")
    billable_from = models.DateField(null=True, blank=True)
    billable_until = models.DateField(null=True, blank=True, help_text="First day no longer billed.")
    dirty_from = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["billing_account", "id"]
        indexes = [models.Index(fields=["billing_account", "dirty_from"])]

    def __str__(self) -> str:
        return f"{self.service.number} → {self.billing_account.number}"


class RateKind(models.TextChoices):
    """Active and promotion set the price; suspended lays its own rate over it until restored
    (billing/proration.py)."""

    ACTIVE = "active", "Price"
    PROMOTION = "promotion", "Promotion"
    SUSPENDED = "suspended", "Suspended"
    RESTORED = "restored", "Restored"


class RateChange(models.Model):
    """From `effective_date` on, the service costs `mrc_amount` a month (0: nothing), or, for a
    suspension, costs that instead of its price until restored. Written once per event billing
    consumed (`source_key`), so replaying an event changes nothing. A price made later
    (`occurred_at`) cancels earlier prices dated after its own date."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="rates")
    effective_date = models.DateField()
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=RateKind.choices)
    mrc_amount = models.DecimalField(max_digits=12, decimal_places=2)
    label = models.CharField(max_length=200)
    cause = models.CharField(max_length=200, blank=True)
    source_key = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["subscription", "occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.effective_date} {self.mrc_amount}"


class ChargeKind(models.TextChoices):
    INSTALLATION = "installation", "Installation"
    MOVE = "move", "Move fee"
    ETF = "etf", "Early-termination fee"
    CHANGE = "change", "Change fee"
    CREDIT = "credit", "Credit"
    CHARGE = "charge", "Charge"
    LATE_FEE = "late_fee", "Late fee"


class OneTimeCharge(models.Model):
    """A one-time amount (installation, move fee, ETF, a credit staff grant) billed on the next
    invoice after `incurred_on`; negative for a credit."""

    billing_account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="one_time_charges")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="one_time_charges"
    )
    kind = models.CharField(max_length=12, choices=ChargeKind.choices)
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    tax_category = models.CharField(max_length=10, choices=TaxCategory.choices, default=TaxCategory.OTHER)
    incurred_on = models.DateField()
    cause = models.CharField(max_length=200, blank=True)
    source_key = models.CharField(max_length=80, unique=True)
    invoice_line = models.OneToOneField(
        "InvoiceLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="one_time_charge"
    )
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["incurred_on", "id"]
        indexes = [models.Index(fields=["billing_account"], condition=models.Q(invoice_line=None), name="otc_unbilled")]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"


class BillRun(StatusModel):
    """Every billing account due as of `as_of`, invoiced in chunks on the task queue."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    TRANSITIONS = {"running": {"done"}, "done": set()}

    as_of = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    accounts = models.PositiveIntegerField(default=0)
    chunks = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-as_of", "-id"]

    def __str__(self) -> str:
        return f"Bill run {self.as_of}"

    def get_absolute_url(self) -> str:
        return reverse("billing:bill_run_detail", args=[self.pk])


class BillRunChunk(models.Model):
    """A slice of a bill run's accounts, one task on the queue; `done_at` once it committed."""

    run = models.ForeignKey(BillRun, on_delete=models.CASCADE, related_name="chunk_set")
    index = models.PositiveIntegerField()
    billing_account_ids = models.JSONField(default=list)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="bill_run_chunk_unique")]

    def __str__(self) -> str:
        return f"{self.run} chunk {self.index}"


class BillRunResult(models.Model):
    """What a bill run did for one billing account: the invoice it made, nothing due, or why
    it failed (one failing account never stops the run)."""

    class Outcome(models.TextChoices):
        INVOICED = "invoiced", "Invoiced"
        NOTHING = "nothing", "Nothing to bill"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(BillRun, on_delete=models.CASCADE, related_name="results")
    billing_account = models.ForeignKey(BillingAccount, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    invoice = models.ForeignKey("Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "billing_account"], name="bill_run_result_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run}: {self.billing_account_id} {self.outcome}"


class Invoice(StatusModel):
    """An invoice or a credit note (TMF678 customerBill). Its number comes from a gap-free
    sequence at finalisation; after that nothing on it changes but its status."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FINALISED = "finalised", "Finalised"
        SENT = "sent", "Sent"
        PARTIALLY_PAID = "partially_paid", "Partially paid"
        SETTLED = "settled", "Settled"
        VOID = "void", "Void"

    TRANSITIONS = {
        "draft": {"finalised"},
        "finalised": {"sent", "partially_paid", "settled", "void"},
        "sent": {"partially_paid", "settled", "void"},
        # A reversed payment or a refund re-opens what it paid.
        "partially_paid": {"settled", "finalised", "sent"},
        "settled": {"partially_paid", "finalised", "sent"},
        "void": set(),
    }

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    billing_account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=20, null=True, blank=True, unique=True)
    bill_date = models.DateField()
    due_date = models.DateField()
    currency = models.CharField(max_length=3)
    subtotal_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    tax_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    total_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    # What is still owed (payments lower it once they exist).
    amount_due = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes")
    reason = models.CharField(max_length=200, blank=True)
    bill_run = models.ForeignKey(BillRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices")
    # The bill run's key: one invoice per payer and bill date, however often the run is retried.
    run_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    # Made by an external biller (its name, e.g. "lago", and its id): shown like Headend's own,
    # never changed here. "headend": made by Headend's bill runs and credit notes.
    source = models.CharField(max_length=20, default="headend")
    external_id = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001 (unique with source; NULL when none)
    created_at = models.DateTimeField()
    finalised_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    history = audit.history()

    class Meta:
        ordering = ["-bill_date", "-id"]
        indexes = [
            models.Index(fields=["billing_account", "bill_date"]),
            # Open invoices by due date: standing, allocation and dunning read these.
            models.Index(
                fields=["billing_account", "due_date"], condition=models.Q(amount_due__gt=0), name="invoice_open"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="invoice_external_unique"),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return self.number or f"Draft {self.pk}"

    @property
    def is_final(self) -> bool:
        return self.status != self.Status.DRAFT

    def get_absolute_url(self) -> str:
        return reverse("billing:invoice_detail", args=[self.pk])


class LineKind(models.TextChoices):
    RECURRING = "recurring", "Recurring"
    ONE_TIME = "one_time", "One-time"
    TAX = "tax", "Tax"
    # A service's rated calls of one bill cycle (billing/call_charges.py).
    USAGE = "usage", "Usage"


class InvoiceLine(models.Model):
    """One line (TMF678 appliedCustomerBillingRate): a recurring charge or credit for some days
    of one period of one service, a one-time charge, or the tax of one jurisdiction."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=LineKind.choices)
    description = models.CharField(max_length=300)
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines")
    # Recurring: the period, the monthly rate and which of the period's days the line adds or
    # takes back (bits), the signed number of days and the fraction of the period they are.
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True, help_text="First day after the period.")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, help_text="First day after the days charged.")
    days_added = models.BigIntegerField(default=0)
    days_removed = models.BigIntegerField(default=0)
    days = models.IntegerField(default=0)
    period_days = models.PositiveSmallIntegerField(default=0)
    fraction = models.DecimalField(max_digits=9, decimal_places=6, default=Decimal(1))
    quantity = models.PositiveIntegerField(default=1)
    unit_amount = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    tax_category = models.CharField(max_length=10, choices=TaxCategory.choices, blank=True)
    # Tax lines: the jurisdiction, its rate (percent) and the base it was charged on.
    jurisdiction = models.CharField(max_length=120, blank=True)
    tax_rate = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    taxable_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    # What caused it: an order, an event, a person's credit.
    cause = models.CharField(max_length=200, blank=True)
    # The ledger: the income account it earns into and how much of it is recognised so far.
    revenue_account = models.CharField(max_length=80, blank=True)
    recognised_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position")]
        indexes = [models.Index(fields=["subscription", "period_start"])]

    def __str__(self) -> str:
        return self.description


class Sequence(models.Model):
    """Gap-free numbers per document kind: taken in the transaction that finalises."""

    kind = models.CharField(max_length=20, unique=True)
    prefix = models.CharField(max_length=8)
    next_value = models.PositiveBigIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.kind} {self.next_value}"


class Jurisdiction(models.TextChoices):
    STATE = "state", "State"
    COUNTY = "county", "County"
    CITY = "city", "City"


class TaxRate(models.Model):
    """A tax of one jurisdiction on one category of charges, effective-dated; rates of the same
    jurisdiction and category never overlap in time."""

    level = models.CharField(max_length=8, choices=Jurisdiction.choices)
    name = models.CharField("tax", max_length=120, help_text="As printed on the invoice, e.g. Maine sales tax.")
    state = models.CharField(max_length=2)
    county = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=10, choices=TaxCategory.choices)
    rate_percent = models.DecimalField(max_digits=7, decimal_places=4)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Last day; empty: open-ended.")
    created_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["state", "level", "county", "city", "category", "effective_from"]

    def __str__(self) -> str:
        return f"{self.name} {self.rate_percent}% ({self.get_category_display()})"

    @property
    def jurisdiction(self) -> str:
        where = {"state": self.state, "county": f"{self.county}, {self.state}", "city": f"{self.city}, {self.state}"}
        return f"{self.name} ({where[self.level]})"


class JournalEntry(models.Model):
    """A balanced double-entry journal entry: an invoice, a credit note, a void, or revenue
    recognised as the periods it was billed for pass."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"
        VOID = "void", "Void"
        RECOGNITION = "recognition", "Revenue recognised"
        PAYMENT = "payment", "Payment"
        CREDIT_APPLIED = "credit_applied", "Credit applied"
        REVERSAL = "reversal", "Payment reversed"
        REFUND = "refund", "Refund"
        WRITE_OFF = "write_off", "Written off"
        COMMISSION = "commission", "Commission earned"  # the commissions app's accruals

    date = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    memo = models.CharField(max_length=300)
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="journal")
    currency = models.CharField(max_length=3)
    source_key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["date", "id"]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.date} {self.memo}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="lines")
    account = models.CharField(max_length=120)
    debit = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    credit = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))

    class Meta:
        ordering = ["entry", "id"]

    def __str__(self) -> str:
        return f"{self.account} {self.debit} {self.credit}"


# --- Voice usage: rate decks, call records and their imports (billing/rate_decks.py, cdrs.py) ---


class RateDeck(models.Model):
    """A rate deck staff uploaded: its lines became the `Rate`s of the rate table (a line the
    table held already, the same, is left as it was); `report` says what became of each line."""

    name = models.CharField(max_length=200)
    file_name = models.CharField(max_length=200)
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the file: the same file is one deck.")
    currency = models.CharField(max_length=3)
    lines = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    # [[line, prefix, effective_from, outcome, message], ...] for every line of the file.
    report = models.JSONField(default=list, blank=True)
    uploaded_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("billing:rate_deck_detail", args=[self.pk])


class Rate(models.Model):
    """What calls to numbers starting with `prefix` cost a minute from `effective_from`, billed
    `minimum_seconds` then whole `increment_seconds`, in a time-of-day `band` (empty: the times
    no band of the prefix names); `in_bundle`: they use a plan's included minutes first."""

    deck = models.ForeignKey(RateDeck, on_delete=models.PROTECT, related_name="rates")
    line = models.PositiveIntegerField()
    prefix = models.CharField(max_length=20)
    description = models.CharField(max_length=200)
    rate_per_minute = models.DecimalField(max_digits=12, decimal_places=5)
    minimum_seconds = models.PositiveIntegerField()
    increment_seconds = models.PositiveIntegerField()
    effective_from = models.DateField()
    band = models.CharField(max_length=60, blank=True)
    in_bundle = models.BooleanField("uses included minutes", default=True)

    class Meta:
        ordering = ["prefix", "effective_from", "band"]
        constraints = [
            models.UniqueConstraint(fields=["prefix", "effective_from", "band"], name="rate_prefix_date_band"),
            models.CheckConstraint(condition=models.Q(increment_seconds__gte=1), name="rate_increment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} {self.description} {self.rate_per_minute}/min from {self.effective_from}"


class CdrImport(models.Model):
    """A file of call records imported: how many were new, already known (by unique id), rated,
    unrated or not charged; `report` lists the lines worth a look (duplicates, unrated calls)."""

    class Format(models.TextChoices):
        ASTERISK = "asterisk", "Asterisk Master.csv"
        MAPPED = "mapped", "CSV with mapped columns"

    file_name = models.CharField(max_length=200)
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the file: the same file imports once.")
    format = models.CharField(max_length=10, choices=Format.choices)
    mapping = models.JSONField(default=dict, blank=True)
    time_zone = models.CharField(max_length=60)
    lines = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    unrated = models.PositiveIntegerField(default=0)
    not_charged = models.PositiveIntegerField(default=0)
    # [[line, unique_id, outcome, message], ...]: the first lines that were not simply rated.
    report = models.JSONField(default=list, blank=True)
    imported_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return self.file_name

    def get_absolute_url(self) -> str:
        return reverse("billing:cdr_import_detail", args=[self.pk])


class CallRecord(models.Model):
    """One call (a CDR), rated: the service that made it, the rate it took, the seconds it bills,
    those its plan's included minutes covered and what it costs; on an invoice once billed
    (`invoice_line`). An unrated call (no service or no rate) waits for staff to re-rate it."""

    class Status(models.TextChoices):
        RATED = "rated", "Rated"
        UNRATED = "unrated", "Unrated"
        NOT_CHARGED = "not_charged", "Not charged"

    # Only the unique id, the cycle, the unrated queue and the invoice line are looked up: no
    # index on the other keys (a million calls a night are inserted).
    cdr_import = models.ForeignKey(CdrImport, on_delete=models.CASCADE, related_name="calls", db_index=False)
    line = models.PositiveIntegerField()
    unique_id = models.CharField(max_length=150, unique=True)
    account_code = models.CharField(max_length=80, blank=True)
    source = models.CharField(max_length=80, blank=True)
    destination = models.CharField(max_length=80, blank=True)
    started_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField()
    billsec = models.PositiveIntegerField("answered seconds")
    disposition = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    reason = models.CharField(max_length=200, blank=True)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="calls", db_index=False
    )
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="calls", db_index=False
    )
    rate = models.ForeignKey(Rate, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    destination_name = models.CharField(max_length=200, blank=True)
    # The payer's bill cycle the call falls in (its first day): included minutes are per cycle.
    cycle_start = models.DateField(null=True, blank=True)
    billed_seconds = models.PositiveIntegerField(default=0)
    included_seconds = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    invoice_line = models.ForeignKey(
        InvoiceLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls", db_index=False
    )
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        # Partial: a call enters only the indexes of what it is (rated, unrated, billed).
        indexes = [
            models.Index(
                fields=["subscription", "cycle_start"], condition=models.Q(status="rated"), name="call_rated_cycle"
            ),
            models.Index(fields=["started_at"], condition=models.Q(status="unrated"), name="call_unrated"),
            models.Index(
                fields=["invoice_line"], condition=models.Q(invoice_line__isnull=False), name="call_invoice_line"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unique_id} {self.source} -> {self.destination}"
