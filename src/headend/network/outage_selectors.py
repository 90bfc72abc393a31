"""Reads of outages and maintenance windows for the staff pages: the list (open first), one
outage, and its timeline from the alerts it stands on and the events it emitted."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models

from headend.core import events
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.network.models import Alarm, Element, Outage

# Open first, then the windows still to come, then the past.
STATUS_ORDER = {
    Outage.Status.OPEN: 0,
    Outage.Status.SCHEDULED: 1,
    Outage.Status.RESOLVED: 2,
    Outage.Status.CANCELLED: 3,
}


def outage_list(*, status: str = "", kind: str = "", query: str = "") -> models.QuerySet[Outage]:
    """Outages and windows, open ones first (the oldest open at the top), then scheduled windows
    by start, then the rest newest first; filtered by status, kind, and a title or element name."""
    found = Outage.objects.select_related("element")
    if status in Outage.Status.values:
        found = found.filter(status=status)
    if kind in Outage.Kind.values:
        found = found.filter(kind=kind)
    query = query.replace("\x00", "")  # PostgreSQL refuses NUL in a query
    if query:
        found = found.filter(models.Q(title__icontains=query) | models.Q(element__name__icontains=query))
    rank = models.Case(
        *(models.When(status=value, then=models.Value(order)) for value, order in STATUS_ORDER.items()),
        output_field=models.IntegerField(),
    )
    # Open: oldest first; scheduled: soonest first; the rest: most recent first.
    soon = models.Case(
        models.When(status=Outage.Status.SCHEDULED, then=models.F("scheduled_start")),
        models.When(status=Outage.Status.OPEN, then=models.F("created_at")),
        default=models.Value(None),
        output_field=models.DateTimeField(),
    )
    return found.annotate(rank=rank, soon=soon).order_by("rank", "soon", "-created_at", "-pk")


def outage_get(*, outage_id: Any) -> Outage:
    """One outage with its element; NotFound otherwise."""
    found = Outage.objects.select_related("element", "created_by").filter(pk=parse_id(outage_id)).first()
    if found is None:
        raise NotFound("No such outage.", field="id")
    return found


def element_by_name(*, name: str) -> Element | None:
    name = (name or "").strip()
    # No name holds NUL (topology refuses it), and PostgreSQL refuses it in a query.
    return Element.objects.filter(name=name).first() if name and "\x00" not in name else None


@dataclass(frozen=True)
class Moment:
    """One line of an outage's timeline."""

    at: dt.datetime
    what: str
    detail: str = ""
    who: str = ""


def outage_timeline(*, outage: Outage) -> list[Moment]:
    """What happened to the outage, oldest first: alerts seen and resolved, and its events
    (started, ended, scheduled, cancelled, with who acted)."""
    moments: list[Moment] = []
    for alert in outage.alerts.all():
        source = alert.get_source_display()
        name = alert.labels.get("alertname") or alert.labels.get("alarmType") or alert.key
        moments.append(Moment(alert.first_seen_at, f"{source} alert firing", str(name)))
        if alert.resolved_at is not None:
            moments.append(Moment(alert.resolved_at, f"{source} alert resolved", str(name)))
    for event in events.activity(outage, limit=200):
        who = getattr(event.actor, "username", "") if event.actor else ""
        moments.append(Moment(event.occurred_at, event.name.replace(".", " ").replace("_", " ").capitalize(), "", who))
    return sorted(moments, key=lambda moment: moment.at)


def outage_alarms(*, outage: Outage) -> models.QuerySet[Alarm]:
    """The TMF642 alarms that opened or joined the outage."""
    return outage.tmf_alarms.order_by("alarm_raised_time", "pk")
