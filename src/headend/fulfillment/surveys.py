"""Site surveys as work: a quote's survey request (an outbox event from quoting, below) becomes a
work order bound to the site, with the tasks of the construction product's "Site survey"
template; the surveyor records the outcome on its last task, and that outcome goes back to the
quote's survey through the outbox (`quoting.surveys.survey_record_outcome`)."""

from typing import Any

from django.db import transaction

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import WorkAction
from headend.core import clock, events
from headend.core.errors import Conflict
from headend.core.models import OutboxEvent
from headend.core.numbers import parse_amount
from headend.core.permissions import require
from headend.fulfillment import forecast, task_flow
from headend.fulfillment.models import Task, WorkOrder
from headend.fulfillment.work_orders import _announce_ready_tasks, _copy_template_tasks
from headend.quoting import surveys as quoting_surveys
from headend.quoting.models import SiteSurvey


@transaction.atomic
def survey_work_order_create(*, survey: SiteSurvey) -> WorkOrder:
    """The work order of a quote's site survey, from the construction product's "Site survey"
    template, bound to the site; the survey is then scheduled. Idempotent: the survey's work
    order, if it exists, is returned as it is (the same request relayed twice makes one).

    Raises Conflict when the catalog has no construction product with a survey template (the
    event is tried again later, once one is defined)."""
    # of=self: PostgreSQL locks no row on the nullable side of an outer join (requested_by).
    surveys = SiteSurvey.objects.select_for_update(of=("self",)).select_related("location", "requested_by")
    survey = surveys.get(pk=survey.pk)
    existing = WorkOrder.objects.filter(survey=survey).first()
    if existing is not None:
        return existing
    at = clock.now()
    version = catalog_selectors.construction_version(on=clock.local_date(at))
    template = (
        catalog_selectors.template_for(product_id=version.product_id, action=WorkAction.SURVEY) if version else None
    )
    if template is None:
        raise Conflict(
            "The catalog has no site survey template (a construction product's survey work): define one "
            "for the survey to be scheduled.",
            field="product_version",
            code="no_template",
        )
    why = "near our network" if survey.reach == SiteSurvey.Reach.NEAR_NET else "not on the map"
    work_order = WorkOrder.objects.create(
        kind=WorkOrder.Kind.SURVEY,
        service=None,
        location=survey.location,
        survey=survey,
        action=WorkAction.SURVEY,
        created_at=at,
        name=f"{template.name}: {survey.location.one_line}",
        requested_by=survey.requested_by,
        reason=f"Quote site {why}"[:200],
    )
    _copy_template_tasks(work_order, template, at)
    events.emit("work_order.created", subject=work_order, data={"survey_id": survey.pk, "action": WorkAction.SURVEY})
    forecast.work_order_forecast(work_order=work_order, at=at, baseline=True)
    _announce_ready_tasks(work_order)
    quoting_surveys.survey_scheduled(survey=survey, work_order_number=work_order.number)
    return work_order


@transaction.atomic
def survey_complete(
    *,
    work_order: WorkOrder,
    feasible: bool,
    completed_by: Any,
    construction_amount: Any = None,
    notes: str = "",
) -> Task:
    """The surveyor records the outcome on the survey's last task: the site can be built (with a
    revised construction cost, if the estimate was off) or it cannot. The task is done, the work
    order completes, and the outcome goes to the quote's survey through the outbox.

    Raises Forbidden without "task.work" for the task's role, Conflict while earlier tasks are
    open or on a work order that is no survey, ValidationError (`construction_amount`)."""
    amount = None
    if construction_amount not in (None, ""):
        amount = parse_amount(construction_amount, field="construction_amount")
    if work_order.kind != WorkOrder.Kind.SURVEY:
        raise Conflict("This work order is no site survey.", field="work_order", code="not_a_survey")
    task = task_flow.outcome_task(work_order)
    require(completed_by, "task.work", named=task.role)
    work_order, task = task_flow.lock(task)
    task_flow._check_can_work(task, work_order)
    now = clock.now()
    outcome = "feasible" if feasible else "not_feasible"
    result = {"outcome": outcome, "construction_amount": str(amount) if amount is not None else None}
    task.checklist = [{"item": item["item"], "done": True} for item in task.checklist]
    task_flow.finish(task, work_order, at=now, by=completed_by, notes=notes, result=result)
    events.emit(
        "work_order.survey_done",
        subject=work_order,
        data={"survey_id": work_order.survey_id, **result, "notes": (notes or "").strip()},
    )
    forecast.reforecast(work_order, now)
    return task


@events.subscribe("site_survey.requested")
def make_survey_work_order(event: OutboxEvent) -> None:
    survey = SiteSurvey.objects.filter(pk=int(event.subject_id)).first()
    if survey is not None and survey.status in SiteSurvey.OPEN:
        survey_work_order_create(survey=survey)


@events.subscribe("work_order.survey_done")
def apply_survey_outcome(event: OutboxEvent) -> None:
    survey = SiteSurvey.objects.filter(pk=event.data.get("survey_id")).first()
    if survey is None:
        return
    if survey.status == SiteSurvey.Status.WAIVED:
        return  # a manager let the quote go on meanwhile; the survey's findings stay on its work order
    quoting_surveys.survey_record_outcome(
        survey=survey,
        feasible=event.data.get("outcome") == "feasible",
        construction_amount=event.data.get("construction_amount"),
        notes=event.data.get("notes", ""),
    )
