"""What the navigation (core/navigation.py, which may import no app above core) learns from the
apps: who is a technician (fulfillment), and the count of cases past their SLA beside "Support"
(support), read once a request for those who work cases."""

from typing import Any

from headend.core import navigation
from headend.core.permissions import may
from headend.fulfillment import workload
from headend.support import selectors as support_selectors


@navigation.register_audience(navigation.TECHNICIAN)
def technician(user: Any) -> bool:
    return workload.is_technician(user=user)


@navigation.register_count("support.breached")
def breached_cases(user: Any) -> int:
    """Open cases past their SLA, for those who work cases (0 for anybody else: no figure)."""
    if not may(user, "case.work"):
        return 0
    return support_selectors.breached_count(user=user)
