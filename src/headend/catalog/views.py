from typing import cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString

from headend.catalog import selectors
from headend.catalog import services as catalog_services
from headend.catalog.forms import BaseTemplateTaskFormSet, TemplateTaskFormSet, initial_rows
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
    versions = product.versions.prefetch_related("prices", "tiers").order_by("-version")
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
            "addon_of": product.addon_of.all(),
            "paths": selectors.product_paths(product=product),
            "promotions": selectors.promotion_list(product=product, on=today),
            "actions": WorkOrderTemplate.Action.choices,
        },
    )


@permission_required("template.edit")
def template_edit_view(request: HttpRequest, product_id: int, action: str) -> HttpResponse:
    """Edit a product's work-order template for one action, with a preview of the schedule it
    gives an order placed now. Saving never changes work orders already created."""
    product = selectors.product_get(product_id=product_id)
    if action not in WorkOrderTemplate.Action.values:
        raise Http404("No such action.")
    template = selectors.template_for(product_id=product.pk, action=action)
    default_name = f"{WorkOrderTemplate.Action(action).label} {product.name}"
    formset = TemplateTaskFormSet(request.POST or None, initial=initial_rows(template), prefix="tasks")
    name = request.POST.get("name", template.name if template else default_name)
    preview: list[SafeString] = []
    errors: list[str] = []
    if request.method == "POST" and formset.is_valid():
        try:
            specs = cast(BaseTemplateTaskFormSet, formset).specs()
            if "save" in request.POST:
                catalog_services.template_define(product=product, action=action, name=name, tasks=specs)
                messages.success(request, "Template saved; work orders already created keep their tasks.")
                return redirect(product)
            catalog_services.check_template_tasks(specs)
            # The schedule the tasks give: fulfillment draws it (its panels.py); drawn here, so
            # that what it refuses is shown as the form's errors.
            preview = panels.render("catalog.template_preview", request=request, obj=specs).html
        except forms.ValidationError as exc:
            errors = exc.messages
        except DomainError as exc:
            errors = [f"{exc.field}: {exc.message}" if exc.field and exc.field.startswith("tasks[") else exc.message]
    context = {
        "product": product,
        "action": action,
        "template": template,
        "formset": formset,
        "name": name,
        "preview": preview,
        "errors": errors,
    }
    return render(request, "catalog/template_edit.html", context)
