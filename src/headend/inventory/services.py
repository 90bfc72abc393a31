"""Write use cases for services in inventory; each status move is one use case with its event."""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import WorkAction
from headend.core import bulk, clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.periods import term_end
from headend.core.permissions import require
from headend.inventory.hooks import service_work
from headend.inventory.models import Service, ServiceElement, ServiceStatusChange
from headend.network.models import Element


def _move(service: Service, to: str, *, at: dt.datetime, reason: str = "", fields: tuple[str, ...] = ()) -> Service:
    service.check_transition(to)
    previous = service.status
    service.status, service.status_changed_at = to, at
    service.save(update_fields=["status", "status_changed_at", *fields])
    ServiceStatusChange.objects.create(service=service, from_status=previous, to_status=to, at=at, reason=reason)
    events.emit(f"service.{to}", subject=service, data={"from": previous, "account_id": service.account_id})
    return service


def _lock(service: Service) -> Service:
    return Service.objects.select_for_update().get(pk=service.pk)


@dataclass(frozen=True)
class PendingService:
    """An `add` order line whose service is to be made, and the service an add-on rides on."""

    order_line: Any
    base_service: Service | None = None


@transaction.atomic
def service_create_pending(*, order_line: Any, at: dt.datetime, base_service: Service | None = None) -> Service:
    """The inventory record an `add` order line will turn up; not billable until active. An
    add-on's record names the `base_service` it rides on."""
    return services_create_pending(items=[PendingService(order_line, base_service)], at=at)[0]


@transaction.atomic
def services_create_pending(*, items: Sequence[PendingService], at: dt.datetime) -> list[Service]:
    """`service_create_pending` for many order lines at once (an order's decomposition): the
    records with their history, their first status and a `service.created` event each (the
    ServiceCreateEvent listeners receive), written in a few statements however many there are."""
    services = bulk_create_with_history(
        [
            Service(
                account_id=item.order_line.order.account_id,
                base_service=item.base_service,
                location=item.order_line.location,
                product_version=item.order_line.product_version,
                order_line=item.order_line,
                term_months=item.order_line.term_months,
                quantity=item.order_line.quantity,
                mrc_amount=item.order_line.mrc_amount,
                nrc_amount=item.order_line.nrc_amount,
                currency=item.order_line.order.currency,
                created_at=at,
                status_changed_at=at,
            )
            for item in items
        ],
        Service,
    )
    ServiceStatusChange.objects.bulk_create(
        ServiceStatusChange(
            service=service, to_status=service.status, at=at, reason=f"order {item.order_line.order.number}"
        )
        for item, service in zip(items, services, strict=True)
    )
    events.emit_many(
        "service.created", subjects=services, data=[{"order_line_id": item.order_line.pk} for item in items]
    )
    return services


@transaction.atomic
def service_start_provisioning(*, service: Service, at: dt.datetime) -> Service:
    """Work has started on a pending service (idempotent once provisioning)."""
    service = _lock(service)
    if service.status == Service.Status.PROVISIONING:
        return service
    return _move(service, Service.Status.PROVISIONING, at=at)


@transaction.atomic
def service_activate(*, service: Service, at: dt.datetime, reason: str = "turned up") -> Service:
    """The service is up: active, and billable from this instant; its term starts today."""
    service = _lock(service)
    if service.status in (Service.Status.PENDING, Service.Status.PROVISIONING):
        start = clock.local_date(at)
        service.activated_at = service.billable_from = service.current_since = at
        service.term_start_date, service.term_end_date = start, term_end(start, service.term_months)
        return _move(
            service,
            Service.Status.ACTIVE,
            at=at,
            reason=reason,
            fields=("activated_at", "billable_from", "current_since", "term_start_date", "term_end_date"),
        )
    return _move(service, Service.Status.ACTIVE, at=at, reason=reason)  # resume; raises if illegal


