from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.core import events, panels, user_files
from headend.core.errors import DomainError, ValidationError
from headend.core.forms import add_domain_error
from headend.core.http import HtmxHttpRequest
from headend.core.ids import parse_id
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required, require, staff_required
from headend.crm import selectors as crm_selectors
from headend.network import reach as network_reach
from headend.network import selectors as network_selectors
from headend.quoting import selectors, services, site_import
from headend.quoting.forms import QuoteCreateForm, QuoteDecisionForm, QuoteLineForm, QuoteSitesAddForm
from headend.quoting.models import Quote, QuoteLine


@staff_required
def quote_list_view(request: HttpRequest) -> HttpResponse:
    query, status = request.GET.get("q", "").strip(), request.GET.get("status", "")
    known = status in Quote.Status.values or status == selectors.AWAITING_APPROVAL
    quotes = selectors.quote_list(user=request.user, query=query, status=status if known else "")
    context = {"query": query, "status": status, "statuses": selectors.STATUS_FILTERS, **paginate(request, quotes)}
    return render(request, "quoting/quote_list.html", context)


@permission_required("quote.edit")
def quote_create_view(request: HttpRequest) -> HttpResponse:
    initial = {"account": request.GET.get("account"), "opportunity": request.GET.get("opportunity")}
    form = QuoteCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        account = crm_selectors.account_get_for(user=request.user, account_id=form.cleaned_data["account"].pk)
        try:
            quote = services.quote_create(
                account=account,
                opportunity=form.cleaned_data["opportunity"],
                name=form.cleaned_data["name"],
                created_by=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect(quote)
    return render(request, "quoting/quote_create.html", {"form": form})


LINES_PER_PAGE = 100  # a 10,000-line quote's page stays well under 1 MB of HTML
SITE_CHOICES = 200  # sites offered in the line form's menu; more: those the filter matches


def _detail_context(
    request: HttpRequest,
    quote_id: int,
    *,
    line_form: QuoteLineForm | None = None,
    line_id: int | None = None,
    sites_form: QuoteSitesAddForm | None = None,
) -> dict:
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id, with_lines=False)
    can_sell = may(request.user, "quote.edit")
    if line_form is None and quote.is_editable and can_sell:
        line_form = QuoteLineForm(account=quote.account, quote=quote)
    if sites_form is None and quote.is_editable and can_sell:
        sites_form = QuoteSitesAddForm(account=quote.account, initial={"term_months": 12, "quantity": 1})
    search = request.GET.get("q", "").strip()
    listing = selectors.quote_line_page(
        quote=quote, query=search, page=request.GET.get("page"), per_page=LINES_PER_PAGE, line_id=line_id
    )
    groups: list[dict] = []
    for line in listing.lines:  # each site's lines are together: one group per site on the page
        if not groups or groups[-1]["location"].pk != line.location_id:
            site = listing.sites.get(line.location_id, {})
            groups.append(
                {
                    "location": line.location,
                    "serviceability": network_selectors.serviceability_for(location=line.location),
                    "lines": [],
                    "mrc": site.get("mrc", 0),
                    "nrc": site.get("nrc", 0),
                    "count": site.get("count", 0),
                }
            )
        groups[-1]["lines"].append(line)
    # Each site's reach in a rep's words (on, near or off our network, not on the map) by its name.
    reaches = network_reach.reach_for(
        locations=[group["location"] for group in groups],
        serviceabilities=[group["serviceability"] for group in groups],
    )
    for group, reach in zip(groups, reaches, strict=True):
        group["words"] = network_reach.site_words(group["serviceability"], reach)
        group["speed"] = network_reach.best_speed_words(group["serviceability"])
    page = listing.page
    params = {"q": search, "page": page.number} if search else {"page": page.number}
    return {
        "quote": quote,
        "groups": groups,
        "page_obj": page,
        "lines_total": page.paginator.count,
        "continued": listing.continued,
        "lines_query": urlencode(params),
        "search_query": urlencode({"q": search}) + "&" if search else "",
        "site_choices": _limit_site_choices(line_form, query=search) if line_form else None,
        "line_form": line_form,
        # "Add to sites": one product to many sites (builder_views.py).
        "sites_form": sites_form,
        "sites_shown": _limit_site_checkboxes(sites_form, query=search) if sites_form else None,
        "search": search,
        "decision_form": QuoteDecisionForm(initial={"accepted_by_name": ""}),
        "can_sell": can_sell,
        "order": getattr(quote, "order", None) if quote.status == Quote.Status.ACCEPTED else None,
        "approvals": selectors.approval_list(quote=quote),
        "approval_panel": selectors.approval_panel(quote=quote),
        # "Preview and present" once nothing waits for approval: contracts draws it (its panels.py).
        "present_panels": panels.render("quote.present", request=request, obj=quote),
        "i_priced_it": request.user.pk in (quote.created_by_id, quote.priced_by_id),
        "activity": events.activity(quote),
        "versions": selectors.quote_versions(quote=quote),
        **_change_context(quote, editable=bool(quote.is_editable and can_sell), query=search),
        # Documents and signatures: contracts draws them (its panels.py).
        "panels": panels.render("quote.sections", request=request, obj=quote),
    }


