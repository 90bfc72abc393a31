"""Write use cases for orders: creation from an accepted quote, decomposition, roll-up."""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import ProductVersion
from headend.core import bulk, clock, events
from headend.core.errors import Conflict, DomainError, ValidationError
from headend.core.money import default_currency
from headend.crm import services as crm_services
from headend.crm.models import Account, Location
from headend.inventory import selectors as inventory_selectors
from headend.inventory import services as inventory_services
from headend.orders.hooks import WorkRequest, order_work
from headend.orders.models import Order, OrderLine
from headend.quoting import pricing
from headend.quoting import services as quoting_services  # its line checks, reused


def order_create_from_quote(*, quote: Any, at: dt.datetime) -> Order:
    """The order for an accepted quote: one line per quote line, then decomposed into services
    and work orders. Runs inside `quote_accept`'s transaction."""
    order = Order.objects.create(account_id=quote.account_id, quote=quote, currency=quote.currency, created_at=at)
    quote_lines = list(quote.lines.order_by("position"))
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            position=line.position,
            action=line.ORDER_ACTION[line.action],
            target_service_id=line.target_service_id,
            quote_line=line,
            location_id=line.location_id,
            product_version_id=line.product_version_id,
            term_months=line.term_months,
            quantity=line.quantity,
            mrc_amount=line.mrc_amount,
            nrc_amount=line.nrc_amount + line.etf_amount,
            promotion_id=line.promotion_id,
            promo_mrc_amount=line.promo_mrc_amount,
            promo_months=line.promo_months,
            base_service_id=line.base_service_id,
        )
        for line in quote_lines
    )
    # Add-ons ride on the order lines made of their base's quote lines.
    by_quote_line = {line.quote_line_id: line for line in lines}
    riding = []
    for quote_line, line in zip(quote_lines, lines, strict=True):
        if quote_line.base_line_id is not None:
            line.base_line = by_quote_line[quote_line.base_line_id]
            riding.append(line)
    bulk.update_columns(OrderLine, riding, ["base_line"])
    crm_services.account_activate(account=quote.account)
    events.emit("order.created", subject=order, data={"quote_id": quote.pk, "lines": len(lines)})
    # Staff who recorded the acceptance asked for the work (a customer's e-signature names nobody).
    order_decompose(order=order, at=at, requested_by=quote.decided_by)
    return order


def _bases_first(lines: list[OrderLine]) -> list[OrderLine]:
    """The lines with each add-on's line after the line of the base it rides on (in line order
    otherwise): a base's service and work exist before its add-on's name them."""
    by_pk = {line.pk: line for line in lines}

    def depth(line: OrderLine) -> int:
        hops = 0
        while line.base_line_id is not None and line.base_line_id in by_pk and hops <= len(lines):
            line, hops = by_pk[line.base_line_id], hops + 1
        return hops

    return sorted(lines, key=lambda line: (depth(line), line.position))


