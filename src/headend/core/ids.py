"""Ids as they arrive from URLs and API bodies."""

from typing import Any

from headend.core.errors import ValidationError
from headend.core.numbers import MAX_BIGINT, parse_int


def parse_id(value: Any) -> int:
    """A positive integer id (ASCII digits, below 2**63), or 0 (which matches no row) for anything else."""
    try:
        return parse_int(value, field="id", minimum=1, maximum=MAX_BIGINT)
    except ValidationError:
        return 0
