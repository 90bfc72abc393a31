"""What every app shares: the outbox of events, the guarded-status mixin, and the audit trail of
staff users and their roles."""

import uuid
from typing import Any, ClassVar

import simple_history
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import models

from headend.core import audit
from headend.core.errors import Conflict


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change that caused it.

    The worker relays unpublished rows after commit, so nothing is lost when a process
    dies between commit and publish; consumers dedupe by `event_id`."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=80, db_index=True)
    subject_type = models.CharField(max_length=80)
    subject_id = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    # Who it was done by or for (core.audit.current_user); None: the system on its own.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(fields=["id"], name="outbox_unpublished", condition=models.Q(published_at=None)),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.subject_type}#{self.subject_id}"


class StatusModel(models.Model):
    """A row whose `status` moves only along `TRANSITIONS` (from -> allowed targets)."""

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {}
    status: Any

    class Meta:
        abstract = True

    def can_transition(self, to: str) -> bool:
        return to in self.TRANSITIONS.get(self.status, set())

    def check_transition(self, to: str) -> None:
        """Raise Conflict, naming both states, unless `status -> to` is allowed."""
        if not self.can_transition(to):
            label = type(self)._meta.verbose_name
            raise Conflict(
                f"A {label} that is {self.get_status_display()} cannot become "  # type: ignore[attr-defined]
                f"{to.replace('_', ' ')}.",
                field="status",
                code="invalid_transition",
            )


# Staff roles are groups (and the staff and superuser flags): who gave or took one, and when.
simple_history.register(
    User,
    app="headend.core",
    records_class=audit.AuditRecords,
    m2m_fields=["groups", "user_permissions"],
    excluded_fields=["password", "last_login"],
)
simple_history.register(Group, app="headend.core", records_class=audit.AuditRecords, m2m_fields=["permissions"])
