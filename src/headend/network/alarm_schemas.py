"""The bodies of TMF642 alarm, clearAlarms and ackAlarms (network/alarm_api.py): what the routes
answer (`AlarmOut`, `ClearAlarmsOut`, `AckAlarmsOut`) and read (`AlarmIn`, `AlarmPatchIn`,
`ClearAlarmsIn`, `AckAlarmsIn`), and our alarms in TMF's words."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field
from pydantic import AfterValidator, AwareDatetime, StringConstraints

from headend.api import links
from headend.api.schemas import Id, In, Out, Text40, Text100, Text200, Text5000
from headend.core.numbers import MAX_BIGINT
from headend.network.models import Alarm


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text cannot contain NUL characters")
    return value


def _sane_year(value: dt.datetime) -> dt.datetime:
    if not 1900 <= value.year <= 2999:
        raise ValueError("Give an instant between the years 1900 and 2999")
    return value


Text60 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60), AfterValidator(_no_nul)]
# An instant with its offset (RFC 3339), in years a database and a clock can hold.
Instant = Annotated[AwareDatetime, AfterValidator(_sane_year)]
AlarmId = Annotated[int, Field(ge=1, le=MAX_BIGINT)]
Text1000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000), AfterValidator(_no_nul)]
Severity = Literal["critical", "major", "minor", "warning", "indeterminate", "cleared"]
AlarmState = Literal["raised", "updated", "cleared"]
AckState = Literal["acknowledged", "unacknowledged"]

# Where the use cases' fields are in the bodies, for the errors they raise.
ALARM_FIELDS = {
    "alarm_type": "alarmType",
    "perceived_severity": "perceivedSeverity",
    "probable_cause": "probableCause",
    "specific_problem": "specificProblem",
    "external_alarm_id": "externalAlarmId",
    "source_system_id": "sourceSystemId",
    "alarm_details": "alarmDetails",
    "is_root_cause": "isRootCause",
    "alarm_raised_time": "alarmRaisedTime",
    "alarm_reporting_time": "alarmReportingTime",
    "alarm_changed_time": "alarmChangedTime",
    "alarm_cleared_time": "alarmClearedTime",
    "cleared_by": "clearUserId",
    "state": "state",
    "ack_state": "ackState",
    "ack_user_id": "ackUserId",
    "ack_system_id": "ackSystemId",
    "element": "alarmedObject.id",
}
# Attributes of the standard kept as sent and echoed back (Alarm.extra), by their TMF names.
EXTRA = {
    "service_affecting": "serviceAffecting",
    "alarm_escalation": "alarmEscalation",
    "planned_outage_indicator": "plannedOutageIndicator",
    "proposed_repaired_actions": "proposedRepairedActions",
    "reporting_system_id": "reportingSystemId",
    "clear_system_id": "clearSystemId",
}


def alarm_href(request: HttpRequest, pk: int) -> str:
    return links.ALARM.href(request, pk)


# --- Out ----------------------------------------------------------------------------------------


class AlarmedObjectOut(Out):
    id: str
    href: str | None = None
    type: str = Field(default="AlarmedObject", serialization_alias="@type")


class CommentOut(Out):
    comment: str
    time: dt.datetime | None = None
    user_id: str | None = Field(default=None, serialization_alias="userId")
    system_id: str | None = Field(default=None, serialization_alias="systemId")
    type: str = Field(default="Comment", serialization_alias="@type")


class AffectedServiceOut(Out):
    id: str
    href: str | None = None


class AlarmOut(Out):
    """An Alarm; `id` is an integer, as TMF642 v4's Alarm has it."""

    id: int
    href: str
    type: str = Field(default="Alarm", serialization_alias="@type")
    state: str
    ack_state: str = Field(serialization_alias="ackState")
    ack_system_id: str | None = Field(default=None, serialization_alias="ackSystemId")
    ack_user_id: str | None = Field(default=None, serialization_alias="ackUserId")
    alarm_type: str = Field(serialization_alias="alarmType")
    perceived_severity: str = Field(serialization_alias="perceivedSeverity")
    probable_cause: str = Field(serialization_alias="probableCause")
    specific_problem: str | None = Field(default=None, serialization_alias="specificProblem")
    external_alarm_id: str | None = Field(default=None, serialization_alias="externalAlarmId")
    source_system_id: str = Field(serialization_alias="sourceSystemId")
    alarm_details: str | None = Field(default=None, serialization_alias="alarmDetails")
    is_root_cause: bool = Field(serialization_alias="isRootCause")
    alarm_raised_time: dt.datetime = Field(serialization_alias="alarmRaisedTime")
    alarm_reporting_time: dt.datetime = Field(serialization_alias="alarmReportingTime")
    alarm_changed_time: dt.datetime | None = Field(default=None, serialization_alias="alarmChangedTime")
    alarm_cleared_time: dt.datetime | None = Field(default=None, serialization_alias="alarmClearedTime")
    clear_user_id: str | None = Field(default=None, serialization_alias="clearUserId")
    clear_system_id: str | None = Field(default=None, serialization_alias="clearSystemId")
    alarmed_object: AlarmedObjectOut = Field(serialization_alias="alarmedObject")
    alarmed_object_type: str = Field(serialization_alias="alarmedObjectType")
    comment: list[CommentOut]
    affected_service: list[AffectedServiceOut] | None = Field(default=None, serialization_alias="affectedService")
    service_affecting: bool | None = Field(default=None, serialization_alias="serviceAffecting")
    alarm_escalation: bool | None = Field(default=None, serialization_alias="alarmEscalation")
    planned_outage_indicator: str | None = Field(default=None, serialization_alias="plannedOutageIndicator")
    proposed_repaired_actions: str | None = Field(default=None, serialization_alias="proposedRepairedActions")
    reporting_system_id: str | None = Field(default=None, serialization_alias="reportingSystemId")

    @classmethod
    def of(cls, request: HttpRequest, alarm: Alarm) -> "AlarmOut":
        extra = alarm.extra or {}
        element = alarm.element
        return cls(
            id=alarm.pk,
            href=alarm_href(request, alarm.pk),
            state=alarm.state,
            ack_state=alarm.ack_state,
            ack_system_id=alarm.ack_system_id or None,
            ack_user_id=alarm.ack_user_id or None,
            alarm_type=alarm.alarm_type,
            perceived_severity=alarm.perceived_severity,
            probable_cause=alarm.probable_cause,
            specific_problem=alarm.specific_problem or None,
            external_alarm_id=alarm.external_alarm_id or None,
            source_system_id=alarm.source_system_id,
            alarm_details=alarm.alarm_details or None,
            is_root_cause=alarm.is_root_cause,
            alarm_raised_time=alarm.alarm_raised_time,
            alarm_reporting_time=alarm.alarm_reporting_time,
            alarm_changed_time=alarm.alarm_changed_time,
            alarm_cleared_time=alarm.alarm_cleared_time,
            clear_user_id=alarm.cleared_by or None,
            clear_system_id=extra.get("clearSystemId"),
            alarmed_object=AlarmedObjectOut(
                id=element.name, href=request.build_absolute_uri(element.get_absolute_url())
            ),
            alarmed_object_type=element.get_kind_display(),
            comment=[
                CommentOut(
                    comment=entry.get("comment", ""),
                    time=dt.datetime.fromisoformat(entry["time"]) if entry.get("time") else None,
                    user_id=entry.get("userId") or None,
                    system_id=entry.get("systemId") or None,
                )
                for entry in alarm.comments
            ],
            affected_service=[AffectedServiceOut(**entry) for entry in extra["affectedService"]]
            if extra.get("affectedService")
            else None,
            service_affecting=extra.get("serviceAffecting"),
            alarm_escalation=extra.get("alarmEscalation"),
            planned_outage_indicator=extra.get("plannedOutageIndicator"),
            proposed_repaired_actions=extra.get("proposedRepairedActions"),
            reporting_system_id=extra.get("reportingSystemId"),
        )