def order_decompose(*, order: Order, at: dt.datetime, requested_by: Any = None) -> Order:
    """Per line: a work order from the product's template for the line's action, on a new
    pending service (add) or on the service the line changes; then the first schedule.
    `requested_by`, who asked for the work, is named in the history of what the worker does.

    Set-wise: the services, work orders and tasks of all lines are written a few statements per
    table, however many lines there are. Raises Conflict for a change line without its service,
    or (`no_template`) a product without a template for the line's action."""
    lines = _bases_first(
        list(
            # Its quote line (a line reads its action: whether a change is a re-term) joined, not
            # prefetched: Django 5.2 prefetches a forward relation by an OR of one term per row,
            # which SQLite refuses past 1,000 (a 1,000-line order could not be accepted).
            order.lines.select_related(
                "order",
                "location",
                "product_version__product",
                "target_service__location",
                "base_service",
                "quote_line",
            )
        )
    )
    # What each line takes, decided before anything changes (a change's work reads the service
    # as it is): the lines to make services for, re-terms and re-rates applied now, the rest work.
    adds: list[OrderLine] = []
    contract_only: list[OrderLine] = []
    work_lines: list[OrderLine] = []
    added = {line.pk for line in lines if line.action == OrderLine.Action.ADD}
    for line in lines:
        if line.action == OrderLine.Action.ADD:
            if line.base_line_id is not None and line.base_line_id not in added:
                raise Conflict(f"Line {line.position} rides on a line that adds no service.", field="base_line")
            adds.append(line)
        elif line.target_service is None:
            raise Conflict(f"Line {line.position} changes no service.", field="target_service")
        elif line.template_action is None:
            contract_only.append(line)
            continue
        work_lines.append(line)
    # An add-on's service names its base's, made in an earlier batch (one batch per depth).
    services: dict[int, Any] = {}
    while len(services) < len(adds):
        batch = [
            line
            for line in adds
            if line.pk not in services and (line.base_line_id is None or line.base_line_id in services)
        ]
        if not batch:
            raise Conflict("The order's add-ons ride on each other in a circle.", field="base_line")
        made = inventory_services.services_create_pending(
            items=[
                inventory_services.PendingService(
                    line, services[line.base_line_id] if line.base_line_id is not None else line.base_service
                )
                for line in batch
            ],
            at=at,
        )
        services.update((line.pk, service) for line, service in zip(batch, made, strict=True))
    if contract_only:
        # A re-term or re-rate: a new contract on the same product, nothing to do on the network
        # or at the site, so it takes effect now.
        inventory_services.services_apply_change(
            items=[
                inventory_services.ServiceChange(
                    line.target_service,
                    line,
                    reason=f"order {order.number}: "
                    + (line.quote_line.get_action_display().lower() if line.quote_line else "change"),
                    renews_term=line.renews_term,
                )
                for line in contract_only
                if line.target_service is not None
            ],
            at=at,
        )
        order_lines_complete(order_lines=contract_only, at=at)
    disconnecting = [line.target_service for line in work_lines if line.action == OrderLine.Action.DELETE]
    if disconnecting:
        inventory_services.services_request_disconnect(
            services=[service for service in disconnecting if service is not None], reason=f"order {order.number}"
        )
    requests: list[WorkRequest] = []
    index_of: dict[int, int] = {}
    for line in work_lines:
        # An add-on's work waits for its base's turn-up, when its base has work in this order; an
        # add-on that comes off (delete) does not wait for its base.
        after = index_of.get(line.base_line_id) if line.base_line_id is not None else None
        if line.action == OrderLine.Action.DELETE:
            after = None
        index_of[line.pk] = len(requests)
        service = services[line.pk] if line.action == OrderLine.Action.ADD else line.target_service
        requests.append(WorkRequest(order_line=line, service=service, after=after))
    work = order_work()
    work.create_many(requests=requests, at=at, requested_by=requested_by)
    work.forecast(order=order, at=at, baseline=True)
    return order


def order_line_start(*, order_line: OrderLine, at: dt.datetime) -> OrderLine:
    """Work began on a line (called by fulfillment); the order follows."""
    line = OrderLine.objects.select_for_update().get(pk=order_line.pk)
    if line.status == OrderLine.Status.ACKNOWLEDGED:
        line.status = OrderLine.Status.IN_PROGRESS
        line.save(update_fields=["status"])
        _roll_up(line.order_id, at)
    return line


def order_line_complete(*, order_line: OrderLine, at: dt.datetime) -> OrderLine:
    """The line's work order is done (called by fulfillment); the order follows."""
    line = OrderLine.objects.select_for_update().get(pk=order_line.pk)
    line.check_transition(OrderLine.Status.COMPLETED)
    line.status, line.completed_at = OrderLine.Status.COMPLETED, at
    line.save(update_fields=["status", "completed_at"])
    _roll_up(line.order_id, at)
    return line


def order_status_from_lines(statuses: list[str], *, cancel_requested: bool = False) -> str:
    """An order's status as the roll-up of its lines' statuses (and whether it is being cancelled)."""
    S = OrderLine.Status
    if not statuses:
        return Order.Status.ACKNOWLEDGED
    finished = {S.COMPLETED, S.FAILED, S.CANCELLED}
    if all(status in finished for status in statuses):
        if all(status == S.CANCELLED for status in statuses):
            return Order.Status.CANCELLED
        if all(status == S.COMPLETED for status in statuses) or (
            not cancel_requested and all(status in (S.COMPLETED, S.CANCELLED) for status in statuses)
        ):
            return Order.Status.COMPLETED
        if any(status == S.COMPLETED for status in statuses):
            return Order.Status.PARTIAL
        return Order.Status.FAILED
    if cancel_requested:
        return Order.Status.PENDING_CANCELLATION
    if all(status == S.ACKNOWLEDGED for status in statuses):
        return Order.Status.ACKNOWLEDGED
    return Order.Status.IN_PROGRESS


