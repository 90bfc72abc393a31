"""Commission plans: finance defines them (checked field by field, never overlapping another of
the same scope), and a sale finds the plan in force for its product on the day it is booked."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from headend.catalog.models import Product
from headend.core import clock, events, numbers
from headend.core.errors import Conflict, NotFound, ValidationError
from headend.core.ids import parse_id
from headend.core.money import default_currency
from headend.core.permissions import require

from .models import Basis, Deal, Plan

# The most months a recurring share runs (ten years) and a clawback reaches back (five).
MAX_RECURRING_MONTHS = 120
MAX_CLAWBACK_MONTHS = 60
FIELDS = (
    "name",
    "product_kind",
    "product",
    "booking_basis",
    "booking_value",
    "turn_up_basis",
    "turn_up_value",
    "recurring_percent",
    "recurring_months",
    "clawback_months",
    "effective_from",
    "effective_to",
)
# What a plan's deals were booked under: fixed once a sale takes the plan.
TERMS = tuple(field for field in FIELDS if field not in ("name", "effective_to"))
TRIGGERS = {"booking": "On booking", "turn_up": "On turn-up"}


# --- Reading ----------------------------------------------------------------------------------


def plan_list() -> list[Plan]:
    """Every plan, newest first, with its product."""
    return list(Plan.objects.select_related("product").order_by("-effective_from", "name", "id"))


def plan_get(*, plan_id: Any) -> Plan:
    """Raises NotFound."""
    plan = Plan.objects.select_related("product").filter(pk=parse_id(plan_id)).first()
    if plan is None:
        raise NotFound("No such commission plan.", field="id")
    return plan


def plans_in_force(*, on: Iterable[dt.date]) -> list[Plan]:
    """The plans in force on any of the days `on` (one query for a batch of sales)."""
    days = sorted(set(on))
    if not days:
        return []
    return list(
        Plan.objects.filter(effective_from__lte=days[-1])
        .filter(Q(effective_to=None) | Q(effective_to__gte=days[0]))
        .order_by("effective_from", "id")
    )


def plan_for(plans: Iterable[Plan], *, product: Product, on: dt.date) -> Plan | None:
    """The plan of `plans` for a sale of `product` booked on `on`: the product's own, else its
    kind's, else the plan for every product; None if none is in force."""
    best: tuple[int, Plan] | None = None
    for plan in plans:
        if plan.effective_from > on or (plan.effective_to is not None and plan.effective_to < on):
            continue
        if plan.product_id is not None:
            rank = 3 if plan.product_id == product.pk else 0
        elif plan.product_kind:
            rank = 2 if plan.product_kind == product.kind else 0
        else:
            rank = 1
        if rank and (best is None or rank > best[0]):
            best = (rank, plan)
    return best[1] if best else None


# --- Writing ----------------------------------------------------------------------------------


@transaction.atomic
def plan_create(*, created_by: Any, **fields: Any) -> Plan:
    """A new commission plan. Raises Forbidden, or ValidationError naming the field at fault: a
    percentage over 100 or a negative amount, months out of range, a plan that pays nothing,
    dates out of order, or dates overlapping another plan of the same scope."""
    require(created_by, "commission.manage")
    _unknown(fields)
    values = plan_values({key: fields.get(key) for key in FIELDS}, exclude_pk=None)
    plan = Plan(**values, currency=default_currency(), created_by=created_by, created_at=clock.now())
    plan.full_clean()
    plan._history_user = created_by  # type: ignore[attr-defined]
    plan.save()
    events.emit("commission_plan.created", subject=plan, data={"name": plan.name})
    return plan


@transaction.atomic
def plan_update(*, plan: Plan, updated_by: Any, **fields: Any) -> Plan:
    """Change a plan. Once a sale was booked under it, only its name and last day change (a new
    rate from a date is a new plan after this one ends), and it cannot end before that sale.

    Raises Forbidden, ValidationError as plan_create does, or Conflict (`plan_in_use`) naming a
    term that may no longer change."""
    require(updated_by, "commission.manage")
    _unknown(fields)
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    current = {key: getattr(plan, key) for key in FIELDS}
    clean = plan_values({**current, **fields}, exclude_pk=plan.pk)
    changed = [key for key in FIELDS if clean[key] != current[key]]
    if not changed:
        return plan
    last_sale = Deal.objects.filter(plan=plan).order_by("-booked_on").values_list("booked_on", flat=True).first()
    if last_sale is not None:
        fixed = [key for key in changed if key in TERMS]
        if fixed:
            raise Conflict(
                "Sales were booked under this plan, so its terms stay as they were: end it and start a new plan.",
                field=fixed[0],
                code="plan_in_use",
            )
        if clean["effective_to"] is not None and clean["effective_to"] < last_sale:
            raise ValidationError(
                f"A sale was booked under this plan on {last_sale:%Y-%m-%d}: the last day cannot be before it.",
                field="effective_to",
                code="plan_in_use",
            )
    for key in changed:
        setattr(plan, key, clean[key])
    plan.full_clean()
    plan._history_user = updated_by  # type: ignore[attr-defined]
    plan.save()
    events.emit("commission_plan.updated", subject=plan, data={"fields": changed})
    return plan


