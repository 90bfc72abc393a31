from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.core import panels
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.http import HtmxHttpRequest
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required, require, staff_required
from headend.crm import notes, placing, selectors, services
from headend.crm.forms import AccountForm, AccountNoteForm, ContactForm, LocationEditForm, LocationForm, OpportunityForm
from headend.crm.models import Account, Opportunity


@staff_required
def account_list_view(request: HttpRequest) -> HttpResponse:
    query, kind = request.GET.get("q", "").strip(), request.GET.get("kind", "")
    accounts = selectors.account_list(user=request.user, query=query, kind=kind if kind in Account.Kind.values else "")
    context = {"query": query, "kind": kind, "kinds": Account.Kind.choices, **paginate(request, accounts)}
    return render(request, "crm/account_list.html", context)


@staff_required
def account_detail_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.account_get_for(user=request.user, account_id=account_id)
    return render(request, "crm/account_detail.html", _account_context(request, account))


def _account_context(request: HttpRequest, account: Account, *, note_form: AccountNoteForm | None = None) -> dict:
    user = request.user
    can_edit = may(user, "account.edit")
    return {
        "account": account,
        "contacts": account.contacts.all(),
        "locations": selectors.location_list(user=user, account_id=account.pk),
        "opportunities": account.opportunities.select_related("owner").order_by("-created_at"),
        # Services, quotes, orders and work orders: the apps above draw them (their panels.py).
        # A strip of the customer's status at the top (services, outages, cases, balance): support's.
        "status_panels": panels.render("account.status", request=request, obj=account),
        "card_panels": panels.render("account.cards", request=request, obj=account),
        "section_panels": panels.render("account.sections", request=request, obj=account),
        # The activity timeline (quotes, orders, cases, notes, payments): the web app's, at the top.
        "timeline_panels": panels.render("account.timeline", request=request, obj=account),
        **_notes_context(account, can_edit=can_edit, note_form=note_form),
        "children": account.children.all(),
        "can_sell": may(user, "quote.edit"),
        "can_edit": can_edit,
        "can_add_site": may(user, "site.create"),
    }


def _notes_context(account: Account, *, can_edit: bool, note_form: AccountNoteForm | None = None) -> dict:
    return {
        "notes": notes.note_list(account_id=account.pk),
        "note_count": notes.note_count(account_id=account.pk),
        "note_form": note_form or (AccountNoteForm() if can_edit else None),
    }


