"""Write use cases for webhooks: register and remove listeners, queue deliveries when the
outbox relays an event, send them, and redeliver by hand.

Sending is at least once: a delivery is marked delivered only after its callback answered 2xx,
so a worker that dies in between sends it again, and receivers dedupe by `eventId`."""

import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from headend.core import clock, outbound
from headend.core.backoff import delay
from headend.core.errors import Conflict, NotFound, ValidationError
from headend.core.models import OutboxEvent
from headend.core.permissions import require
from headend.hub import envelopes, selectors, signatures
from headend.hub.models import Delivery, DeliveryAttempt, Subscription

logger = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 16


def max_attempts() -> int:
    """Tries before a delivery is failed (then a person may redeliver it)."""
    return settings.HEADEND_WEBHOOK_MAX_ATTEMPTS


def backoff(attempt: int) -> dt.timedelta:
    """The wait after failed try number `attempt`: 30 s, doubling each time, at most an hour
    (HEADEND_WEBHOOK_BACKOFF, HEADEND_WEBHOOK_MAX_DELAY, in seconds)."""
    first, cap = settings.HEADEND_WEBHOOK_BACKOFF, settings.HEADEND_WEBHOOK_MAX_DELAY
    return dt.timedelta(seconds=delay(attempt, first=first, cap=cap))


def lease() -> dt.timedelta:
    """How long a worker holds a delivery it is sending. A worker that dies mid-send leaves it
    to another after this; it is longer than a POST can take (connect, write, read timeouts)."""
    return dt.timedelta(seconds=3 * settings.HEADEND_HTTP_TIMEOUT + 1)


# --- Registration -------------------------------------------------------------------------------


def _printable_word(text: str) -> bool:
    return text.isprintable() and not any(ch.isspace() for ch in text)


def _check_callback(callback: str) -> str:
    callback = callback.strip()
    invalid = ValidationError(
        "The callback must be an http:// or https:// URL.", field="callback", code="invalid_callback"
    )
    try:
        parts = urlsplit(callback)
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError as exc:
        raise invalid from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or not _printable_word(callback):
        raise invalid
    if parts.fragment:
        raise ValidationError("The callback cannot have a #fragment.", field="callback", code="invalid_callback")
    try:
        outbound.check(callback)
    except outbound.Refused as exc:
        raise ValidationError(f"The callback is refused: {exc}", field="callback", code="callback_refused") from exc
    except outbound.Unresolvable as exc:
        raise ValidationError(
            f"The callback's host does not resolve: {exc}", field="callback", code="callback_unresolvable"
        ) from exc
    return callback


def max_subscriptions() -> int:
    """Listeners one user may have registered at once, through all their tokens."""
    return settings.HEADEND_HUB_MAX_SUBSCRIPTIONS


def parse_query(api: str, query: str) -> list[str]:
    """The event types a hub query asks for: "eventType=A" or "eventType=A,B" (several
    `eventType` terms add up); empty means all. Raises ValidationError naming `query`."""
    known = envelopes.event_types(api)
    wanted: list[str] = []
    try:
        terms = parse_qsl(query.strip(), keep_blank_values=True, strict_parsing=bool(query.strip()))
    except ValueError as exc:
        raise ValidationError(
            "Write the query as eventType=<type>[,<type>...].", field="query", code="invalid_query"
        ) from exc
    for key, value in terms:
        if key.strip() != "eventType":
            raise ValidationError(
                f"Only eventType can be filtered on, not {key.strip()!r}.", field="query", code="unsupported_query"
            )
        for name in (part.strip() for part in value.split(",")):
            if name not in known:
                raise ValidationError(
                    f"Unknown event type {name!r} for this API; it sends {', '.join(known)}.",
                    field="query",
                    code="unknown_event_type",
                )
            if name not in wanted:
                wanted.append(name)
    return wanted


def subscription_register(
    *, api: str, callback: str, query: str = "", secret: str | None = None, registered_by: Any
) -> tuple[Subscription, str]:
    """Register a listener at an API's hub; return it and its signing secret (generated unless
    given), which is shown only now. Integration accounts and admins only (else Forbidden).
    Raises ValidationError naming callback (not an http(s) URL, or one the outbound address
    policy refuses), query or secret, and Conflict when the user has as many listeners as
    HEADEND_HUB_MAX_SUBSCRIPTIONS allows."""
    require(registered_by, "hub.register")
    if api not in envelopes.HUBS:
        raise NotFound(f"No hub at {api}.", field="api")
    callback = _check_callback(callback)  # resolves the host: before the transaction, not in it
    query = (query or "").strip()
    types = parse_query(api, query)
    if secret is None:
        secret = secrets.token_urlsafe(32)
    elif not MIN_SECRET_LENGTH <= len(secret) <= 200 or not _printable_word(secret):
        raise ValidationError(
            f"A secret has {MIN_SECRET_LENGTH} to 200 characters and no spaces.", field="secret", code="weak_secret"
        )
    return _subscription_create(
        api=api, callback=callback, query=query, types=types, secret=secret, registered_by=registered_by
    ), secret


