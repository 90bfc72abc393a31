"""Ids as they arrive from URLs and API bodies."""

from typing import Any


def parse_id(value: Any) -> int:
    """A positive integer id, or 0 (which matches no row) for anything else."""
    try:
        pk = int(str(value).strip())
    except (TypeError, ValueError):
        return 0
    return pk if 0 < pk < 2**63 else 0
