"""A subscriber held to a small rate at its data cap, and let go at its next cycle (the usage app
decides when: usage/throttling.py).

Throttling writes the subscriber's FreeRADIUS rows with the throttled group in radusergroup
(settings.HEADEND_USAGE_THROTTLED_GROUP, default "throttled"), whose reply is the rate of
settings.HEADEND_USAGE_THROTTLE_MBPS (default 1 Mbps down and up) for the NAS vendor, and tells
each open session by CoA-Request. Lifting writes the plan's group again (the walled garden if the
subscriber was suspended meanwhile) and sends the plan's rate. Both are idempotent: the rows are
made exactly what is asked, and a CoA sent twice changes nothing on the NAS.

These are network calls: no transaction of Headend's database is held around them. The
subscriber's record (plan group, state) is not changed, so provisioning's own writes (a
re-provision, a suspension's restore, an add-on's routes) put the plan's group back before the
cycle ends; the usage app throttles again only in a new cycle.

A NAS that does not answer, or a RADIUS database that cannot be reached, is a RetryableError;
a session on a NAS Headend does not know is reported in the outcome's `error` (the rows are
written: the subscriber is throttled from its next login)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from headend.catalog.code_actions import ActionContext, PermanentError, RetryableError
from headend.core.errors import ValidationError
from headend.provisioning import coa, radius, selectors
from headend.provisioning.models import Subscriber

DEFAULT_GROUP = "throttled"
DEFAULT_MBPS = 1


def throttled_group() -> str:
    return str(getattr(settings, "HEADEND_USAGE_THROTTLED_GROUP", DEFAULT_GROUP) or DEFAULT_GROUP)


def throttle_reply(vendor: str | None = None) -> list[radius.Row]:
    """The throttled group's reply: the throttle rate, down and up, for a vendor."""
    mbps = int(getattr(settings, "HEADEND_USAGE_THROTTLE_MBPS", DEFAULT_MBPS) or DEFAULT_MBPS)
    return radius.rate_reply(radius.Plan(code="throttled", download_mbps=mbps, upload_mbps=mbps), vendor)


@dataclass(frozen=True)
class ThrottleOutcome:
    username: str
    group: str
    sessions: dict[str, Any]
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""


def _write_and_tell(
    subscriber: Subscriber,
    *,
    group: str,
    group_rows: list[radius.Row] | None,
    attributes: Callable[[str], list[radius.Row]],
) -> ThrottleOutcome:
    entry = radius.user_entry(
        username=subscriber.username,
        auth_type=subscriber.auth_type,
        password=subscriber.password,
        group=group,
        framed_ip=subscriber.framed_ip,
        framed_routes=list(subscriber.framed_routes or []),
    )
    context = ActionContext(task=None, params={})
    try:
        radius.user_write(entry, groups={group: group_rows} if group_rows is not None else None)
        sessions = coa.push(context, username=subscriber.username, kind="coa", attributes=attributes)
    except radius.RadiusUnavailable as exc:
        raise RetryableError(str(exc)) from exc
    except PermanentError as exc:
        return ThrottleOutcome(subscriber.username, group, {"sent": []}, context.exchanges, error=str(exc))
    return ThrottleOutcome(subscriber.username, group, sessions, context.exchanges)


def subscriber_throttle(*, service: Any) -> ThrottleOutcome | None:
    """Put the service's subscriber in the throttled group and tell its open sessions; None when
    it has no active subscriber (never provisioned, suspended or removed: nothing to throttle).

    Raises RetryableError (a NAS that does not answer, the RADIUS database down)."""
    subscriber = selectors.subscriber_for_service(service=service)
    if subscriber is None or subscriber.state != Subscriber.State.ACTIVE:
        return None
    return _write_and_tell(subscriber, group=throttled_group(), group_rows=throttle_reply(), attributes=throttle_reply)


def subscriber_unthrottle(*, service: Any) -> ThrottleOutcome | None:
    """Put the service's subscriber back in its plan's group (the walled garden if it was
    suspended meanwhile) and send its open sessions that rate; None when it has no subscriber
    left (never provisioned or removed).

    Raises RetryableError (a NAS that does not answer, the RADIUS database down)."""
    subscriber = selectors.subscriber_for_service(service=service)
    if subscriber is None or subscriber.state == Subscriber.State.REMOVED:
        return None
    if subscriber.state == Subscriber.State.SUSPENDED:
        garden = settings.HEADEND_RADIUS_WALLED_GARDEN_GROUP
        return _write_and_tell(
            subscriber, group=garden, group_rows=radius.walled_garden_reply(), attributes=radius.walled_garden_reply
        )
    version = service.product_version
    try:
        plan = radius.plan_of(
            code=version.product.code,
            name=version.product.name,
            download_mbps=version.download_mbps,
            upload_mbps=version.upload_mbps,
        )
    except ValidationError:
        # No speeds on the version now: the group's own reply, as provisioning wrote it.
        rows = radius.group_reply_get(subscriber.plan_group)
        return _write_and_tell(subscriber, group=subscriber.plan_group, group_rows=None, attributes=lambda _: rows)
    return _write_and_tell(
        subscriber,
        group=subscriber.plan_group,
        group_rows=None,  # provisioning wrote the plan group's rows
        attributes=lambda vendor: radius.rate_reply(plan, vendor),
    )
