"""TMF642 alarm: alarms from monitoring systems that speak the standard (`/tmf-api/alarm/v4/`).

- `alarm` (GET list and one, POST, PATCH, DELETE). `id` is an integer, as TMF642 v4's Alarm
  has it. `alarmedObject.id` names the network element: its name in the topology, as monitoring
  knows it (or its Headend id); `alarmedObject.name` is read too when `id` is left out. An
  unknown element is a 400 on `alarmedObject.id`, and nothing is written.
- An alarm that affects service (perceivedSeverity critical or major, unless `serviceAffecting`
  is false) opens an outage on its element, or joins the one already over it (network/alarms.py);
  it resolves when the alarm clears (`state: cleared`, or `perceivedSeverity: cleared`) or is
  downgraded below major. The same `sourceSystemId` and `externalAlarmId` twice is a 409
  `alarm_exists` (change the first with PATCH).
- PATCH is a JSON merge patch (RFC 7396) of Alarm_Update: severity, type, cause, details,
  state, acknowledgement, and `comment` entries, which are added (one the alarm has already is
  not added twice). `alarmedObject`, `sourceSystemId`, `externalAlarmId` and `alarmRaisedTime`
  cannot change (400 `read_only` when they differ). A cleared alarm stays cleared: only its
  acknowledgement and comments change (409 `alarm_cleared`).
- DELETE removes a cleared alarm (the outage keeps the alert it stood on); 409 otherwise.
- `clearAlarms` and `ackAlarms` (POST): the task resources, done at once (`state: done`), for the
  alarms matching any of `alarmPattern` (each pattern's attributes must all equal the alarm's:
  id, externalAlarmId, sourceSystemId, alarmType, perceivedSeverity, probableCause,
  specificProblem, state, ackState, isRootCause, alarmedObject.id; any other is a 400). They are
  not kept, so there is no GET of them.

Reads: every staff member. Writes: "alarm.manage" (the network team, and integration tokens
for monitoring systems), checked first here and again by the use cases."""

from typing import Any, Literal

from django.db import transaction
from django.http import HttpResponse
from ninja import Query, Router, Status

from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, paginate
from headend.api.schemas import ERRORS
from headend.core import clock
from headend.core.errors import ValidationError
from headend.core.permissions import require
from headend.network import alarms
from headend.network.models import Alarm

from .alarm_schemas import (
    ALARM_FIELDS,
    AckAlarmsIn,
    AckAlarmsOut,
    AlarmIn,
    AlarmOut,
    AlarmPatchIn,
    AlarmRefOut,
    AlarmState,
    ClearAlarmsIn,
    ClearAlarmsOut,
    alarm_href,
)

router = Router(tags=["TMF642 alarm"], by_alias=True, exclude_none=True)
MERGE_PATCH = {
    "requestBody": {
        "content": {"application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/AlarmPatchIn"}}}
    }
}


@router.get("/alarm", response={200: list[AlarmOut], **ERRORS}, summary="List alarms")
def alarm_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    state: AlarmState | None = None,
    perceived_severity: Literal["critical", "major", "minor", "warning", "indeterminate", "cleared"] | None = Query(
        None, alias="perceivedSeverity"
    ),
    ack_state: Literal["acknowledged", "unacknowledged"] | None = Query(None, alias="ackState"),
    source_system_id: str | None = Query(None, alias="sourceSystemId", max_length=100),
    external_alarm_id: str | None = Query(None, alias="externalAlarmId", max_length=100),
    alarmed_object_id: str | None = Query(None, alias="alarmedObject.id", max_length=100),
) -> list[AlarmOut]:
    found = alarms.alarm_list()
    for value, terms in (
        (state, {"state": state}),
        (perceived_severity, {"perceived_severity": perceived_severity}),
        (ack_state, {"ack_state": ack_state}),
        (source_system_id, {"source_system_id": source_system_id}),
        (external_alarm_id, {"external_alarm_id": external_alarm_id}),
        (alarmed_object_id, {"element__name": alarmed_object_id}),
    ):
        if value is not None:
            if "\x00" in value:  # PostgreSQL refuses NUL in a query
                field = ALARM_FIELDS.get(next(iter(terms)), "alarmedObject.id")
                raise ValidationError("Text cannot contain NUL characters.", field=field, code="invalid")
            found = found.filter(**terms)
    return [AlarmOut.of(request, alarm) for alarm in paginate(response, found, page)]


