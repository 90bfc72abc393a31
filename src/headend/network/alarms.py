"""TMF642 alarms, for monitoring systems that speak it (the API is network/alarm_api.py): raised,
updated, cleared, acknowledged and commented, kept as the standard describes them.

An alarm that affects service (perceivedSeverity critical or major, unless the system says
`serviceAffecting: false`) stands under an outage on its element as an OutageAlert, exactly as
an Alertmanager alert does (network/outages.py: it joins the outage already over the element or
opens one); when it clears, or is downgraded below major, that alert resolves, and the outage
with it once none of its alerts is left. Once cleared an alarm stays cleared (X.733: its
severity becomes "cleared" and can no longer be set); only its acknowledgement and comments
change after that."""

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction

from headend.core import clock, events
from headend.core.errors import Conflict, NotFound, ValidationError
from headend.core.ids import parse_id
from headend.core.permissions import require
from headend.network import outages
from headend.network.models import Alarm, Element, Outage, OutageAlert

# X.733 perceived severities; the first two take a service down.
SEVERITIES = ("critical", "major", "minor", "warning", "indeterminate", "cleared")
OUTAGE_SEVERITIES = frozenset({"critical", "major"})
CLEARED = Alarm.State.CLEARED

# What a monitoring system may change on a raised alarm (PATCH), by our field names.
UPDATABLE = frozenset(
    {
        "alarm_type",
        "perceived_severity",
        "probable_cause",
        "specific_problem",
        "alarm_details",
        "is_root_cause",
        "alarm_reporting_time",
        "alarm_changed_time",
        "state",
        "alarm_cleared_time",
        "cleared_by",
        "ack_state",
        "ack_user_id",
        "ack_system_id",
        "extra",
    }
)
# What may still change once it has cleared.
AFTER_CLEARED = frozenset({"ack_state", "ack_user_id", "ack_system_id", "extra", "alarm_reporting_time"})


