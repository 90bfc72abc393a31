"""Support's staff pages for cases: the queue sorted by SLA time left, a case with the whole
customer in view and what staff do to it (note, reply, status, assignment, priority and queue,
links), a new case on an account, and the SLA policies and queues admins set.

Every change goes through support/cases.py or support/policies.py, which decide the role; the
views refuse a role without it first (403) and show bad input on the form's field (400)."""

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from headend.core import clock, user_files
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.http import HtmxHttpRequest
from headend.core.ids import parse_id
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required, staff_required
from headend.crm import selectors as crm_selectors
from headend.inventory import selectors as inventory_selectors

from . import cases, policies, selectors
from .forms import AssignForm, CaseForm, LinkForm, NoteForm, QueueForm, SlaPolicyForm, StatusForm, UpdateForm
from .models import Case, CaseNote, Priority

# --- The queue --------------------------------------------------------------------------------


@staff_required
def case_queue_view(request: HtmxHttpRequest) -> HttpResponse:
    """Open cases, the one closest to breaching its SLA first; filtered by queue, assignee
    ("mine"), status, priority and SLA state."""
    now = clock.now()
    filters = selectors.QueueFilters.from_query(request.GET)
    page = paginate(request, selectors.case_queue(user=request.user, filters=filters, now=now), per_page=50)
    context = {
        **page,
        "rows": selectors.case_rows(page["items"], now=now),
        "filters": filters,
        "counts": selectors.queue_counts(user=request.user, now=now),
        "queues": selectors.queue_list(),
        "workers": selectors.case_workers(),
        "priorities": Priority.choices,
        "statuses": [("open", "Open"), *Case.Status.choices, ("all", "All")],
        "sla_filters": selectors.SLA_FILTERS,
        "can_create": may(request.user, "case.create"),
        "can_manage": may(request.user, "sla_policy.manage"),
    }
    page_template = "support/case_queue.html"
    return render(request, f"{page_template}#cases" if request.htmx else page_template, context)


# --- A case -----------------------------------------------------------------------------------


def _case_page(request: HttpRequest, case: Case, *, status: int = 200, **forms: Any) -> HttpResponse:
    """The case page; `forms` are bound forms that came back with errors (shown where they were)."""
    user = request.user
    can_work = may(user, "case.work")
    workers = selectors.case_workers() if can_work else []
    notes = list(case.notes.all())
    context = {
        "case": case,
        "clocks": selectors.case_clocks(case=case),
        "customer": selectors.customer_for(user=user, account=case.account) if case.account else None,
        "related": selectors.related_cases(user=user, case=case),
        "history": selectors.case_history(case=case),
        "notes": notes,
        "loose_attachments": [attachment for attachment in case.attachments.all() if attachment.note_id is None],
        "attachment_count": len(case.attachments.all()),
        "can_work": can_work,
        "can_create": may(user, "case.create"),
        "can_read_billing": may(user, "billing.read"),
        "workers": workers,
        "note_form": forms.get("note_form") or NoteForm(),
        "status_form": forms.get("status_form") or StatusForm(case=case),
        "assign_form": forms.get("assign_form") or AssignForm(workers=workers, initial={"assignee": case.assignee_id}),
        "update_form": forms.get("update_form")
        or UpdateForm(initial={"priority": case.priority, "queue": case.queue_id, "type": case.type}),
        "link_form": forms.get("link_form") or LinkForm(),
        "is_assigned_to_me": case.assignee_id == getattr(user, "pk", None),
    }
    return render(request, "support/case_detail.html", context, status=status)


@staff_required
def case_detail_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return _case_page(request, selectors.case_get_for(user=request.user, case_id=case_id))


