"""Write use cases for work-order templates: the tasks a product's action (add, upgrade, move, ...)
becomes in fulfillment, checked and defined here."""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from headend.catalog import code_actions
from headend.catalog.models import (
    Product,
    Skill,
    TemplateDependency,
    TemplateTask,
    WorkOrderTemplate,
)
from headend.core import events
from headend.core.errors import ValidationError
from headend.core.permissions import WORK_ROLES


def missing_template_actions(*, product: Product) -> list[str]:
    """The actions `product` must have a work-order template for but has not, in the catalog's order."""
    defined = set(WorkOrderTemplate.objects.filter(product=product).values_list("action", flat=True))
    return [action for action in WorkOrderTemplate.required_actions(product) if action not in defined]


# A template task's duration and a dependency's lag, in working minutes: at most 240 working days.
MAX_TASK_MINUTES = 129_600
# A checklist item or a piece of equipment is one line the technician reads on a phone.
MAX_ITEM_CHARS = 200
MAX_ITEMS = 30


@dataclass
class TaskSpec:
    """One task of a template as staff define it.

    `depends_on` names earlier tasks: a name, or (name, lag in working minutes) for a wait
    after that task finishes. `skill` is a Skill code. `equipment` is what the technician
    brings ("ONT", "Fusion splicer"), shown on the work order."""

    name: str
    kind: str = TemplateTask.Kind.MANUAL
    role: str = ""
    planned_minutes: int = 60
    code_action: str = ""
    code_params: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str | tuple[str, int]] = field(default_factory=list)
    skill: str = ""
    turns_up: bool = False
    needs_appointment: bool = False
    undo: str = ""
    checklist: list[str] = field(default_factory=list)
    equipment: list[str] = field(default_factory=list)

    def dependencies(self) -> list[tuple[str, int]]:
        return [(item, 0) if isinstance(item, str) else (item[0], item[1]) for item in self.depends_on]


def check_template_tasks(tasks: list[TaskSpec]) -> None:
    """Raise ValidationError naming the task and field at fault (`tasks[2].code_params.family`),
    or the dependency cycle: the first of `template_task_problems`."""
    problems = template_task_problems(tasks)
    if problems:
        raise problems[0]


def template_task_problems(tasks: list[TaskSpec]) -> list[ValidationError]:
    """Every problem of a template's tasks, in row order, each naming its row and field
    (`tasks[2].name`) and saying in words what is wrong, so that an editor can show each one
    on the row that caused it. A dependency cycle is one problem per task in it, each naming
    the whole cycle."""
    if not tasks:
        return [ValidationError("A template needs at least one task.", field="tasks", code="required")]
    names = [task.name.strip() for task in tasks]
    problems: list[ValidationError] = []
    for position, task in enumerate(tasks, start=1):
        problems += _task_problems(task, position, names)
    turning_up = [position for position, task in enumerate(tasks, start=1) if task.turns_up]
    for position in turning_up[1:]:
        problems.append(
            ValidationError(
                f"Only one task turns the service up; {names[turning_up[0] - 1]!r} already does.",
                field=f"tasks[{position}].turns_up",
                code="turn_up_twice",
            )
        )
    known = set(names)
    cycle = _find_cycle(
        {
            task.name.strip(): [name for name, _ in task.dependencies() if name in known and name != task.name.strip()]
            for task in tasks
        }
    )
    if cycle:
        message = "The dependencies form a cycle: " + " -> ".join(cycle) + "; remove one of them."
        for name in dict.fromkeys(cycle):
            position = names.index(name) + 1
            problems.append(ValidationError(message, field=f"tasks[{position}].depends_on", code="dependency_cycle"))
    return sorted(problems, key=lambda problem: _row_of(problem.field))


def _row_of(field_name: str | None) -> int:
    """The row a problem's field names (`tasks[3].kind` is 3); 0 for the template as a whole."""
    if field_name and field_name.startswith("tasks[") and "]" in field_name:
        return int(field_name[len("tasks[") : field_name.index("]")])
    return 0


