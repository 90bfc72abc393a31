"""Quotes for one account on an opportunity; each line prices a product version at a location."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from headend.catalog.models import ProductVersion, Term
from headend.core.models import StatusModel
from headend.crm.models import Account, Location, Opportunity


class Quote(StatusModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PRESENTED = "presented", "Presented"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    TRANSITIONS = {
        "draft": {"presented", "expired"},
        "presented": {"accepted", "rejected", "expired"},
        "accepted": set(),
        "rejected": set(),
        "expired": set(),
    }

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="quotes")
    opportunity = models.ForeignKey(Opportunity, on_delete=models.PROTECT, related_name="quotes")
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3)
    mrr_amount = models.DecimalField("monthly recurring", max_digits=12, decimal_places=2, default=Decimal("0"))
    one_time_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    contract_value_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    valid_until = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    presented_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by_name = models.CharField("accepted by (customer)", max_length=200, blank=True)
    decision_note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}".strip()

    @property
    def number(self) -> str:
        return f"Q-{self.pk:06d}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def is_expired_on(self, day: dt.date) -> bool:
        return self.valid_until is not None and day > self.valid_until

    def get_absolute_url(self) -> str:
        return reverse("quoting:quote_detail", args=[self.pk])


class QuoteLine(models.Model):
    class Action(models.TextChoices):
        ADD = "add", "Add"

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.ADD)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="quote_lines")
    product_version = models.ForeignKey(ProductVersion, on_delete=models.PROTECT, related_name="quote_lines")
    term_months = models.PositiveSmallIntegerField(choices=Term.choices)
    quantity = models.PositiveIntegerField()
    mrc_unit_amount = models.DecimalField(max_digits=12, decimal_places=2)
    nrc_unit_amount = models.DecimalField(max_digits=12, decimal_places=2)
    mrc_amount = models.DecimalField(max_digits=12, decimal_places=2)
    nrc_amount = models.DecimalField(max_digits=12, decimal_places=2)
    contract_value_amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["quote", "position"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="quote_line_unique_position"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="quote_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quote.number} #{self.position}"
