"""What commissions shows on the opportunity page (core/panels.py; crm draws the slot): who is
credited for its sales and with what share, what each rep has earned on it so far, and, for
those who set splits, the form that changes them."""

from typing import Any

from django.http import HttpRequest

from headend.core import panels
from headend.core.permissions import may
from headend.crm.models import Opportunity

from . import selectors, splits
from .forms import SplitForm, split_initial


@panels.register("opportunity.sections", template="commissions/panels/opportunity_credit.html", order=50)
def opportunity_credit(request: HttpRequest, opportunity: Opportunity) -> dict[str, Any] | None:
    if not (may(request.user, "commission.view") or may(request.user, "commission.split")):
        return None
    every_rep = selectors.sees_every_rep(request.user)
    earned = selectors.earned_on_opportunity(opportunity_id=opportunity.pk)
    if not every_rep:
        earned = [row for row in earned if row["rep"].pk == request.user.pk]
    can_split = may(request.user, "commission.split")
    return {
        "opportunity": opportunity,
        "splits": splits.split_list(opportunity=opportunity),
        "default_rep": splits.default_rep(opportunity=opportunity),
        "earned": earned,
        "form": SplitForm(initial=split_initial(opportunity)) if can_split else None,
    }