class AlarmRefOut(Out):
    """An AlarmRefOrValue by reference (its `id` an integer, as the spec has it)."""

    id: int
    href: str
    referred_type: str = Field(default="Alarm", serialization_alias="@referredType")


class ClearAlarmsOut(Out):
    type: str = Field(default="ClearAlarms", serialization_alias="@type")
    state: str = "done"
    alarm_cleared_time: dt.datetime = Field(serialization_alias="alarmClearedTime")
    clear_system_id: str = Field(serialization_alias="clearSystemId")
    clear_user_id: str = Field(serialization_alias="clearUserId")
    alarm_pattern: list[dict[str, Any]] = Field(serialization_alias="alarmPattern")
    cleared_alarm: list[AlarmRefOut] = Field(serialization_alias="clearedAlarm")


class AckAlarmsOut(Out):
    type: str = Field(default="AckAlarms", serialization_alias="@type")
    state: str = "done"
    ack_time: dt.datetime = Field(serialization_alias="ackTime")
    ack_system_id: str = Field(serialization_alias="ackSystemId")
    ack_user_id: str = Field(serialization_alias="ackUserId")
    alarm_pattern: list[dict[str, Any]] = Field(serialization_alias="alarmPattern")
    acked_alarm: list[AlarmRefOut] = Field(serialization_alias="ackedAlarm")


