"""Reads for webhooks: listeners, what is due to be sent, and the delivery log."""

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery

from headend.core import events
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.core.models import OutboxEvent
from headend.core.permissions import Role, has_role
from headend.hub import envelopes
from headend.hub.models import Delivery, Subscription


def subscriptions_wanting(*, api: str, event_type: str) -> list[Subscription]:
    """Live subscriptions at `api`'s hub or TMF688's whose query takes `event_type`, of
    owners who are still active."""
    candidates = Subscription.objects.filter(
        deleted_at=None, api__in=[api, envelopes.EVENT_API], created_by__is_active=True
    ).select_related("created_by")
    return [s for s in candidates.order_by("id") if not s.event_types or event_type in s.event_types]


def subscription_get_for(*, user: Any, api: str, subscription_id: Any) -> Subscription:
    """A live subscription at `api`'s hub that `user` registered (admins: anyone's); NotFound
    otherwise, so others' ids reveal nothing."""
    found = Subscription.objects.filter(pk=parse_id(subscription_id), api=api, deleted_at=None)
    if not has_role(user, Role.ADMIN):
        found = found.filter(created_by=user)
    subscription = found.first()
    if subscription is None:
        raise NotFound("No such subscription.", field="id")
    return subscription


def subscription_get(*, subscription_id: Any) -> Subscription:
    subscription = Subscription.objects.filter(pk=parse_id(subscription_id), deleted_at=None).first()
    if subscription is None:
        raise NotFound("No such subscription.", field="id")
    return subscription


def subscription_list() -> models.QuerySet[Subscription]:
    """Live subscriptions, newest first, each with its latest delivery's status and answer,
    and how many deliveries wait or failed."""
    last = Delivery.objects.filter(subscription=OuterRef("pk")).order_by("-id")
    return (
        Subscription.objects.filter(deleted_at=None)
        .select_related("created_by")
        .annotate(
            last_status=Subquery(last.values("status")[:1]),
            last_status_code=Subquery(last.values("last_status_code")[:1]),
            waiting=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
            failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
        )
    )


def delivery_list(*, status: str = "", subscription_id: Any = None) -> models.QuerySet[Delivery]:
    """The delivery log, newest first, by status and subscription when given."""
    deliveries = Delivery.objects.select_related("subscription", "outbox_event").order_by("-id")
    if status:
        deliveries = deliveries.filter(status=status)
    if subscription_id:
        deliveries = deliveries.filter(subscription_id=parse_id(subscription_id))
    return deliveries


def delivery_get(*, delivery_id: Any) -> Delivery:
    delivery = (
        Delivery.objects.filter(pk=parse_id(delivery_id))
        .select_related("subscription", "outbox_event")
        .prefetch_related("attempt_log")
        .first()
    )
    if delivery is None:
        raise NotFound("No such delivery.", field="id")
    return delivery


def delivery_due_ids(*, at: dt.datetime, limit: int = 100) -> list[int]:
    """Deliveries to try now, oldest event first: pending, due, of a live subscription, with
    no earlier delivery for the same subscription and record still pending or failed, and no
    earlier event about the same subject still waiting to be relayed."""
    earlier_open = Delivery.objects.filter(
        subscription=OuterRef("subscription"),
        subject_key=OuterRef("subject_key"),
        outbox_event__lt=OuterRef("outbox_event"),
        status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED],
    )
    earlier_unrelayed = OutboxEvent.objects.filter(
        subject_type=OuterRef("outbox_event__subject_type"),
        subject_id=OuterRef("outbox_event__subject_id"),
        pk__lt=OuterRef("outbox_event"),
        published_at=None,
        attempts__lt=events.MAX_ATTEMPTS,
    )
    due = (
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=at, subscription__deleted_at=None)
        .exclude(Exists(earlier_open))
        .exclude(Exists(earlier_unrelayed))
        .order_by("outbox_event", "id")
        .values_list("pk", flat=True)
    )
    return list(due[:limit])
