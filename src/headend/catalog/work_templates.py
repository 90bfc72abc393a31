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


@dataclass
class TaskSpec:
    """One task of a template as staff define it.

    `depends_on` names earlier tasks: a name, or (name, lag in working minutes) for a wait
    after that task finishes. `skill` is a Skill code."""

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

    def dependencies(self) -> list[tuple[str, int]]:
        return [(item, 0) if isinstance(item, str) else (item[0], item[1]) for item in self.depends_on]


def check_template_tasks(tasks: list[TaskSpec]) -> None:
    """Raise ValidationError naming the task and field at fault, or the dependency cycle."""
    names = [task.name.strip() for task in tasks]
    if not tasks:
        raise ValidationError("A template needs at least one task.", field="tasks", code="required")
    for position, task in enumerate(tasks, start=1):
        where = f"tasks[{position}]"
        if not task.name.strip():
            raise ValidationError(f"Task {position} needs a name.", field=f"{where}.name", code="required")
        if names.count(task.name.strip()) > 1:
            raise ValidationError(f"Two tasks are named {task.name!r}.", field=f"{where}.name", code="duplicate")
        if task.kind not in TemplateTask.Kind.values:
            raise ValidationError(f"Unknown task kind {task.kind!r}.", field=f"{where}.kind", code="invalid_choice")
        if task.role and task.role not in WORK_ROLES:
            raise ValidationError(f"Unknown role {task.role!r}.", field=f"{where}.role", code="invalid_choice")
        if task.kind == TemplateTask.Kind.CODE and not code_actions.is_registered(task.code_action):
            raise ValidationError(
                f"Unknown code action {task.code_action!r}; known: {', '.join(code_actions.names())}.",
                field=f"{where}.code_action",
                code="unknown_code_action",
            )
        if task.kind == TemplateTask.Kind.CODE:
            code_actions.check_params(task.code_action, task.code_params, field_prefix=f"{where}.code_params")
        elif task.code_params:
            raise ValidationError("Only a code task takes parameters.", field=f"{where}.code_params")
        if task.kind == TemplateTask.Kind.MILESTONE and task.planned_minutes != 0:
            raise ValidationError("A milestone takes no time.", field=f"{where}.planned_minutes")
        if task.kind != TemplateTask.Kind.MILESTONE and task.planned_minutes <= 0:
            raise ValidationError("Planned duration must be positive.", field=f"{where}.planned_minutes")
        if task.planned_minutes > MAX_TASK_MINUTES:
            raise ValidationError(
                f"Planned duration is at most {MAX_TASK_MINUTES:,} working minutes.", field=f"{where}.planned_minutes"
            )
        if task.skill and not Skill.objects.filter(code=task.skill).exists():
            raise ValidationError(f"Unknown skill {task.skill!r}.", field=f"{where}.skill", code="unknown_skill")
        if task.needs_appointment and task.kind != TemplateTask.Kind.MANUAL:
            raise ValidationError("Only a manual task is booked with the customer.", field=f"{where}.needs_appointment")
        for dependency, lag in task.dependencies():
            if dependency not in names:
                raise ValidationError(
                    f"{task.name!r} depends on unknown task {dependency!r}.", field=f"{where}.depends_on"
                )
            if not 0 <= lag <= MAX_TASK_MINUTES:
                raise ValidationError(
                    f"A lag is 0 to {MAX_TASK_MINUTES:,} working minutes.",
                    field=f"{where}.depends_on",
                    code="invalid_lag",
                )
    if sum(1 for task in tasks if task.turns_up) > 1:
        raise ValidationError("Only one task turns the service up.", field="tasks", code="turn_up_twice")
    cycle = _find_cycle({task.name.strip(): [name for name, _ in task.dependencies()] for task in tasks})
    if cycle:
        raise ValidationError(
            "The dependencies form a cycle: " + " -> ".join(cycle) + ".", field="tasks", code="dependency_cycle"
        )


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
    check_template_tasks(tasks)
    template, _ = WorkOrderTemplate.objects.select_for_update().get_or_create(
        product=product, action=action, defaults={"name": name}
    )
    template.name = name
    template.save()
    template.tasks.all().delete()
    skills = {skill.code: skill for skill in Skill.objects.filter(code__in=[t.skill for t in tasks if t.skill])}
    # Without a task marked, the last one turns the service up.
    turn_up = next((t.name for t in tasks if t.turns_up), tasks[-1].name)
    created = {}
    for position, spec in enumerate(tasks, start=1):
        created[spec.name.strip()] = TemplateTask.objects.create(
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
        )
    bulk_create_with_history(
        [
            TemplateDependency(task=created[spec.name.strip()], predecessor=created[name], lag_minutes=lag)
            for spec in tasks
            for name, lag in spec.dependencies()
        ],
        TemplateDependency,
    )
    events.emit("template.defined", subject=template, data={"product_id": product.pk, "action": action})
    return template
