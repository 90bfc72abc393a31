"""TMF list conventions: `fields`, `offset`, `limit` and the X-Total-Count / X-Result-Count headers.

Attribute filters (`?state=`, `?relatedParty.id=`) are each route's own query parameters; the
attribute selection itself (`fields`) is applied when the response is rendered (renderers.py)."""

from typing import Any, TypeVar

from django.db import models
from django.http import HttpResponse
from ninja import Field, Schema

from headend.api.schemas import WholeNumber
from headend.core.numbers import MAX_INT

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
TOTAL, RESULT = "X-Total-Count", "X-Result-Count"
MAX_OFFSET = MAX_INT  # past it no list has rows; bounded so that offset + limit fits any database

T = TypeVar("T")  # a model instance, or a row of values_list()


class ListParams(Schema):
    fields: str | None = Field(
        None, description="Comma-separated first-level attributes to return; id, href and @type always are."
    )
    offset: WholeNumber = Field(0, ge=0, le=MAX_OFFSET, description="Index of the first object to return.")
    limit: WholeNumber = Field(
        DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"At most this many objects (≤ {MAX_LIMIT})."
    )


def paginate(response: HttpResponse, items: "models.QuerySet[Any, T]", page: ListParams) -> list[T]:
    """One page of `items`; the headers say how many match in all and how many are returned."""
    total = items.count()
    chunk = list(items[page.offset : page.offset + page.limit])
    counted(response, total, len(chunk))
    return chunk


def counted(answer: HttpResponse, total: int, returned: int) -> HttpResponse:
    """`answer` (the route's response, or a page's body the route rendered itself: ninja sends a
    route's HttpResponse as it is) with the list headers: how many match in all, how many are
    returned."""
    answer[TOTAL] = str(total)
    answer[RESULT] = str(returned)
    return answer


def matching(statuses: dict[str, str], state: str | None) -> list[str] | None:
    """Our statuses that show as TMF `state` (None when no state is asked for: no filter)."""
    if state is None:
        return None
    return [ours for ours, theirs in statuses.items() if theirs == state]