@router.get("/alarm/{id}", response={200: AlarmOut, **ERRORS}, summary="Retrieve an alarm")
def alarm_get(request: ApiRequest, id: str, fields: str | None = None) -> AlarmOut:
    return AlarmOut.of(request, alarms.alarm_get(alarm_id=id))


@router.post("/alarm", response={201: AlarmOut, **ERRORS}, summary="Report an alarm")
def alarm_create(request: ApiRequest, payload: AlarmIn) -> Status:
    """A monitoring system reports an alarm; one that affects service opens (or joins) an outage
    on its element. Needs the alarm.manage rule (the network team, integration tokens)."""
    user = request.auth
    require(user, "alarm.manage")
    with body_fields(ALARM_FIELDS):
        element = alarms.element_named(name=payload.alarmed_object.element_name())
        extra = {key: value for key, value in payload.extra_given().items() if value is not None}
        if payload.clear_system_id:
            extra["clearSystemId"] = payload.clear_system_id
        alarm = alarms.alarm_raise(
            element=element,
            alarm_type=payload.alarm_type,
            perceived_severity=payload.perceived_severity,
            probable_cause=payload.probable_cause,
            source_system_id=payload.source_system_id,
            raised_at=payload.alarm_raised_time,
            state=payload.state,
            specific_problem=payload.specific_problem or "",
            external_alarm_id=payload.external_alarm_id or "",
            alarm_details=payload.alarm_details or "",
            is_root_cause=bool(payload.is_root_cause),
            reported_at=payload.alarm_reporting_time,
            changed_at=payload.alarm_changed_time,
            cleared_at=payload.alarm_cleared_time,
            cleared_by=payload.clear_user_id or "",
            ack_state=payload.ack_state or Alarm.AckState.UNACKNOWLEDGED,
            ack_user_id=payload.ack_user_id or "",
            ack_system_id=payload.ack_system_id or "",
            comments=[entry.as_entry() for entry in payload.comment or []],
            extra=extra,
            by=user,
        )
    return Status(201, AlarmOut.of(request, alarms.alarm_get(alarm_id=alarm.pk)))


# Alarm_Update attributes that identify the alarm: they may be sent back as they are, not changed.
FIXED = {
    "external_alarm_id": ("externalAlarmId", lambda alarm: alarm.external_alarm_id),
    "source_system_id": ("sourceSystemId", lambda alarm: alarm.source_system_id),
    "alarm_raised_time": ("alarmRaisedTime", lambda alarm: alarm.alarm_raised_time),
    "alarmed_object_type": ("alarmedObjectType", lambda alarm: alarm.element.get_kind_display()),
}
REQUIRED = {"alarm_type": "alarmType", "probable_cause": "probableCause", "perceived_severity": "perceivedSeverity"}
TEXTS = ("specific_problem", "alarm_details", "ack_user_id", "ack_system_id")
AS_GIVEN = ("alarm_type", "probable_cause", "perceived_severity", "state", "ack_state", "alarm_reporting_time")


def _changes(payload: AlarmPatchIn, alarm: Alarm) -> dict[str, Any]:
    """The merge patch as the use case's changes; identifying attributes must stay as they are."""
    given = payload.model_fields_set
    for name, (alias, current) in FIXED.items():
        if name in given and getattr(payload, name) != current(alarm):
            raise ValidationError(f"{alias} cannot change on an alarm.", field=alias, code="read_only")
    if "alarmed_object" in given:
        named = payload.alarmed_object or {}
        if not isinstance(named, dict) or str(named.get("id") or named.get("name") or "") not in (
            alarm.element.name,
            str(alarm.element_id),
        ):
            raise ValidationError("alarmedObject cannot change on an alarm.", field="alarmedObject", code="read_only")
    changes: dict[str, Any] = {}
    for name, alias in REQUIRED.items():
        if name in given and getattr(payload, name) is None:
            raise ValidationError("This attribute cannot be emptied.", field=alias, code="required")
    for name in AS_GIVEN:
        if name in given and getattr(payload, name) is not None:
            changes[name] = getattr(payload, name)
    for name in TEXTS:
        if name in given:
            changes[name] = getattr(payload, name) or ""
    if "is_root_cause" in given:
        changes["is_root_cause"] = bool(payload.is_root_cause)
    for name in ("alarm_changed_time", "alarm_cleared_time"):
        if name in given and getattr(payload, name) is not None:
            changes[name] = getattr(payload, name)
    if "clear_user_id" in given:
        changes["cleared_by"] = payload.clear_user_id or ""
    extra = payload.extra_given()
    if extra:
        changes["extra"] = extra
    return changes