# --- In -----------------------------------------------------------------------------------------


class AlarmedObjectIn(In):
    """The element: its name as monitoring knows it (or its Headend id) in `id`, or in `name`."""

    id: Text100 | None = None
    name: Text100 | None = None

    def element_name(self) -> str:
        return self.id or self.name or ""


class CommentIn(In):
    comment: Text1000
    time: Instant | None = None
    user_id: Text100 | None = Field(default=None, alias="userId")
    system_id: Text100 | None = Field(default=None, alias="systemId")

    def as_entry(self) -> dict[str, Any]:
        return {"comment": self.comment, "time": self.time, "userId": self.user_id, "systemId": self.system_id}


class AffectedServiceIn(In):
    id: Id
    href: Text200 | None = None


class _AlarmAttributes(In):
    """What Alarm_Create and Alarm_Update share (all optional here)."""

    specific_problem: Text200 | None = Field(default=None, alias="specificProblem")
    alarm_details: Text5000 | None = Field(default=None, alias="alarmDetails")
    is_root_cause: bool | None = Field(default=None, alias="isRootCause")
    alarm_reporting_time: Instant | None = Field(default=None, alias="alarmReportingTime")
    alarm_changed_time: Instant | None = Field(default=None, alias="alarmChangedTime")
    alarm_cleared_time: Instant | None = Field(default=None, alias="alarmClearedTime")
    clear_user_id: Text100 | None = Field(default=None, alias="clearUserId")
    clear_system_id: Text100 | None = Field(default=None, alias="clearSystemId")
    ack_state: AckState | None = Field(default=None, alias="ackState")
    ack_user_id: Text100 | None = Field(default=None, alias="ackUserId")
    ack_system_id: Text100 | None = Field(default=None, alias="ackSystemId")
    comment: list[CommentIn] | None = Field(default=None, max_length=100)
    affected_service: list[AffectedServiceIn] | None = Field(default=None, alias="affectedService", max_length=100)
    service_affecting: bool | None = Field(default=None, alias="serviceAffecting")
    alarm_escalation: bool | None = Field(default=None, alias="alarmEscalation")
    planned_outage_indicator: Text40 | None = Field(default=None, alias="plannedOutageIndicator")
    proposed_repaired_actions: Text1000 | None = Field(default=None, alias="proposedRepairedActions")
    reporting_system_id: Text100 | None = Field(default=None, alias="reportingSystemId")

    def extra_given(self) -> dict[str, Any]:
        """The attributes kept as sent (Alarm.extra), by TMF name: those given (null removes)."""
        given = self.model_fields_set
        values: dict[str, Any] = {alias: getattr(self, name) for name, alias in EXTRA.items() if name in given}
        if "affected_service" in given:
            services = self.affected_service
            values["affectedService"] = (
                None if services is None else [entry.model_dump(exclude_none=True) for entry in services]
            )
        return values


