"""The surveyor's page: record a site survey's outcome (can the site be built, at what cost)."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from headend.core.errors import DomainError, NotFound
from headend.core.permissions import may, require, staff_required
from headend.fulfillment import selectors, surveys, task_flow


class SurveyOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("feasible", "The site can be built"), ("not_feasible", "The site cannot be built")],
        widget=forms.RadioSelect,
    )
    # Checked by the use case (parse_amount), so the error names the field the same way.
    construction_amount = forms.CharField(
        required=False,
        label="Revised construction charge",
        help_text="Only if the estimate was off; empty keeps the quote's estimate.",
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


@staff_required
def survey_outcome_view(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """The survey's outcome form (GET) and its recording (POST, "task.work" for its last task's
    role, as every task step)."""
    work_order = selectors.work_order_get_for(user=request.user, work_order_id=work_order_id)
    task = task_flow.outcome_task(work_order)
    if request.method == "POST":
        require(request.user, "task.work", named=task.role)
    if not work_order.is_survey:
        raise NotFound("No such site survey.", field="id")
    form = SurveyOutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            surveys.survey_complete(
                work_order=work_order,
                feasible=form.cleaned_data["outcome"] == "feasible",
                construction_amount=form.cleaned_data["construction_amount"],
                notes=form.cleaned_data["notes"],
                completed_by=request.user,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Survey outcome recorded: the quote is told.")
            return redirect(work_order)
    context = {
        "work_order": work_order,
        "survey": work_order.survey,
        "task": task,
        "form": form,
        "can_record": may(request.user, "task.work", named=task.role),
    }
    return render(request, "fulfillment/survey_outcome.html", context, status=400 if form.errors else 200)