@transaction.atomic
def service_suspend(*, service: Service, reason: str) -> Service:
    """Suspend an active service (non-payment, customer request)."""
    return _move(_lock(service), Service.Status.SUSPENDED, at=clock.now(), reason=reason)


@transaction.atomic
def service_resume(*, service: Service, reason: str = "resumed") -> Service:
    service = _lock(service)
    if service.status != Service.Status.SUSPENDED:
        raise Conflict("Only a suspended service can be resumed.", field="status", code="invalid_transition")
    return _move(service, Service.Status.ACTIVE, at=clock.now(), reason=reason)


@transaction.atomic
def service_request_disconnect(*, service: Service, reason: str) -> Service:
    """The customer or the provider asks for the service to be disconnected."""
    return _move(_lock(service), Service.Status.PENDING_DISCONNECT, at=clock.now(), reason=reason)


@transaction.atomic
def services_request_disconnect(*, services: Sequence[Service], reason: str) -> list[Service]:
    """`service_request_disconnect` for many services at once (an order's cancelled lines), each
    checked before any write: one update with their history, one insert each of status changes
    and `service.pending_disconnect` events."""
    locked = _lock_many([service.pk for service in services])
    reasons = {service.pk: reason for service in locked}
    _move_many(locked, Service.Status.PENDING_DISCONNECT, at=clock.now(), reasons=reasons)
    return locked


@transaction.atomic
def service_disconnect(*, service: Service, at: dt.datetime, reason: str = "disconnected") -> Service:
    """The service is off: billable until this instant."""
    service = _lock(service)
    if service.billable_from is not None:
        service.billable_until = at
    return _move(service, Service.Status.DISCONNECTED, at=at, reason=reason, fields=("billable_until",))


@dataclass(frozen=True)
class ServiceChange:
    """A modify or move order line that takes effect on a service now (a re-term or re-rate)."""

    service: Service
    order_line: Any
    reason: str = ""
    renews_term: bool = False


@transaction.atomic
def service_apply_change(
    *, service: Service, order_line: Any, at: dt.datetime, reason: str = "", renews_term: bool = False
) -> Service:
    """A modify or move order line takes effect: the service takes the line's product version,
    location, term and price; its history keeps what it was. A new term starts when the line's
    term differs or it `renews_term` (a re-term to the same length)."""
    return services_apply_change(items=[ServiceChange(service, order_line, reason, renews_term)], at=at)[0]


@transaction.atomic
def services_apply_change(*, items: Sequence[ServiceChange], at: dt.datetime) -> list[Service]:
    """`service_apply_change` for many services at once (an order's re-terms and re-rates): each
    checked before any write (Conflict for one that is not live), then one update with their
    history and one insert of their `service.changed` events."""
    locked = {service.pk: service for service in _lock_many([item.service.pk for item in items])}
    services = [locked[item.service.pk] for item in items]
    for service in services:
        if service.status not in (Service.Status.ACTIVE, Service.Status.SUSPENDED, Service.Status.PENDING_DISCONNECT):
            raise Conflict(
                f"Service {service.number} is {service.get_status_display().lower()}; only a live service changes.",
                field="status",
                code="service_not_live",
            )
    changes = []
    for item, service in zip(items, services, strict=True):
        order_line = item.order_line
        before = {
            "product_version_id": service.product_version_id,
            "location_id": service.location_id,
            "term_months": service.term_months,
            "mrc_amount": str(service.mrc_amount),
        }
        service.product_version_id, service.location_id = order_line.product_version_id, order_line.location_id
        service.quantity, service.mrc_amount = order_line.quantity, order_line.mrc_amount
        if item.renews_term or order_line.term_months != service.term_months:
            start = clock.local_date(at)
            service.term_months, service.term_start_date = order_line.term_months, start
            service.term_end_date = term_end(start, order_line.term_months)
        service.current_since = at  # billed at the new price from this instant
        changes.append({"order_line_id": order_line.pk, "before": before, "reason": item.reason, "at": at.isoformat()})
    bulk.update_columns(Service, services, CHANGED_BY_AN_ORDER, history=True)
    events.emit_many("service.changed", subjects=list(services), data=changes)
    return services