def element_named(*, name: str | None, field: str = "alarmedObject.id") -> Element:
    """The element an alarm names: by its name (what monitoring knows it by), else by its id."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("Name the alarmed network element.", field=field, code="required")
    found = Element.objects.filter(name=name).first()
    if found is None and parse_id(name):
        found = Element.objects.filter(pk=parse_id(name)).first()
    if found is None:
        raise ValidationError(
            f"No network element is named {name[:100]!r}: add it to the topology first.",
            field=field,
            code="unknown_element",
        )
    return found


def opens_outage(alarm: Alarm) -> bool:
    """Whether the alarm takes service down: raised (or updated), critical or major, and not
    said to leave service alone."""
    return (
        alarm.state != CLEARED
        and alarm.perceived_severity in OUTAGE_SEVERITIES
        and alarm.extra.get("serviceAffecting") is not False
    )


def _severity(value: str, *, field: str = "perceived_severity") -> str:
    if value not in SEVERITIES:
        raise ValidationError(
            f"Not an X.733 severity: {str(value)[:20]!r} (one of {', '.join(SEVERITIES)}).", field=field, code="invalid"
        )
    return value


def _open_alert(alarm: Alarm) -> OutageAlert | None:
    return OutageAlert.objects.filter(
        source=Outage.Source.ALARM, key__startswith=f"{alarm.uid}#", resolved_at=None
    ).first()


def _sync_outage(alarm: Alarm, *, at: dt.datetime) -> None:
    """Keep the alarm's OutageAlert as the alarm now is: one open while it takes service down
    (joining or opening an outage on its element), none once it does not."""
    current = _open_alert(alarm)
    if opens_outage(alarm):
        if current is not None:
            return
        outages.lock_elements([alarm.element_id])
        number = OutageAlert.objects.filter(source=Outage.Source.ALARM, key__startswith=f"{alarm.uid}#").count() + 1
        began = min(alarm.alarm_raised_time, at) if number == 1 else at
        alert = outages.alert_fire(
            source=Outage.Source.ALARM,
            key=f"{alarm.uid}#{number}",
            element=alarm.element,
            labels={
                "alarm": alarm.pk,
                "alarmType": alarm.alarm_type,
                "probableCause": alarm.probable_cause,
                "perceivedSeverity": alarm.perceived_severity,
                "sourceSystemId": alarm.source_system_id,
                "externalAlarmId": alarm.external_alarm_id,
            },
            title=(alarm.specific_problem or f"{alarm.alarm_type}: {alarm.probable_cause}")[: outages.TITLE_MAX],
            description=alarm.alarm_details[: outages.DESCRIPTION_MAX],
            severity=alarm.perceived_severity,
            began_at=began,
            at=at,
        )
        if alarm.outage_id != alert.outage_id:
            alarm.outage_id = alert.outage_id
            alarm.save(update_fields=["outage"])
    elif current is not None:
        ended = alarm.alarm_cleared_time if alarm.state == CLEARED and alarm.alarm_cleared_time else at
        outages.alert_resolve(source=Outage.Source.ALARM, key=current.key, ended_at=min(ended, at), at=at)


@transaction.atomic
def alarm_raise(
    *,
    element: Element,
    alarm_type: str,
    perceived_severity: str,
    probable_cause: str,
    source_system_id: str,
    raised_at: dt.datetime,
    by: Any,
    state: str = Alarm.State.RAISED,
    specific_problem: str = "",
    external_alarm_id: str = "",
    alarm_details: str = "",
    is_root_cause: bool = False,
    reported_at: dt.datetime | None = None,
    changed_at: dt.datetime | None = None,
    cleared_at: dt.datetime | None = None,
    cleared_by: str = "",
    ack_state: str = Alarm.AckState.UNACKNOWLEDGED,
    ack_user_id: str = "",
    ack_system_id: str = "",
    comments: Iterable[dict[str, Any]] = (),
    extra: dict[str, Any] | None = None,
) -> Alarm:
    """A monitoring system reports an alarm on an element; one that affects service opens (or
    joins) an outage there. Raises Conflict when the system reported this alarm already (the
    same sourceSystemId and externalAlarmId)."""
    require(by, "alarm.manage")
    _severity(perceived_severity)
    if state not in Alarm.State.values:
        raise ValidationError(f"Not an alarm state: {state!r}.", field="state", code="invalid")
    if ack_state not in Alarm.AckState.values:
        raise ValidationError(f"Not an acknowledgement state: {ack_state!r}.", field="ack_state", code="invalid")
    if external_alarm_id:
        earlier = Alarm.objects.filter(source_system_id=source_system_id, external_alarm_id=external_alarm_id).first()
        if earlier is not None:
            raise Conflict(
                f"{source_system_id} reported alarm {external_alarm_id} already: it is alarm {earlier.pk} "
                "(change it with PATCH).",
                field="external_alarm_id",
                code="alarm_exists",
            )
    now = clock.now()
    cleared = state == CLEARED
    alarm = Alarm(
        uid=uuid.uuid4(),
        element=element,
        state=state,
        ack_state=ack_state,
        alarm_type=alarm_type,
        perceived_severity="cleared" if cleared else perceived_severity,
        probable_cause=probable_cause,
        specific_problem=specific_problem,
        external_alarm_id=external_alarm_id,
        source_system_id=source_system_id,
        alarm_details=alarm_details,
        is_root_cause=is_root_cause,
        alarm_raised_time=raised_at,
        alarm_reporting_time=reported_at or now,
        alarm_changed_time=changed_at,
        alarm_cleared_time=(cleared_at or now) if cleared else None,
        cleared_by=cleared_by if cleared else "",
        ack_system_id=ack_system_id,
        ack_user_id=ack_user_id,
        comments=[_comment(entry, at=now) for entry in comments],
        extra=extra or {},
    )
    alarm.full_clean(exclude=["outage"])
    alarm.save()
    _sync_outage(alarm, at=now)
    events.emit("alarm.raised", subject=alarm, data={"element": element.pk, "severity": alarm.perceived_severity})
    return alarm


def _comment(entry: dict[str, Any], *, at: dt.datetime) -> dict[str, Any]:
    time = entry.get("time") or at
    return {
        "comment": str(entry.get("comment") or ""),
        "time": time.astimezone(dt.UTC).isoformat() if isinstance(time, dt.datetime) else str(time),
        "userId": str(entry.get("userId") or ""),
        "systemId": str(entry.get("systemId") or ""),
    }


def _lock(alarm: Alarm) -> Alarm:
    return Alarm.objects.select_for_update(of=("self",)).select_related("element").get(pk=alarm.pk)


@transaction.atomic
def alarm_update(*, alarm: Alarm, changes: dict[str, Any], by: Any, comments: Iterable[dict[str, Any]] = ()) -> Alarm:
    """Change a raised alarm (its severity, details, acknowledgement, or state: "cleared" clears
    it) and add comments; its outage follows (a downgrade below major or a clear resolves its
    alert). A change to nothing writes nothing. Raises ValidationError for a field that cannot
    change and Conflict for anything but acknowledgement and comments on a cleared alarm."""
    require(by, "alarm.manage")
    unknown = sorted(set(changes) - UPDATABLE)
    if unknown:
        raise ValidationError(f"{unknown[0]} cannot change on an alarm.", field=unknown[0], code="read_only")
    alarm = _lock(alarm)
    now = clock.now()
    new_comments = [_comment(entry, at=now) for entry in comments]
    clean = dict(changes)
    if "perceived_severity" in clean:
        _severity(clean["perceived_severity"])
    if "state" in clean and clean["state"] not in Alarm.State.values:
        raise ValidationError(f"Not an alarm state: {clean['state']!r}.", field="state", code="invalid")
    if "ack_state" in clean and clean["ack_state"] not in Alarm.AckState.values:
        raise ValidationError(f"Not an acknowledgement state: {clean['ack_state']!r}.", field="ack_state")
    clearing = alarm.state != CLEARED and (
        clean.get("state") == CLEARED or clean.get("perceived_severity") == "cleared"
    )
    if alarm.state != CLEARED and not clearing:
        for key in ("alarm_cleared_time", "cleared_by"):
            if clean.get(key):
                raise ValidationError(
                    "Say who cleared it and when only when clearing the alarm (state cleared).",
                    field=key,
                    code="not_clearing",
                )
            clean.pop(key, None)
    if "extra" in clean:
        merged = {**alarm.extra, **clean["extra"]}
        clean["extra"] = {key: value for key, value in merged.items() if value is not None}  # null removes (RFC 7396)
    changed = sorted(key for key, value in clean.items() if getattr(alarm, key) != value)
    if alarm.state == CLEARED:
        locked = [key for key in changed if key not in AFTER_CLEARED]
        if locked:
            raise Conflict(
                f"Alarm {alarm.pk} has cleared: only its acknowledgement and comments can change now.",
                field=locked[0],
                code="alarm_cleared",
            )
    if not changed and not new_comments:
        return alarm
    for key in changed:
        setattr(alarm, key, clean[key])
    if clearing:
        alarm.state, alarm.perceived_severity = CLEARED, "cleared"
        alarm.alarm_cleared_time = min(clean.get("alarm_cleared_time") or now, now)
    elif alarm.state != CLEARED and set(changed) - {"ack_state", "ack_user_id", "ack_system_id", "extra"}:
        alarm.state = Alarm.State.UPDATED
        if "alarm_changed_time" not in changed:
            alarm.alarm_changed_time = now
    alarm.comments = [*alarm.comments, *new_comments]
    alarm.full_clean(exclude=["outage"])
    alarm.save()
    _sync_outage(alarm, at=now)
    events.emit(
        "alarm.cleared" if clearing else "alarm.updated",
        subject=alarm,
        data={"fields": changed, "comments": len(new_comments)},
    )
    return alarm


@transaction.atomic
def alarm_clear(
    *,
    alarm: Alarm,
    by: Any,
    cleared_at: dt.datetime | None = None,
    cleared_by: str = "",
    clear_system_id: str = "",
) -> Alarm:
    """Clear an alarm (the clearAlarms task), saying when, by whom and from which system;
    clearing a cleared alarm changes nothing."""
    require(by, "alarm.manage")
    if alarm.state == CLEARED:
        return alarm
    changes: dict[str, Any] = {"state": CLEARED}
    if cleared_at is not None:
        changes["alarm_cleared_time"] = cleared_at
    if cleared_by:
        changes["cleared_by"] = cleared_by
    if clear_system_id:
        changes["extra"] = {"clearSystemId": clear_system_id}
    return alarm_update(alarm=alarm, changes=changes, by=by)


@transaction.atomic
def alarm_acknowledge(*, alarm: Alarm, by: Any, user_id: str, system_id: str, acknowledged: bool = True) -> Alarm:
    """Acknowledge an alarm (or take the acknowledgement back), naming who and from where."""
    state = Alarm.AckState.ACKNOWLEDGED if acknowledged else Alarm.AckState.UNACKNOWLEDGED
    return alarm_update(
        alarm=alarm, changes={"ack_state": state, "ack_user_id": user_id, "ack_system_id": system_id}, by=by
    )


@transaction.atomic
def alarm_delete(*, alarm: Alarm, by: Any) -> None:
    """Remove a cleared alarm from the list (its outage keeps the alert it stood on). Raises
    Conflict for an alarm that has not cleared: clear it first."""
    require(by, "alarm.manage")
    alarm = _lock(alarm)
    if alarm.state != CLEARED:
        raise Conflict(f"Alarm {alarm.pk} has not cleared: clear it first.", field="state", code="alarm_not_cleared")
    events.emit("alarm.deleted", subject=alarm, data={"element": alarm.element_id})
    alarm.delete()


# --- Reads --------------------------------------------------------------------------------------


def alarm_list() -> models.QuerySet[Alarm]:
    return Alarm.objects.select_related("element").order_by("-alarm_raised_time", "-id")


def alarm_get(*, alarm_id: Any) -> Alarm:
    """One alarm by its id; NotFound otherwise."""
    found = alarm_list().filter(pk=parse_id(alarm_id)).first()
    if found is None:
        raise NotFound("No such alarm.", field="id")
    return found


def alarms_matching(patterns: list[dict[str, Any]]) -> models.QuerySet[Alarm]:
    """The alarms matching any of `patterns` (each: our field names to the values they must
    equal; `element_name` for the alarmed element), for the clear and acknowledge tasks."""
    if not patterns or any(not pattern for pattern in patterns):
        raise ValidationError(
            "Give each alarm pattern at least one attribute to match.", field="alarmPattern", code="empty_pattern"
        )
    query = models.Q()
    for pattern in patterns:
        terms = {("element__name" if key == "element_name" else key): value for key, value in pattern.items()}
        query |= models.Q(**terms)
    return alarm_list().filter(query)
