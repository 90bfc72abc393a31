"""What a line must pass (quote lines and order items alike): a whole quantity, a term the catalog
sells, a version on sale to this customer at one of its sites, and a work-order template for the
work the line becomes."""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import Product, ProductVersion, Term
from headend.core.errors import ValidationError
from headend.core.numbers import MAX_BIGINT, MAX_INT, parse_int
from headend.crm.models import Account, Location
from headend.network import reach as network_reach
from headend.quoting.models import Quote, QuoteLine


def check_quantity(quantity: Any) -> int:
    """A whole number of units, 1 to 10,000 (quote lines and order items alike)."""
    quantity = parse_int(quantity, field="quantity", minimum=-MAX_BIGINT, maximum=MAX_BIGINT, code="invalid_quantity")
    if quantity < 1:
        raise ValidationError("Quantity must be at least 1.", field="quantity", code="invalid_quantity")
    if quantity > 10_000:
        raise ValidationError("Quantity must be at most 10,000.", field="quantity", code="invalid_quantity")
    return quantity


TERMS = frozenset(Term.values)


def check_term(term: Any) -> int:
    """A contract term in months as people write it ("12", 24): 0 (month-to-month), 12, 24 or 36."""
    try:
        months = parse_int(term, field="term_months", maximum=MAX_INT, code="unknown_term")
    except ValidationError:
        months = -1
    if months not in TERMS:
        terms = ", ".join(str(value) for value in Term.values)
        raise ValidationError(
            f"The term is {terms} months (0: month-to-month).", field="term_months", code="unknown_term"
        )
    return months


def check_sellable_at(
    *, account: Account, location: Location, product_version: ProductVersion, on: dt.date
) -> "network_reach.ReachCheck":
    """Raise ValidationError unless the version is on sale on `on` to this kind of account, at one
    of the account's own locations, within our network's reach (network/reach.py: near it or not
    on the map, the verdict returned says a survey is needed)."""
    verdict = sellable_at_many(account=account, pairs=[(location, product_version)], on=on)[0]
    if isinstance(verdict, ValidationError):
        raise verdict
    return verdict


def sellable_at_many(
    *, account: Account, pairs: Sequence[tuple[Location, ProductVersion]], on: dt.date
) -> "list[network_reach.ReachCheck | ValidationError]":
    """`check_sellable_at` for many (site, version) pairs at once, the reach of every site read in
    a few queries: per pair, the reach verdict or the ValidationError the single check raises."""
    verdicts: list[network_reach.ReachCheck | ValidationError | None] = []
    for location, product_version in pairs:
        try:
            if location.account_id != account.pk:
                raise ValidationError(
                    "The location belongs to another account.", field="location", code="foreign_location"
                )
            check_sellable_version(account=account, product_version=product_version, on=on)
        except ValidationError as exc:
            verdicts.append(exc)
        else:
            verdicts.append(None)
    # Reach: off our network, or on it without what the offering needs, refuses it with the
    # reason; near it or not on the map, sales may quote it, pending a site survey.
    asked = [index for index, verdict in enumerate(verdicts) if verdict is None]
    for index, check in zip(asked, network_reach.offerings_reach([pairs[i] for i in asked], on=on), strict=True):
        verdicts[index] = (
            check if check.eligible else ValidationError(check.reason, field="product_version", code="not_serviceable")
        )
    return [verdict for verdict in verdicts if verdict is not None]


def check_sellable_version(*, account: Account, product_version: ProductVersion, on: dt.date) -> None:
    """Raise ValidationError (`product_version`) unless the version is on sale on `on` to this
    kind of account, wherever it is sold."""
    if not product_version.is_sellable_on(on):
        state = product_version.get_status_display().lower()
        if product_version.effective_from > on:
            state += f", effective {product_version.effective_from.isoformat()}"
        raise ValidationError(
            f"{product_version} is not on sale (it is {state}).",
            field="product_version",
            code="not_sellable",
        )
    customer_type = product_version.product.customer_type
    if customer_type != Product.CustomerType.ANY and customer_type != account.kind:
        raise ValidationError(
            f"{product_version.product} is sold to {customer_type} customers only.",
            field="product_version",
            code="not_eligible",
        )


# What the catalog's missing template stops a quote line from doing, in sales' words.
WORK_VERBS = {"add": "sold", "modify": "changed", "move": "moved", "delete": "disconnected"}


WORK_LABELS = {"add": "Add", "modify": "Modify", "move": "Move", "delete": "Disconnect"}


def _no_template(product: Product, work: str, *, field: str) -> ValidationError:
    return ValidationError(
        f"{product} cannot be {WORK_VERBS.get(work, work)} on a quote yet: the catalog has no work order for it. "
        f'Ask a catalog manager to define its "{WORK_LABELS.get(work, work)}" template.',
        field=field,
        code="no_template",
    )


def check_workable(product: Product, work: str | None, *, field: str) -> None:
    """Refuse, at the line, what would fail at the customer's signature: a product with no
    work-order template for the work the line becomes."""
    if work is not None:
        refusal = unworkable([product], work, field=field).get(product.pk)
        if refusal is not None:
            raise refusal


def unworkable(products: Iterable[Product], work: str, *, field: str) -> dict[int, ValidationError]:
    """`check_workable` for many products in one query: the refusal of each product (by id) that
    has no work-order template for `work`."""
    by_id = {product.pk: product for product in products}
    defined = catalog_selectors.templates_defined(product_ids=list(by_id))
    return {pk: _no_template(product, work, field=field) for pk, product in by_id.items() if (pk, work) not in defined}


def check_lines_workable(quote: Quote) -> None:
    """Every line of the quote can become work (checked again when it is presented)."""
    rows = quote.lines.values_list(
        "position",
        "action",
        "product_version__product_id",
        "product_version_id",
        "location_id",
        "quantity",
        "target_service__product_version_id",
        "target_service__location_id",
        "target_service__quantity",
    ).order_by("position")
    needed: dict[tuple[int, str], int] = {}
    for position, action, product_id, version_id, location_id, quantity, was_version, was_location, was_qty in rows:
        work = QuoteLine.work_action(
            action,
            changes_version=action != "add" and (version_id != was_version or quantity != was_qty),
            moves=action != "add" and location_id != was_location,
        )
        if work is not None:
            needed.setdefault((product_id, work), position)
    defined = catalog_selectors.templates_defined(product_ids={product_id for product_id, _ in needed})
    for (product_id, work), position in needed.items():
        if (product_id, work) not in defined:
            product = Product.objects.get(pk=product_id)
            raise _no_template(product, work, field=f"quoteItem[{position}]")