# What an order line changes on a service that takes effect at once.
CHANGED_BY_AN_ORDER = [
    "product_version",
    "location",
    "quantity",
    "mrc_amount",
    "term_months",
    "term_start_date",
    "term_end_date",
    "current_since",
]


@transaction.atomic
def service_assign_circuit_id(*, service: Service, prefix: str) -> Service:
    """Give the service its circuit id once; a second call returns the one it has."""
    service = _lock(service)
    if service.circuit_id:
        return service
    service.circuit_id = f"{prefix}-{service.pk:06d}"
    try:
        with transaction.atomic():
            service.save(update_fields=["circuit_id"])
    except IntegrityError as exc:
        raise Conflict(f"Circuit id {service.circuit_id} is taken.", field="circuit_id") from exc
    events.emit("service.identified", subject=service, data={"circuit_id": service.circuit_id})
    return service


# The board column a card is dropped in -> the service action it asks for.
BOARD_ACTIONS = {
    Service.Status.SUSPENDED: WorkAction.SUSPEND,
    Service.Status.ACTIVE: WorkAction.RESTORE,
    Service.Status.PENDING_DISCONNECT: WorkAction.DELETE,
}


def _board_action(service: Service, to: str) -> str | None:
    """The service action a board move asks for, when the service's status allows it and the
    product has a template for it."""
    action = BOARD_ACTIONS.get(to)  # type: ignore[call-overload]
    if action is None or service.status not in Service.ACTIONS[action][0]:
        return None
    product_id = service.product_version.product_id
    return action if action in catalog_selectors.template_actions(product_id=product_id) else None


@transaction.atomic
def service_move(*, service: Service, to: str, moved_by: Any, reason: str = "") -> Service:
    """A card dragged on the service board: suspend, resume or ask to disconnect a live service.
    Pending, provisioning and disconnected follow the work orders, so those moves are refused."""
    require(moved_by, "service.action")
    service = _lock(service)
    if to == service.status:
        return service
    reason = (reason or "").strip() or f"moved on the board by {moved_by}"
    action = _board_action(service, to)
    if action is not None:
        # The product's template changes the network first; the status follows its work order.
        service_work().request_action(service=service, action=action, reason=reason, requested_by=moved_by)
        return Service.objects.get(pk=service.pk)
    if to == Service.Status.SUSPENDED and service.status == Service.Status.ACTIVE:
        return service_suspend(service=service, reason=reason)
    if to == Service.Status.ACTIVE and service.status == Service.Status.SUSPENDED:
        return service_resume(service=service, reason=reason)
    if to == Service.Status.PENDING_DISCONNECT and service.status in (Service.Status.ACTIVE, Service.Status.SUSPENDED):
        return service_request_disconnect(service=service, reason=reason)
    if to in (Service.Status.PROVISIONING, Service.Status.ACTIVE, Service.Status.DISCONNECTED):
        raise Conflict(
            "Turn-up and disconnection happen when the work order's turn-up task is done, not on the board.",
            field="status",
            code="follows_work_order",
        )
    label = Service.Status(to).label.lower() if to in Service.Status.values else to
    raise Conflict(
        f"A {service.get_status_display().lower()} service cannot become {label}.",
        field="status",
        code="invalid_transition",
    )


@transaction.atomic
def service_set_identifiers(*, service: Service, **values: Any) -> Service:
    """Record network identifiers provisioning gave the service (RADIUS username, addresses,
    CPE serial); a value of None removes that identifier. Idempotent: the same values twice
    change nothing and emit nothing the second time."""
    service = _lock(service)
    identifiers = dict(service.identifiers)
    for key, value in values.items():
        if value is None:
            identifiers.pop(key, None)
        else:
            identifiers[key] = value
    if identifiers == service.identifiers:
        return service
    service.identifiers = identifiers
    service.save(update_fields=["identifiers"])
    events.emit("service.identified", subject=service, data={"identifiers": identifiers})
    return service


