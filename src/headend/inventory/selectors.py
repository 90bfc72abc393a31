"""Reads of the service inventory."""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db import models

from headend.core.boards import BOARD_COLUMN_LIMIT, BOARD_RECENT_DAYS, BoardChoices, BoardColumn, BoardFilters
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.crm.selectors import account_scope
from headend.inventory.hooks import service_work
from headend.inventory.models import Service, ServiceElement
from headend.network.models import Element


def service_list(
    *,
    user: Any,
    account_id: Any = None,
    status: str = "",
    location_id: Any = None,
    query: str = "",
    statuses: Collection[str] | None = None,
    detailed: bool = False,
) -> models.QuerySet[Service]:
    """Services `user` may see; `statuses` keeps those in any of several (an empty one matches none);
    `detailed` also loads the order line each service came from."""
    services = Service.objects.filter(account__in=account_scope(user=user)).select_related(
        "account", "location", "product_version__product"
    )
    if statuses is not None:
        services = services.filter(status__in=list(statuses))
    if detailed:
        services = services.select_related("order_line__order")
    if account_id not in (None, ""):
        services = services.filter(account_id=parse_id(account_id))
    if location_id not in (None, ""):
        services = services.filter(location_id=parse_id(location_id))
    if status:
        services = services.filter(status=status)
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        q = (
            models.Q(account__name__icontains=query)
            | models.Q(circuit_id__icontains=query)
            | models.Q(product_version__product__name__icontains=query)
        )
        if digits and query.upper().startswith("S-"):
            q |= models.Q(pk=int(digits))
        services = services.filter(q)
    return services.order_by("account__name", "id")


def service_get_for(*, user: Any, service_id: Any) -> Service:
    service = (
        Service.objects.filter(pk=parse_id(service_id), account__in=account_scope(user=user))
        .select_related("account", "location", "product_version__product", "order_line__order")
        .prefetch_related("status_changes", "work_orders")
        .first()
    )
    if service is None:
        raise NotFound("No such service.", field="id")
    return service


def service_orders(*, service: Service) -> list[Any]:
    """Every order that touched the service, oldest first: the one that created it, then each
    change, move or disconnect, with what it did."""
    touched = []
    if service.order_line is not None:
        touched.append((service.order_line.order, "added"))
    for line in service.change_lines.select_related("order", "quote_line").order_by("order__created_at", "pk"):
        what = line.quote_line.get_action_display().lower() if line.quote_line else line.get_action_display().lower()
        touched.append((line.order, what))
    return touched


# --- Board ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceCard:
    """A service as the service board shows it, with its open work order if it has one."""

    service: Service
    work: Any  # fulfillment's WorkOrderCard, or None

    @property
    def overdue(self) -> bool:
        """Its open work order is late (past its committed finish and the grace)."""
        return bool(self.work and self.work.overdue)

    @property
    def late_by(self) -> str:
        """How late its open work order is, in working time ("2 d 3 h"); "" when it is not."""
        return self.work.late_by if self.work else ""

    @property
    def blocked(self) -> tuple[str, ...]:
        """Why each blocked task of its open work order is blocked."""
        return tuple(self.work.blocked) if self.work else ()


SERVICE_FINAL = (Service.Status.DISCONNECTED,)


def service_board(*, user: Any, filters: BoardFilters, at: dt.datetime) -> list[BoardColumn]:
    """The service board: a column per status, each card with the open work order that moves it;
    disconnected services only if disconnected in the last 30 days. Filtered by region (the
    location's city), product, assignee of a task and late work."""
    work = service_work()
    limit = BOARD_COLUMN_LIMIT
    since = at - dt.timedelta(days=BOARD_RECENT_DAYS)
    services = Service.objects.filter(account__in=account_scope(user=user)).filter(
        ~models.Q(status__in=SERVICE_FINAL) | models.Q(status_changed_at__gte=since)
    )
    if filters.region:
        services = services.filter(location__city__iexact=filters.region)
    if filters.product_id:
        services = services.filter(product_version__product_id=filters.product_id)
    if filters.assignee_id or filters.overdue:
        services = services.filter(
            pk__in=work.services_in_work(user=user, assignee_id=filters.assignee_id, overdue=filters.overdue, at=at)
        )
    columns = []
    for status, label in Service.Status.choices:
        in_column = services.filter(status=status).order_by("-status_changed_at", "-pk")
        rows = list(in_column.select_related("account", "location", "product_version__product")[:limit])
        open_work = work.open_work(service_ids=[service.pk for service in rows], at=at)
        cards = tuple(ServiceCard(service, open_work.get(service.pk)) for service in rows)
        total = len(cards) if len(cards) < limit else in_column.count()
        columns.append(BoardColumn(status, label, cards, total, recent_only=status in SERVICE_FINAL))
    return columns


