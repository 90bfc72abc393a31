"""What the staff search finds among cases (core/search.py): by reference (CS-000042) or subject."""

from typing import Any

from django.db import models

from headend.core import search
from headend.support.models import Case
from headend.support.selectors import case_scope


def _case_hit(case: Case) -> search.Hit:
    whose = case.account.name if case.account is not None else "Outage"
    return search.Hit(str(case), case.get_absolute_url(), f"{whose} · {case.get_status_display()}")


@search.register("cases", label="Cases", show=_case_hit, order=70)
def find_cases(user: Any, query: str) -> models.QuerySet[Case]:
    q = models.Q(subject__icontains=query)
    case_id = search.number_id(query, "CS")
    if case_id is not None:
        q |= models.Q(pk=case_id)
    return case_scope(user=user).filter(q).select_related("account").order_by("-created_at", "-id")
