"""Paging list pages while keeping their filters in the links."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, items: Any, *, per_page: int = 25) -> dict[str, Any]:
    page: Page = Paginator(items, per_page).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return {"page_obj": page, "items": page.object_list, "query_string": f"{encoded}&" if encoded else ""}
