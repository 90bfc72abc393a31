"""Who is credited for an opportunity's sales: its splits (reps' shares summing to 100 %), or,
without splits, the owner of the quote that was accepted (who made it; the opportunity's owner
when the quote names nobody). Splits apply to what is earned after they are set."""

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from headend.core import clock, events, numbers
from headend.core.errors import ValidationError
from headend.core.permissions import require
from headend.crm.models import Opportunity

from .models import Split

HUNDRED = Decimal(100)
MAX_REPS = 6


def quote_owner(quote: Any) -> Any:
    """The rep a quote credits: who made it, else its opportunity's owner (None: nobody)."""
    return quote.created_by if quote.created_by_id is not None else quote.opportunity.owner


def splits_of(*, opportunity_ids: Iterable[int]) -> dict[int, list[tuple[int, Decimal]]]:
    """(rep id, share) of each opportunity that has splits, largest share first (one query)."""
    shares: dict[int, list[tuple[int, Decimal]]] = {}
    rows = Split.objects.filter(opportunity_id__in=set(opportunity_ids)).order_by(
        "opportunity_id", "-share_percent", "id"
    )
    for opportunity_id, rep_id, share in rows.values_list("opportunity_id", "rep_id", "share_percent"):
        shares.setdefault(opportunity_id, []).append((rep_id, share))
    return shares


def credited(splits: list[tuple[int, Decimal]] | None, *, owner_id: int | None) -> list[tuple[int, Decimal]]:
    """(rep id, share) of who earns on a sale: the splits, else its quote's owner with all of it,
    else nobody."""
    if splits:
        return splits
    return [(owner_id, HUNDRED)] if owner_id is not None else []


def split_list(*, opportunity: Opportunity) -> list[Split]:
    return list(Split.objects.filter(opportunity=opportunity).select_related("rep").order_by("-share_percent", "id"))


def default_rep(*, opportunity: Opportunity) -> Any:
    """Who is credited without splits: the owner of the accepted quote, else of the newest quote,
    else the opportunity's owner (None: nobody)."""
    quotes = opportunity.quotes.select_related("created_by", "opportunity__owner").order_by("-created_at", "-id")
    quote = quotes.filter(status="accepted").first() or quotes.first()
    return quote_owner(quote) if quote is not None else opportunity.owner


@transaction.atomic
def splits_set(*, opportunity: Opportunity, shares: Sequence[tuple[Any, Any]], set_by: Any) -> list[Split]:
    """Credit an opportunity's sales to reps by share (each over 0, together exactly 100 %),
    replacing its splits; no shares: back to the quote's owner. What was earned stays as it was;
    what is earned from now on follows the new shares.

    Raises Forbidden, or ValidationError naming the row at fault (`rep_1`, `share_0`) or, for
    shares that do not add up to 100 %, `shares`."""
    require(set_by, "commission.split")
    if len(shares) > MAX_REPS:
        raise ValidationError(f"Split between at most {MAX_REPS} reps.", field="shares", code="too_many")
    User = get_user_model()
    clean: list[tuple[Any, Decimal]] = []
    seen: set[int] = set()
    for index, (rep, raw) in enumerate(shares):
        if not isinstance(rep, User) or not rep.is_active:
            raise ValidationError("Choose an active user as the rep.", field=f"rep_{index}", code="required")
        if rep.pk in seen:
            raise ValidationError(f"{rep} is credited twice: one row per rep.", field=f"rep_{index}", code="duplicate")
        seen.add(rep.pk)
        share = numbers.parse_decimal(
            raw, field=f"share_{index}", max_digits=12, decimal_places=2, code="invalid_share"
        )
        if share <= 0 or share > 100:
            raise ValidationError(
                "A share is over 0 and at most 100 %.", field=f"share_{index}", code="share_out_of_range"
            )
        clean.append((rep, share))
    total = sum((share for _, share in clean), Decimal("0.00"))
    if clean and total != HUNDRED:
        raise ValidationError(
            f"The shares add up to {total} %; they must add up to exactly 100 %.",
            field="shares",
            code="not_100_percent",
        )
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    Split.objects.filter(opportunity=opportunity).delete()
    now = clock.now()
    made = [
        Split(opportunity=opportunity, rep=rep, share_percent=share, set_by=set_by, set_at=now) for rep, share in clean
    ]
    for split in made:
        split.full_clean(validate_unique=False)
    Split.objects.bulk_create(made)
    events.emit(
        "opportunity.commission_split",
        subject=opportunity,
        data={"shares": [{"rep_id": rep.pk, "share_percent": str(share)} for rep, share in clean]},
    )
    return made
