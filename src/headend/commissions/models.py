"""Commissions: the plans finance defines, who is credited for an opportunity (splits), each
commissioned sale (a deal: one service, the plan it was booked under), what each rep earned for
it (earnings, clawbacks negative), and the months the recurring share was accrued for.

A rep's statement for a month is their earnings of that month; nothing here stores totals."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from headend.catalog.models import Product
from headend.core import audit

ZERO = Decimal("0")
HUNDRED = Decimal("100")


class Basis(models.TextChoices):
    """What a plan pays when a sale is booked or turned up."""

    NONE = "none", "Nothing"
    PERCENT = "percent", "Percent of MRR"
    FIXED = "fixed", "Fixed amount"


class Plan(models.Model):
    """What reps earn on the sales of a product, of a kind of product, or of every product, for
    the sales booked from `effective_from` to `effective_to` (both included; open-ended: None):
    on booking (the order accepted) and on turn-up, a percentage of the line's MRR or a fixed
    amount; a share of the service's MRR for its first `recurring_months` months; and all of it
    clawed back when the customer leaves within `clawback_months` of turn-up (0: never).

    Plans of the same scope never overlap; a product's sale takes the most specific plan in force
    on the day it is booked (the product's, else its kind's, else the plan for every product)."""

    name = models.CharField(max_length=120)
    # The scope: a product, or a kind of product, or (both empty) every product.
    product_kind = models.CharField("product kind", max_length=12, choices=Product.Kind.choices, blank=True)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="commission_plans"
    )
    booking_basis = models.CharField("on booking", max_length=8, choices=Basis.choices, default=Basis.NONE)
    booking_value = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    turn_up_basis = models.CharField("on turn-up", max_length=8, choices=Basis.choices, default=Basis.NONE)
    turn_up_value = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    recurring_percent = models.DecimalField("recurring share of MRR (%)", max_digits=5, decimal_places=2, default=ZERO)
    recurring_months = models.PositiveSmallIntegerField("recurring for (months)", default=0)
    clawback_months = models.PositiveSmallIntegerField("clawback within (months)", default=0)
    # Fixed amounts are in this currency (the provider's); a sale in another earns percentages only.
    currency = models.CharField(max_length=3)
    effective_from = models.DateField("first day")
    effective_to = models.DateField("last day", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["-effective_from", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(booking_value__gte=0) & Q(turn_up_value__gte=0), name="commission_plan_values_not_negative"
            ),
            models.CheckConstraint(
                condition=(~Q(booking_basis="percent") | Q(booking_value__lte=100))
                & (~Q(turn_up_basis="percent") | Q(turn_up_value__lte=100))
                & Q(recurring_percent__gte=0)
                & Q(recurring_percent__lte=100),
                name="commission_plan_percent_at_most_100",
            ),
            models.CheckConstraint(condition=Q(product_kind="") | Q(product=None), name="commission_plan_one_scope"),
            models.CheckConstraint(
                condition=Q(effective_to=None) | Q(effective_to__gte=models.F("effective_from")),
                name="commission_plan_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("commissions:plan_edit", args=[self.pk])

    @property
    def scope_label(self) -> str:
        if self.product_id is not None:
            return str(self.product)
        if self.product_kind:
            return f"Every {self.get_product_kind_display().lower()} product"
        return "Every product"


class Split(models.Model):
    """A rep's share of the commission on an opportunity's sales. An opportunity without splits
    credits its accepted quote's owner (who made the quote) with all of it."""

    opportunity = models.ForeignKey("crm.Opportunity", on_delete=models.CASCADE, related_name="commission_splits")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="commission_splits")
    share_percent = models.DecimalField("share (%)", max_digits=5, decimal_places=2)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["opportunity", "-share_percent", "id"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "rep"], name="commission_split_once_per_rep"),
            models.CheckConstraint(
                condition=Q(share_percent__gt=0) & Q(share_percent__lte=100), name="commission_split_share_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rep} {self.share_percent}%"


class Deal(models.Model):
    """A commissioned sale: one service from an accepted quote's order, the plan in force on the
    day it was booked (which governs everything it earns), the opportunity whose splits say who
    is credited, and the quote's owner, credited when the opportunity has no splits."""

    service = models.OneToOneField("inventory.Service", on_delete=models.PROTECT, related_name="commission_deal")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="deals")
    opportunity = models.ForeignKey("crm.Opportunity", on_delete=models.PROTECT, related_name="commission_deals")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    booked_on = models.DateField()
    turned_up_on = models.DateField(null=True, blank=True)
    disconnected_on = models.DateField(null=True, blank=True)
    clawed_back_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-booked_on", "-id"]
        indexes = [models.Index(fields=["turned_up_on"], name="commission_deal_turned_up")]

    def __str__(self) -> str:
        return f"Deal {self.pk} (service {self.service_id})"


class Earning(models.Model):
    """What one rep earned (or, clawed back, gave back) for one deal: one line of their monthly
    statement. Written once: (source_key, rep) is unique, so a replayed event or a second run of
    the month writes nothing. A clawback reverses exactly one earlier earning."""

    class Kind(models.TextChoices):
        BOOKING = "booking", "Booking"
        TURN_UP = "turn_up", "Turn-up"
        RECURRING = "recurring", "Recurring"
        CLAWBACK = "clawback", "Clawback"

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="commission_earnings")
    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="earnings")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    month = models.DateField()  # the first day of the statement month
    earned_on = models.DateField()
    # How it was worked out: `basis` of the plan (percent of `basis_amount` or a fixed amount),
    # the rep's share of the whole, and the amount, rounded once (the shares by largest remainder).
    basis = models.CharField(max_length=8, choices=Basis.choices)
    rate = models.DecimalField(max_digits=12, decimal_places=2)
    basis_amount = models.DecimalField("MRR", max_digits=12, decimal_places=2, default=ZERO)
    share_percent = models.DecimalField("share (%)", max_digits=5, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    source_key = models.CharField(max_length=60)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    journal_entry = models.ForeignKey(
        "billing.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="commission_earnings"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["month", "earned_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source_key", "rep"], name="commission_earning_once_per_rep"),
        ]
        indexes = [
            models.Index(fields=["rep", "month"], name="commission_earning_statement"),
            models.Index(fields=["month", "kind"], name="commission_earning_month"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"


class AccrualRun(models.Model):
    """A month the recurring share was accrued for, and when it was last run (its lock, too)."""

    month = models.DateField(unique=True)
    accrued_at = models.DateTimeField()
    earnings = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
