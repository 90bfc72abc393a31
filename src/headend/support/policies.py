"""Write use cases for how support is set up, by admins ("sla_policy.manage"): the SLA targets per
priority and kind of customer, and the queues cases wait in.

A changed target applies to cases opened (or re-prioritised) afterwards: an open case keeps the
targets it was given (support/cases.py)."""

from typing import Any

from django.db import transaction

from headend.core import events
from headend.core.errors import ValidationError
from headend.core.permissions import require

from .models import CustomerType, Priority, Queue, SlaPolicy

MAX_MINUTES = 60 * 24 * 366  # a year of minutes: anything longer is a typo


def _minutes(value: Any, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("Give a whole number of minutes.", field=field, code="invalid")
    if not 1 <= value <= MAX_MINUTES:
        raise ValidationError(f"Give 1 to {MAX_MINUTES} minutes.", field=field, code="out_of_range")
    return value


@transaction.atomic
def sla_policy_save(
    *,
    by: Any,
    priority: str,
    customer_type: str,
    response_minutes: int,
    resolution_minutes: int,
    round_the_clock: bool = False,
    warn_percent: int = 75,
    policy: SlaPolicy | None = None,
) -> SlaPolicy:
    """Set the targets of one priority for one kind of customer (a new policy, or `policy`
    changed). Raises ValidationError naming the field: a priority or customer type not among
    the choices, one that already has a policy, a target out of range, a resolution target
    before the response target, a warning level outside 1 to 100 %."""
    require(by, "sla_policy.manage")
    if priority not in Priority.values:
        raise ValidationError("Choose a priority.", field="priority", code="invalid_choice")
    if customer_type not in CustomerType.values:
        raise ValidationError("Choose a kind of customer.", field="customer_type", code="invalid_choice")
    response_minutes = _minutes(response_minutes, field="response_minutes")
    resolution_minutes = _minutes(resolution_minutes, field="resolution_minutes")
    if resolution_minutes < response_minutes:
        raise ValidationError(
            "The resolution target cannot come before the response target.",
            field="resolution_minutes",
            code="resolution_before_response",
        )
    if isinstance(warn_percent, bool) or not isinstance(warn_percent, int) or not 1 <= warn_percent <= 100:
        raise ValidationError("Give a percent from 1 to 100.", field="warn_percent", code="out_of_range")
    taken = SlaPolicy.objects.select_for_update().filter(priority=priority, customer_type=customer_type)
    if policy is not None:
        policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
        taken = taken.exclude(pk=policy.pk)
    if taken.exists():
        raise ValidationError(
            f"{CustomerType(customer_type).label} {Priority(priority).label} already has a policy: change that one.",
            field="priority",
            code="policy_exists",
        )
    policy = policy or SlaPolicy()
    policy.priority, policy.customer_type = priority, customer_type
    policy.response_minutes, policy.resolution_minutes = response_minutes, resolution_minutes
    policy.round_the_clock, policy.warn_percent = bool(round_the_clock), warn_percent
    policy.full_clean()
    policy.save()
    events.emit("sla_policy.saved", subject=policy, data={"priority": priority, "customer_type": customer_type})
    return policy


@transaction.atomic
def sla_policy_delete(*, by: Any, policy: SlaPolicy) -> None:
    """Drop a policy: its priority and kind of customer go back to the built-in targets."""
    require(by, "sla_policy.manage")
    events.emit("sla_policy.deleted", subject=policy, data={"priority": policy.priority})
    SlaPolicy.objects.filter(pk=policy.pk).delete()


@transaction.atomic
def queue_save(
    *, by: Any, name: str, description: str = "", is_default: bool = False, queue: Queue | None = None
) -> Queue:
    """Add a queue or change one; the default queue (where cases with no queue land) is one at
    most, so making one the default takes it from the others. Raises ValidationError on a
    missing, too long or taken name."""
    require(by, "sla_policy.manage")
    name = str(name or "").strip()
    description = str(description or "").strip()
    if not name:
        raise ValidationError("This field is required.", field="name", code="required")
    if len(name) > (Queue._meta.get_field("name").max_length or 80):
        raise ValidationError("At most 80 characters.", field="name", code="too_long")
    if len(description) > (Queue._meta.get_field("description").max_length or 200):
        raise ValidationError("At most 200 characters.", field="description", code="too_long")
    others = Queue.objects.select_for_update()
    if queue is not None:
        others = others.exclude(pk=queue.pk)
    if others.filter(name__iexact=name).exists():
        raise ValidationError(f"There is already a queue named {name}.", field="name", code="name_taken")
    if is_default:
        others.filter(is_default=True).update(is_default=False)
    queue = Queue.objects.select_for_update().get(pk=queue.pk) if queue else Queue()
    queue.name, queue.description, queue.is_default = name, description, bool(is_default)
    queue.save()
    events.emit("queue.saved", subject=queue, data={"name": name, "is_default": queue.is_default})
    return queue
