"""Outages and maintenance windows: opened from monitoring (Prometheus Alertmanager's webhook,
TMF642 alarms: network/alarms.py) or by staff, resolved when every alert they stand on has,
and the planned windows the worker loop opens and closes on time.

Rules:
- An alert names its element by a label (settings.HEADEND_ALERT_ELEMENT_LABEL, "element" by
  default; a comma-separated list is tried in order, "element,device").
- A firing alert opens an outage on its element, unless the element is already down: an open
  outage or maintenance window on it or on an element above it (the topmost) takes the alert
  instead. So a re-sent alert, another alert of the same group, or the PON ports' alerts under a
  dead OLT never open a second outage (nor notify anyone twice). An Alertmanager alert is kept
  by `fingerprint@startsAt`: Alertmanager sends the same pair again until it resolves, and a new
  `startsAt` when the same alert fires again later.
- A resolved alert closes its OutageAlert; an unplanned outage resolves when all of its alerts
  have (at the last one's end). An outage staff opened by hand, and a maintenance window, are
  ended by staff or by the window's end only.
- Instants monitoring sends are taken as given but never in the future (its clock may be ahead).
- A webhook body is checked whole before anything is written: version "4", JSON, every field
  used, every element known; then all its alerts are applied in one transaction.

Each change emits an outbox event, subject the Outage, for support (support/outage_response.py)
to work out who is impacted, open the parent case and notify customers: "outage.started",
"outage.ended", "maintenance.scheduled", "maintenance.cancelled"."""

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models, transaction

from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.permissions import require
from headend.network.models import Element, Outage, OutageAlert

logger = logging.getLogger(__name__)

ALERTMANAGER_VERSION = "4"
TITLE_MAX: int = Outage._meta.get_field("title").max_length or 200
SEVERITY_MAX: int = Outage._meta.get_field("severity").max_length or 20
KEY_MAX: int = OutageAlert._meta.get_field("key").max_length or 200
DESCRIPTION_MAX = 5000
LABELS_MAX = 100  # labels kept per alert (Alertmanager's alerts carry a handful)
LABEL_VALUE_MAX = 1000
MIN_YEAR, MAX_YEAR = 1900, 2999  # the instants an outage takes (as TMF642's alarms take them)

Source = Outage.Source


def element_labels() -> list[str]:
    """The labels an alert may name its element by, in the order they are tried."""
    names = [name.strip() for name in str(settings.HEADEND_ALERT_ELEMENT_LABEL).split(",")]
    return [name for name in names if name] or ["element"]


# --- Reading an alert in ----------------------------------------------------------------------


@dataclass(frozen=True)
class AlertIn:
    """One alert of a webhook body, checked: its element found, its key and instants read."""

    firing: bool
    element: Element
    key: str
    labels: dict[str, str]
    title: str
    description: str
    severity: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None


@dataclass
class Received:
    """What a webhook body did: outages opened and resolved, alerts new, seen before, resolved,
    and resolved alerts never seen firing (nothing to close)."""

    opened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    new: int = 0
    seen: int = 0
    cleared: int = 0
    unknown: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "outages_opened": self.opened,
            "outages_resolved": self.resolved,
            "alerts": {"new": self.new, "seen_before": self.seen, "resolved": self.cleared, "not_known": self.unknown},
        }


def _instant(value: Any, *, field: str) -> dt.datetime:
    """An RFC 3339 instant with its offset (Alertmanager's nanoseconds are cut to microseconds)."""
    if not isinstance(value, str) or not value:
        raise ValidationError("Give an RFC 3339 instant, e.g. 2026-11-24T19:31:14Z.", field=field, code="required")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"Not an RFC 3339 instant: {value[:60]!r}.", field=field, code="invalid_datetime"
        ) from None
    if parsed.tzinfo is None:
        raise ValidationError(
            f"The instant {value[:60]!r} has no time zone offset (Z or +hh:mm).", field=field, code="invalid_datetime"
        )
    try:
        instant = parsed.astimezone(dt.UTC)
    except OverflowError:
        instant = None
    if instant is None or not MIN_YEAR <= instant.year <= MAX_YEAR:  # the customers' notices say when
        raise ValidationError(
            f"The instant {value[:60]!r} is out of range (years {MIN_YEAR} to {MAX_YEAR}).",
            field=field,
            code="invalid_datetime",
        )
    return instant


