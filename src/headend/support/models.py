"""Support cases with the whole customer in view, their SLA clocks, the mail they came in by,
and what an outage does to customers: notifications and the SLA credits proposed after it."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from headend.catalog.models import Product
from headend.core import audit
from headend.core.models import StatusModel
from headend.core.user_files import RandomName
from headend.crm.models import Account, Contact, Location
from headend.inventory.models import Service
from headend.network.models import Outage


class Priority(models.TextChoices):
    P1 = "p1", "P1 critical"
    P2 = "p2", "P2 high"
    P3 = "p3", "P3 normal"
    P4 = "p4", "P4 low"


class CustomerType(models.TextChoices):
    BUSINESS = "business", "Business"
    RESIDENTIAL = "residential", "Residential"


class Queue(models.Model):
    """Where cases wait to be worked (Tier 1, Network operations, Billing)."""

    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)
    is_default = models.BooleanField(default=False)  # new cases with no queue land here

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Response and resolution targets for one priority and customer type, in working minutes of
    the business calendar (or of the clock, round the clock, when `round_the_clock`)."""

    priority = models.CharField(max_length=2, choices=Priority.choices)
    customer_type = models.CharField(max_length=12, choices=CustomerType.choices)
    response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    round_the_clock = models.BooleanField(default=False)
    warn_percent = models.PositiveSmallIntegerField(default=75)  # a warning once this much is used

    class Meta:
        ordering = ["customer_type", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["priority", "customer_type"], name="sla_policy_unique"),
            models.CheckConstraint(
                condition=models.Q(resolution_minutes__gte=models.F("response_minutes")),
                name="sla_resolution_after_response",
                violation_error_message="The resolution target cannot come before the response target.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_customer_type_display()} {self.get_priority_display()}"


class Case(StatusModel):
    """A support ticket (TMF621 troubleTicket): about an account and, when known, one of its
    services, the location and product; or the parent case of an outage, with the impacted
    customers' cases as its children."""

    class Type(models.TextChoices):
        NO_SERVICE = "no_service", "No service"
        SLOW = "slow", "Slow or intermittent"
        BILLING = "billing", "Billing"
        MOVE = "move", "Move"
        OUTAGE = "outage", "Outage"  # the parent case of a network outage
        OTHER = "other", "Other"

    class Channel(models.TextChoices):
        PHONE = "phone", "Phone"
        EMAIL = "email", "Email"
        PORTAL = "portal", "Portal"
        API = "api", "API"
        MONITORING = "monitoring", "Monitoring"

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        WAITING = "waiting", "Waiting on customer"  # the SLA clocks stop
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {
        "new": {"in_progress", "waiting", "resolved", "cancelled"},
        "in_progress": {"waiting", "resolved", "cancelled"},
        "waiting": {"in_progress", "resolved", "cancelled"},
        "resolved": {"closed", "in_progress"},
        "closed": set(),
        "cancelled": set(),
    }
    OPEN_STATUSES = ("new", "in_progress", "waiting")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # the API's id
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    outage = models.OneToOneField(
        Outage, null=True, blank=True, on_delete=models.PROTECT, related_name="parent_case"
    )  # set on an outage's parent case only
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    type = models.CharField(max_length=12, choices=Type.choices)
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    external_id = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    status_changed_at = models.DateTimeField()
    # The SLA clocks (support/sla.py): the targets as they were set when the case opened (or its
    # priority changed), working minutes spent waiting on the customer, and the due instants.
    sla_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    sla_resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    sla_round_the_clock = models.BooleanField(default=False)
    paused_since = models.DateTimeField(null=True, blank=True)
    paused_minutes = models.PositiveIntegerField(default=0)
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    history = audit.history()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "resolution_due_at"], name="case_status_due"),
            models.Index(fields=["account", "status"], name="case_account_status"),
            models.Index(fields=["service", "status"], name="case_service_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(account__isnull=False) | models.Q(outage__isnull=False),
                name="case_has_account_or_outage",
                violation_error_message="A case is about an account (or is an outage's parent case).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"CS-{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def get_absolute_url(self) -> str:
        return reverse("support:case_detail", args=[self.pk])


class CaseNote(models.Model):
    """A note on a case: staff's internal notes, replies sent to the customer, and what the
    customer wrote (by email, the portal or the API)."""

    class Kind(models.TextChoices):
        INTERNAL = "internal", "Internal note"
        REPLY = "reply", "Reply to the customer"
        CUSTOMER = "customer", "From the customer"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=200, blank=True)  # a customer's name or address
    channel = models.CharField(max_length=12, choices=Case.Channel.choices, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on case {self.case_id}"


class CaseAttachment(models.Model):
    """A file on a case (a speed-test screenshot, a bill); served only as a download."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    note = models.ForeignKey(CaseNote, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    file = models.FileField(upload_to=RandomName("case-attachments"), max_length=200)  # core/user_files.py
    name = models.CharField(max_length=200)  # the person's name for it, cleaned
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class InboundEmail(models.Model):
    """One email read from the support mailbox or posted by the mail service, kept by its
    Message-ID so reading the mailbox again adds nothing twice."""

    class Outcome(models.TextChoices):
        OPENED = "opened", "Opened a case"
        ADDED = "added", "Added to a case"
        REFUSED = "refused", "Refused"

    message_id = models.CharField(max_length=300, unique=True)
    sender = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reason = models.CharField(max_length=300, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails")
    note = models.ForeignKey(CaseNote, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"


class OutageNotice(models.Model):
    """One notice to one impacted customer about an outage or a maintenance window: announced
    ahead (maintenance), at the start, at the end; one per (outage, account, phase, channel), so
    a re-sent alert notifies no one twice."""

    class Phase(models.TextChoices):
        ANNOUNCE = "announce", "Announced ahead"
        START = "start", "Started"
        END = "end", "Ended"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="notices")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="outage_notices")
    phase = models.CharField(max_length=8, choices=Phase.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    queued_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["outage", "account", "phase"]
        constraints = [
            models.UniqueConstraint(fields=["outage", "account", "phase", "channel"], name="outage_notice_once"),
        ]
        indexes = [models.Index(fields=["id"], name="outage_notice_unsent", condition=models.Q(sent_at=None))]

    def __str__(self) -> str:
        return f"{self.get_phase_display()} notice of outage {self.outage_id} to {self.to}"


class SlaCredit(models.Model):
    """A credit proposed after an outage for a business service whose contract promises an
    availability it missed that month; billing applies it once approved."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        APPLIED = "applied", "Applied"

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="sla_credits")
    outage = models.ForeignKey(Outage, on_delete=models.PROTECT, related_name="sla_credits")
    period_start = models.DateField()  # the month measured
    period_end = models.DateField()
    availability_percent = models.DecimalField(max_digits=7, decimal_places=4)
    target_percent = models.DecimalField(max_digits=6, decimal_places=3)
    credit_percent = models.DecimalField(max_digits=5, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    billing_reference = models.CharField(max_length=60, blank=True)  # the credit billing booked
    created_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "outage"], name="sla_credit_once_per_outage"),
        ]

    def __str__(self) -> str:
        return f"SLA credit {self.amount} {self.currency} on {self.service_id}"