@require_POST
@permission_required("case.work")
def case_note_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """An internal note or a reply to the customer (emailed with the case's reference), with files."""
    case = selectors.case_get_for(user=request.user, case_id=case_id)
    form = NoteForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            note = cases.case_note_add(
                case=case,
                kind=form.cleaned_data["kind"],
                body=form.cleaned_data["body"],
                by=request.user,
                uploads=form.cleaned_data["attachments"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            done = "Reply sent." if note.kind == CaseNote.Kind.REPLY else "Note added."
            messages.success(request, done)
            return redirect(f"{case.get_absolute_url()}#notes")
    return _case_page(request, case, status=400, note_form=form)


@require_POST
@permission_required("case.work")
def case_status_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Start work, wait on the customer, resume, resolve (with the resolution), close, cancel, reopen."""
    case = selectors.case_get_for(user=request.user, case_id=case_id)
    form = StatusForm(request.POST, case=case)
    if form.is_valid():
        try:
            case = cases.case_transition(
                case=case, to=form.cleaned_data["to"], by=request.user, resolution=form.cleaned_data["resolution"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{case.reference} is {case.get_status_display().lower()}.")
            return redirect(case)
    return _case_page(request, case, status=400, status_form=form)


@require_POST
@permission_required("case.work")
def case_assign_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Give the case to someone who works cases ("to me" posts one's own id), or to nobody."""
    case = selectors.case_get_for(user=request.user, case_id=case_id)
    form = AssignForm(request.POST, workers=selectors.case_workers())
    if form.is_valid():
        try:
            case = cases.case_update(case=case, by=request.user, assignee=form.cleaned_data["assignee"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            who = case.assignee.get_full_name() or case.assignee.username if case.assignee else "nobody"
            messages.success(request, f"{case.reference} assigned to {who}.")
            return redirect(case)
    return _case_page(request, case, status=400, assign_form=form)


@require_POST
@permission_required("case.work")
def case_update_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """A new priority (new SLA targets, counted from when the case opened), queue or type."""
    case = selectors.case_get_for(user=request.user, case_id=case_id)
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            case = cases.case_update(case=case, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{case.reference} saved.")
            return redirect(case)
    return _case_page(request, case, status=400, update_form=form)


@require_POST
@permission_required("case.work")
def case_link_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Put the case under a parent case (by its reference) or, with none, take it out; `back`
    names the case page to return to (a parent's page unlinking one of its children)."""
    case = selectors.case_get_for(user=request.user, case_id=case_id)
    back = selectors.case_scope(user=request.user).filter(pk=parse_id(request.POST.get("back"))).first() or case
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            reference = form.cleaned_data["parent"]
            parent = selectors.case_get_by_reference(user=request.user, reference=reference) if reference else None
            case = cases.case_link(case=case, parent=parent, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            text = f"{case.reference} linked under {parent.reference}." if parent else f"{case.reference} unlinked."
            messages.success(request, text)
            return redirect(f"{back.get_absolute_url()}#related")
    if back.pk != case.pk:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect(back)
    return _case_page(request, case, status=400, link_form=form)


@staff_required
def attachment_view(request: HttpRequest, attachment_id: int) -> FileResponse:
    """A case's file, as a download only, to staff who may see the case."""
    attachment = selectors.attachment_get_for(user=request.user, attachment_id=attachment_id)
    return user_files.download_response(
        attachment.file.open("rb"), filename=attachment.name, kind=user_files.ATTACHMENT
    )


# --- A new case -------------------------------------------------------------------------------


@permission_required("case.create")
def case_create_view(request: HttpRequest) -> HttpResponse:
    """A new case on the account `?account=` names (first chosen by a search when none is), on
    one of its services when `?service=` names one."""
    account_id = request.POST.get("account") or request.GET.get("account")
    if not account_id:
        query = request.GET.get("q", "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in a query
        accounts = crm_selectors.account_list(user=request.user, query=query)[:20] if query else []
        return render(request, "support/case_account_choose.html", {"query": query, "accounts": accounts})
    account = crm_selectors.account_get_for(user=request.user, account_id=account_id)
    workers = selectors.case_workers()
    initial: dict[str, Any] = {}
    service_id = request.GET.get("service")
    if service_id:
        service = inventory_selectors.service_list(user=request.user, account_id=account.pk).filter(
            pk=parse_id(service_id)
        )
        initial["service"] = service.values_list("pk", flat=True).first()
    form = CaseForm(request.POST or None, account=account, workers=workers, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = cases.case_open(
                account=account,
                service=data["service"],
                location=data["location"],
                contact=data["contact"],
                type=data["type"],
                priority=data["priority"],
                channel=data["channel"],
                subject=data["subject"],
                description=data["description"],
                queue=data["queue"],
                assignee=data["assignee"],
                by=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Case {case.reference} opened.")
            return redirect(case)
    context = {"form": form, "account": account}
    return render(request, "support/case_form.html", context, status=400 if form.errors else 200)


# --- SLA policies and queues (admins) ---------------------------------------------------------


@permission_required("sla_policy.manage")
def sla_settings_view(request: HttpRequest) -> HttpResponse:
    """The targets that apply to each priority and kind of customer, and the queues."""
    context = {"targets": selectors.sla_targets_table(), "queues": selectors.queue_list()}
    return render(request, "support/sla_settings.html", context)


@permission_required("sla_policy.manage")
def sla_policy_edit_view(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    """A new policy (`?customer_type=&priority=` start it from the targets that apply now) or a
    change to one."""
    policy = selectors.sla_policy_get(policy_id=policy_id) if policy_id is not None else None
    if policy is not None:
        initial = SlaPolicyForm.initial_for(policy)
    else:
        initial = {key: request.GET[key] for key in ("customer_type", "priority") if key in request.GET}
        row = next(
            (
                row
                for row in selectors.sla_targets_table()
                if (row["customer_type"], row["priority"]) == (initial.get("customer_type"), initial.get("priority"))
            ),
            None,
        )
        if row is not None:
            targets = row["targets"]
            initial |= {
                "response_minutes": targets.response_minutes,
                "resolution_minutes": targets.resolution_minutes,
                "round_the_clock": targets.round_the_clock,
                "warn_percent": targets.warn_percent,
            }
    form = SlaPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            policy = policies.sla_policy_save(by=request.user, policy=policy, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"SLA policy {policy} saved: it applies to cases opened from now on.")
            return redirect("support:sla_settings")
    context = {"form": form, "policy": policy}
    return render(request, "support/sla_policy_form.html", context, status=400 if form.errors else 200)


@require_POST
@permission_required("sla_policy.manage")
def sla_policy_delete_view(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = selectors.sla_policy_get(policy_id=policy_id)
    policies.sla_policy_delete(by=request.user, policy=policy)
    messages.success(request, f"SLA policy {policy} removed: the built-in targets apply again.")
    return redirect("support:sla_settings")


@permission_required("sla_policy.manage")
def queue_edit_view(request: HttpRequest, queue_id: int | None = None) -> HttpResponse:
    queue = selectors.queue_get(queue_id=queue_id) if queue_id is not None else None
    initial = {"name": queue.name, "description": queue.description, "is_default": queue.is_default} if queue else {}
    form = QueueForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            queue = policies.queue_save(by=request.user, queue=queue, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Queue {queue.name} saved.")
            return redirect(f"{reverse('support:sla_settings')}#queues")
    context = {"form": form, "queue": queue}
    return render(request, "support/queue_form.html", context, status=400 if form.errors else 200)