@require_POST
@permission_required("account.edit")
def account_note_add_view(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """Keep a note on the account; HTMX swaps the notes box, a plain form comes back to the page."""
    account = selectors.account_get_for(user=request.user, account_id=account_id)
    form = AccountNoteForm(request.POST)
    if form.is_valid():
        try:
            notes.note_add(account=account, added_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if not request.htmx:
                messages.success(request, "Note added.")
                return redirect(account)
            form = AccountNoteForm()
    if request.htmx:  # the notes box, with the new note or the form's errors
        context = {"account": account, "can_edit": True, **_notes_context(account, can_edit=True, note_form=form)}
        return render(request, "crm/account_detail.html#notes", context)
    return render(request, "crm/account_detail.html", _account_context(request, account, note_form=form), status=400)


@permission_required("account.create")
def account_create_view(request: HttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        kind = data.pop("kind")
        try:
            account = services.account_create(kind=kind, created_by=request.user, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Account {account.number} created.")
            return redirect(account)
    return render(request, "crm/account_form.html", {"form": form})


@permission_required("account.edit")
def account_edit_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.account_get_for(user=request.user, account_id=account_id)
    initial = {
        key: getattr(account, key)
        for key in ("legal_name", "name", "tax_id", "parent", "first_name", "last_name", "email", "phone", "owner")
    }
    form = AccountForm(request.POST or None, initial=initial, editing=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_update(account=account, updated_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Account saved.")
            return redirect(account)
    return render(request, "crm/account_form.html", {"form": form, "account": account})


@permission_required("account.edit")
def contact_create_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.account_get_for(user=request.user, account_id=account_id)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_create(account=account, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Contact added.")
            return redirect(account)
    return render(request, "crm/contact_form.html", {"form": form, "account": account})


@permission_required("site.create")
def location_create_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.account_get_for(user=request.user, account_id=account_id)
    form = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            location = services.location_create(account=account, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Location {location.one_line} added.")
            return redirect(account)
    return render(request, "crm/location_form.html", {"form": form, "account": account})


@permission_required("account.edit")
def location_edit_view(request: HttpRequest, location_id: int) -> HttpResponse:
    location = selectors.location_get_for(user=request.user, location_id=location_id)
    fields = ("name", "line1", "line2", "city", "state", "postal_code", "latitude", "longitude", "access_notes")
    initial = {key: getattr(location, key) for key in fields} | {"site_contact": location.site_contact_id}
    form = LocationEditForm(request.POST or None, initial=initial, account=location.account)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        site = services.SiteAccess(access_notes=values.pop("access_notes"), site_contact=values.pop("site_contact"))
        try:
            services.location_update(location=location, site=site, updated_by=request.user, **values)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Location saved.")
            return redirect(location)
    return render(request, "crm/location_form.html", {"form": form, "account": location.account, "location": location})


@permission_required("account.edit")
def contact_edit_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = selectors.contact_get_for(user=request.user, contact_id=contact_id)
    fields = ("first_name", "last_name", "role", "email", "phone")
    form = ContactForm(request.POST or None, initial={key: getattr(contact, key) for key in fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(contact=contact, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Contact saved.")
            return redirect(contact.account)
    return render(request, "crm/contact_form.html", {"form": form, "account": contact.account, "contact": contact})


@staff_required
def location_detail_view(request: HttpRequest, location_id: int) -> HttpResponse:
    location = selectors.location_get_for(user=request.user, location_id=location_id)
    context = {
        "location": location,
        "placement": placing.location_placement(location=location),
        # Serviceability and the services here: the apps above draw them (their panels.py).
        "panels": panels.render("location.sections", request=request, obj=location),
    }
    return render(request, "crm/location_detail.html", context)


@staff_required
def opportunity_list_view(request: HttpRequest) -> HttpResponse:
    query, stage = request.GET.get("q", "").strip(), request.GET.get("stage", "")
    open_only = request.GET.get("open", "") == "1"
    opportunities = selectors.opportunity_list(
        user=request.user, query=query, stage=stage if stage in Opportunity.Stage.values else "", open_only=open_only
    )
    context = {
        "query": query,
        "stage": stage,
        "open_only": open_only,
        "stages": Opportunity.Stage.choices,
        **paginate(request, opportunities),
    }
    return render(request, "crm/opportunity_list.html", context)


@permission_required("opportunity.edit")
def opportunity_create_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.account_get_for(user=request.user, account_id=account_id)
    form = OpportunityForm(request.POST or None, initial={"owner": request.user, "stage": "prospecting"})
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = services.opportunity_create(account=account, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Opportunity opened.")
            return redirect(opportunity)
    return render(request, "crm/opportunity_form.html", {"form": form, "account": account})


@staff_required
def opportunity_detail_view(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    opportunity = selectors.opportunity_get_for(user=request.user, opportunity_id=opportunity_id)
    form = None
    can_sell = may(request.user, "opportunity.edit")
    if opportunity.is_open and can_sell:
        form = OpportunityForm(
            request.POST or None,
            initial={key: getattr(opportunity, key) for key in ("name", "stage", "amount", "close_date", "owner")},
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.opportunity_update(opportunity=opportunity, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "Opportunity saved.")
                return redirect(opportunity)
    elif request.method == "POST":
        require(request.user, "opportunity.edit")
        return redirect(opportunity)
    quotes = opportunity.quotes.order_by("-created_at")
    return render(
        request,
        "crm/opportunity_detail.html",
        {
            "opportunity": opportunity,
            "form": form,
            "quotes": quotes,
            "can_sell": can_sell,
            # Commission credit and splits: an app above draws it (commissions/panels.py).
            "section_panels": panels.render("opportunity.sections", request=request, obj=opportunity),
        },
    )


@require_POST
@permission_required("opportunity.edit")
def opportunity_lose_view(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    opportunity = selectors.opportunity_get_for(user=request.user, opportunity_id=opportunity_id)
    try:
        services.opportunity_lose(opportunity=opportunity)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Opportunity marked Closed Lost.")
    return redirect(opportunity)