def _task_problems(task: TaskSpec, position: int, names: list[str]) -> list[ValidationError]:
    """What is wrong with one task (at `position`, among tasks named `names`)."""
    where = f"tasks[{position}]"
    name = task.name.strip()
    problems = []

    def problem(message: str, field_name: str, code: str = "invalid") -> None:
        problems.append(ValidationError(message, field=f"{where}.{field_name}", code=code))

    if not name:
        problem(f"Task {position} needs a name.", "name", "required")
    elif names.count(name) > 1:
        others = [str(number) for number, other in enumerate(names, start=1) if other == name and number != position]
        problem(f"Two tasks are named {name!r} (also row {', '.join(others)}); names must differ.", "name", "duplicate")
    if task.kind not in TemplateTask.Kind.values:
        problem(f"Unknown task kind {task.kind!r}.", "kind", "invalid_choice")
    if task.role and task.role not in WORK_ROLES:
        problem(f"Unknown role {task.role!r}.", "role", "invalid_choice")
    if task.kind == TemplateTask.Kind.CODE and not code_actions.is_registered(task.code_action):
        known = ", ".join(code_actions.names())
        problem(
            f"A code task needs a code action; {task.code_action!r} is not one (known: {known})."
            if task.code_action
            else "A code task needs a code action: pick one.",
            "code_action",
            "unknown_code_action",
        )
    elif task.kind == TemplateTask.Kind.CODE:
        try:
            code_actions.check_params(task.code_action, task.code_params, field_prefix=f"{where}.code_params")
        except ValidationError as exc:
            problems.append(exc)
    elif task.code_params:
        problem("Only a code task takes parameters; clear them or make it a code task.", "code_params")
    if task.kind == TemplateTask.Kind.MILESTONE and task.planned_minutes != 0:
        problem("A milestone takes no time: set its minutes to 0.", "planned_minutes")
    if task.kind != TemplateTask.Kind.MILESTONE and task.planned_minutes <= 0:
        problem("Planned duration must be positive.", "planned_minutes")
    if task.planned_minutes > MAX_TASK_MINUTES:
        problem(f"Planned duration is at most {MAX_TASK_MINUTES:,} working minutes.", "planned_minutes")
    if task.skill and not Skill.objects.filter(code=task.skill).exists():
        problem(f"Unknown skill {task.skill!r}.", "skill", "unknown_skill")
    if task.needs_appointment and task.kind != TemplateTask.Kind.MANUAL:
        problem("Only a manual task is booked with the customer.", "needs_appointment")
    for dependency, lag in task.dependencies():
        if dependency not in names:
            problem(f"{name or f'Task {position}'!r} depends on unknown task {dependency!r}.", "depends_on")
        elif dependency == name:
            problem(f"{name!r} cannot wait for itself.", "depends_on", "dependency_cycle")
        if not 0 <= lag <= MAX_TASK_MINUTES:
            problem(f"A lag is 0 to {MAX_TASK_MINUTES:,} working minutes.", "depends_on", "invalid_lag")
    for label, field_name, items in (
        ("Checklist item", "checklist", task.checklist),
        ("Equipment", "equipment", task.equipment),
    ):
        if len(items) > MAX_ITEMS:
            problem(f"At most {MAX_ITEMS} items; this task has {len(items)}.", field_name, "too_many")
        for number, item in enumerate(items, start=1):
            if len(item.strip()) > MAX_ITEM_CHARS:
                problem(
                    f"{label} {number} is {len(item.strip())} characters long; at most {MAX_ITEM_CHARS}: "
                    f"{item.strip()[:40]}…",
                    field_name,
                    "too_long",
                )
    return problems


def _find_cycle(graph: dict[str, list[str]]) -> list[str]:
    """A dependency cycle as a list of names (first repeated at the end), or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for successor in graph.get(node, []):
            if state.get(successor) == 1:
                return [*stack[stack.index(successor) :], successor]
            if successor not in state and (found := visit(successor)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in graph:
        if node not in state and (found := visit(node)):
            return found
    return []


@transaction.atomic
def template_define(*, product: Product, action: str, name: str, tasks: list[TaskSpec]) -> WorkOrderTemplate:
    """Set the work-order template for a product and action, replacing the tasks it had.

    Work orders already created keep the tasks they were created with."""
    if action not in WorkOrderTemplate.Action.values:
        raise ValidationError(f"Unknown action {action!r}.", field="action", code="invalid_choice")
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationError("Give the template a name of 1 to 120 characters.", field="name", code="invalid_name")
    check_template_tasks(tasks)
    template, created = WorkOrderTemplate.objects.select_for_update().get_or_create(
        product=product, action=action, defaults={"name": name}
    )
    if not created:
        template.name = name
        template.save()
        template.tasks.all().delete()
    skills = {skill.code: skill for skill in Skill.objects.filter(code__in=[t.skill for t in tasks if t.skill])}
    # Without a task marked, the last one turns the service up.
    turn_up = next((t.name for t in tasks if t.turns_up), tasks[-1].name)
    rows = bulk_create_with_history(
        [
            TemplateTask(
                template=template,
                position=position,
                name=spec.name.strip(),
                kind=spec.kind,
                role=spec.role,
                skill=skills.get(spec.skill),
                planned_minutes=spec.planned_minutes,
                code_action=spec.code_action,
                code_params=spec.code_params,
                turns_up=spec.name == turn_up,
                needs_appointment=spec.needs_appointment,
                undo=spec.undo.strip(),
                checklist=[item.strip() for item in spec.checklist if item.strip()],
                equipment=[item.strip() for item in spec.equipment if item.strip()],
            )
            for position, spec in enumerate(tasks, start=1)
        ],
        TemplateTask,
    )
    created_tasks = {row.name: row for row in rows}
    bulk_create_with_history(
        [
            TemplateDependency(task=created_tasks[spec.name.strip()], predecessor=created_tasks[name], lag_minutes=lag)
            for spec in tasks
            for name, lag in spec.dependencies()
        ],
        TemplateDependency,
    )
    events.emit("template.defined", subject=template, data={"product_id": product.pk, "action": action})
    return template