def _roll_up(order_id: int, at: dt.datetime) -> Order:
    order = Order.objects.select_for_update().get(pk=order_id)
    status = order_status_from_lines(
        list(order.lines.values_list("status", flat=True)), cancel_requested=order.cancel_requested_at is not None
    )
    if status == order.status:
        return order
    order.check_transition(status)
    order.status = status
    if status == Order.Status.IN_PROGRESS and order.started_at is None:
        order.started_at = at
    if status in (Order.Status.COMPLETED, Order.Status.PARTIAL, Order.Status.FAILED, Order.Status.CANCELLED):
        order.completed_at = at
        order.started_at = order.started_at or at
    order.save(update_fields=["status", "started_at", "completed_at"])
    events.emit(f"order.{status}", subject=order)
    return order


def order_line_cancelled(*, order_line: OrderLine, at: dt.datetime) -> OrderLine:
    """The line's work order was cancelled (called by fulfillment); the order follows."""
    line = OrderLine.objects.select_for_update().get(pk=order_line.pk)
    line.check_transition(OrderLine.Status.CANCELLED)
    line.status, line.completed_at = OrderLine.Status.CANCELLED, at
    line.save(update_fields=["status", "completed_at"])
    _roll_up(line.order_id, at)
    return line


def order_set_forecast(*, order_id: int, go_live: dt.datetime | None, baseline: bool = False) -> None:
    """Store the order's forecast go-live (and, the first time, its planned go-live)."""
    order = Order.objects.get(pk=order_id)
    previous = order.forecast_go_live
    order.forecast_go_live = go_live
    fields = ["forecast_go_live"]
    if baseline:
        order.planned_go_live, fields = go_live, [*fields, "planned_go_live"]
    order.save(update_fields=fields)
    if not baseline and previous is not None and go_live is not None and go_live != previous:
        events.emit(
            "order.forecast_changed",
            subject=order,
            data={"from": previous.isoformat(), "to": go_live.isoformat()},
        )


def orders_set_forecast_many(*, go_lives: Mapping[int, dt.datetime | None]) -> None:
    """`order_set_forecast` for many orders (a worker's batch planned again), without a
    baseline: the orders whose forecast moved are written in one statement with their history,
    their `order.forecast_changed` events in one insert; the others are left as they are."""
    moved: list[Order] = []
    changed: list[models.Model] = []
    data: list[dict[str, Any]] = []
    for order in Order.objects.filter(pk__in=list(go_lives)).order_by("pk"):
        previous, go_live = order.forecast_go_live, go_lives[order.pk]
        if go_live == previous:
            continue
        order.forecast_go_live = go_live
        moved.append(order)
        if previous is not None and go_live is not None:
            changed.append(order)
            data.append({"from": previous.isoformat(), "to": go_live.isoformat()})
    bulk.update_columns(Order, moved, ["forecast_go_live"], history=True)
    events.emit_many("order.forecast_changed", subjects=changed, data=data)


