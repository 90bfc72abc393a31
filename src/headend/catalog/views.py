from typing import cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from headend.catalog import selectors
from headend.catalog import services as catalog_services
from headend.catalog.forms import (
    BaseTemplateTaskFormSet,
    PreviewForm,
    TemplateTaskForm,
    TemplateTaskFormSet,
    VersionFromForm,
    initial_rows,
    rows_edit,
)
from headend.catalog.models import Product, WorkOrderTemplate
from headend.core import clock, panels
from headend.core.errors import DomainError
from headend.core.permissions import permission_required, staff_required


@staff_required
def product_list_view(request: HttpRequest) -> HttpResponse:
    query, customer_type = request.GET.get("q", "").strip(), request.GET.get("customer_type", "")
    products = selectors.product_list(
        query=query, customer_type=customer_type if customer_type in Product.CustomerType.values else ""
    )
    today = clock.today()
    rows = [
        {"product": product, "current": selectors.version_current(product=product, on=today)} for product in products
    ]
    return render(
        request,
        "catalog/product_list.html",
        {
            "rows": rows,
            "query": query,
            "customer_type": customer_type,
            "customer_types": Product.CustomerType.choices,
        },
    )


@staff_required
def product_detail_view(request: HttpRequest, product_id: int) -> HttpResponse:
    product = selectors.product_get(product_id=product_id)
    versions = product.versions.prefetch_related("prices", "tiers", "promotions").order_by("-version")
    templates = product.templates.prefetch_related("tasks__depends_on", "tasks__skill")
    today = clock.today()
    current = selectors.version_current(product=product, on=today)
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "versions": versions,
            "templates": templates,
            "current": current,
            # What a new version or a copy starts from: the version in force, else the newest.
            "latest": current or product.versions.order_by("-version").first(),
            "addon_of": product.addon_of.all(),
            "paths": selectors.product_paths(product=product),
            "promotions": selectors.promotion_list(product=product, on=today),
            "actions": WorkOrderTemplate.Action.choices,
        },
    )


@permission_required("template.edit")
def template_edit_view(request: HttpRequest, product_id: int, action: str) -> HttpResponse:
    """Edit a product's work-order template for one action, with a preview of the schedule it
    gives an order placed now. Saving never changes work orders already created.

    A problem is shown in words on the row that caused it (its inputs marked invalid); rows
    are moved, deleted and added by submit buttons that save nothing (no JavaScript needed)."""
    product = selectors.product_get(product_id=product_id)
    if action not in WorkOrderTemplate.Action.values:
        raise Http404("No such action.")
    template = selectors.template_for(product_id=product.pk, action=action)
    default_name = f"{WorkOrderTemplate.Action(action).label} {product.name}"
    name = request.POST.get("name", template.name if template else default_name)
    preview: list[SafeString] = []
    errors: list[str] = []
    notice = ""
    edit = rows_edit(request.POST) if request.method == "POST" else None
    if edit is not None:
        data, notice = edit
        formset = TemplateTaskFormSet(data, prefix="tasks")
    elif request.method == "POST":
        formset = TemplateTaskFormSet(request.POST, prefix="tasks")
    else:
        formset = TemplateTaskFormSet(initial=initial_rows(template), prefix="tasks")
    if edit is None and request.method == "POST" and formset.is_valid():
        rows = cast(BaseTemplateTaskFormSet, formset)
        specs = rows.specs()
        problems = catalog_services.template_task_problems(specs)
        for problem in problems:
            if not rows.add_use_case_error(problem):
                errors.append(problem.message)
        try:
            if not problems and "save" in request.POST:
                catalog_services.template_define(product=product, action=action, name=name, tasks=specs)
                messages.success(request, "Template saved; work orders already created keep their tasks.")
                return redirect(product)
            if not problems:
                # The schedule the tasks give: fulfillment draws it (its panels.py); drawn here, so
                # that what it refuses is shown as the form's errors.
                preview = panels.render("catalog.template_preview", request=request, obj=specs).html
        except DomainError as exc:
            if not rows.add_use_case_error(exc):
                errors.append(exc.message)
    elif request.method == "POST" and edit is None:
        errors += [str(error) for error in formset.non_form_errors()]
    invalid_rows = [form.row_number for form in cast(list[TemplateTaskForm], formset.forms) if form.errors]
    if invalid_rows and not errors and edit is None:
        rows_named = ", ".join(str(number) for number in invalid_rows)
        errors.append(f"Nothing was saved: fix row{'s' if len(invalid_rows) > 1 else ''} {rows_named}, marked below.")
    context = {
        "product": product,
        "action": action,
        "template": template,
        "formset": formset,
        "name": name,
        "preview": preview,
        "errors": errors,
        "notice": notice,
        "columns": len(TemplateTaskFormSet.form.base_fields) + 1,
    }
    return render(request, "catalog/template_edit.html", context)


# Rollout (issue 17): new version from this one, new product from a copy, preview, publish.


def _version_form_view(request: HttpRequest, version_id: int, *, copy: bool) -> HttpResponse:
    source = selectors.version_get(version_id=version_id)
    form = VersionFromForm(request.POST or None, source=source, copy=copy)
    if request.method == "POST" and form.is_valid():
        create = catalog_services.product_create_from if copy else catalog_services.version_create_from
        try:
            draft = create(source=source, by=request.user, **form.use_case_values())
        except DomainError as exc:
            form.add_use_case_error(exc)
        else:
            messages.success(
                request, f"Version {draft.version} of {draft.product.name} is drafted: check the preview, then publish."
            )
            return redirect("catalog:version_preview", draft.pk)
    return render(request, "catalog/version_form.html", {"source": source, "form": form, "copy": copy})


@permission_required("catalog.manage")
def version_new_view(request: HttpRequest, version_id: int) -> HttpResponse:
    """A draft of the product's next version, copied from this one (prices, floor, tiers, label)."""
    return _version_form_view(request, version_id, copy=False)


@permission_required("catalog.manage")
def product_copy_view(request: HttpRequest, version_id: int) -> HttpResponse:
    """A new product copied from this version's product (templates, paths, billing) and a draft of it."""
    return _version_form_view(request, version_id, copy=True)


@staff_required
def version_preview_view(request: HttpRequest, version_id: int) -> HttpResponse:
    """A version with a priced example line (quoting draws it: core/panels.py), and Publish for a draft."""
    version = selectors.version_get(version_id=version_id)
    form = PreviewForm(request.GET or None, version=version)
    preview = None
    if form.is_bound and form.is_valid():
        term, quantity = form.cleaned_data["term_months"], form.cleaned_data["quantity"]
    else:
        term, quantity = next(iter(dict(form.fields["term_months"].choices)), None), 1  # type: ignore[attr-defined]
    if term is not None and not form.errors:
        on = max(version.effective_from, clock.today())
        preview = panels.render(
            "catalog.version_preview",
            request=request,
            obj=selectors.PreviewRequest(version=version, term_months=term, quantity=quantity, on=on),
        )
    context = {
        "version": version,
        "product": version.product,
        "form": form,
        "preview": preview,
        "promotions": list(version.promotions.all()),
    }
    return render(request, "catalog/version_preview.html", context)


@require_POST
@permission_required("catalog.manage")
def version_publish_view(request: HttpRequest, version_id: int) -> HttpResponse:
    version = selectors.version_get(version_id=version_id)
    try:
        catalog_services.version_launch(version=version, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("catalog:version_preview", version.pk)
    messages.success(
        request,
        f"{version.product.name} version {version.version} is published: on sale from "
        f"{version.effective_from:%b %-d, %Y}.",
    )
    return redirect(version.product)
