"""Changes to services the account has (MACD) on a draft quote: upgrade, downgrade, re-term,
re-rate, move, replace or cancel, each priced as a delta against the service."""

from typing import Any

from django.db import models, transaction

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import ProductVersion
from headend.core import clock
from headend.core.errors import Conflict, ValidationError
from headend.core.numbers import parse_amount
from headend.crm.models import Location
from headend.quoting._common import lock_draft, recompute_totals
from headend.quoting.hooks import quote_orders
from headend.quoting.line_checks import check_sellable_at, check_term, check_workable
from headend.quoting.line_prices import PriceBook, price_new_line
from headend.quoting.models import Quote, QuoteLine

CHANGE_ACTIONS = {
    QuoteLine.Action.UPGRADE,
    QuoteLine.Action.DOWNGRADE,
    QuoteLine.Action.RE_TERM,
    QuoteLine.Action.RE_RATE,
    QuoteLine.Action.MOVE,
    QuoteLine.Action.REPLACE,
    QuoteLine.Action.CANCEL,
}


def _check_change(
    quote: Quote, service: Any, action: str, product_version: ProductVersion | None, location: Location | None
) -> None:
    """Refuse a change the account, the service's state or the catalog's paths do not allow."""
    from headend.inventory.models import Service

    if action not in CHANGE_ACTIONS:
        raise ValidationError(f"Unknown change {action!r}.", field="action", code="invalid_choice")
    if service.account_id != quote.account_id:
        raise ValidationError("The service belongs to another account.", field="service", code="foreign_service")
    if service.status not in (Service.Status.ACTIVE, Service.Status.SUSPENDED):
        raise ValidationError(
            f"Service {service.number} is {service.get_status_display().lower()}; only a live service changes.",
            field="service",
            code="service_not_live",
        )
    if quote.lines.filter(target_service=service).exists():
        raise ValidationError(
            f"Service {service.number} already has a change on this quote.", field="service", code="changed_twice"
        )
    in_flight = quote_orders().change_in_flight(service_id=service.pk)
    if in_flight is not None:
        raise Conflict(
            f"Service {service.number} has a change in flight on order {in_flight.number}; quote it again once "
            "that order completes.",
            field="service",
            code="change_in_flight",
        )
    current = service.product_version.product
    if action in (QuoteLine.Action.UPGRADE, QuoteLine.Action.DOWNGRADE, QuoteLine.Action.REPLACE):
        if product_version is None:
            raise ValidationError("Choose the product to change to.", field="product_version", code="required")
        target = product_version.product
        path = "replaced_by" if action == QuoteLine.Action.REPLACE else str(action)
        same_product = target.pk == current.pk and action != QuoteLine.Action.REPLACE
        if not same_product and catalog_selectors.path_between(product=current, target=target) != path:
            raise ValidationError(
                f"The catalog has no {action.replace('_', ' ')} path from {current} to {target}.",
                field="product_version",
                code="not_on_path",
            )
    if action == QuoteLine.Action.MOVE:
        if location is None:
            raise ValidationError("Choose the location to move to.", field="location", code="required")
        if location.account_id != quote.account_id:
            raise ValidationError("The location belongs to another account.", field="location", code="foreign_location")
        if location.pk == service.location_id:
            raise ValidationError("The service is already at that location.", field="location", code="same_location")


@transaction.atomic
def quote_line_change(
    *,
    quote: Quote,
    service: Any,
    action: str,
    product_version: ProductVersion | None = None,
    term_months: Any = None,
    negotiated_mrc_amount: Any = None,
    location: Location | None = None,
    added_by: Any = None,
) -> QuoteLine:
    """Quote a change to a service the account has, priced as a delta against it: upgrade,
    downgrade, re-term, re-rate, move, replace or cancel (with the catalog's early-termination
    fee inside the term). A cancel or move carries the service's add-ons with it, each priced
    on its own line. Raises ValidationError naming the field, Conflict when the service (or an
    add-on it carries) has a change in flight on another accepted quote."""
    from headend.inventory import selectors as inventory_selectors

    term = None if term_months is None or term_months == "" else check_term(term_months)
    quote = lock_draft(quote)
    service = inventory_selectors.service_locked(service_id=service.pk)
    line = _change_line(
        quote,
        service,
        action=action,
        product_version=product_version,
        term_months=term,
        negotiated_mrc_amount=negotiated_mrc_amount,
        location=location,
    )
    if action in (QuoteLine.Action.CANCEL, QuoteLine.Action.MOVE):
        changed = set(quote.lines.exclude(target_service=None).values_list("target_service_id", flat=True))
        for addon in inventory_selectors.service_addons_live(service_id=service.pk):
            if addon.pk not in changed and addon.status != addon.Status.PENDING_DISCONNECT:
                _change_line(
                    quote,
                    inventory_selectors.service_locked(service_id=addon.pk),
                    action=action,
                    location=location,
                    base_line=line,
                )
    recompute_totals(quote, edited_by=added_by)
    return line


def _change_line(
    quote: Quote,
    service: Any,
    *,
    action: str,
    product_version: ProductVersion | None = None,
    term_months: int | None = None,
    negotiated_mrc_amount: Any = None,
    location: Location | None = None,
    base_line: QuoteLine | None = None,
) -> QuoteLine:
    """Check, price and store one change line on a locked draft (totals are the caller's)."""
    _check_change(quote, service, action, product_version, location)
    today = clock.today()
    if product_version is not None:
        check_sellable_at(
            account=quote.account, location=location or service.location, product_version=product_version, on=today
        )
    negotiated = None
    if action == QuoteLine.Action.RE_RATE:
        if negotiated_mrc_amount is None or negotiated_mrc_amount == "":
            raise ValidationError("Give the negotiated monthly price.", field="negotiated_mrc_amount")
        negotiated = parse_amount(negotiated_mrc_amount, field="negotiated_mrc_amount", minimum=None)
        if negotiated < 0:
            raise ValidationError("A price cannot be negative.", field="negotiated_mrc_amount")
    new_version = product_version or service.product_version
    moves = location is not None and location.pk != service.location_id
    work = QuoteLine.work_action(action, changes_version=new_version.pk != service.product_version_id, moves=moves)
    check_workable(new_version.product, work, field="action")
    last = quote.lines.aggregate(last=models.Max("position"))["last"] or 0
    line = QuoteLine(
        quote=quote,
        position=last + 1,
        action=action,
        target_service=service,
        location=location or service.location,
        product_version=new_version,
        negotiated_mrc_amount=negotiated,
        base_line=base_line,
    )
    line.term_months = term_months  # type: ignore[assignment]  # None: the service's term, priced below
    price_new_line(line, books=PriceBook(), on=today)
    line.save()
    return line
