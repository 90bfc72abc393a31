"""A work order's history in words, newest first: "Maria Splicer completed “Splice at cabinet”",
"Headend (automatic) ran “Create subscriber” (radius.provision)".

Built from the audit history of the work order and its tasks (core/audit.py), the visits booked
and the files attached. A person's step names the person; what the worker does on its own
(a code task run, a successor made ready, the work order completed) names Headend: the audit
rows of a code task name the user the worker acted for, which is not who did the work."""

import dataclasses
import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from headend.core import clock
from headend.fulfillment.models import Appointment, Task, TaskAttachment, WorkOrder

AUTOMATIC = "Headend (automatic)"


@dataclass(frozen=True)
class HistoryLine:
    at: dt.datetime  # when it happened, as the use case that did it says
    who: str  # a person's name, or AUTOMATIC
    what: str  # what they did, in words, after their name
    detail: str = ""  # notes, a reason, an error: shown beside the sentence
    # The order of the lines: the audit row's own time and id (steps of one use case share its
    # instant), else `at`.
    order: tuple[dt.datetime, int] | None = None

    @property
    def sort_key(self) -> tuple[dt.datetime, int]:
        return self.order or (self.at, 0)

    @property
    def automatic(self) -> bool:
        return self.who == AUTOMATIC

    @property
    def sentence(self) -> str:
        return f"{self.who} {self.what}"


def _name(user: Any) -> str:
    if user is None:
        return AUTOMATIC
    return user.get_full_name() or user.get_username()


def _when(at: dt.datetime) -> str:
    return f"{at.astimezone(clock.provider_zone()):%a %b %-d, %H:%M}"


def work_order_history(*, work_order: WorkOrder, limit: int = 100) -> list[HistoryLine]:
    """What happened to the work order and its tasks, newest first, as sentences."""
    lines = _work_order_lines(work_order) + _task_lines(work_order)
    appointments = Appointment.objects.filter(task__work_order=work_order).select_related(
        "task", "technician__user", "booked_by"
    )
    for visit in appointments:
        window = f"{_when(visit.start)}\N{EN DASH}{visit.end.astimezone(clock.provider_zone()):%H:%M}"
        lines.append(
            HistoryLine(
                visit.booked_at,
                _name(visit.booked_by),
                f"booked a visit for “{visit.task.name}”: {window} with {visit.technician}",
                "since cancelled" if visit.status == Appointment.Status.CANCELLED else "",
            )
        )
    for attachment in TaskAttachment.objects.filter(task__work_order=work_order).select_related("task", "uploaded_by"):
        lines.append(
            HistoryLine(
                attachment.uploaded_at,
                _name(attachment.uploaded_by),
                f"attached “{attachment.name}” to “{attachment.task.name}”",
            )
        )
    lines.sort(key=lambda line: line.sort_key, reverse=True)
    return lines[:limit]


def _work_order_lines(work_order: WorkOrder) -> list[HistoryLine]:
    records = list(work_order.history.select_related("history_user").order_by("history_date", "history_id"))
    lines: list[HistoryLine] = []
    if records and records[0].history_type == "+":
        first = records[0]
        lines.append(
            HistoryLine(
                work_order.created_at,
                _name(first.history_user),
                f"created {work_order.number}",
                order=(first.history_date, first.history_id),
            )
        )
    for before, after in itertools.pairwise(records):
        step = len(lines)
        if before.status != after.status:
            at = {
                WorkOrder.Status.IN_PROGRESS: after.started_at,
                WorkOrder.Status.COMPLETED: after.completed_at,
                WorkOrder.Status.CANCELLED: after.completed_at,
            }.get(after.status) or after.history_date
            what = {
                WorkOrder.Status.IN_PROGRESS: f"marked {work_order.number} in progress",
                WorkOrder.Status.COMPLETED: f"completed {work_order.number}: every task is done",
                WorkOrder.Status.CANCELLED: f"closed {work_order.number}: its order was cancelled",
            }.get(after.status, f"moved {work_order.number} to {after.get_status_display().lower()}")
            lines.append(HistoryLine(at, AUTOMATIC, what))
        if after.flagged_reason and after.flagged_reason != before.flagged_reason:
            lines.append(HistoryLine(after.history_date, AUTOMATIC, "flagged it for attention", after.flagged_reason))
        if after.cancel_requested_at and not before.cancel_requested_at:
            lines.append(
                HistoryLine(
                    after.cancel_requested_at,
                    _name(after.history_user),
                    "cancelled the order: open tasks stopped, undo tasks added",
                )
            )
        lines[step:] = [
            dataclasses.replace(line, order=(after.history_date, after.history_id)) for line in lines[step:]
        ]
    return lines