def _sites_matching(locations: QuerySet, query: str) -> QuerySet:
    """The first SITE_CHOICES sites, those matching the line filter first when it names sites."""
    if query:
        q = Q()
        for field in ("name", "line1", "line2", "city", "postal_code"):
            q |= Q(**{f"{field}__icontains": query})
        if locations.filter(q).exists():
            locations = locations.filter(q)
    return locations.order_by("name", "line1", "id")[:SITE_CHOICES]


def _limit_site_choices(form: QuoteLineForm, *, query: str) -> dict | None:
    """An account with thousands of sites: the line form's menu offers the sites the line filter
    matches (the first SITE_CHOICES), and the one chosen; any of the account's sites is still valid."""
    field = cast(ModelChoiceField, form.fields["location"])
    locations = cast(QuerySet, field.queryset)
    total = locations.count()
    if total <= SITE_CHOICES:
        return None
    shown = list(_sites_matching(locations, query))
    chosen = form["location"].value()
    if chosen and str(chosen) not in {str(location.pk) for location in shown}:
        shown += list(locations.filter(pk=getattr(chosen, "pk", chosen)))
    field.widget.choices = [("", field.empty_label), *((location.pk, location.label) for location in shown)]
    return {"shown": len(shown), "total": total}


def _limit_site_checkboxes(form: QuoteSitesAddForm, *, query: str) -> dict:
    """The "add to sites" form ticks from the first SITE_CHOICES sites (those the line filter
    matches first), with those already ticked; "every site" reaches the rest."""
    field = cast(ModelChoiceField, form.fields["locations"])
    locations = cast(QuerySet, field.queryset)
    total = locations.count()
    shown = list(_sites_matching(locations, query))
    ticked = {str(value) for value in (form["locations"].value() or [])}
    shown_ids = {str(location.pk) for location in shown}
    shown += list(locations.filter(pk__in=[parse_id(pk) for pk in ticked - shown_ids]))
    field.widget.choices = [(location.pk, location.label) for location in shown]
    return {"shown": len(shown), "total": total}


@staff_required
def quote_detail_view(request: HtmxHttpRequest, quote_id: int) -> HttpResponse:
    page = "quoting/quote_detail.html"
    # The line filter and the pages of lines swap only the lines (HTMX).
    return render(request, f"{page}#lines" if request.htmx else page, _detail_context(request, quote_id))