def service_board_card(*, user: Any, service_id: Any, at: dt.datetime) -> ServiceCard:
    """One card of the service board, as it is now (after a move). Raises NotFound."""
    service = service_get_for(user=user, service_id=service_id)
    work = service_work().open_work(service_ids=[service.pk], at=at)
    return ServiceCard(service, work.get(service.pk))


def service_board_choices(*, user: Any) -> BoardChoices:
    """The regions, products and people the service board can be filtered by."""
    services = Service.objects.filter(account__in=account_scope(user=user))
    regions: dict[str, str] = {}
    for city in services.values_list("location__city", flat=True).distinct():
        if city:
            regions.setdefault(city.casefold(), city)
    products = services.values_list("product_version__product_id", "product_version__product__name").distinct()
    return BoardChoices(
        regions=sorted(regions.values(), key=str.casefold),
        products=sorted(set(products), key=lambda product: product[1].casefold()),
        assignees=service_work().assignees(user=user),
    )


def service_list_with_history(
    *,
    user: Any,
    account_id: Any = None,
    location_id: Any = None,
    statuses: Collection[str] | None = None,
) -> models.QuerySet[Service]:
    """`service_list(detailed=True)` with each service's status changes loaded, oldest first."""
    return service_list(
        user=user, account_id=account_id, location_id=location_id, statuses=statuses, detailed=True
    ).prefetch_related("status_changes")


def account_live_services(*, account_id: int) -> list[Service]:
    """The services an account has running (active, suspended or about to be disconnected)."""
    return list(
        Service.objects.filter(
            account_id=account_id,
            status__in=[Service.Status.ACTIVE, Service.Status.SUSPENDED, Service.Status.PENDING_DISCONNECT],
        ).select_related("location", "product_version__product")
    )


def service_addons_live(*, service_id: int) -> list[Service]:
    """The add-ons riding on a service that are still running (or on their way up)."""
    return list(
        Service.objects.filter(base_service_id=service_id)
        .exclude(status=Service.Status.DISCONNECTED)
        .select_related("location", "product_version__product")
        .order_by("id")
    )


def service_locked(*, service_id: int) -> Service:
    """The service re-read under a row lock, for a use case that decides on its present state."""
    return Service.objects.select_for_update().select_related("product_version__product", "location").get(pk=service_id)


# --- Network elements -------------------------------------------------------------------------

# A service rides on the network until it is disconnected (pending and provisioning ones are
# being set up on it; suspended ones are still connected, in the walled garden).
ON_THE_NETWORK = [status for status in Service.Status.values if status != Service.Status.DISCONNECTED]


def services_below(*, element: Element, statuses: Collection[str] | None = None) -> models.QuerySet[Service]:
    """The services bound to `element` or to anything below it in the topology, each once;
    `statuses` keeps those in any of them (default: every service not disconnected). What an
    element carries; what an outage there takes down is `outage_impact.services_impacted_below`
    (live services only, and the add-ons riding on them)."""
    bound = ServiceElement.objects.filter(element__path__startswith=element.path).values("service_id")
    return Service.objects.filter(
        pk__in=bound, status__in=list(ON_THE_NETWORK if statuses is None else statuses)
    ).order_by("pk")


def service_counts_below(
    *, elements: Collection[Element] | None = None, element_ids: Collection[int] = ()
) -> dict[int, int]:
    """How many services (not disconnected) are bound to each element or below it, by element
    id, in one query for all of them: a service bound at two levels counts once."""
    ids = [element.pk for element in elements] if elements is not None else list(element_ids)
    if not ids:
        return {}
    below = (
        ServiceElement.objects.filter(
            element__path__startswith=models.OuterRef("path"), service__status__in=ON_THE_NETWORK
        )
        .order_by()
        .annotate(
            count=models.Func(models.F("service_id"), function="COUNT", template="COUNT(DISTINCT %(expressions)s)")
        )
        .values("count")
    )
    counted = Element.objects.filter(pk__in=ids).annotate(
        services=models.Subquery(below, output_field=models.IntegerField())
    )
    return {pk: count or 0 for pk, count in counted.values_list("pk", "services")}


def element_bound_count(*, element_id: int) -> int:
    """How many services (any status) are bound to the element itself."""
    return ServiceElement.objects.filter(element_id=element_id).count()


def service_elements(*, service: Service) -> list[ServiceElement]:
    """The elements a service is bound to, top of the tree first."""
    return list(service.element_bindings.select_related("element").order_by("element__path"))


def element_services_bound(*, user: Any, element: Element) -> models.QuerySet[ServiceElement]:
    """The bindings to `element` itself of services `user` may see, newest first, with their
    service, account, location and product."""
    return (
        ServiceElement.objects.filter(element=element, service__account__in=account_scope(user=user))
        .select_related("service__account", "service__location", "service__product_version__product")
        .order_by("-bound_at", "-pk")
    )
