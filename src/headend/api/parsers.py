"""JSON in: numbers with a fraction or an exponent read as exact Decimals, never floats, and
NaN / Infinity (which are not JSON, though Python's json reads them) refused as a bad body."""

import json
from decimal import Decimal
from typing import Any, cast

from django.http import HttpRequest
from ninja.parser import Parser


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


class TMFParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads(request.body, parse_float=Decimal, parse_constant=_not_json))
