"""Code tasks: named actions the worker runs for a task, with no human touch.

The registry lives in the catalog because a work-order template's code task names its action
(and its parameters are checked when staff save the template); the apps that can do the work
(fulfillment, provisioning, ipam) register their actions here when they start, and fulfillment
runs them (attempts, back-off and leases in `headend.fulfillment.code_tasks`).

An action is called with an `ActionContext` (the task, its service, the parameters the template
gave it) and returns a small JSON-able result kept on the task. It must be idempotent: running
it twice has one effect, because the worker runs it again after a crash or a timeout.

What an action sends and receives is written to the attempt log with `context.record(...)`.
It raises `RetryableError` (or any other exception) for a fault worth trying again (a server
down, a timeout, a 5xx) and `PermanentError` for one that retrying cannot fix (a missing
parameter, a duplicate username, an exhausted pool); the runner backs off and retries the
first kind up to its maximum of attempts and fails the task at once on the second.

An action may also register a batch entry (`register_batch`): the worker claims due tasks of
one action in batches and hands the batch entry every context at once, so the action can do
for N services what it does for one in a few statements (the RADIUS rows of N subscribers in
one statement per table). It returns one outcome per context, in order: the result, or the
exception that item raised; one item's fault never fails the others. An action without a batch
entry is run once per context (`run_many`)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from headend.catalog.models import WorkAction
from headend.core.errors import ValidationError


class ActionError(Exception):
    """A code action could not do its work; the message is shown to staff as is."""


class RetryableError(ActionError):
    """Worth trying again later: the network or the peer may recover."""


class PermanentError(ActionError):
    """Trying again cannot help until a person changes something."""


@dataclass
class ActionContext:
    """What fulfillment hands an action: the task being run (its work order, service and order
    line are fulfillment's), the template's parameters and the attempt's number."""

    task: Any
    params: dict[str, Any]
    attempt: int = 1
    exchanges: list[dict[str, Any]] = field(default_factory=list)

    @property
    def service(self) -> Any:
        return self.task.work_order.service

    @property
    def product_version(self) -> Any:
        """The version the network must be set up for: a change's order line's (an upgrade's new
        speeds, before the turn-up applies it to the service), else the service's own."""
        work_order = self.task.work_order
        if work_order.order_line is not None and work_order.action in (WorkAction.MODIFY, WorkAction.MOVE):
            return work_order.order_line.product_version
        return self.service.product_version

    @property
    def location(self) -> Any:
        """Where the service is to run: a move's new address, else the service's."""
        return self.task.work_order.site

    def record(self, *, request: Any = None, response: Any = None, note: str = "") -> None:
        """Keep one exchange with the outside world for the attempt log (no secrets)."""
        entry: dict[str, Any] = {}
        if request is not None:
            entry["request"] = request
        if response is not None:
            entry["response"] = response
        if note:
            entry["note"] = note
        self.exchanges.append(entry)

    def param(self, name: str, default: Any = None, *, required: bool = False) -> Any:
        value = self.params.get(name, default)
        if required and value in (None, ""):
            raise PermanentError(f"The task's parameters lack {name!r}.")
        return value


CodeAction = Callable[[ActionContext], dict[str, Any]]
# One outcome per context, in order: the action's result, or the exception the item raised.
Outcome = dict[str, Any] | Exception
BatchAction = Callable[[list[ActionContext]], list[Outcome]]
ParamsCheck = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Registered:
    name: str
    label: str
    action: CodeAction
    check_params: ParamsCheck | None = None
    batch: BatchAction | None = None


_actions: dict[str, Registered] = {}


def register(name: str, label: str, *, check_params: ParamsCheck | None = None) -> Callable[[CodeAction], CodeAction]:
    """Register an action under `name`. `check_params` validates a template's parameters for it
    (raise `headend.core.errors.ValidationError` naming the field) when staff save the template."""

    def decorate(action: CodeAction) -> CodeAction:
        previous = _actions.get(name)
        _actions[name] = Registered(name, label, action, check_params, previous.batch if previous else None)
        return action

    return decorate


def register_batch(name: str) -> Callable[[BatchAction], BatchAction]:
    """Register the batch entry of the action registered as `name`: given many contexts, it
    returns one outcome per context (see the module's docstring) and shares the single entry's
    rules."""

    def decorate(batch: BatchAction) -> BatchAction:
        entry = _actions[name]
        _actions[name] = Registered(entry.name, entry.label, entry.action, entry.check_params, batch)
        return batch

    return decorate


def is_registered(name: str) -> bool:
    return name in _actions


def names() -> list[str]:
    return sorted(_actions)


def choices() -> list[tuple[str, str]]:
    return [(name, entry.label) for name, entry in sorted(_actions.items())]


def get(name: str) -> CodeAction:
    return _actions[name].action


def run_many(name: str, contexts: list[ActionContext]) -> list[Outcome]:
    """Run a registered action for every context: through its batch entry if it has one, else
    once per context; one outcome per context, in order (an exception the whole batch raised
    is every item's)."""
    entry = _actions[name]
    if entry.batch is not None and len(contexts) > 1:
        try:
            outcomes = entry.batch(contexts)
        except Exception as exc:
            return [exc] * len(contexts)
        if len(outcomes) != len(contexts):
            raise RuntimeError(f"{name}'s batch entry gave {len(outcomes)} outcomes for {len(contexts)} tasks.")
        return outcomes
    results: list[Outcome] = []
    for context in contexts:
        try:
            results.append(entry.action(context))
        except Exception as exc:
            results.append(exc)
    return results


def check_params(name: str, params: dict[str, Any], *, field_prefix: str = "code_params") -> None:
    """Validate a template task's parameters for its action; raise ValidationError naming the field."""
    if not isinstance(params, dict):
        raise ValidationError("Parameters must be a JSON object.", field=field_prefix)
    entry = _actions.get(name)
    if entry is None or entry.check_params is None:
        return
    try:
        entry.check_params(params)
    except ValidationError as exc:
        where = f"{field_prefix}.{exc.field}" if exc.field else field_prefix
        raise ValidationError(exc.message, field=where, code=exc.code) from exc
