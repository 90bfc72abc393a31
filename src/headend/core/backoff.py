"""The one back-off: how long to wait before trying again after failed tries (a webhook, a code
task, the worker loop's database errors, outbox events whose handler failed)."""

# Past this many doublings every delay in use has reached its cap; it keeps 2 ** n finite in floats.
MAX_DOUBLINGS = 62


def delay(attempt: int, *, first: float, cap: float) -> float:
    """Seconds to wait after failed try number `attempt` (1 for the first failure): `first`,
    doubling per try, at most `cap`; `first` for an attempt below 1."""
    return min(first * 2 ** min(max(attempt - 1, 0), MAX_DOUBLINGS), cap)