def _task_lines(work_order: WorkOrder) -> list[HistoryLine]:
    records = list(
        Task.history.model.objects.filter(work_order_id=work_order.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    user_ids = {record.completed_by_id for record in records} | {record.assignee_id for record in records}
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=user_ids - {None})}
    visit_starts = set(
        Appointment.objects.filter(task__work_order=work_order).values_list("task_id", "start").distinct()
    )
    lines: list[HistoryLine] = []
    for _, rows in itertools.groupby(records, key=lambda record: record.id):
        for before, after in itertools.pairwise(list(rows)):
            order = (after.history_date, after.history_id)
            lines += [dataclasses.replace(line, order=order) for line in _task_step(before, after, users, visit_starts)]
    return lines


def _task_step(
    before: Any, after: Any, users: dict[int, Any], visit_starts: set[tuple[int, dt.datetime]]
) -> list[HistoryLine]:
    """The sentences for one change of a task: its status, assignee or start."""
    task = f"“{after.name}”"
    code = after.kind == Task.Kind.CODE
    action = f" ({after.code_action})" if code and after.code_action else ""
    person = _name(after.history_user)
    at = after.history_date
    lines = []
    status, was = after.status, before.status
    if status != was:
        if status == Task.Status.DONE:
            done_by = users.get(after.completed_by_id)
            result = after.result or {}
            at = after.completed_at or at
            if code and done_by is None and not result.get("skipped") and not result.get("by_hand"):
                lines.append(HistoryLine(at, AUTOMATIC, f"ran {task}{action}: done"))
            elif result.get("skipped"):
                lines.append(HistoryLine(at, _name(done_by), f"skipped {task}", str(result["skipped"])))
            elif result.get("by_hand"):
                lines.append(HistoryLine(at, _name(done_by), f"completed {task} by hand", after.notes))
            else:
                lines.append(HistoryLine(at, _name(done_by) if done_by else person, f"completed {task}", after.notes))
        elif status == Task.Status.IN_PROGRESS and code:
            lines.append(HistoryLine(at, AUTOMATIC, f"started running {task}{action}"))
        elif status == Task.Status.IN_PROGRESS and was == Task.Status.BLOCKED:
            lines.append(HistoryLine(at, person, f"unblocked {task}"))
        elif status == Task.Status.IN_PROGRESS:
            lines.append(HistoryLine(after.started_at or at, person, f"started {task}"))
        elif status == Task.Status.READY and was == Task.Status.PENDING:
            lines.append(HistoryLine(at, AUTOMATIC, f"made {task} ready: what it waited for is done"))
        elif status == Task.Status.READY and was == Task.Status.IN_PROGRESS and code:
            lines.append(
                HistoryLine(
                    at, AUTOMATIC, f"will try {task}{action} again (attempt {after.attempts} failed)", after.last_error
                )
            )
        elif status == Task.Status.READY and was == Task.Status.FAILED:
            lines.append(HistoryLine(at, person, f"retried {task}{action}"))
        elif status == Task.Status.READY and was == Task.Status.BLOCKED:
            lines.append(HistoryLine(at, person, f"unblocked {task}"))
        elif status == Task.Status.BLOCKED:
            lines.append(HistoryLine(at, person, f"blocked {task}", after.blocked_reason))
        elif status == Task.Status.FAILED:
            lines.append(HistoryLine(at, AUTOMATIC, f"gave up on {task}{action}", after.last_error))
        elif status == Task.Status.CANCELLED:
            lines.append(HistoryLine(at, person, f"cancelled {task} with its order"))
        else:
            lines.append(HistoryLine(at, person, f"moved {task} to {after.get_status_display().lower()}"))
    booked = after.not_before is not None and (after.id, after.not_before) in visit_starts
    if after.assignee_id != before.assignee_id and not booked:
        assignee = users.get(after.assignee_id)
        started_it = status == Task.Status.IN_PROGRESS and status != was and after.assignee_id == after.history_user_id
        if assignee is None:
            lines.append(HistoryLine(at, person, f"took {task} back from {_name(users.get(before.assignee_id))}"))
        elif not started_it:
            lines.append(HistoryLine(at, person, f"assigned {task} to {_name(assignee)}"))
    if after.not_before != before.not_before and not booked:
        if after.not_before is None:
            lines.append(HistoryLine(at, person, f"cleared the start date of {task}"))
        else:
            lines.append(
                HistoryLine(at, person, f"rescheduled {task} to start no earlier than {_when(after.not_before)}")
            )
    return lines
