"""Accounts (business or residential), their contacts, service locations and opportunities."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse

from headend.core import audit


class Account(models.Model):
    class Kind(models.TextChoices):
        BUSINESS = "business", "Business"
        RESIDENTIAL = "residential", "Residential"

    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROSPECT)
    # Business: the legal name; residential: the person's full name (kept for search).
    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200, blank=True)
    tax_id = models.CharField("tax ID (EIN)", max_length=20, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_accounts",
    )
    created_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["business", "residential"]), name="account_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def number(self) -> str:
        return f"A-{self.pk:06d}"

    @property
    def is_business(self) -> bool:
        return self.kind == self.Kind.BUSINESS

    def get_absolute_url(self) -> str:
        return reverse("crm:account_detail", args=[self.pk])


class Contact(models.Model):
    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary"
        BILLING = "billing", "Billing"
        TECHNICAL = "technical", "Technical"
        SITE = "site", "Site contact"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.PRIMARY)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    created_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["last_name", "first_name", "id"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class GeocodeQuality(models.TextChoices):
    """How a location's coordinates were found, best first within each kind."""

    EXACT = "exact", "Exact"  # the address's own point (the provider's address list, a rooftop)
    INTERPOLATED = "interpolated", "Interpolated"  # estimated along the street's range of numbers
    APPROXIMATE = "approximate", "Approximate"  # the street, not the house
    NONE = "none", "Not placed"
    ENTERED = "entered", "Entered"  # typed by a person
    PINNED = "pinned", "Pinned"  # dropped on the map by a person


class AddressPoint(models.Model):
    """One of the provider's passings, from its GIS: an address (normalised as locations are)
    and where it is. The first geocoder asked, offline and exact."""

    address_key = models.CharField(max_length=400, unique=True)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["address_key"]

    def __str__(self) -> str:
        return f"{self.line1} {self.line2}".strip() + f", {self.city}, {self.state} {self.postal_code}"


class Location(models.Model):
    """A service address, normalised to USPS style; `address_key` keeps an account's
    locations unique whatever the spelling entered."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField("site name", max_length=120, blank=True)
    line1 = models.CharField("street address", max_length=200)
    line2 = models.CharField("unit / suite", max_length=100, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    country = models.CharField(max_length=2, default="US")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # Where the coordinates came from (crm/geocoding.py): a geocoder's match and how good it
    # is, typed by a person ("entered"), or a pin dropped on the map ("pinned"; who and when:
    # the history row of that change). "none": nothing could place the address.
    geocode_quality = models.CharField(max_length=12, choices=GeocodeQuality.choices, default=GeocodeQuality.NONE)
    geocode_source = models.CharField(max_length=20, blank=True)
    geocoded_at = models.DateTimeField(null=True, blank=True)
    # For the technician: who meets them and how to get in ("Gate code 4411; ask for the
    # facilities desk"); the contact is one of the account's.
    access_notes = models.TextField("access notes", blank=True, max_length=1000)
    site_contact = models.ForeignKey(
        "Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="sites", verbose_name="site contact"
    )
    address_key = models.CharField(max_length=400, editable=False)
    created_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["name", "line1", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "address_key"], name="location_unique_address"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def street(self) -> str:
        return f"{self.line1} {self.line2}".strip()

    @property
    def one_line(self) -> str:
        return f"{self.street}, {self.city}, {self.state} {self.postal_code}"

    @property
    def label(self) -> str:
        return f"{self.name}: {self.one_line}" if self.name else self.one_line

    def get_absolute_url(self) -> str:
        return reverse("crm:location_detail", args=[self.pk])


class Opportunity(models.Model):
    class Stage(models.TextChoices):
        PROSPECTING = "prospecting", "Prospecting"
        QUALIFICATION = "qualification", "Qualification"
        PROPOSAL = "proposal", "Proposal"
        NEGOTIATION = "negotiation", "Negotiation"
        CLOSED_WON = "closed_won", "Closed won"
        CLOSED_LOST = "closed_lost", "Closed lost"

    OPEN_STAGES = {"prospecting", "qualification", "proposal", "negotiation"}

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="opportunities")
    name = models.CharField(max_length=200)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.PROSPECTING)
    # Expected monthly recurring revenue while open; the won quote's figures once won.
    amount = models.DecimalField("expected MRR", max_digits=12, decimal_places=2, default=Decimal("0"))
    one_time_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    contract_value_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3)
    close_date = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["close_date", "id"]
        verbose_name_plural = "opportunities"

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.stage in self.OPEN_STAGES

    def get_absolute_url(self) -> str:
        return reverse("crm:opportunity_detail", args=[self.pk])


class CustomerEmail(models.Model):
    """An email to a customer caused by an outbox event; one per event, so a re-run sends nothing twice."""

    event_id = models.UUIDField(unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="emails")
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} -> {self.to}"


class AccountNote(models.Model):
    """A note staff keep on an account (a call, a promise, a warning for the next person); a
    pinned one stays at the top of the account page. Its history is kept."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    pinned = models.BooleanField(default=False)
    history = audit.history()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="account_note_recent")]

    def __str__(self) -> str:
        return f"Note on {self.account_id} at {self.created_at:%Y-%m-%d %H:%M}"
