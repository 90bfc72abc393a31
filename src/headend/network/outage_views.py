"""The staff pages of outages and maintenance windows: the list (open first), one outage with its
element, timeline and alarms, and the forms to open or resolve an outage by hand and to schedule
or cancel a maintenance window ("outage.manage"). Every staff member reads them.

Who an outage impacts, the revenue at risk, the notices and the parent case are support's and
inventory's (apps above this one): the detail page draws the slot "outage.sections", which
support fills (support/panels.py)."""

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.core import clock, panels
from headend.core.errors import DomainError, ValidationError
from headend.core.forms import add_domain_error
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required, staff_required
from headend.network import outage_selectors, outages
from headend.network.models import Element, Outage


class ElementNameField(forms.CharField):
    """An element named as monitoring names it (the topology has too many for a menu)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=100, help_text="Its name in the topology, as alerts name it.", **kwargs)

    def clean(self, value: object) -> Element:
        name = super().clean(value)
        element = outage_selectors.element_by_name(name=name)
        if element is None:
            raise forms.ValidationError(f"No network element is named {name!r}.", code="unknown_element")
        return element


class OutageForm(forms.Form):
    element = ElementNameField()
    title = forms.CharField(max_length=outages.TITLE_MAX)
    severity = forms.CharField(max_length=outages.SEVERITY_MAX, required=False, help_text="critical, major, ...")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MaintenanceForm(forms.Form):
    element = ElementNameField()
    title = forms.CharField(max_length=outages.TITLE_MAX, help_text="What the network team will do.")
    start = forms.DateTimeField(widget=LOCAL, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    end = forms.DateTimeField(widget=LOCAL, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        zone = clock.provider_zone()
        for name in ("start", "end"):  # entered where the provider is
            value = data.get(name)
            if isinstance(value, dt.datetime):
                data[name] = value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
        return data


@staff_required
def outage_list_view(request: HttpRequest) -> HttpResponse:
    """Outages and maintenance windows: open first, then planned, then past."""
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    query = request.GET.get("q", "").strip()[:100]
    found = outage_selectors.outage_list(status=status, kind=kind, query=query)
    context = {
        "status": status,
        "kind": kind,
        "query": query,
        "statuses": Outage.Status.choices,
        "kinds": Outage.Kind.choices,
        "can_manage": may(request.user, "outage.manage"),
        **paginate(request, found, per_page=50),
    }
    return render(request, "network/outage_list.html", context)


@staff_required
def outage_detail_view(request: HttpRequest, outage_id: int) -> HttpResponse:
    """One outage: its element, timeline, alarms, and what support draws (who it impacts, the
    revenue at risk, notices, the parent case)."""
    outage = outage_selectors.outage_get(outage_id=outage_id)
    context = {
        "outage": outage,
        "ancestors": Element.objects.filter(pk__in=outage.element.ancestor_ids).order_by("depth"),
        "timeline": outage_selectors.outage_timeline(outage=outage),
        "alarms": outage_selectors.outage_alarms(outage=outage),
        "section_panels": panels.render("outage.sections", request=request, obj=outage),
        "can_manage": may(request.user, "outage.manage"),
        "now": clock.now(),
    }
    return render(request, "network/outage_detail.html", context)


def _initial_element(request: HttpRequest) -> dict[str, str]:
    return {"element": request.GET.get("element", "")[:100]}


@permission_required("outage.manage")
def outage_create_view(request: HttpRequest) -> HttpResponse:
    """Declare an element down by hand (a cut the monitoring cannot see)."""
    form = OutageForm(request.POST or None, initial=_initial_element(request))
    if request.method == "POST" and form.is_valid():
        try:
            outage = outages.outage_open(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Outage opened on {outage.element}; the impacted customers are being told.")
            return redirect(outage)
    return render(request, "network/outage_form.html", {"form": form})


@require_POST
@permission_required("outage.manage")
def outage_resolve_view(request: HttpRequest, outage_id: int) -> HttpResponse:
    """End an open outage, or a maintenance window early, now."""
    outage = outage_selectors.outage_get(outage_id=outage_id)
    try:
        outages.outage_resolve(outage=outage, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"{outage.get_kind_display()} on {outage.element} ended; customers get the all-clear."
        )
    return redirect(outage)


@permission_required("outage.manage")
def maintenance_create_view(request: HttpRequest) -> HttpResponse:
    """Plan a maintenance window: the customers below the element are told ahead."""
    form = MaintenanceForm(request.POST or None, initial=_initial_element(request))
    if request.method == "POST" and form.is_valid():
        try:
            outage = outages.maintenance_schedule(by=request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Maintenance on {outage.element} scheduled; the customers below are told.")
            return redirect(outage)
    return render(request, "network/outage_maintenance_form.html", {"form": form})


@require_POST
@permission_required("outage.manage")
def maintenance_cancel_view(request: HttpRequest, outage_id: int) -> HttpResponse:
    """Call off a window that has not started."""
    outage = outage_selectors.outage_get(outage_id=outage_id)
    try:
        outages.maintenance_cancel(outage=outage, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Maintenance on {outage.element} cancelled.")
    return redirect(outage)
