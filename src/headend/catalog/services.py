"""Write use cases for the catalog: products, versions, prices, work-order templates."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from headend.catalog.models import (
    Price,
    Product,
    ProductVersion,
    TemplateDependency,
    TemplateTask,
    Term,
    WorkOrderTemplate,
)
from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.money import default_currency, round_cents, to_decimal
from headend.core.permissions import Role
from headend.fulfillment import code_actions
from headend.fulfillment.models import Skill


@transaction.atomic
def product_create(
    *,
    code: str,
    name: str,
    kind: str,
    customer_type: str,
    description: str = "",
    addon_of: list[Product] | None = None,
) -> Product:
    """Add a product to the catalog (it is sold once a version is published)."""
    if Product.objects.filter(code=code).exists():
        raise ValidationError(f"A product with code {code!r} exists.", field="code", code="duplicate_code")
    product = Product(
        code=code,
        name=name,
        kind=kind,
        customer_type=customer_type,
        description=description,
        created_at=clock.now(),
    )
    product.full_clean()
    product.save()
    if addon_of:
        product.addon_of.set(addon_of)
    return product


def _prices(prices: dict[int, tuple[Any, Any]]) -> list[tuple[int, Decimal, Decimal]]:
    checked = []
    for term, (mrc, nrc) in prices.items():
        if term not in Term.values:
            raise ValidationError(
                f"Unknown term {term!r}; terms are {Term.values}.", field="term_months", code="unknown_term"
            )
        try:
            mrc_amount, nrc_amount = round_cents(to_decimal(mrc)), round_cents(to_decimal(nrc))
        except (TypeError, ValueError) as exc:
            raise ValidationError("Prices are amounts like 79.00.", field="prices") from exc
        if mrc_amount < 0 or nrc_amount < 0:
            raise ValidationError("Prices cannot be negative.", field="prices", code="invalid_amount")
        checked.append((term, mrc_amount, nrc_amount))
    if not checked:
        raise ValidationError("A version needs a price for at least one term.", field="prices", code="required")
    return checked


@transaction.atomic
def version_create(
    *,
    product: Product,
    effective_from: dt.date,
    prices: dict[int, tuple[Any, Any]],
    download_mbps: int | None = None,
    upload_mbps: int | None = None,
    technology: str = "",
    static_ips: int = 0,
    notes: str = "",
) -> ProductVersion:
    """Draft the next version of a product with its characteristics and term prices."""
    checked = _prices(prices)
    last = product.versions.order_by("-version").first()
    version = ProductVersion(
        product=product,
        version=(last.version + 1) if last else 1,
        effective_from=effective_from,
        download_mbps=download_mbps,
        upload_mbps=upload_mbps,
        technology=technology,
        static_ips=static_ips,
        notes=notes,
        created_at=clock.now(),
    )
    version.full_clean()
    version.save()
    Price.objects.bulk_create(
        Price(version=version, term_months=term, mrc_amount=mrc, nrc_amount=nrc, currency=default_currency())
        for term, mrc, nrc in checked
    )
    return version


@transaction.atomic
def version_publish(*, version: ProductVersion) -> ProductVersion:
    """Make a draft sellable from its effective date; live services keep the version they have."""
    version = ProductVersion.objects.select_for_update().get(pk=version.pk)
    version.check_transition(ProductVersion.Status.PUBLISHED)
    if not version.prices.exists():
        raise ValidationError("Price the version before publishing it.", field="prices", code="required")
    version.status, version.published_at = ProductVersion.Status.PUBLISHED, clock.now()
    version.save(update_fields=["status", "published_at"])
    events.emit("product_version.published", subject=version, data={"product_id": version.product_id})
    return version


@transaction.atomic
def version_retire(*, version: ProductVersion) -> ProductVersion:
    """Stop selling a version; services on it carry on unchanged."""
    version = ProductVersion.objects.select_for_update().get(pk=version.pk)
    version.check_transition(ProductVersion.Status.RETIRED)
    version.status = ProductVersion.Status.RETIRED
    version.save(update_fields=["status"])
    events.emit("product_version.retired", subject=version)
    return version


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
        if task.role and task.role not in Role.values:
            raise ValidationError(f"Unknown role {task.role!r}.", field=f"{where}.role", code="invalid_choice")
        if task.kind == TemplateTask.Kind.CODE and not code_actions.is_registered(task.code_action):
            raise ValidationError(
                f"Unknown code action {task.code_action!r}; known: {', '.join(code_actions.names())}.",
                field=f"{where}.code_action",
                code="unknown_code_action",
            )
        if task.kind == TemplateTask.Kind.MILESTONE and task.planned_minutes != 0:
            raise ValidationError("A milestone takes no time.", field=f"{where}.planned_minutes")
        if task.kind != TemplateTask.Kind.MILESTONE and task.planned_minutes <= 0:
            raise ValidationError("Planned duration must be positive.", field=f"{where}.planned_minutes")
        if task.skill and not Skill.objects.filter(code=task.skill).exists():
            raise ValidationError(f"Unknown skill {task.skill!r}.", field=f"{where}.skill", code="unknown_skill")
        if task.needs_appointment and task.kind != TemplateTask.Kind.MANUAL:
            raise ValidationError("Only a manual task is booked with the customer.", field=f"{where}.needs_appointment")
        for dependency, lag in task.dependencies():
            if dependency not in names:
                raise ValidationError(
                    f"{task.name!r} depends on unknown task {dependency!r}.", field=f"{where}.depends_on"
                )
            if lag < 0:
                raise ValidationError("A lag cannot be negative.", field=f"{where}.depends_on", code="invalid_lag")
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
            turns_up=spec.name == turn_up,
            needs_appointment=spec.needs_appointment,
            undo=spec.undo.strip(),
            checklist=[item.strip() for item in spec.checklist if item.strip()],
        )
    TemplateDependency.objects.bulk_create(
        TemplateDependency(task=created[spec.name.strip()], predecessor=created[name], lag_minutes=lag)
        for spec in tasks
        for name, lag in spec.dependencies()
    )
    events.emit("template.defined", subject=template, data={"product_id": product.pk, "action": action})
    return template


def product_check_sellable(*, product: Product) -> None:
    if not product.versions.filter(status=ProductVersion.Status.PUBLISHED).exists():
        raise Conflict(f"{product} has no published version.", field="product", code="not_sellable")