@require_POST
@permission_required("quote.edit")
def quote_line_add_view(request: HtmxHttpRequest, quote_id: int) -> HttpResponse:
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id)
    form = QuoteLineForm(request.POST, account=quote.account, quote=quote)
    added = None
    if form.is_valid():
        try:
            added = services.quote_line_add(quote=quote, added_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if not request.htmx:
                return redirect(quote)
            form = QuoteLineForm(
                account=quote.account,
                quote=quote,
                initial={
                    "location": form.cleaned_data["location"],
                    "term_months": form.cleaned_data["term_months"],
                },
            )
    context = _detail_context(request, quote_id, line_form=form, line_id=added.pk if added else None)
    page = "quoting/quote_detail.html"
    # A form error: HTMX swaps only 2xx answers; a plain POST gets the page back as a 400.
    return render(request, f"{page}#lines" if request.htmx else page, context, status=200 if request.htmx else 400)


@require_POST
@permission_required("quote.edit")
def quote_line_remove_view(request: HtmxHttpRequest, quote_id: int, line_id: int) -> HttpResponse:
    line = selectors.quote_line_get_for(user=request.user, line_id=line_id)
    if line.quote_id != quote_id:
        return redirect("quoting:quote_detail", quote_id=quote_id)
    try:
        services.quote_line_remove(line=line, removed_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    if request.htmx:
        return render(request, "quoting/quote_detail.html#lines", _detail_context(request, quote_id))
    return redirect("quoting:quote_detail", quote_id=quote_id)


@require_POST
@permission_required("quote.edit")
def quote_transition_view(request: HttpRequest, quote_id: int, action: str) -> HttpResponse:
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id)
    try:
        if action == "present":
            # Presenting is previewing the document, choosing who receives it and sending it
            # (contracts' present page, behind the button in the approvals panel): never here.
            messages.error(request, "Preview the quote and choose who receives it: use “Preview and present”.")
        elif action == "accept":
            form = QuoteDecisionForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Enter the name of the person who signed for the customer.")
                return redirect(quote)
            services.quote_accept(
                quote=quote, accepted_by=request.user, accepted_by_name=form.cleaned_data["accepted_by_name"]
            )
            messages.success(request, f"Quote {quote.number} accepted: the order is created.")
        elif action == "reject":
            services.quote_reject(quote=quote, rejected_by=request.user, note=request.POST.get("note", ""))
            messages.success(request, f"Quote {quote.number} marked rejected.")
        elif action == "expire":
            services.quote_expire(quote=quote)
            messages.success(request, f"Quote {quote.number} withdrawn.")
        else:
            messages.error(request, "Unknown action.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(quote)


@require_POST
@staff_required
def quote_approval_view(request: HttpRequest, quote_id: int, approval_id: int) -> HttpResponse:
    """An approver approves or rejects one approval of a quote, with a comment."""
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id)
    approval = selectors.approval_get(quote=quote, approval_id=approval_id)
    require(request.user, "quote.approve", named=approval.approver_role)  # a 403, not a message
    try:
        services.quote_approval_decide(
            approval=approval,
            approve=request.POST.get("decision") == "approve",
            comment=request.POST.get("comment", ""),
            decided_by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Decision recorded.")
    return redirect(quote)


@require_POST
@permission_required("quote.edit")
def quote_revise_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id)
    try:
        revision = services.quote_revise(quote=quote, revised_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(quote)
    messages.success(request, f"Version {revision.revision} is a draft; version {quote.revision} is kept read-only.")
    return redirect(revision)


@staff_required
def quote_compare_view(request: HttpRequest, quote_id: int, other_id: int) -> HttpResponse:
    """Two versions side by side: what changed per line and in the totals."""
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id)
    other = selectors.quote_get_for(user=request.user, quote_id=other_id)
    if quote.opportunity_id != other.opportunity_id:
        raise Http404("These quotes are not versions of one another.")
    old, new = sorted([quote, other], key=lambda q: (q.revision, q.pk))
    return render(
        request,
        "quoting/quote_compare.html",
        {"old": old, "new": new, "rows": selectors.quote_compare(old=old, new=new)},
    )


BACKGROUND_ROWS = site_import.BACKGROUND_ROWS  # a larger file is checked and priced by the worker, with progress


def _site_file_error(upload: UploadedFile) -> str:
    """Why an uploaded file of sites is refused before it is read (too large, not CSV text), or ''."""
    try:
        user_files.check_upload(upload, kind=user_files.SITE_IMPORT, field="file")
    except ValidationError as exc:
        return exc.message
    return ""


@permission_required("quote.edit")
def quote_sites_import_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    """Upload a CSV of sites and products: a per-row report; nothing imported while a row is
    invalid unless the user asks to import the valid rows, then or later: a file with invalid
    rows is kept, and "import the N valid rows" imports from it without a new upload."""
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id)
    rows, error, kept = None, "", None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "Choose a CSV file."
        elif not (error := _site_file_error(upload)) and upload.read().count(b"\n") > BACKGROUND_ROWS:
            upload.seek(0)
            try:
                job = services.site_import_job_create(
                    quote=quote,
                    upload=upload,
                    import_valid_rows=request.POST.get("import_valid") == "1",
                    created_by=request.user,
                )
            except DomainError as exc:
                error = exc.message
            else:
                return redirect("quoting:site_import_job", quote_id=quote.pk, job_id=job.pk)
        elif not error:
            upload.seek(0)
            try:
                rows = services.quote_sites_import(
                    quote=quote,
                    data=upload.read(),
                    import_valid_rows=request.POST.get("import_valid") == "1",
                    imported_by=request.user,
                )
            except DomainError as exc:
                error = exc.message
            else:
                imported = request.POST.get("import_valid") == "1" or all(row.valid for row in rows)
                if imported:
                    count = sum(1 for row in rows if row.valid)
                    messages.success(request, f"Imported {count} row{'s' if count != 1 else ''}.")
                    if all(row.valid for row in rows):
                        return redirect(quote)
                elif any(row.valid for row in rows):
                    try:
                        kept = services.site_import_keep(quote=quote, upload=upload, rows=rows, created_by=request.user)
                    except DomainError as exc:
                        error = exc.message
    context = {
        "quote": quote,
        "rows": rows,
        "error": error,
        "invalid": sum(1 for r in rows or [] if not r.valid),
        "kept": kept,
    }
    return render(request, "quoting/quote_sites_import.html", context, status=400 if error else 200)


