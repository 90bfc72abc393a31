"""JSON out: Decimal amounts as exact JSON numbers, and TMF attribute selection (`?fields=`)."""

import json
import re
import secrets
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

ALWAYS_SELECTED = ("id", "href", "@type")

# TMF Money.value is a JSON number. Python's json writes numbers only from int and float, so
# a Decimal is written as a marked string and the mark is then removed: the digits in the
# document are the Decimal's own, never a float's. The mark is random per process so no
# client-supplied string can imitate it.
_MARK = f"decimal-{secrets.token_hex(8)}:"
_MARKED = re.compile(rf'"{_MARK}(-?[0-9]+(?:\.[0-9]+)?)"')


class _Encoder(NinjaJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            if not o.is_finite():
                raise ValueError(f"{o} is not a JSON number")
            return f"{_MARK}{o:f}"
        return super().default(o)


def dumps(data: Any) -> str:
    return _MARKED.sub(r"\1", json.dumps(data, cls=_Encoder))


def select_fields(data: Any, fields: str) -> Any:
    """Keep the first-level attributes named in `fields` (comma-separated), plus id, href and
    @type, of one object or of each object in a list."""
    wanted = {name.strip() for name in fields.split(",") if name.strip()} | set(ALWAYS_SELECTED)

    def pick(item: Any) -> Any:
        return {key: value for key, value in item.items() if key in wanted} if isinstance(item, dict) else item

    return [pick(item) for item in data] if isinstance(data, list) else pick(data)


class TMFRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> str:
        fields = request.GET.get("fields", "")
        if response_status == 200 and request.method == "GET" and fields.strip():
            data = select_fields(data, fields)
        return dumps(data)
