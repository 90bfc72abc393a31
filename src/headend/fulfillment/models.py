"""Work orders, one per order line, and their tasks copied from the product's template;
technicians (with the catalog's skills), holidays and appointments that schedule them."""

import datetime as dt
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from headend.catalog.models import Skill, WorkAction
from headend.core import audit, clock
from headend.core.models import StatusModel
from headend.core.permissions import WORK_ROLE_CHOICES
from headend.core.user_files import RandomName


class Technician(models.Model):
    """A person who does field or office tasks: skills, working hours, daily capacity."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="technician")
    region = models.CharField(max_length=80, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="technicians")
    day_start = models.TimeField(default=dt.time(8, 0))
    day_end = models.TimeField(default=dt.time(17, 0))
    weekdays = models.CharField(max_length=7, default="01234", help_text="Working weekdays, 0 = Monday.")
    daily_capacity_minutes = models.PositiveIntegerField(default=480)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(condition=models.Q(day_end__gt=models.F("day_start")), name="technician_day_order"),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    def works_on(self, day: dt.date) -> bool:
        return str(day.weekday()) in self.weekdays


class Holiday(models.Model):
    """A day the provider does no scheduled work (in its own time zone)."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class WorkOrder(StatusModel):
    class Kind(models.TextChoices):
        SERVICE = "service", "Service work"  # an order line's, or a service action's
        SURVEY = "survey", "Site survey"  # a quote's site, before any service exists

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

    # None for a service action asked for outside an order (suspend, restore, disconnect).
    order_line = models.OneToOneField(
        "orders.OrderLine", null=True, blank=True, on_delete=models.PROTECT, related_name="work_order"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SERVICE)
    # A service's work; a site survey has none: it is bound to the site and to the quote's survey.
    service = models.ForeignKey(
        "inventory.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    location = models.ForeignKey(
        "crm.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    survey = models.OneToOneField(
        "quoting.SiteSurvey", null=True, blank=True, on_delete=models.PROTECT, related_name="work_order"
    )
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    action = models.CharField(max_length=8, choices=WorkAction.choices, default=WorkAction.ADD)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Go-live as first planned (baseline) and as forecast now; the difference is the slip.
    planned_finish = models.DateTimeField(null=True, blank=True)
    forecast_finish = models.DateTimeField(null=True, blank=True)
    # The date promised: the customer's requested date, else the provider's delivery target
    # (an SLA); the work order is late only when its forecast passes this plus the grace.
    committed_finish = models.DateTimeField(null=True, blank=True)
    # Set when its order is cancelled while undo tasks remain to be done.
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    # Why a person must look at it (a code task failed); empty when nothing needs attention.
    flagged_reason = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)
    history = audit.history()

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="service", service__isnull=False))
                | (models.Q(kind="survey", service__isnull=True, location__isnull=False, survey__isnull=False)),
                name="work_order_kind_binding",
                violation_error_message="A service work order has a service; a survey has a site and its survey.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def number(self) -> str:
        return f"W-{self.pk:06d}"

    @property
    def order(self) -> Any:
        """The order this work is for, or None for a service action (suspend, restore...)."""
        return self.order_line.order if self.order_line is not None else None

    @property
    def is_survey(self) -> bool:
        return self.kind == self.Kind.SURVEY

    @property
    def site(self) -> Any:
        """Where the work happens: the order line's location (a move's new address), else the
        service's, else (a survey) the site's."""
        if self.order_line is not None:
            return self.order_line.location
        return self.service.location if self.service is not None else self.location

    @property
    def account(self) -> Any:
        """Whose work it is: the service's account, or the surveyed site's."""
        if self.service is not None:
            return self.service.account
        assert self.location is not None  # the kind's check constraint: a survey has its site
        return self.location.account

    @property
    def item_action(self) -> str:
        """The TMF item action: add, modify or delete (a suspend or restore modifies the service)."""
        if self.order_line is not None:
            return self.order_line.action
        return WorkAction.DELETE if self.action == WorkAction.DELETE else WorkAction.MODIFY

    @property
    def product(self) -> Any:
        """The product the work is for (None for a survey: no product is sold yet)."""
        if self.order_line is not None:
            return self.order_line.product_version.product
        return self.service.product_version.product if self.service is not None else None

    def get_absolute_url(self) -> str:
        return reverse("fulfillment:work_order_detail", args=[self.pk])

    @cached_property
    def business_calendar(self) -> Any:
        """The provider's business calendar (one query for its holidays, once per instance)."""
        from headend.fulfillment.selectors import provider_calendar

        return provider_calendar()

    @cached_property
    def margin_minutes(self) -> int | None:
        """Working minutes from its go-live forecast (never before now) to its committed finish
        (its planned one for work from before commitments), negative once past it; None when
        it has no forecast or commitment."""
        committed = self.committed_finish or self.planned_finish
        if committed is None or self.forecast_finish is None:
            return None
        expected = max(self.forecast_finish, clock.now())
        return int(self.business_calendar.working_minutes_between(expected, committed))