def _unknown(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown plan fields: {', '.join(sorted(unknown))}")


def plan_values(values: dict[str, Any], *, exclude_pk: int | None) -> dict[str, Any]:
    """A plan's fields checked and normalised; ValidationError names the first field at fault."""
    name = (values.get("name") or "").strip()
    if not name:
        raise ValidationError("Name the plan.", field="name", code="required")
    if len(name) > 120:
        raise ValidationError("Keep the name to 120 characters.", field="name", code="too_long")
    kind = values.get("product_kind") or ""
    if kind not in Product.Kind.values and kind != "":
        raise ValidationError("Choose a kind of product, or none for every product.", field="product_kind")
    product = values.get("product")
    if product is not None and not isinstance(product, Product):
        raise ValidationError("Choose a product from the catalog.", field="product", code="invalid_choice")
    if product is not None and kind:
        raise ValidationError(
            "A plan is for one product or for one kind of product, not both: clear one.",
            field="product",
            code="two_scopes",
        )
    clean: dict[str, Any] = {"name": name, "product_kind": kind, "product": product}
    for trigger, label in TRIGGERS.items():
        clean[f"{trigger}_basis"], clean[f"{trigger}_value"] = _trigger(values, trigger, label)
    percent = _percent(values.get("recurring_percent"), field="recurring_percent", label="The recurring share")
    months = _months(
        values.get("recurring_months"),
        field="recurring_months",
        label="The recurring months",
        most=MAX_RECURRING_MONTHS,
    )
    if percent > 0 and months == 0:
        raise ValidationError(
            f"Say for how many months the recurring share is paid (1 to {MAX_RECURRING_MONTHS}).",
            field="recurring_months",
            code="required",
        )
    if months > 0 and percent == 0:
        raise ValidationError(
            "Give the recurring share of MRR, or set its months to 0.", field="recurring_percent", code="required"
        )
    clean["recurring_percent"], clean["recurring_months"] = percent, months
    clean["clawback_months"] = _months(
        values.get("clawback_months"), field="clawback_months", label="The clawback months", most=MAX_CLAWBACK_MONTHS
    )
    if (
        clean["booking_basis"] == Basis.NONE
        and clean["turn_up_basis"] == Basis.NONE
        and clean["recurring_percent"] == 0
    ):
        raise ValidationError(
            "The plan pays nothing: give it a booking, turn-up or recurring commission.",
            field="booking_basis",
            code="pays_nothing",
        )
    clean["effective_from"] = _date(values.get("effective_from"), field="effective_from", label="The first day")
    effective_to = values.get("effective_to")
    if effective_to in (None, ""):
        clean["effective_to"] = None
    else:
        clean["effective_to"] = _date(effective_to, field="effective_to", label="The last day")
        if clean["effective_to"] < clean["effective_from"]:
            raise ValidationError(
                "The last day cannot be before the first day.", field="effective_to", code="ends_before_start"
            )
    other = _overlapping(clean, exclude_pk=exclude_pk)
    if other is not None:
        until = f"to {other.effective_to:%Y-%m-%d}" if other.effective_to else "open-ended"
        raise ValidationError(
            f"These dates overlap “{other.name}” ({other.scope_label.lower()}, from "
            f"{other.effective_from:%Y-%m-%d}, {until}): end that plan first.",
            field="effective_from",
            code="plan_overlap",
        )
    return clean


def _trigger(values: dict[str, Any], trigger: str, label: str) -> tuple[str, Decimal]:
    basis = values.get(f"{trigger}_basis") or Basis.NONE
    field = f"{trigger}_value"
    if basis not in Basis.values:
        raise ValidationError(
            f"{label}: choose nothing, a percentage or a fixed amount.", field=f"{trigger}_basis", code="invalid_choice"
        )
    raw = values.get(field)
    if basis == Basis.NONE:
        if raw not in (None, "") and numbers.parse_decimal(raw, field=field, max_digits=12, decimal_places=2) != 0:
            raise ValidationError(
                f"{label}: choose a percentage or a fixed amount for this value.", field=field, code="not_allowed"
            )
        return basis, Decimal("0.00")
    if raw in (None, ""):
        what = "percentage" if basis == Basis.PERCENT else "amount"
        raise ValidationError(f"{label}: enter the {what}.", field=field, code="required")
    if basis == Basis.PERCENT:
        return basis, _percent(raw, field=field, label=label)
    amount = numbers.parse_decimal(raw, field=field, max_digits=12, decimal_places=2, code="invalid_amount")
    if amount < 0:
        raise ValidationError(f"{label}: an amount cannot be negative.", field=field, code="negative")
    return basis, amount


def _percent(raw: Any, *, field: str, label: str) -> Decimal:
    if raw in (None, ""):
        return Decimal("0.00")
    # Read wide, then judged here, so the message says what is wrong with a percentage.
    value = numbers.parse_decimal(raw, field=field, max_digits=12, decimal_places=2, code="invalid_percent")
    if value < 0:
        raise ValidationError(f"{label}: a percentage cannot be negative.", field=field, code="negative")
    if value > 100:
        raise ValidationError(
            f"{label}: {value} % is over 100 %; a commission is at most all of the MRR.",
            field=field,
            code="over_100_percent",
        )
    return value


def _months(raw: Any, *, field: str, label: str, most: int) -> int:
    if raw in (None, ""):
        return 0
    months = numbers.parse_int(raw, field=field, minimum=None, maximum=None)
    if months < 0 or months > most:
        raise ValidationError(f"{label}: enter 0 to {most}.", field=field, code="out_of_range")
    return months


def _date(value: Any, *, field: str, label: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(f"{label}: enter a date such as 2026-07-01.", field=field, code="invalid_date")


def _overlapping(values: dict[str, Any], *, exclude_pk: int | None) -> Plan | None:
    """Another plan of the same scope in force on some of the same days."""
    product = values["product"]
    others = Plan.objects.filter(product_kind=values["product_kind"], product=product).filter(
        Q(effective_to=None) | Q(effective_to__gte=values["effective_from"])
    )
    if values["effective_to"] is not None:
        others = others.filter(effective_from__lte=values["effective_to"])
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.select_related("product").order_by("effective_from", "pk").first()
