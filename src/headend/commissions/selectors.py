"""Reading commissions: the statements a user may see (a rep their own; sales managers, finance
and directors everyone's), a rep's statement for a month, and who is credited on an opportunity."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet, Sum

from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.core.money import ZERO
from headend.core.permissions import may

from .models import AccrualRun, Earning

KIND_ORDER = [Earning.Kind.BOOKING, Earning.Kind.TURN_UP, Earning.Kind.RECURRING, Earning.Kind.CLAWBACK]


def sees_every_rep(user: Any) -> bool:
    return may(user, "commission.view_all")


def may_see(*, user: Any, rep_id: int) -> bool:
    """Whether `user` may read `rep_id`'s statements: their own, or everyone's for the roles that
    oversee commissions."""
    return sees_every_rep(user) or (may(user, "commission.view") and getattr(user, "pk", None) == rep_id)


def _earnings_for(user: Any) -> QuerySet[Earning]:
    if sees_every_rep(user):
        return Earning.objects.all()
    if may(user, "commission.view"):
        return Earning.objects.filter(rep_id=user.pk)
    return Earning.objects.none()


@dataclass(frozen=True)
class StatementRow:
    """One rep's month in the list of statements."""

    rep: Any
    month: dt.date
    currency: str
    lines: int
    total: Decimal


def statement_list(*, user: Any, rep_id: Any = None) -> list[StatementRow]:
    """Every rep-month with earnings `user` may see, newest month first (optionally one rep's)."""
    earnings = _earnings_for(user)
    if rep_id not in (None, ""):
        earnings = earnings.filter(rep_id=parse_id(rep_id))
    rows = list(
        earnings.values("rep_id", "month", "currency")
        .annotate(lines=Count("id"), total=Sum("amount"))
        .order_by("-month", "rep_id", "currency")
    )
    reps = get_user_model().objects.in_bulk({row["rep_id"] for row in rows})
    return [
        StatementRow(reps[row["rep_id"]], row["month"], row["currency"], row["lines"], row["total"] or ZERO)
        for row in rows
    ]


def reps_for(*, user: Any) -> list[Any]:
    """The reps whose statements `user` may see and who have earned something."""
    ids = set(_earnings_for(user).values_list("rep_id", flat=True).distinct())
    return sorted(get_user_model().objects.filter(pk__in=ids), key=lambda rep: rep.get_full_name() or rep.username)


@dataclass
class KindTotal:
    kind: str
    label: str
    lines: int = 0
    amount: Decimal = ZERO


@dataclass
class Statement:
    """A rep's earnings of one month: each line, the totals by kind and in all (by currency)."""

    rep: Any
    month: dt.date
    lines: list[Earning]
    by_kind: list[KindTotal] = field(default_factory=list)
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def currencies(self) -> list[str]:
        return sorted(self.totals)


def statement_get_for(*, user: Any, rep_id: Any, month: dt.date) -> Statement:
    """`rep_id`'s statement for the month of `month`, if `user` may see it (NotFound otherwise,
    so another rep's id reveals nothing)."""
    pk = parse_id(rep_id)
    rep = get_user_model().objects.filter(pk=pk).first() if pk else None
    if rep is None or not may_see(user=user, rep_id=rep.pk):
        raise NotFound("No such statement.", field="rep")
    month = month.replace(day=1)
    lines = list(
        Earning.objects.filter(rep=rep, month=month)
        .select_related("deal__service__account", "deal__service__product_version__product", "deal__plan", "reverses")
        .order_by("earned_on", "id")
    )
    by_kind = {kind: KindTotal(kind.value, kind.label) for kind in KIND_ORDER}
    totals: dict[str, Decimal] = {}
    for line in lines:
        total = by_kind[Earning.Kind(line.kind)]
        total.lines += 1
        total.amount += line.amount
        totals[line.currency] = totals.get(line.currency, ZERO) + line.amount
    return Statement(rep, month, lines, list(by_kind.values()), totals)


def last_accruals(*, limit: int = 6) -> list[AccrualRun]:
    return list(AccrualRun.objects.order_by("-month")[:limit])


def earned_on_opportunity(*, opportunity_id: int) -> list[dict[str, Any]]:
    """What each rep has earned on an opportunity's sales so far, in all (one query)."""
    rows = list(
        Earning.objects.filter(deal__opportunity_id=opportunity_id)
        .values("rep_id", "currency")
        .annotate(total=Sum("amount"), lines=Count("id"))
        .order_by("rep_id", "currency")
    )
    reps = get_user_model().objects.in_bulk({row["rep_id"] for row in rows})
    return [{"rep": reps[row["rep_id"]], **row} for row in rows]
