"""TMF list conventions: `fields`, `offset`, `limit` and the X-Total-Count / X-Result-Count headers.

Attribute filters (`?state=`, `?relatedParty.id=`) are each route's own query parameters; the
attribute selection itself (`fields`) is applied when the response is rendered (renderers.py)."""

from typing import TypeVar

from django.db import models
from django.http import HttpResponse
from ninja import Field, Schema

from headend.api.schemas import WholeNumber
from headend.core.numbers import MAX_INT

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = MAX_INT  # past it no list has rows; bounded so that offset + limit fits any database

T = TypeVar("T", bound=models.Model)


class ListParams(Schema):
    fields: str | None = Field(
        None, description="Comma-separated first-level attributes to return; id, href and @type always are."
    )
    offset: WholeNumber = Field(0, ge=0, le=MAX_OFFSET, description="Index of the first object to return.")
    limit: WholeNumber = Field(
        DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"At most this many objects (≤ {MAX_LIMIT})."
    )


def paginate(response: HttpResponse, items: models.QuerySet[T], page: ListParams) -> list[T]:
    """One page of `items`; the headers say how many match in all and how many are returned."""
    total = items.count()
    chunk = list(items[page.offset : page.offset + page.limit])
    response["X-Total-Count"] = str(total)
    response["X-Result-Count"] = str(len(chunk))
    return chunk


def matching(statuses: dict[str, str], state: str | None) -> list[str] | None:
    """Our statuses that show as TMF `state` (None when no state is asked for: no filter)."""
    if state is None:
        return None
    return [ours for ours, theirs in statuses.items() if theirs == state]
