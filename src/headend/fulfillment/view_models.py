"""What fulfillment's reads give the pages to draw: a free appointment slot, a work order as a
board card, a row of a template's schedule preview. Plain values, built by the selectors."""

import datetime as dt
from dataclasses import dataclass

from headend.core import clock
from headend.fulfillment.models import Technician, WorkOrder


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    technician: Technician

    @property
    def label(self) -> str:
        zone = clock.provider_zone()
        start, end = self.start.astimezone(zone), self.end.astimezone(zone)
        return f"{start:%a %b %-d}, {start:%H:%M} to {end:%H:%M}"


@dataclass(frozen=True)
class WorkOrderCard:
    """A work order as a board shows it: who works on it, how far go-live slipped, whether it is
    late (past its committed finish and the grace) and what blocks it."""

    work_order: WorkOrder
    assignees: tuple[str, ...]
    late_by: str  # past the committed finish, in working time ("2 d 3 h"); "" when not late
    slip: str  # forecast go-live behind the planned one, in working time ("1 d 2 h"); "" when not behind
    blocked: tuple[str, ...] = ()  # why each blocked task is blocked

    @property
    def overdue(self) -> bool:
        """Late: the badge and the "late only" filter of the boards."""
        return bool(self.late_by)


@dataclass(frozen=True)
class PreviewRow:
    position: int
    name: str
    start: dt.datetime
    finish: dt.datetime
    critical: bool
    slack_minutes: int