class Task(StatusModel):
    class Kind(models.TextChoices):
        MANUAL = "manual", "Manual"
        CODE = "code", "Code"
        MILESTONE = "milestone", "Milestone"
        APPROVAL = "approval", "Approval"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        READY = "ready", "Ready"
        IN_PROGRESS = "in_progress", "In progress"
        BLOCKED = "blocked", "Blocked"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {
        "pending": {"ready", "cancelled"},
        "ready": {"in_progress", "done", "failed", "blocked", "cancelled"},
        # in_progress -> ready: a code task's attempt failed and waits for its next try.
        "in_progress": {"ready", "done", "failed", "blocked", "cancelled"},
        "blocked": {"ready", "in_progress", "cancelled"},
        "failed": {"ready", "done", "cancelled"},
        "done": set(),
        "cancelled": set(),
    }
    OPEN = ("pending", "ready", "in_progress", "blocked", "failed")

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    role = models.CharField(max_length=16, choices=WORK_ROLE_CHOICES, blank=True)
    skill = models.ForeignKey(Skill, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks")
    planned_minutes = models.PositiveIntegerField()
    code_action = models.CharField(max_length=60, blank=True)
    code_params = models.JSONField(default=dict, blank=True)
    turns_up = models.BooleanField(default=False)
    needs_appointment = models.BooleanField(default=False)
    undo = models.CharField(max_length=120, blank=True)
    undo_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="undone_by")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    blocked_reason = models.CharField(max_length=200, blank=True)
    depends_on: "models.ManyToManyField[Task, TaskDependency]" = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="successors",
        through="TaskDependency",
        through_fields=("task", "predecessor"),
    )
    # Baseline (as first scheduled) and forecast (now) start and finish; slack in working minutes.
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_finish = models.DateTimeField(null=True, blank=True)
    forecast_start = models.DateTimeField(null=True, blank=True)
    forecast_finish = models.DateTimeField(null=True, blank=True)
    slack_minutes = models.IntegerField(default=0)
    critical = models.BooleanField(default=False)
    # Not to start before this: an appointment or a manual reschedule.
    not_before = models.DateTimeField(null=True, blank=True)
    checklist = models.JSONField(default=list, blank=True)
    # What to bring (copied from the template task): shown on the technician's work order.
    equipment = models.JSONField(default=list, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    # Who the forecast plans the task on (its assignee's technician, else a qualified one with
    # time): written by the forecast, not a decision; None for work no technician levels.
    forecast_technician = models.ForeignKey(
        Technician, null=True, blank=True, on_delete=models.SET_NULL, related_name="forecast_tasks"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    # Code tasks: attempts since the last manual retry, when the next is due, and until when the
    # worker running it holds it (past that, the worker is presumed dead and another runs it).
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    skipped_reason = models.CharField(max_length=200, blank=True)
    history = audit.history()

    class Meta:
        ordering = ["work_order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["work_order", "position"], name="task_unique_position"),
        ]
        indexes = [
            # The code tasks the worker may take (code_tasks: its claims, its sweep): a few rows
            # however many tasks were ever done.
            models.Index(
                fields=["code_action", "id"],
                condition=models.Q(kind="code", status__in=["ready", "in_progress"]),
                name="task_code_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def show_critical(self) -> bool:
        """Whether to show people this task as critical, where it helps: it is open and either
        (1) on the critical path (no slack) of a work order with under one working day between
        its go-live forecast and its committed finish (or already past it), or (2) late to
        start: it has not started and has sat past its forecast start for longer than its slack
        and the work order's margin together, so the promise slips unless someone starts it.
        Not for a work order with no forecast or commitment. The gantt shows `critical` as is."""
        if not self.is_open:
            return False
        work_order = self.work_order
        margin = work_order.margin_minutes
        if margin is None:
            return False
        calendar = work_order.business_calendar
        if self.critical and margin < calendar.working_minutes_per_day:
            return True
        if self.started_at is None and self.forecast_start is not None:
            idle = calendar.working_minutes_between(self.forecast_start, clock.now())
            return bool(idle > self.slack_minutes + max(margin, 0))
        return False


class CodeAttempt(models.Model):
    """One run of a code task's action: what it sent and got back, how long, how it ended."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed"
        ABANDONED = "abandoned", "Abandoned (worker lost)"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="code_attempts")
    number = models.PositiveIntegerField()
    action = models.CharField(max_length=60)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    exchanges = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["task", "number"]
        constraints = [models.UniqueConstraint(fields=["task", "number"], name="code_attempt_unique_number")]

    def __str__(self) -> str:
        return f"{self.task} attempt {self.number}"


class TaskDependency(models.Model):
    """Finish-to-start: `task` starts `lag_minutes` of working time after `predecessor` finishes."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="dependencies")
    predecessor = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="dependents")
    lag_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "predecessor"], name="task_dependency_unique")]

    def __str__(self) -> str:
        return f"{self.predecessor_id} -> {self.task_id} (+{self.lag_minutes} min)"


class TaskAttachment(models.Model):
    """A photo or document kept with a task (a speed-test screenshot, a signed form)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    # Stored under a random name (core/user_files.py); `name` is the person's, cleaned. Rows from
    # before keep the path they were stored at and download through the same checks.
    file = models.FileField(upload_to=RandomName("task-attachments"))
    name = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class Appointment(models.Model):
    """A visit booked with the customer for a task (an installation window)."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CANCELLED = "cancelled", "Cancelled"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="appointments")
    technician = models.ForeignKey(Technician, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    booked_at = models.DateTimeField()

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=models.Q(status="booked"), name="appointment_one_booked_per_task"
            ),
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="appointment_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.start:%Y-%m-%d %H:%M}"
