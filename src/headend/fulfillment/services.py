"""Write use cases for work orders and their tasks, in modules named for their job:

- `work_orders`: the work of an order line, or of a service action, made from its template;
- `task_flow`: a task started, completed, blocked, rescheduled, given photos;
- `forecast`: the order's plan on the business calendar, written back;
- `assignment`: a task given to a person or to the earliest free technician;
- `appointments`: the customer's visit booked;
- `code_tasks`: the worker's runner for code tasks, and a person's retry, skip or completion;
- `cancellation`: the work of a cancelled order stopped and undone;
- `board_moves`: a card dragged on the work-order board.

They are re-exported here for callers that name them `services.<use case>`."""

from headend.fulfillment.appointments import appointment_book
from headend.fulfillment.assignment import task_assign, task_assign_automatically
from headend.fulfillment.board_moves import work_order_move
from headend.fulfillment.cancellation import order_work_cancel, work_order_cancel
from headend.fulfillment.code_tasks import (
    code_task_backoff,
    code_tasks_sweep,
    task_complete_by_hand,
    task_retry,
    task_run_code,
    task_skip,
)
from headend.fulfillment.forecast import order_forecast, work_order_forecast
from headend.fulfillment.task_flow import (
    task_attach,
    task_block,
    task_complete,
    task_reschedule,
    task_start,
    task_unblock,
)
from headend.fulfillment.work_orders import service_action_request, work_order_create, work_orders_create

__all__ = [
    "appointment_book",
    "code_task_backoff",
    "code_tasks_sweep",
    "order_forecast",
    "order_work_cancel",
    "service_action_request",
    "task_assign",
    "task_assign_automatically",
    "task_attach",
    "task_block",
    "task_complete",
    "task_complete_by_hand",
    "task_reschedule",
    "task_retry",
    "task_run_code",
    "task_skip",
    "task_start",
    "task_unblock",
    "work_order_cancel",
    "work_order_create",
    "work_order_forecast",
    "work_order_move",
    "work_orders_create",
]
