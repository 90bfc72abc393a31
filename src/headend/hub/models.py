"""Webhooks: hub registrations (TMF "EventSubscription") and the deliveries made to them.

An outbox event that a subscription wants becomes one `Delivery` in the transaction that marks
the event published; the worker then POSTs it, outside any transaction, until the callback
answers 2xx or the attempts run out. Each try is a `DeliveryAttempt`."""

from django.conf import settings
from django.db import models

from headend.core import audit
from headend.core.models import OutboxEvent


class Subscription(models.Model):
    """A listener registered at one API's `/hub`: where to POST, which event types, the key
    that signs what is sent. It sends what its owner (`created_by`) may read."""

    api = models.CharField(max_length=60, help_text="The API's basePath after /tmf-api/, e.g. serviceInventory/v4.")
    callback = models.CharField(max_length=500)
    query = models.CharField(max_length=500, blank=True)
    event_types = models.JSONField(default=list, blank=True, help_text="Empty: every type the API sends.")
    # Kept as given: signing needs the key itself, so it cannot be stored as a hash.
    secret = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Who registered, changed or removed a listener; the signing key stays out of the trail.
    history = audit.history(excluded_fields=["secret"])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["api"], name="hub_subscription_live", condition=models.Q(deleted_at=None))]

    def __str__(self) -> str:
        return f"{self.api} -> {self.callback}"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None


class Delivery(models.Model):
    """One event for one subscription: its exact body, where it stands, when to try next."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    outbox_event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="+")
    event_type = models.CharField(max_length=80)
    # The record the event is about, as the receiver knows it ("service/12"): deliveries for
    # one record go out in the order of their events.
    subject_key = models.CharField(max_length=80)
    url = models.CharField(max_length=600)
    body = models.TextField(help_text="The JSON envelope, byte for byte as signed and sent.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Tries since it was (re)queued.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "outbox_event"], name="hub_delivery_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="hub_delivery_due"),
            models.Index(fields=["subscription", "subject_key", "outbox_event"], name="hub_delivery_record"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.subscription.callback}"


class DeliveryAttempt(models.Model):
    """One POST of a delivery. `finished_at` empty: under way, or the worker died during it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="hub_attempt_number")]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
