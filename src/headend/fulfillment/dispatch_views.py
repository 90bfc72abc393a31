"""The dispatch calendar: technicians by day or week, their visits and tasks, the unassigned
skilled work; a block dragged (dispatch.js) or moved with its "Move…" form to a technician's day.

It is for those who work every task (core/permissions "task.work" without a named role:
provisioning, and admins); others get 403."""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from headend.catalog.models import Skill
from headend.core import clock
from headend.core.errors import Conflict, DomainError
from headend.core.forms import add_domain_error
from headend.core.http import HtmxHttpRequest
from headend.core.ids import parse_id
from headend.core.permissions import may, staff_required
from headend.fulfillment import dispatch, dispatching, selectors
from headend.fulfillment.models import Technician

# Pages further than this from today are typos (and past what the calendar should compute).
PAGE_RANGE = dt.timedelta(days=3650)


def _check_dispatcher(user: Any) -> None:
    if not may(user, "task.work"):
        raise PermissionDenied("The dispatch calendar is for those who work every task (provisioning).")


class DispatchPageForm(forms.Form):
    """What the page shows: a day or a week around a date, for every skill or one."""

    view = forms.ChoiceField(choices=[("week", "Week"), ("day", "Day")], required=False)
    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"], error_messages={"invalid": "Give a date."})
    skill = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = [  # type: ignore[attr-defined]
            ("", "Every skill"),
            *Skill.objects.order_by("name").values_list("code", "name"),
        ]

    def clean_date(self) -> dt.date | None:
        day = self.cleaned_data.get("date")
        if day is not None and abs(day - clock.today()) > PAGE_RANGE:
            raise forms.ValidationError("Give a date within ten years of today.")
        return day

    def shown(self) -> tuple[str, dt.date, str]:
        """(view, date, skill) to show: what was asked for, or the defaults in place of a bad value."""
        data = getattr(self, "cleaned_data", {})
        view = data.get("view") or "week"
        day = data.get("date") if "date" not in self.errors else None
        skill = data.get("skill", "") if "skill" not in self.errors else ""
        return view, day or clock.today(), skill or ""


class DispatchMoveForm(forms.Form):
    """A block's "Move…" form (and what a drop posts): the technician, the day, and the stamp of
    the task as the page showed it. Its `view`, `at` and `skill` (the page to come back to) are
    read by _page_from, which shows the default for a bad one rather than refuse the move."""

    technician = forms.TypedChoiceField(
        coerce=int, error_messages={"required": "Pick a technician.", "invalid_choice": "Pick a technician."}
    )
    date = forms.DateField(
        input_formats=["%Y-%m-%d"], error_messages={"required": "Give a date.", "invalid": "Give a date."}
    )
    stamp = forms.CharField(required=False, max_length=120)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.technicians = {
            tech.pk: tech
            for tech in Technician.objects.filter(active=True, user__is_active=True).select_related("user")
        }
        choices = [(str(pk), str(tech)) for pk, tech in self.technicians.items()]
        self.fields["technician"].choices = choices  # type: ignore[attr-defined]


def _page_from(params: QueryDict) -> DispatchPageForm:
    """The page a move came from (its `view`, `at` and `skill`), checked like the page's own query."""
    page = DispatchPageForm(
        {"view": params.get("view", ""), "date": params.get("at", ""), "skill": params.get("skill", "")}
    )
    page.is_valid()
    return page


def _back(params: QueryDict) -> str:
    view, day, skill = _page_from(params).shown()
    query = urlencode([("view", view), ("date", day.isoformat()), *([("skill", skill)] if skill else [])])
    return f"{reverse('fulfillment:dispatch')}?{query}"


def _context(request: HttpRequest, page: DispatchPageForm, **extra: Any) -> dict[str, Any]:
    view, day, skill = page.shown()
    grid = dispatch.dispatch_grid(user=request.user, view=view, anchor=day, skill=skill)
    return {"grid": grid, "page": page, "outcome": [], "failed": None, "error": "", **extra}


@staff_required
def dispatch_view(request: HttpRequest) -> HttpResponse:
    """Technicians by day or week (`?view=day|week&date=YYYY-MM-DD&skill=code`)."""
    _check_dispatcher(request.user)
    page = DispatchPageForm(request.GET)
    status = 200 if page.is_valid() else 400
    return render(request, "fulfillment/dispatch.html", _context(request, page), status=status)


@require_POST
@staff_required
def dispatch_move_view(request: HtmxHttpRequest, task_id: int) -> HttpResponse:
    """A block dropped on a technician's day, or its "Move…" form. Without JavaScript: back to
    the page (post/redirect/get), or the page again with the error on the block's form. From the
    script: the calendar as it now is, or the reason (400, or 409 for a conflict) as text."""
    _check_dispatcher(request.user)
    task = selectors.task_get_for(user=request.user, task_id=task_id)
    form = DispatchMoveForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        technician = form.technicians[data["technician"]]
        try:
            task = dispatching.task_dispatch(
                task=task, technician=technician, day=data["date"], moved_by=request.user, stamp=data["stamp"] or None
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = 409 if isinstance(exc, Conflict) else 400
        else:
            outcome = _outcome(task, technician, data["date"])
            if request.htmx:
                context = _context(request, _page_from(request.POST), outcome=outcome)
                return render(request, "fulfillment/dispatch.html#board", context)
            for level, text in outcome:
                messages.add_message(request, LEVELS[level], text)
            return redirect(_back(request.POST))
    reason = " ".join(str(error) for errors in form.errors.values() for error in errors)
    if request.htmx:
        return HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")
    context = _context(
        request,
        _page_from(request.POST),
        failed={
            "task_id": task.pk,
            "form": form,
            "technician": parse_id(request.POST.get("technician", "")) or None,  # as chosen, to choose again
            "date": request.POST.get("date", "")[:10],
        },
        error=f"{task.work_order.number} {task.name} not moved: {reason}",
    )
    return render(request, "fulfillment/dispatch.html", context, status=status)


LEVELS = {"success": messages.SUCCESS, "warning": messages.WARNING}


def _outcome(task: Any, technician: Technician, day: dt.date) -> list[tuple[str, str]]:
    """What the dispatcher is told: the move, and when the task cannot start that day (it waits
    for earlier work), the day it now can."""
    said = [("success", f"{task.work_order.number} {task.name}: {technician}, {day:%a %b %-d}.")]
    start = task.forecast_start
    if start is not None and clock.local_date(start) != day:
        when = start.astimezone(clock.provider_zone())
        said.append(("warning", f"{task.name} cannot start before {when:%a %b %-d %H:%M}: it waits for earlier work."))
    return said