@transaction.atomic
def service_revise_price(
    *, service: Service, mrc_amount: Any, at: dt.datetime, reason: str, immediate: bool = False
) -> Service:
    """A new monthly price for a live service with no order (a yearly price revision): billed
    from the next period unless `immediate`; its history keeps the old price."""
    service = _lock(service)
    if service.status not in (Service.Status.ACTIVE, Service.Status.SUSPENDED):
        raise Conflict(
            f"Service {service.number} is {service.get_status_display().lower()}; only a live service is re-priced.",
            field="status",
            code="service_not_live",
        )
    before = {"mrc_amount": str(service.mrc_amount), "location_id": service.location_id}
    service.mrc_amount = mrc_amount
    service.save(update_fields=["mrc_amount"])
    events.emit(
        "service.changed",
        subject=service,
        data={
            "before": before,
            "mrc_amount": str(mrc_amount),
            "revision": True,
            "immediate": immediate,
            "reason": reason,
            "at": at.isoformat(),
        },
    )
    return service


# --- Network elements -------------------------------------------------------------------------


@transaction.atomic
def service_bind_element(*, service: Service, element: Element, source: str, actor: Any = None) -> ServiceElement:
    """Record that a service rides on a network element (its PON port, sector or CPE), so an
    outage on it or above it impacts the service. Idempotent: binding again changes nothing.
    `actor` None is the system (a provisioning code task).

    Raises ValidationError (unknown source), Conflict (a disconnected service) or Forbidden."""
    if actor is not None:
        require(actor, "topology.manage")
    if source not in ServiceElement.Source.values:
        raise ValidationError(f"Unknown binding source {source!r}.", field="source", code="invalid_choice")
    service = _lock(service)
    existing = ServiceElement.objects.filter(service=service, element=element).first()
    if existing is not None:
        return existing
    if service.status == Service.Status.DISCONNECTED:
        raise Conflict(
            f"Service {service.number} is disconnected: it rides on nothing now.",
            field="element",
            code="service_not_live",
        )
    binding = ServiceElement.objects.create(service=service, element=element, source=source, bound_at=clock.now())
    events.emit(
        "service.element_bound",
        subject=service,
        data={"element_id": element.pk, "element": element.name, "source": source, "account_id": service.account_id},
    )
    return binding


@transaction.atomic
def service_unbind_element(*, service: Service, element: Element, actor: Any = None) -> Service:
    """The service no longer rides on the element. Idempotent: unbinding what is not bound
    changes nothing. Raises Forbidden."""
    if actor is not None:
        require(actor, "topology.manage")
    service = _lock(service)
    deleted, _ = ServiceElement.objects.filter(service=service, element=element).delete()
    if deleted:
        events.emit(
            "service.element_unbound",
            subject=service,
            data={"element_id": element.pk, "element": element.name, "account_id": service.account_id},
        )
    return service


# --- Many services at once: the worker's batches of code tasks -----------------------------------
# Each shares the rules of the use case it is named after (the same transitions, fields and
# events), written a statement per table however many services there are.


def _lock_many(service_ids: Sequence[int]) -> list[Service]:
    """Lock and re-read services in one statement, in key order (so two batches never wait on
    each other in a circle)."""
    return list(Service.objects.select_for_update().filter(pk__in=set(service_ids)).order_by("pk"))


def _move_many(
    services: Sequence[Service], to: str, *, at: dt.datetime, reasons: Mapping[int, str], fields: tuple[str, ...] = ()
) -> None:
    """`_move` for many services: each checked (Conflict for an illegal move, before any write),
    then one update with their history, one insert of status changes and one of events."""
    if not services:
        return
    previous = {}
    for service in services:
        service.check_transition(to)
        previous[service.pk] = service.status
    for service in services:
        service.status, service.status_changed_at = to, at
    bulk.update_columns(Service, services, ["status", "status_changed_at", *fields], history=True)
    ServiceStatusChange.objects.bulk_create(
        ServiceStatusChange(
            service=service, from_status=previous[service.pk], to_status=to, at=at, reason=reasons.get(service.pk, "")
        )
        for service in services
    )
    events.emit_many(
        f"service.{to}",
        subjects=list(services),
        data=[{"from": previous[service.pk], "account_id": service.account_id} for service in services],
    )