@transaction.atomic
def order_cancel(*, order: Order, reason: str, cancelled_by: Any) -> Order:
    """Cancel an order that is not finished: tasks not done are cancelled, done ones with an
    undo in their template get undo tasks, and services never turned up are cancelled.

    Raises Conflict for an order that is already completed, failed or cancelled."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the order is cancelled.", field="reason", code="required")
    if order.status not in (Order.Status.ACKNOWLEDGED, Order.Status.IN_PROGRESS):
        raise Conflict(
            f"Order {order.number} is {order.get_status_display().lower()}; it cannot be cancelled.",
            field="status",
            code="order_not_cancellable",
        )
    at = clock.now()
    order.cancel_requested_at, order.cancel_reason = at, reason[:200]
    order.save(update_fields=["cancel_requested_at", "cancel_reason"])
    events.emit("order.cancel_requested", subject=order, data={"reason": order.cancel_reason})
    order_work().cancel(order=order, at=at, reason=order.cancel_reason)
    order = _roll_up(order.pk, at)
    order_work().forecast(order=order, at=at)
    order.refresh_from_db()
    return order


@dataclass(frozen=True)
class OrderItem:
    """One new service ordered directly: where, which product version, on which term (months)
    and how many; an add-on `rides_on` an earlier item (its index) or a live service (none
    named: the only base at its location)."""

    location: Location
    product_version: ProductVersion
    term_months: Any
    quantity: Any = 1
    rides_on: Any = None


def _item_base(account: Account, items: Sequence[OrderItem], index: int) -> tuple[int | None, Any]:
    """The base of item `index` if it is an add-on: (index of an earlier item, None) or (None,
    live service); (None, None) for a product that is no add-on. Raises ValidationError on
    `rides_on`."""
    item = items[index]
    addon = item.product_version.product
    if addon.kind != addon.Kind.ADDON:
        if item.rides_on is not None:
            raise ValidationError(f"{addon} is not an add-on: it rides on nothing.", field="rides_on")
        return None, None
    allowed = set(addon.addon_of.values_list("pk", flat=True))
    candidates: list[tuple[int | None, Any]] = [
        (earlier, None)
        for earlier in range(index)
        if items[earlier].location.pk == item.location.pk and items[earlier].product_version.product_id in allowed
    ]
    candidates += [
        (None, service)
        for service in inventory_selectors.account_live_services(account_id=account.pk)
        if service.location_id == item.location.pk
        and service.product_version.product_id in allowed
        and service.status != service.Status.PENDING_DISCONNECT
    ]
    if item.rides_on is not None:
        candidates = [
            (earlier, service)
            for earlier, service in candidates
            if (isinstance(item.rides_on, int) and earlier == item.rides_on)
            or (service is not None and getattr(item.rides_on, "pk", None) == service.pk)
        ]
        if not candidates:
            raise ValidationError(
                f"{addon} cannot ride on that: name an earlier item or a live service of a base product at its site.",
                field="rides_on",
                code="not_a_base",
            )
    if not candidates:
        bases = ", ".join(base.name for base in addon.addon_of.all()) or "no product"
        raise ValidationError(
            f"{addon} is an add-on of {bases}; order one of those at this site first.",
            field="product_version",
            code="addon_without_base",
        )
    if len(candidates) > 1:
        raise ValidationError(
            f"{addon} can ride on more than one service at this site: name the one it goes on.",
            field="rides_on",
            code="base_ambiguous",
        )
    return candidates[0]


@transaction.atomic
def order_create(*, account: Account, items: Sequence[OrderItem], created_by: Any) -> Order:
    """Order new services without a quote: each item is checked and priced as a quote line is,
    then the order is decomposed into services and work orders, as an accepted quote's order is.

    All or nothing. Raises ValidationError naming the item at fault (`items[1].quantity`,
    `items[0].location`, `items[0].product_version`, `items[0].term_months`), and Conflict
    (`no_template`, on `items[i].product_version`) for a product that has no installation
    work-order template."""
    if not items:
        raise ValidationError("Order at least one item.", field="items", code="empty_order")
    now = clock.now()
    today = clock.local_date(now)
    lines = []
    bases: list[tuple[int | None, Any]] = []
    for index, item in enumerate(items):
        try:
            quantity = quoting_services.check_quantity(item.quantity)
            quoting_services.check_sellable_at(
                account=account, location=item.location, product_version=item.product_version, on=today
            )
            price = catalog_selectors.price_for(version=item.product_version, term_months=item.term_months)
            product = item.product_version.product
            if catalog_selectors.template_for(product_id=product.pk, action=OrderLine.Action.ADD) is None:
                raise Conflict(
                    f"{product} has no work-order template for add; define one in the catalog first.",
                    field="product_version",
                    code="no_template",
                )
            bases.append(_item_base(account, items, index))
        except DomainError as exc:
            exc.field = f"items[{index}].{exc.field}" if exc.field else f"items[{index}]"
            raise
        priced = pricing.price_quote_line(
            pricing.LineRequest(
                pricing=catalog_selectors.version_pricing(version=item.product_version),
                term_months=price.term_months,
                quantity=quantity,
            )
        )
        lines.append(
            OrderLine(
                position=index + 1,
                action=OrderLine.Action.ADD,
                location=item.location,
                product_version=item.product_version,
                term_months=price.term_months,
                quantity=quantity,
                mrc_amount=priced.mrc_amount,
                nrc_amount=priced.nrc_amount,
                base_service=bases[-1][1],
            )
        )
    order = Order(account=account, currency=default_currency(), created_at=now)
    order.full_clean()
    order.save()
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    riding = []
    for line, (base_index, _) in zip(lines, bases, strict=True):
        if base_index is not None:
            line.base_line = lines[base_index]
            riding.append(line)
    bulk.update_columns(OrderLine, riding, ["base_line"])
    crm_services.account_activate(account=account)
    events.emit(
        "order.created",
        subject=order,
        data={"quote_id": None, "lines": len(lines), "created_by_id": getattr(created_by, "pk", None)},
    )
    order_decompose(order=order, at=now, requested_by=created_by)
    return order


# --- Many order lines at once: the worker's batches of code tasks -------------------------------
# Each shares the rules of the use case it is named after (called by fulfillment inside its
# transaction), written a statement per table however many lines and orders there are.


def _lines_locked(order_lines: Sequence[OrderLine]) -> list[OrderLine]:
    """Lock and re-read order lines in one statement, in key order (lines before their orders,
    as the single use cases lock them)."""
    return list(OrderLine.objects.select_for_update().filter(pk__in={line.pk for line in order_lines}).order_by("pk"))


def order_lines_start(*, order_lines: Sequence[OrderLine], at: dt.datetime) -> None:
    """`order_line_start` for many lines: work began on them; their orders follow."""
    started = [line for line in _lines_locked(order_lines) if line.status == OrderLine.Status.ACKNOWLEDGED]
    if not started:
        return
    OrderLine.objects.filter(pk__in=[line.pk for line in started]).update(status=OrderLine.Status.IN_PROGRESS)
    _roll_up_many({line.order_id for line in started}, at)


def order_lines_complete(*, order_lines: Sequence[OrderLine], at: dt.datetime) -> None:
    """`order_line_complete` for many lines: their work orders are done; their orders follow.
    Raises Conflict (before any write) if one cannot complete."""
    lines = _lines_locked(order_lines)
    if not lines:
        return
    for line in lines:
        line.check_transition(OrderLine.Status.COMPLETED)
    OrderLine.objects.filter(pk__in=[line.pk for line in lines]).update(
        status=OrderLine.Status.COMPLETED, completed_at=at
    )
    _roll_up_many({line.order_id for line in lines}, at)


def _roll_up_many(order_ids: set[int], at: dt.datetime) -> None:
    """`_roll_up` for many orders: each order's status from its lines' (one read for all), the
    changed ones written with their history, an event each."""
    orders = list(Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk"))
    statuses: dict[int, list[str]] = {order.pk: [] for order in orders}
    for order_id, status in OrderLine.objects.filter(order_id__in=order_ids).values_list("order_id", "status"):
        statuses[order_id].append(status)
    moved = []
    for order in orders:
        status = order_status_from_lines(statuses[order.pk], cancel_requested=order.cancel_requested_at is not None)
        if status == order.status:
            continue
        order.check_transition(status)
        order.status = status
        if status == Order.Status.IN_PROGRESS and order.started_at is None:
            order.started_at = at
        if status in (Order.Status.COMPLETED, Order.Status.PARTIAL, Order.Status.FAILED, Order.Status.CANCELLED):
            order.completed_at = at
            order.started_at = order.started_at or at
        moved.append(order)
    bulk.update_columns(Order, moved, ["status", "started_at", "completed_at"], history=True)
    for status in dict.fromkeys(order.status for order in moved):
        chosen = [order for order in moved if order.status == status]
        events.emit_many(f"order.{status}", subjects=list(chosen), data=[{} for _ in chosen])


def orders_set_forecast(*, go_lives: Mapping[int, dt.datetime | None]) -> None:
    """`order_set_forecast` for many orders (`go_lives` by order key; not a baseline): one read,
    one write with their history, one insert of the events of those whose go-live moved."""
    orders = list(Order.objects.filter(pk__in=list(go_lives)).order_by("pk"))
    moved, data = [], []
    for order in orders:
        previous, go_live = order.forecast_go_live, go_lives[order.pk]
        order.forecast_go_live = go_live
        if previous is not None and go_live is not None and go_live != previous:
            moved.append(order)
            data.append({"from": previous.isoformat(), "to": go_live.isoformat()})
    bulk.update_columns(Order, orders, ["forecast_go_live"], history=True)
    events.emit_many("order.forecast_changed", subjects=list(moved), data=data)