def _change_context(quote: Quote, *, editable: bool, query: str = "") -> dict:
    """The account's services (to change on this quote) and the choices a change line takes
    (sites to move to: the first SITE_CHOICES, those the line filter matches first)."""
    from headend.catalog import selectors as catalog_selectors
    from headend.catalog.models import Term
    from headend.core import clock
    from headend.inventory import selectors as inventory_selectors

    if not editable:
        return {"live_services": []}
    changed = set(quote.lines.exclude(target_service=None).values_list("target_service_id", flat=True))
    return {
        "live_services": [
            service
            for service in inventory_selectors.account_live_services(account_id=quote.account_id)
            if service.pk not in changed
        ],
        "change_actions": [(value, label) for value, label in QuoteLine.Action.choices if value != "add"],
        "change_versions": catalog_selectors.sellable_versions(on=clock.today(), customer_type=quote.account.kind),
        "terms": Term.choices,
        "account_locations": list(_sites_matching(quote.account.locations.all(), query)),
    }


@require_POST
@permission_required("quote.edit")
def quote_line_change_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    """Quote a change to one of the account's services (the builder's services panel)."""
    from headend.catalog import selectors as catalog_selectors
    from headend.crm import selectors as crm_selectors
    from headend.inventory import selectors as inventory_selectors

    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id)
    post = request.POST
    try:
        service = inventory_selectors.service_get_for(user=request.user, service_id=post.get("service"))
        version = (
            catalog_selectors.version_get(version_id=post["product_version"]) if post.get("product_version") else None
        )
        location = (
            crm_selectors.location_get_for(user=request.user, location_id=post["location"])
            if post.get("location")
            else None
        )
        line = services.quote_line_change(
            quote=quote,
            service=service,
            action=post.get("action", ""),
            product_version=version,
            term_months=post.get("term_months") or None,
            negotiated_mrc_amount=post.get("negotiated_mrc_amount") or None,
            location=location,
            added_by=request.user,
        )
    except DomainError as exc:
        messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)
    else:
        messages.success(request, f"{line.get_action_display()} of {service.number} added to the quote.")
    return redirect(quote)


@require_POST
@permission_required("quote.edit")
def quote_line_discount_view(request: HtmxHttpRequest, quote_id: int, line_id: int) -> HttpResponse:
    line = selectors.quote_line_get_for(user=request.user, line_id=line_id)
    if line.quote_id != quote_id:
        raise Http404("No such line on this quote.")
    try:
        services.quote_line_discount(
            line=line, percent=request.POST.get("discount_percent"), discounted_by=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    if request.htmx:
        return render(request, "quoting/quote_detail.html#lines", _detail_context(request, quote_id))
    return redirect("quoting:quote_detail", quote_id=quote_id)


@require_POST
@permission_required("quote.edit")
def quote_lines_update_view(request: HtmxHttpRequest, quote_id: int) -> HttpResponse:
    """The bulk edit of a large quote: a term and/or a discount on the selected lines."""
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id)
    try:
        lines = services.quote_lines_update(
            quote=quote,
            line_ids=request.POST.getlist("lines"),
            term_months=request.POST.get("term_months") or None,
            discount_percent=request.POST.get("discount_percent") or None,
            updated_by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Updated {len(lines)} line{'s' if len(lines) != 1 else ''}.")
    if request.htmx:
        return render(request, "quoting/quote_detail.html#lines", _detail_context(request, quote_id))
    return redirect("quoting:quote_detail", quote_id=quote_id)


@require_POST
@permission_required("quote.edit")
def quote_discount_view(request: HtmxHttpRequest, quote_id: int) -> HttpResponse:
    """The quote-level discount, next to the totals."""
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id, with_lines=False)
    try:
        services.quote_discount_set(
            quote=quote, percent=request.POST.get("discount_percent"), discounted_by=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    if request.htmx:
        return render(request, "quoting/quote_detail.html#lines", _detail_context(request, quote_id))
    return redirect("quoting:quote_detail", quote_id=quote_id)


@staff_required
def site_import_job_view(request: HtmxHttpRequest, quote_id: int, job_id: int) -> HttpResponse:
    """A background import's progress (the page polls itself while it runs) and its report."""
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id)
    job = selectors.site_import_job_get(quote=quote, job_id=job_id)
    page = "quoting/site_import_job.html"
    return render(request, f"{page}#progress" if request.htmx else page, {"quote": quote, "job": job})
