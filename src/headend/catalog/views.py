from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from headend.catalog import selectors
from headend.catalog.models import Product
from headend.core import clock
from headend.core.permissions import staff_required


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
    versions = product.versions.prefetch_related("prices").order_by("-version")
    templates = product.templates.prefetch_related("tasks__dependencies__predecessor", "tasks__skill")
    current = selectors.version_current(product=product, on=clock.today())
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "versions": versions,
            "templates": templates,
            "current": current,
            "addon_of": product.addon_of.all(),
        },
    )