@transaction.atomic
def _subscription_create(
    *, api: str, callback: str, query: str, types: list[str], secret: str, registered_by: Any
) -> Subscription:
    # The user's row is locked so two registrations at once cannot both take the last place.
    get_user_model().objects.select_for_update().filter(pk=registered_by.pk).first()
    limit = max_subscriptions()
    if Subscription.objects.filter(created_by=registered_by, deleted_at=None).count() >= limit:
        raise Conflict(
            f"You have {limit} listeners registered, the most one account may have; remove one first "
            "(DELETE …/hub/<id>).",
            code="too_many_subscriptions",
        )
    subscription = Subscription(
        api=api,
        callback=callback,
        query=query,
        event_types=types,
        secret=secret,
        created_by=registered_by,
        created_at=clock.now(),
    )
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: Subscription, deleted_by: Any) -> Subscription:
    """Unregister a listener: nothing more is queued for it and what waits is cancelled; its
    delivery log stays. Raises NotFound if it was removed already."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.deleted_at is not None:
        raise NotFound("No such subscription.", field="id")
    now = clock.now()
    subscription.deleted_at = now
    subscription.save(update_fields=["deleted_at"])
    subscription.deliveries.filter(status=Delivery.Status.PENDING).update(
        status=Delivery.Status.CANCELLED, next_attempt_at=None, last_error="The subscription was removed."
    )
    logger.info("hub subscription %s removed by %s", subscription.pk, deleted_by)
    return subscription


# --- Fan-out (in the relay's transaction) -----------------------------------------------------


def listener_url(callback: str, listener_name: str) -> str:
    """callback + "/listener/<name>", the TMF listener path, before any query string."""
    parts = urlsplit(callback)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}/listener/{listener_name}"))


@transaction.atomic
def deliveries_queue(*, event: OutboxEvent) -> list[Delivery]:
    """Queue one delivery of `event` per live subscription that wants it (called by the
    outbox relay, so queueing commits with the event's being published). Each subscription's
    envelope shows the resource as its owner may see it; an owner who may not, gets nothing."""
    notification = envelopes.notification_for(event.name)
    if notification is None:
        return []
    subscriptions = selectors.subscriptions_wanting(api=notification.resource.api, event_type=notification.event_type)
    if not subscriptions:
        return []
    now, request = clock.now(), envelopes.site_request()
    built: dict[int, tuple[str, str] | None] = {}
    deliveries = []
    for subscription in subscriptions:
        owner = subscription.created_by_id
        if owner not in built:
            try:
                built[owner] = envelopes.envelope(event, notification, user=subscription.created_by, request=request)
            except NotFound:
                built[owner] = None  # the owner may no longer see it, or it is gone
        envelope = built[owner]
        if envelope is None:
            continue
        subject_key, body = envelope
        deliveries.append(
            Delivery(
                subscription=subscription,
                outbox_event=event,
                event_type=notification.event_type,
                subject_key=subject_key,
                url=listener_url(subscription.callback, notification.listener_name),
                body=body,
                next_attempt_at=now,
                created_at=now,
            )
        )
    # One delivery per event and subscription (a constraint): queueing an event again adds nothing.
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return deliveries


# --- Sending (outside any transaction) ----------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    attempt_id: int
    url: str
    body: bytes
    secret: str
    event_id: str
    event_type: str


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int
    refused: bool = False  # the outbound address policy refused the callback: nothing was sent

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@transaction.atomic
def _claim(delivery_id: int) -> Claim | None:
    """Take a due delivery for one try: count the try, log it as under way, and hold the
    delivery for `lease()` so no other worker sends it meanwhile."""
    now = clock.now()
    delivery = (
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("subscription", "outbox_event")
        .filter(
            pk=delivery_id,
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            subscription__deleted_at=None,
        )
        .first()
    )
    if delivery is None:
        return None
    delivery.attempts += 1
    delivery.next_attempt_at = now + lease()
    delivery.save(update_fields=["attempts", "next_attempt_at"])
    attempt = DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempt_log.count() + 1, started_at=now)
    return Claim(
        delivery_id=delivery.pk,
        attempt_id=attempt.pk,
        url=delivery.url,
        body=delivery.body.encode(),
        secret=delivery.subscription.secret,
        event_id=str(delivery.outbox_event.event_id),
        event_type=delivery.event_type,
    )


def _post(client: httpx.Client, claim: Claim) -> Outcome:
    timestamp = int(clock.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Headend-Webhooks/1",
        "X-Headend-Event-Id": claim.event_id,
        "X-Headend-Event-Type": claim.event_type,
        signatures.HEADER: signatures.sign(claim.secret, timestamp, claim.body),
    }
    started = time.monotonic()
    status_code, error, refused = None, "", False
    try:
        with client.stream("POST", claim.url, content=claim.body, headers=headers) as response:
            status_code = response.status_code
            if not 200 <= status_code < 300:
                excerpt = b""
                for chunk in response.iter_bytes():
                    excerpt += chunk
                    if len(excerpt) >= 300:
                        break
                text = excerpt[:300].decode(errors="replace").strip()
                error = f"HTTP {status_code} {response.reason_phrase}" + (f": {text}" if text else "")
    except outbound.Refused as exc:
        error, refused = f"Not sent: {exc}"[:500], True
    except httpx.TimeoutException:
        error = f"No answer within {settings.HEADEND_HTTP_TIMEOUT:g} s (timeout)."
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    return Outcome(status_code, error, round((time.monotonic() - started) * 1000), refused=refused)


@transaction.atomic
def _record(claim: Claim, outcome: Outcome) -> Delivery:
    """Log the try and move the delivery: delivered on 2xx, else retried after `backoff`, or
    failed once `max_attempts()` tries were made, or at once when the address policy refused
    the callback (retrying would not change that; a person may redeliver once it is allowed)."""
    now = clock.now()
    DeliveryAttempt.objects.filter(pk=claim.attempt_id).update(
        finished_at=now, status_code=outcome.status_code, error=outcome.error, duration_ms=outcome.duration_ms
    )
    delivery = Delivery.objects.select_for_update().get(pk=claim.delivery_id)
    delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
    fields = ["last_status_code", "last_error"]
    if delivery.status == Delivery.Status.PENDING:
        if outcome.delivered:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = Delivery.Status.DELIVERED, now, None
        elif outcome.refused or delivery.attempts >= max_attempts():
            delivery.status, delivery.next_attempt_at = Delivery.Status.FAILED, None
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        fields += ["status", "delivered_at", "next_attempt_at"]
    delivery.save(update_fields=fields)
    return delivery


def delivery_send(*, delivery_id: int, client: httpx.Client | None = None) -> Delivery | None:
    """Try one delivery now if it is due (None if it is not, or another worker has it).
    `client`, if given, is an `outbound.client()`: the callback's address is checked again at
    each try, as DNS may have changed since it was registered."""
    claim = _claim(delivery_id)
    if claim is None:
        return None
    if client is None:
        with _client() as own:
            outcome = _post(own, claim)
    else:
        outcome = _post(client, claim)
    return _record(claim, outcome)


def _client() -> httpx.Client:
    return outbound.client(timeout=settings.HEADEND_HTTP_TIMEOUT)


def deliveries_send_due(*, should_stop: Callable[[], bool] = lambda: False, limit: int = 100) -> int:
    """Send what is due, oldest event first, one at a time; return how many were tried.

    A delivery waits while an earlier one to the same subscription about the same record is
    pending or failed, or while an earlier event about that record is not yet relayed, so each
    listener gets a record's events in order."""
    due = selectors.delivery_due_ids(at=clock.now(), limit=limit)
    if not due:
        return 0
    tried = 0
    with _client() as client:
        for delivery_id in due:
            if should_stop():
                break
            if delivery_send(delivery_id=delivery_id, client=client) is not None:
                tried += 1
    return tried


# --- By hand ------------------------------------------------------------------------------------


@transaction.atomic
def delivery_redeliver(*, delivery: Delivery, requested_by: Any) -> Delivery:
    """Queue a failed (or delivered) delivery again, now, with a fresh round of tries.

    Raises Conflict if it is already queued or its subscription was removed."""
    delivery = Delivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
    if delivery.status == Delivery.Status.PENDING:
        raise Conflict("This delivery is already queued.", field="status", code="already_queued")
    if delivery.status == Delivery.Status.CANCELLED or delivery.subscription.deleted_at is not None:
        raise Conflict(
            "The subscription was removed; nothing is sent to it.", field="status", code="subscription_removed"
        )
    delivery.status, delivery.attempts, delivery.next_attempt_at = Delivery.Status.PENDING, 0, clock.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    logger.info("hub delivery %s requeued by %s", delivery.pk, requested_by)
    return delivery
