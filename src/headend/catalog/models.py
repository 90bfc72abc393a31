"""Products, their dated versions and prices per term, and work-order templates.

Quotes and services bind to the ProductVersion they were priced on, so publishing a new
version never changes a live service."""

import datetime as dt

from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from headend.core.models import StatusModel
from headend.core.permissions import Role


class Product(models.Model):
    class Kind(models.TextChoices):
        INTERNET = "internet", "Internet access"
        ADDON = "addon", "Add-on"
        VOICE = "voice", "Voice"

    class CustomerType(models.TextChoices):
        RESIDENTIAL = "residential", "Residential"
        BUSINESS = "business", "Business"
        ANY = "any", "Residential and business"

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    customer_type = models.CharField(max_length=12, choices=CustomerType.choices)
    # Add-ons are sold on top of one of these base products.
    addon_of = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="addons")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:product_detail", args=[self.pk])


class ProductVersion(StatusModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    TRANSITIONS = {"draft": {"published"}, "published": {"retired"}, "retired": set()}

    class Technology(models.TextChoices):
        FIBER = "fiber", "Fiber (FTTP)"
        CABLE = "cable", "Cable (DOCSIS)"
        FIXED_WIRELESS = "fixed_wireless", "Fixed wireless"
        DSL = "dsl", "DSL"
        NONE = "", "Not access-specific"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    effective_from = models.DateField()
    # Characteristics.
    download_mbps = models.PositiveIntegerField(null=True, blank=True)
    upload_mbps = models.PositiveIntegerField(null=True, blank=True)
    technology = models.CharField(max_length=16, choices=Technology.choices, blank=True)
    static_ips = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["product__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="product_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} v{self.version}"

    def is_sellable_on(self, day: dt.date) -> bool:
        return self.status == self.Status.PUBLISHED and self.effective_from <= day

    @property
    def speed_label(self) -> str:
        if not self.download_mbps:
            return ""

        def fmt(mbps: int) -> str:
            return f"{mbps // 1000} Gbps" if mbps >= 1000 and mbps % 1000 == 0 else f"{mbps} Mbps"

        up = self.upload_mbps or self.download_mbps
        return fmt(self.download_mbps) if up == self.download_mbps else f"{fmt(self.download_mbps)} / {fmt(up)}"


class Term(models.IntegerChoices):
    MONTH_TO_MONTH = 0, "Month-to-month"
    MONTHS_12 = 12, "12 months"
    MONTHS_24 = 24, "24 months"
    MONTHS_36 = 36, "36 months"


class Price(models.Model):
    """What a version costs on one contract term: monthly recurring and one-time."""

    version = models.ForeignKey(ProductVersion, on_delete=models.CASCADE, related_name="prices")
    term_months = models.PositiveSmallIntegerField(choices=Term.choices)
    mrc_amount = models.DecimalField("monthly recurring", max_digits=12, decimal_places=2)
    nrc_amount = models.DecimalField("one-time", max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["version", "term_months"]
        constraints = [
            models.UniqueConstraint(fields=["version", "term_months"], name="price_unique_term"),
            models.CheckConstraint(condition=models.Q(mrc_amount__gte=0, nrc_amount__gte=0), name="price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.get_term_months_display()}"


class WorkOrderTemplate(models.Model):
    """The work that an order line for this product and action turns into."""

    class Action(models.TextChoices):
        ADD = "add", "Add"
        MODIFY = "modify", "Modify"
        MOVE = "move", "Move"
        DELETE = "delete", "Disconnect"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="templates")
    action = models.CharField(max_length=8, choices=Action.choices)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["product", "action"]
        constraints = [
            models.UniqueConstraint(fields=["product", "action"], name="template_unique_action"),
        ]

    def __str__(self) -> str:
        return self.name


class TemplateTask(models.Model):
    class Kind(models.TextChoices):
        MANUAL = "manual", "Manual"
        CODE = "code", "Code (run by the worker)"
        MILESTONE = "milestone", "Milestone"
        APPROVAL = "approval", "Approval"

    template = models.ForeignKey(WorkOrderTemplate, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    skill = models.ForeignKey(
        "fulfillment.Skill",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="required skill",
    )
    planned_minutes = models.PositiveIntegerField(default=60)
    code_action = models.CharField(max_length=60, blank=True)
    # The task whose completion turns the service up (for a cancel: disconnects it).
    turns_up = models.BooleanField(default=False)
    # Items the technician ticks before completing the task ("Light level at ONT within range").
    checklist = models.JSONField(default=list, blank=True)
    # The customer is booked for this task (an installation): it starts at the appointment.
    needs_appointment = models.BooleanField(default=False)
    # What to do to reverse this task when its order is cancelled after it was done.
    undo = models.CharField("undo when cancelled", max_length=120, blank=True)
    depends_on: "models.ManyToManyField[TemplateTask, TemplateDependency]" = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="successors",
        through="TemplateDependency",
        through_fields=("task", "predecessor"),
    )

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="template_task_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class TemplateDependency(models.Model):
    """Finish-to-start: `task` starts `lag_minutes` of working time after `predecessor` finishes."""

    task = models.ForeignKey(TemplateTask, on_delete=models.CASCADE, related_name="dependencies")
    predecessor = models.ForeignKey(TemplateTask, on_delete=models.CASCADE, related_name="dependents")
    lag_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "predecessor"], name="template_dependency_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} -> {self.task_id} (+{self.lag_minutes} min)"