@router.patch("/alarm/{id}", response={200: AlarmOut, **ERRORS}, summary="Change an alarm", openapi_extra=MERGE_PATCH)
def alarm_patch(request: ApiRequest, id: str, payload: AlarmPatchIn) -> AlarmOut:
    """Change a raised alarm (severity, details, acknowledgement; `state: cleared` clears it)
    and add comments. Needs the alarm.manage rule."""
    user = request.auth
    require(user, "alarm.manage")
    alarm = alarms.alarm_get(alarm_id=id)
    changes = _changes(payload, alarm)
    known = {(entry.get("comment"), entry.get("userId") or "", entry.get("systemId") or "") for entry in alarm.comments}
    comments = [
        entry.as_entry()
        for entry in payload.comment or []
        if (entry.comment, entry.user_id or "", entry.system_id or "") not in known
    ]
    with body_fields(ALARM_FIELDS):
        alarms.alarm_update(alarm=alarm, changes=changes, comments=comments, by=user)
    return AlarmOut.of(request, alarms.alarm_get(alarm_id=alarm.pk))


@router.delete("/alarm/{id}", response={204: None, **ERRORS}, summary="Remove a cleared alarm")
def alarm_delete(request: ApiRequest, id: str) -> Status:
    user = request.auth
    require(user, "alarm.manage")
    alarms.alarm_delete(alarm=alarms.alarm_get(alarm_id=id), by=user)
    return Status(204, None)


def _matching(patterns: list[Any]) -> list[Alarm]:
    with body_fields({"alarmPattern": "alarmPattern"}):
        return list(alarms.alarms_matching([pattern.terms() for pattern in patterns]).order_by("pk"))


@router.post("/clearAlarms", response={201: ClearAlarmsOut, **ERRORS}, summary="Clear the alarms matching patterns")
def alarms_clear(request: ApiRequest, payload: ClearAlarmsIn) -> Status:
    """Clear every alarm (not cleared yet) matching any pattern, all or none. Needs alarm.manage."""
    user = request.auth
    require(user, "alarm.manage")
    with transaction.atomic():
        cleared = []
        for alarm in _matching(payload.alarm_pattern):
            if alarm.state == Alarm.State.CLEARED:
                continue
            alarms.alarm_clear(
                alarm=alarm,
                cleared_at=payload.alarm_cleared_time,
                cleared_by=payload.clear_user_id,
                clear_system_id=payload.clear_system_id,
                by=user,
            )
            cleared.append(alarm)
    return Status(
        201,
        ClearAlarmsOut(
            alarm_cleared_time=payload.alarm_cleared_time,
            clear_system_id=payload.clear_system_id,
            clear_user_id=payload.clear_user_id,
            alarm_pattern=[pattern.echo() for pattern in payload.alarm_pattern],
            cleared_alarm=[AlarmRefOut(id=alarm.pk, href=alarm_href(request, alarm.pk)) for alarm in cleared],
        ),
    )


@router.post("/ackAlarms", response={201: AckAlarmsOut, **ERRORS}, summary="Acknowledge the alarms matching patterns")
def alarms_ack(request: ApiRequest, payload: AckAlarmsIn) -> Status:
    """Acknowledge every alarm matching any pattern, naming who and from where, all or none.
    Needs alarm.manage."""
    user = request.auth
    require(user, "alarm.manage")
    with transaction.atomic():
        matched = _matching(payload.alarm_pattern)
        for alarm in matched:
            alarms.alarm_acknowledge(alarm=alarm, user_id=payload.ack_user_id, system_id=payload.ack_system_id, by=user)
    return Status(
        201,
        AckAlarmsOut(
            ack_time=payload.ack_time or clock.now(),
            ack_system_id=payload.ack_system_id,
            ack_user_id=payload.ack_user_id,
            alarm_pattern=[pattern.echo() for pattern in payload.alarm_pattern],
            acked_alarm=[AlarmRefOut(id=alarm.pk, href=alarm_href(request, alarm.pk)) for alarm in matched],
        ),
    )
