"""Work orders, one per order line, and their tasks copied from the product's template."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from headend.core.models import StatusModel
from headend.core.permissions import Role


class WorkOrder(StatusModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {
        "pending": {"in_progress", "completed", "cancelled"},
        "in_progress": {"completed", "cancelled"},
        "completed": set(),
        "cancelled": set(),
    }

    order_line = models.OneToOneField("orders.OrderLine", on_delete=models.PROTECT, related_name="work_order")
    service = models.ForeignKey("inventory.Service", on_delete=models.PROTECT, related_name="work_orders")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def number(self) -> str:
        return f"W-{self.pk:06d}"

    def get_absolute_url(self) -> str:
        return reverse("fulfillment:work_order_detail", args=[self.pk])


class Task(StatusModel):
    class Kind(models.TextChoices):
        MANUAL = "manual", "Manual"
        CODE = "code", "Code"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        READY = "ready", "Ready"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {
        "pending": {"ready", "cancelled"},
        "ready": {"in_progress", "done", "failed", "cancelled"},
        "in_progress": {"done", "failed", "cancelled"},
        "failed": {"ready", "cancelled"},
        "done": set(),
        "cancelled": set(),
    }

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    planned_minutes = models.PositiveIntegerField()
    code_action = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    depends_on = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="successors")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["work_order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["work_order", "position"], name="task_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.READY, self.Status.IN_PROGRESS, self.Status.FAILED)