def _text_map(value: Any, *, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValidationError("Give an object of text values.", field=field, code="invalid")
    if len(value) > LABELS_MAX:
        raise ValidationError(f"At most {LABELS_MAX} labels.", field=field, code="too_many")
    if any("\x00" in text for pair in value.items() for text in pair):
        raise ValidationError("Text cannot contain NUL characters.", field=field, code="invalid")
    return {str(k)[:LABEL_VALUE_MAX]: v[:LABEL_VALUE_MAX] for k, v in value.items()}


def _element_name(labels: dict[str, str], *, field: str) -> tuple[str, str]:
    """(label, element name): the first of the configured labels the alert carries."""
    wanted = element_labels()
    for label in wanted:
        if labels.get(label, "").strip():
            return label, labels[label].strip()
    raise ValidationError(
        f"The alert names no network element: give it a label {' or '.join(wanted)} "
        "(settings.HEADEND_ALERT_ELEMENT_LABEL).",
        field=field,
        code="no_element",
    )


def alertmanager_parse(body: bytes | str) -> list[AlertIn]:
    """Read and check a webhook body (version 4) whole; raise ValidationError naming the first
    thing wrong (`version`, `alerts[1].labels.element`, ...). Reads, never writes."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValidationError(f"The body is not JSON ({exc}).", field="body", code="invalid_json") from None
    if not isinstance(payload, dict):
        raise ValidationError("The body is not a JSON object.", field="body", code="invalid_body")
    version = payload.get("version")
    if version != ALERTMANAGER_VERSION:
        said = "no version" if version is None else f"version {str(version)[:20]!r}"
        raise ValidationError(
            f"Only Alertmanager's webhook version {ALERTMANAGER_VERSION} is understood; this body has {said}.",
            field="version",
            code="unsupported_version",
        )
    raw_alerts = payload.get("alerts")
    if not isinstance(raw_alerts, list) or not raw_alerts:
        raise ValidationError("Give the alerts: a list of at least one.", field="alerts", code="required")
    read: list[tuple[str, dict[str, Any]]] = []
    for index, raw in enumerate(raw_alerts):
        at = f"alerts[{index}]"
        if not isinstance(raw, dict):
            raise ValidationError("An alert is a JSON object.", field=at, code="invalid")
        status = raw.get("status")
        if status not in ("firing", "resolved"):
            raise ValidationError(
                f"The status is firing or resolved, not {str(status)[:20]!r}.", field=f"{at}.status", code="invalid"
            )
        labels = _text_map(raw.get("labels"), field=f"{at}.labels")
        annotations = _text_map(raw.get("annotations"), field=f"{at}.annotations")
        label, name = _element_name(labels, field=f"{at}.labels")
        fingerprint = raw.get("fingerprint")
        if not isinstance(fingerprint, str) or not fingerprint.strip():
            raise ValidationError("Give the alert's fingerprint.", field=f"{at}.fingerprint", code="required")
        if "\x00" in fingerprint:
            raise ValidationError("Text cannot contain NUL characters.", field=f"{at}.fingerprint", code="invalid")
        starts_raw = raw.get("startsAt")
        starts_at = _instant(starts_raw, field=f"{at}.startsAt")
        ends_at = _instant(raw.get("endsAt"), field=f"{at}.endsAt") if status == "resolved" else None
        key = f"{fingerprint.strip()}@{starts_raw}"
        if len(key) > KEY_MAX:
            raise ValidationError(
                f"The fingerprint and startsAt are too long ({len(key)} characters; at most {KEY_MAX}).",
                field=f"{at}.fingerprint",
                code="too_long",
            )
        read.append(
            (
                name,
                {
                    "at": f"{at}.labels.{label}",
                    "firing": status == "firing",
                    "key": key,
                    "labels": labels,
                    "title": (annotations.get("summary") or labels.get("alertname") or f"Alert on {name}")[:TITLE_MAX],
                    "description": (annotations.get("description") or "")[:DESCRIPTION_MAX],
                    "severity": labels.get("severity", "")[:SEVERITY_MAX],
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                },
            )
        )
    known = {element.name: element for element in Element.objects.filter(name__in={name for name, _ in read})}
    alerts = []
    for name, values in read:
        where = values.pop("at")
        if name not in known:
            raise ValidationError(
                f"No network element is named {name[:100]!r}: add it to the topology, or fix the alert's label.",
                field=where,
                code="unknown_element",
            )
        alerts.append(AlertIn(element=known[name], **values))
    return alerts


@transaction.atomic
def alertmanager_receive(*, payload: bytes | str) -> Received:
    """Apply an Alertmanager webhook body (version 4): firing alerts open or join outages,
    resolved ones close their alert and, once an outage has none left, the outage.

    Raises ValidationError (nothing written) for a body that is not version 4, not JSON, misses
    a field, or names an element the topology does not have."""
    alerts = alertmanager_parse(payload)
    now = clock.now()
    lock_elements(alert.element.pk for alert in alerts)
    received = Received()
    for alert in alerts:
        if alert.firing:
            alert_fire(
                source=Source.ALERTMANAGER,
                key=alert.key,
                element=alert.element,
                labels=alert.labels,
                title=alert.title,
                description=alert.description,
                severity=alert.severity,
                began_at=min(alert.starts_at, now),
                at=now,
                received=received,
            )
        else:
            assert alert.ends_at is not None
            alert_resolve(
                source=Source.ALERTMANAGER, key=alert.key, ended_at=min(alert.ends_at, now), at=now, received=received
            )
    return received


# --- Alerts and the outages they stand on (shared with TMF642 alarms) --------------------------


def lock_elements(ids: Iterable[int]) -> None:
    """Lock the elements about to go down, in id order: two receivers never open two outages on
    one element (the unique constraint backs this), and never deadlock each other."""
    list(Element.objects.select_for_update().filter(pk__in=set(ids)).order_by("pk").values_list("pk", flat=True))


def open_outage_over(element: Element) -> Outage | None:
    """The open outage or maintenance window on the element or above it (the topmost), if any."""
    return (
        Outage.objects.filter(element_id__in=[*element.ancestor_ids, element.pk], status=Outage.Status.OPEN)
        .select_related("element")
        .order_by("element__depth", "started_at", "pk")
        .first()
    )


def alert_fire(
    *,
    source: str,
    key: str,
    element: Element,
    labels: dict[str, Any],
    title: str,
    description: str,
    severity: str,
    began_at: dt.datetime,
    at: dt.datetime,
    received: Received | None = None,
) -> OutageAlert:
    """A firing alert: the one kept under `key` (seen before: its last sighting moves), or a new
    one on the outage already over the element, or on a new outage of the element. The caller
    holds the element's lock."""
    received = received if received is not None else Received()
    alert = OutageAlert.objects.filter(source=source, key=key).first()
    if alert is not None:
        if alert.resolved_at is None and alert.last_seen_at != at:
            OutageAlert.objects.filter(pk=alert.pk).update(last_seen_at=at)
        received.seen += 1
        return alert
    outage = open_outage_over(element)
    if outage is None:
        outage = Outage(
            element=element,
            kind=Outage.Kind.UNPLANNED,
            status=Outage.Status.OPEN,
            source=source,
            title=title or f"{element} down",
            description=description,
            severity=severity,
            started_at=began_at,
            created_at=at,
        )
        outage.full_clean()
        outage.save()
        events.emit(
            "outage.started",
            subject=outage,
            data={"element": element.pk, "kind": outage.kind, "source": source, "started_at": began_at.isoformat()},
        )
        received.opened.append(outage.pk)
    received.new += 1
    return OutageAlert.objects.create(
        outage=outage, source=source, key=key, labels=labels, first_seen_at=at, last_seen_at=at
    )


def alert_resolve(
    *, source: str, key: str, ended_at: dt.datetime, at: dt.datetime, received: Received | None = None
) -> OutageAlert | None:
    """A resolved alert: closed, and its outage with it when it was the last one open (an
    unplanned outage monitoring opened). None for an alert never seen firing."""
    received = received if received is not None else Received()
    alert = OutageAlert.objects.select_for_update().filter(source=source, key=key).first()
    if alert is None:
        received.unknown += 1
        return None
    if alert.resolved_at is not None:
        received.seen += 1
        return alert
    outage = Outage.objects.select_for_update().get(pk=alert.outage_id)
    alert.resolved_at = max(ended_at, outage.started_at or ended_at)
    alert.last_seen_at = at
    alert.save(update_fields=["resolved_at", "last_seen_at"])
    received.cleared += 1
    if (
        outage.status == Outage.Status.OPEN
        and outage.kind == Outage.Kind.UNPLANNED
        and outage.source != Source.STAFF
        and not outage.alerts.filter(resolved_at=None).exists()
    ):
        last = outage.alerts.aggregate(last=models.Max("resolved_at"))["last"] or alert.resolved_at
        _end(outage, ended_at=last, how="alerts resolved")
        received.resolved.append(outage.pk)
    return alert


def _end(outage: Outage, *, ended_at: dt.datetime, how: str) -> Outage:
    """Mark a locked open outage or window resolved at `ended_at`. An outage's alerts still open
    close with it (staff's word wins over monitoring's). A window's alerts still firing mean the
    element is still down when the window ends: they move to a new outage on the window's
    element, opened then (the work overran; "outage.ended" names it, so nobody is told the
    service is back), and its customers hear of that one."""
    started = outage.started_at or ended_at
    outage.status = Outage.Status.RESOLVED
    outage.ended_at = max(ended_at, started)
    outage.save(update_fields=["status", "ended_at"])
    firing = outage.alerts.filter(resolved_at=None)
    overrun = None
    if outage.kind == Outage.Kind.MAINTENANCE and firing.exists():
        lock_elements([outage.element_id])
        overrun = Outage.objects.create(
            element_id=outage.element_id,
            kind=Outage.Kind.UNPLANNED,
            status=Outage.Status.OPEN,
            source=firing.order_by("first_seen_at", "pk").values_list("source", flat=True)[0],
            title=f"Still down after maintenance: {outage.title}"[:TITLE_MAX],
            description=outage.description,
            started_at=outage.ended_at,
            created_at=clock.now(),
        )
        firing.update(outage=overrun)
    else:
        firing.update(resolved_at=outage.ended_at)
    events.emit(
        "outage.ended",
        subject=outage,
        data={
            "element": outage.element_id,
            "kind": outage.kind,
            "ended_at": outage.ended_at.isoformat(),
            "how": how,
            "overrun": overrun.pk if overrun else None,
        },
    )
    if overrun is not None:
        events.emit(
            "outage.started",
            subject=overrun,
            data={
                "element": overrun.element_id,
                "kind": overrun.kind,
                "source": overrun.source,
                "started_at": outage.ended_at.isoformat(),
                "after_maintenance": outage.pk,
            },
        )
    return outage


@transaction.atomic
def outage_impact_set(*, outage: Outage, services: int, customers: int, at: dt.datetime) -> Outage:
    """Support worked out who the outage impacts (support/outage_response.py): keep the counts."""
    Outage.objects.filter(pk=outage.pk).update(
        services_impacted=services, customers_impacted=customers, impact_computed_at=at
    )
    outage.services_impacted, outage.customers_impacted, outage.impact_computed_at = services, customers, at
    return outage


# --- Staff: outages by hand ----------------------------------------------------------------------


def _text(value: Any, *, field: str, limit: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError("This field is required.", field=field, code="required")
    if len(text) > limit:
        raise ValidationError(f"At most {limit} characters (this has {len(text)}).", field=field, code="too_long")
    return text


def _lock(outage: Outage) -> Outage:
    return Outage.objects.select_for_update(of=("self",)).select_related("element").get(pk=outage.pk)


@transaction.atomic
def outage_open(*, element: Element, title: str, by: Any, description: str = "", severity: str = "") -> Outage:
    """Staff declare an element down (a fibre cut the monitoring cannot see). It stays open until
    staff resolve it. Raises Conflict when the element is down already (an open outage or
    maintenance window on it or above it)."""
    require(by, "outage.manage")
    title = _text(title, field="title", limit=TITLE_MAX)
    description = _text(description, field="description", limit=DESCRIPTION_MAX, required=False)
    severity = _text(severity, field="severity", limit=SEVERITY_MAX, required=False)
    lock_elements([element.pk])
    element = Element.objects.get(pk=element.pk)
    over = open_outage_over(element)
    if over is not None:
        raise Conflict(
            f"{element} is down already: {over.get_kind_display().lower()} on {over.element} "
            f"(open since {clock.local_date(over.started_at or over.created_at):%b %-d}).",
            field="element",
            code="already_down",
        )
    now = clock.now()
    outage = Outage(
        element=element,
        kind=Outage.Kind.UNPLANNED,
        status=Outage.Status.OPEN,
        source=Source.STAFF,
        title=title,
        description=description,
        severity=severity,
        started_at=now,
        created_by=by if getattr(by, "pk", None) is not None else None,
        created_at=now,
    )
    outage.full_clean()
    outage.save()
    events.emit(
        "outage.started",
        subject=outage,
        data={"element": element.pk, "kind": outage.kind, "source": Source.STAFF, "started_at": now.isoformat()},
    )
    return outage


@transaction.atomic
def outage_resolve(*, outage: Outage, by: Any) -> Outage:
    """Staff end an open outage (or a maintenance window early), now: its alerts still firing
    are closed with it. Raises Conflict if it is not open."""
    require(by, "outage.manage")
    outage = _lock(outage)
    if outage.status != Outage.Status.OPEN:
        raise Conflict(
            f"This {outage.get_kind_display().lower()} is {outage.get_status_display().lower()}, not open.",
            field="status",
            code="not_open",
        )
    return _end(outage, ended_at=clock.now(), how=f"resolved by {by.get_username()}")


# --- Staff: maintenance windows ----------------------------------------------------------------


@transaction.atomic
def maintenance_schedule(
    *,
    element: Element,
    start: dt.datetime,
    end: dt.datetime,
    title: str,
    by: Any,
    description: str = "",
) -> Outage:
    """Plan work that takes an element down from `start` to `end`: the customers below it are
    told ahead; the worker loop opens the window at its start and ends it at its end.

    Raises ValidationError for a window that ends before it starts or has ended already, and
    Conflict for one overlapping another window on the same element."""
    require(by, "outage.manage")
    title = _text(title, field="title", limit=TITLE_MAX)
    description = _text(description, field="description", limit=DESCRIPTION_MAX, required=False)
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValidationError("Give a date and time.", field=name, code="required")
        try:
            in_range = MIN_YEAR <= value.astimezone(dt.UTC).year <= MAX_YEAR
        except OverflowError:  # the first or last hours of year 1 or 9999, moved to UTC
            in_range = False
        if not in_range:
            raise ValidationError(
                f"Give a date between the years {MIN_YEAR} and {MAX_YEAR}.", field=name, code="out_of_range"
            )
    now = clock.now()
    if end <= start:
        raise ValidationError("The window ends after it starts.", field="end", code="ends_before_start")
    if end <= now:
        raise ValidationError("This window has ended already.", field="end", code="in_the_past")
    lock_elements([element.pk])
    overlapping = (
        Outage.objects.filter(
            element=element,
            kind=Outage.Kind.MAINTENANCE,
            status__in=(Outage.Status.SCHEDULED, Outage.Status.OPEN),
            scheduled_start__lt=end,
            scheduled_end__gt=start,
        )
        .order_by("scheduled_start")
        .first()
    )
    if overlapping is not None:
        zone = clock.provider_zone()
        begins, ends = (overlapping.scheduled_start or start), (overlapping.scheduled_end or end)
        raise Conflict(
            f"Another window on {element} overlaps this one: {overlapping.title} "
            f"({begins.astimezone(zone):%b %-d %H:%M} to {ends.astimezone(zone):%b %-d %H:%M}).",
            field="start",
            code="overlapping_window",
        )
    outage = Outage(
        element=element,
        kind=Outage.Kind.MAINTENANCE,
        status=Outage.Status.SCHEDULED,
        source=Source.STAFF,
        title=title,
        description=description,
        scheduled_start=start.astimezone(dt.UTC),
        scheduled_end=end.astimezone(dt.UTC),
        created_by=by if getattr(by, "pk", None) is not None else None,
        created_at=now,
    )
    outage.full_clean()
    outage.save()
    events.emit(
        "maintenance.scheduled",
        subject=outage,
        data={"element": element.pk, "start": start.isoformat(), "end": end.isoformat()},
    )
    return outage


@transaction.atomic
def maintenance_cancel(*, outage: Outage, by: Any) -> Outage:
    """Call off a window that has not started; the customers told of it are told it is off.
    Raises Conflict for anything but a scheduled window (end an open one instead)."""
    require(by, "outage.manage")
    outage = _lock(outage)
    if outage.kind != Outage.Kind.MAINTENANCE or outage.status != Outage.Status.SCHEDULED:
        raise Conflict(
            "Only a maintenance window that has not started can be cancelled"
            + (" (end it instead)." if outage.status == Outage.Status.OPEN else "."),
            field="status",
            code="not_scheduled",
        )
    outage.status = Outage.Status.CANCELLED
    outage.save(update_fields=["status"])
    events.emit("maintenance.cancelled", subject=outage, data={"element": outage.element_id})
    return outage


@transaction.atomic
def maintenance_start(*, outage: Outage, at: dt.datetime) -> Outage | None:
    """The worker opens a scheduled window whose start has come (at its planned start); None
    when it is not (or no longer) due."""
    outage = _lock(outage)
    if outage.status != Outage.Status.SCHEDULED or outage.scheduled_start is None or outage.scheduled_start > at:
        return None
    outage.status = Outage.Status.OPEN
    outage.started_at = outage.scheduled_start
    outage.save(update_fields=["status", "started_at"])
    events.emit(
        "outage.started",
        subject=outage,
        data={
            "element": outage.element_id,
            "kind": outage.kind,
            "source": outage.source,
            "started_at": outage.started_at.isoformat(),
        },
    )
    return outage


@transaction.atomic
def maintenance_finish(*, outage: Outage, at: dt.datetime) -> Outage | None:
    """The worker ends an open window whose end has come (at its planned end); None when it is
    not (or no longer) due."""
    outage = _lock(outage)
    if (
        outage.kind != Outage.Kind.MAINTENANCE
        or outage.status != Outage.Status.OPEN
        or outage.scheduled_end is None
        or outage.scheduled_end > at
    ):
        return None
    return _end(outage, ended_at=outage.scheduled_end, how="window ended")


def maintenance_windows_due(*, should_stop: Callable[[], bool] = lambda: False, limit: int = 100) -> int:
    """Open the scheduled windows whose start has passed and end the open ones whose end has,
    each in its own transaction; return how many moved."""
    now = clock.now()
    moved = 0
    due = Outage.objects.filter(kind=Outage.Kind.MAINTENANCE).order_by("pk")
    for outage in due.filter(status=Outage.Status.SCHEDULED, scheduled_start__lte=now)[:limit]:
        if should_stop():
            return moved
        moved += maintenance_start(outage=outage, at=now) is not None
    for outage in due.filter(status=Outage.Status.OPEN, scheduled_end__lte=now)[:limit]:
        if should_stop():
            return moved
        moved += maintenance_finish(outage=outage, at=now) is not None
    return moved


@events.follow_up
def open_and_close_windows(should_stop: Callable[[], bool]) -> int:
    """The worker loop's step (`relay_outbox --follow`): maintenance windows on time."""
    return maintenance_windows_due(should_stop=should_stop)
