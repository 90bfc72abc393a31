"""Write use cases for services in inventory; each status move is one use case with its event."""

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import WorkAction
from headend.core import clock, events
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


@transaction.atomic
def service_create_pending(*, order_line: Any, at: dt.datetime, base_service: Service | None = None) -> Service:
    """The inventory record an `add` order line will turn up; not billable until active. An
    add-on's record names the `base_service` it rides on."""
    service = Service.objects.create(
        account_id=order_line.order.account_id,
        base_service=base_service,
        location=order_line.location,
        product_version=order_line.product_version,
        order_line=order_line,
        term_months=order_line.term_months,
        quantity=order_line.quantity,
        mrc_amount=order_line.mrc_amount,
        nrc_amount=order_line.nrc_amount,
        currency=order_line.order.currency,
        created_at=at,
        status_changed_at=at,
    )
    ServiceStatusChange.objects.create(
        service=service, to_status=service.status, at=at, reason=f"order {order_line.order.number}"
    )
    events.emit("service.created", subject=service, data={"order_line_id": order_line.pk})
    return service


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
def service_disconnect(*, service: Service, at: dt.datetime, reason: str = "disconnected") -> Service:
    """The service is off: billable until this instant."""
    service = _lock(service)
    if service.billable_from is not None:
        service.billable_until = at
    return _move(service, Service.Status.DISCONNECTED, at=at, reason=reason, fields=("billable_until",))


@transaction.atomic
def service_apply_change(
    *, service: Service, order_line: Any, at: dt.datetime, reason: str = "", renews_term: bool = False
) -> Service:
    """A modify or move order line takes effect: the service takes the line's product version,
    location, term and price; its history keeps what it was. A new term starts when the line's
    term differs or it `renews_term` (a re-term to the same length)."""
    service = _lock(service)
    if service.status not in (Service.Status.ACTIVE, Service.Status.SUSPENDED, Service.Status.PENDING_DISCONNECT):
        raise Conflict(
            f"Service {service.number} is {service.get_status_display().lower()}; only a live service changes.",
            field="status",
            code="service_not_live",
        )
    before = {
        "product_version_id": service.product_version_id,
        "location_id": service.location_id,
        "term_months": service.term_months,
        "mrc_amount": str(service.mrc_amount),
    }
    service.product_version_id, service.location_id = order_line.product_version_id, order_line.location_id
    service.quantity, service.mrc_amount = order_line.quantity, order_line.mrc_amount
    if renews_term or order_line.term_months != service.term_months:
        start = clock.local_date(at)
        service.term_months, service.term_start_date = order_line.term_months, start
        service.term_end_date = term_end(start, order_line.term_months)
    service.current_since = at  # billed at the new price from this instant
    service.save()
    events.emit(
        "service.changed",
        subject=service,
        data={"order_line_id": order_line.pk, "before": before, "reason": reason, "at": at.isoformat()},
    )
    return service


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