@transaction.atomic
def services_start_provisioning(*, services: Sequence[Service], at: dt.datetime) -> list[Service]:
    """`service_start_provisioning` for many services (work has started on them)."""
    locked = _lock_many([service.pk for service in services])
    moving = [service for service in locked if service.status != Service.Status.PROVISIONING]
    _move_many(moving, Service.Status.PROVISIONING, at=at, reasons={})
    return locked


@transaction.atomic
def services_activate(*, services: Sequence[Service], at: dt.datetime, reasons: Mapping[int, str]) -> list[Service]:
    """`service_activate` for many services (their turn-up tasks are done): active and billable
    from `at`, each with its reason (by service key). Raises Conflict if one cannot become active."""
    locked = _lock_many([service.pk for service in services])
    not_yet_live = (Service.Status.PENDING, Service.Status.PROVISIONING)
    first = [service for service in locked if service.status in not_yet_live]
    start = clock.local_date(at)
    for service in first:
        service.activated_at = service.billable_from = service.current_since = at
        service.term_start_date, service.term_end_date = start, term_end(start, service.term_months)
    again = [service for service in locked if service.status not in not_yet_live]
    for service in again:
        service.check_transition(Service.Status.ACTIVE)  # a resume; before any write
    _move_many(
        first,
        Service.Status.ACTIVE,
        at=at,
        reasons=reasons,
        fields=("activated_at", "billable_from", "current_since", "term_start_date", "term_end_date"),
    )
    _move_many(again, Service.Status.ACTIVE, at=at, reasons=reasons)
    return locked


@transaction.atomic
def services_set_identifiers(*, values: Mapping[int, Mapping[str, Any]]) -> list[Service]:
    """`service_set_identifiers` for many services: `values` by service key; the same values
    again change nothing and emit nothing."""
    locked = _lock_many(list(values))
    changed = []
    for service in locked:
        identifiers = dict(service.identifiers)
        for key, value in values[service.pk].items():
            if value is None:
                identifiers.pop(key, None)
            else:
                identifiers[key] = value
        if identifiers != service.identifiers:
            service.identifiers = identifiers
            changed.append(service)
    bulk.update_columns(Service, changed, ["identifiers"], history=True)
    events.emit_many(
        "service.identified", subjects=list(changed), data=[{"identifiers": s.identifiers} for s in changed]
    )
    return locked


@transaction.atomic
def services_assign_circuit_ids(*, prefixes: Mapping[int, str]) -> dict[int, Service | Conflict]:
    """`service_assign_circuit_id` for many services (`prefixes` by service key): each gets its
    circuit id once. By service key, the service, or the Conflict of one whose id is taken."""
    locked = _lock_many(list(prefixes))
    new = [service for service in locked if not service.circuit_id]
    for service in new:
        service.circuit_id = f"{prefixes[service.pk]}-{service.pk:06d}"
    try:
        with transaction.atomic():
            bulk.update_columns(Service, new, ["circuit_id"], history=True)
    except IntegrityError:
        # One of them is taken (by hand): each alone, so only that one is refused.
        outcomes: dict[int, Service | Conflict] = {}
        for service in locked:
            try:
                outcomes[service.pk] = service_assign_circuit_id(service=service, prefix=prefixes[service.pk])
            except Conflict as exc:
                outcomes[service.pk] = exc
        return outcomes
    events.emit_many("service.identified", subjects=list(new), data=[{"circuit_id": s.circuit_id} for s in new])
    return {service.pk: service for service in locked}
