"""Orders: an accepted quote made executable; its status is the roll-up of its lines."""

from django.db import models
from django.urls import reverse

from headend.catalog.models import ProductVersion, Term, WorkAction
from headend.core import audit
from headend.core.models import StatusModel
from headend.crm.models import Account, Location
from headend.quoting.models import QuoteLine


class Order(StatusModel):
    class Status(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        PARTIAL = "partial", "Partially completed"
        FAILED = "failed", "Failed"
        PENDING_CANCELLATION = "pending_cancellation", "Cancelling"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {
        "acknowledged": {"in_progress", "completed", "cancelled", "failed", "partial", "pending_cancellation"},
        "in_progress": {"completed", "partial", "failed", "cancelled", "pending_cancellation"},
        "pending_cancellation": {"cancelled", "partial", "completed", "failed"},
        "completed": set(),
        "partial": set(),
        "failed": set(),
        "cancelled": set(),
    }

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="orders")
    quote = models.OneToOneField("quoting.Quote", null=True, blank=True, on_delete=models.PROTECT, related_name="order")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.ACKNOWLEDGED)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Go-live as first planned (baseline) and as forecast now: the last work order's finish.
    planned_go_live = models.DateTimeField(null=True, blank=True)
    forecast_go_live = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    history = audit.history()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"O-{self.pk:06d}"

    def get_absolute_url(self) -> str:
        return reverse("orders:order_detail", args=[self.pk])


class OrderLine(StatusModel):
    class Action(models.TextChoices):
        """The TMF item actions: those of `catalog.models.WorkAction` an order line takes (its
        work may be a move, `template_action`)."""

        ADD = WorkAction.ADD.value, WorkAction.ADD.label
        MODIFY = WorkAction.MODIFY.value, WorkAction.MODIFY.label
        DELETE = WorkAction.DELETE.value, WorkAction.DELETE.label

    class Status(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {
        "acknowledged": {"in_progress", "completed", "failed", "cancelled"},
        "in_progress": {"completed", "failed", "cancelled"},
        "completed": set(),
        "failed": set(),
        "cancelled": set(),
    }

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    action = models.CharField(max_length=8, choices=Action.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACKNOWLEDGED)
    # For modify / delete: the service in inventory that this line changes.
    target_service = models.ForeignKey(
        "inventory.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="change_lines"
    )
    quote_line = models.OneToOneField(
        "quoting.QuoteLine", null=True, blank=True, on_delete=models.PROTECT, related_name="order_line"
    )
    # An add-on's base: a line of this order (its service is turned up first) or a live service.
    base_line = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="addon_lines", verbose_name="rides on"
    )
    base_service = models.ForeignKey(
        "inventory.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="addon_order_lines"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="order_lines")
    product_version = models.ForeignKey(ProductVersion, on_delete=models.PROTECT, related_name="order_lines")
    term_months = models.PositiveSmallIntegerField(choices=Term.choices)
    quantity = models.PositiveIntegerField()
    mrc_amount = models.DecimalField(max_digits=12, decimal_places=2)
    nrc_amount = models.DecimalField(max_digits=12, decimal_places=2)
    # The quote line's promotion: the first `promo_months` months at `promo_mrc_amount`.
    promotion = models.ForeignKey(
        "catalog.Promotion", null=True, blank=True, on_delete=models.PROTECT, related_name="order_lines"
    )
    promo_mrc_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    promo_months = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_line_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.order.number} #{self.position}"

    @property
    def template_action(self) -> str | None:
        """Which work-order template the line takes: a modify that changes the location is a move;
        None for a re-term or re-rate of the product the service has (no work: the order applies
        it at once). Read before the line takes effect."""
        target = self.target_service
        if self.action != self.Action.MODIFY or target is None:
            return self.action
        quote_line = self.quote_line
        return QuoteLine.work_action(
            quote_line.action if quote_line is not None else "upgrade",
            changes_version=target.product_version_id != self.product_version_id or target.quantity != self.quantity,
            moves=target.location_id != self.location_id,
        )

    @property
    def renews_term(self) -> bool:
        """The line starts a new term on the service (a re-term), even at the same length."""
        return self.quote_line is not None and self.quote_line.action == QuoteLine.Action.RE_TERM