class AlarmIn(_AlarmAttributes):
    """Alarm_Create: alarmType, perceivedSeverity, probableCause, alarmedObject, sourceSystemId,
    state and alarmRaisedTime are required, as the spec has them."""

    alarm_type: Text60 = Field(alias="alarmType", min_length=1)
    perceived_severity: Severity = Field(alias="perceivedSeverity")
    probable_cause: Text100 = Field(alias="probableCause", min_length=1)
    alarmed_object: AlarmedObjectIn = Field(alias="alarmedObject")
    source_system_id: Text100 = Field(alias="sourceSystemId", min_length=1)
    state: AlarmState
    alarm_raised_time: Instant = Field(alias="alarmRaisedTime")
    external_alarm_id: Text100 | None = Field(default=None, alias="externalAlarmId")


class AlarmPatchIn(_AlarmAttributes):
    """Alarm_Update as a JSON merge patch (RFC 7396): what is left out stays, null empties a
    text. The alarmed object, source system, external id and raised time cannot change."""

    alarm_type: Text60 | None = Field(default=None, alias="alarmType", min_length=1)
    perceived_severity: Severity | None = Field(default=None, alias="perceivedSeverity")
    probable_cause: Text100 | None = Field(default=None, alias="probableCause", min_length=1)
    state: AlarmState | None = None
    alarmed_object: dict[str, Any] | None = Field(default=None, alias="alarmedObject")
    alarmed_object_type: Text100 | None = Field(default=None, alias="alarmedObjectType")
    external_alarm_id: Text100 | None = Field(default=None, alias="externalAlarmId")
    source_system_id: Text100 | None = Field(default=None, alias="sourceSystemId")
    alarm_raised_time: Instant | None = Field(default=None, alias="alarmRaisedTime")


class AlarmPatternIn(In):
    """An alarm to match: every attribute given must equal the alarm's. Only these are matched;
    any other attribute is refused (a pattern that silently matched more would clear too much)."""

    model_config = {"extra": "forbid"}

    id: AlarmId | None = None
    external_alarm_id: Text100 | None = Field(default=None, alias="externalAlarmId")
    source_system_id: Text100 | None = Field(default=None, alias="sourceSystemId")
    alarm_type: Text60 | None = Field(default=None, alias="alarmType")
    perceived_severity: Severity | None = Field(default=None, alias="perceivedSeverity")
    probable_cause: Text100 | None = Field(default=None, alias="probableCause")
    specific_problem: Text200 | None = Field(default=None, alias="specificProblem")
    state: AlarmState | None = None
    ack_state: AckState | None = Field(default=None, alias="ackState")
    is_root_cause: bool | None = Field(default=None, alias="isRootCause")
    alarmed_object: AlarmedObjectIn | None = Field(default=None, alias="alarmedObject")

    def terms(self) -> dict[str, Any]:
        """Our field names to the values the alarm must have."""
        terms: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if value is None:
                continue
            if name == "alarmed_object":
                terms["element_name"] = value.element_name()
            else:
                terms["pk" if name == "id" else name] = value
        return terms

    def echo(self) -> dict[str, Any]:
        """The pattern as the task resource gives it back (an Alarm with the attributes matched)."""
        body = self.model_dump(by_alias=True, exclude_none=True, mode="json")
        if "alarmedObject" in body:
            body["alarmedObject"] = {"id": self.alarmed_object.element_name()} if self.alarmed_object else {}
        return body


class ClearAlarmsIn(In):
    """ClearAlarms_Create: who clears, from where, when, and the patterns of the alarms cleared."""

    alarm_cleared_time: Instant = Field(alias="alarmClearedTime")
    clear_system_id: Text100 = Field(alias="clearSystemId", min_length=1)
    clear_user_id: Text100 = Field(alias="clearUserId", min_length=1)
    alarm_pattern: list[AlarmPatternIn] = Field(alias="alarmPattern", min_length=1, max_length=100)


class AckAlarmsIn(In):
    """AckAlarms_Create: who acknowledges, from where, and the patterns of the alarms."""

    ack_system_id: Text100 = Field(alias="ackSystemId", min_length=1)
    ack_user_id: Text100 = Field(alias="ackUserId", min_length=1)
    ack_time: Instant | None = Field(default=None, alias="ackTime")
    alarm_pattern: list[AlarmPatternIn] = Field(alias="alarmPattern", min_length=1, max_length=100)
