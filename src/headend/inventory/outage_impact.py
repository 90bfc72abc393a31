"""Who an outage impacts: the live services riding on its element or on anything below it in the
topology, kept as ServiceOutage rows with their monthly charge at that moment (the revenue at
risk), and the time each counted as down.

Live means active or pending disconnect (still in service until the disconnect is done). A
suspended service is left out: its customer is without service already (a vacation hold, or
suspended for non-payment), so an outage takes nothing from them and puts no revenue at risk.
An add-on (a static IP block, managed Wi-Fi) is impacted when the base it rides on is, whether
or not it has a binding of its own.

The rows are written set-based, one INSERT ... SELECT whatever the number of services, and
idempotently: the unique (outage, service) pair makes a second run insert nothing."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import models, transaction

from headend.core import bulk
from headend.inventory.models import Service, ServiceElement, ServiceOutage
from headend.network.models import Element, Outage

LIVE = (Service.Status.ACTIVE, Service.Status.PENDING_DISCONNECT)


@dataclass(frozen=True)
class Impact:
    services: int
    customers: int


@dataclass(frozen=True)
class Revenue:
    """Monthly recurring revenue in one currency."""

    amount: Decimal
    currency: str


def services_impacted_below(*, element: Element) -> models.QuerySet[Service]:
    """The live services bound to `element` or to an element below it, and the add-ons riding
    on them: the services an outage there takes down."""
    bound = ServiceElement.objects.filter(element__path__startswith=element.path).values("service_id")
    return Service.objects.filter(status__in=LIVE).filter(models.Q(pk__in=bound) | models.Q(base_service_id__in=bound))


@transaction.atomic
def outage_impact_record(*, outage: Outage) -> Impact:
    """Record every live service below the outage's element as impacted from the outage's
    start, with its MRR now; a service recorded already is left as it is (so running it again
    adds only services that went live since). Returns how many services and customers the
    outage impacts."""
    started_at = outage.started_at or outage.created_at
    rows = services_impacted_below(element=outage.element).values_list("pk", "account_id", "mrc_amount", "currency")
    bulk.insert_from_select(
        ServiceOutage,
        ["service", "account", "mrc_amount", "currency"],
        rows,
        {"outage": outage.pk, "started_at": started_at},
    )
    return impact_of(outage=outage)


@transaction.atomic
def outage_impact_end(*, outage: Outage, ended_at: dt.datetime) -> int:
    """The outage is over: every service it impacted counts as up again from `ended_at`."""
    return ServiceOutage.objects.filter(outage=outage, ended_at=None).update(ended_at=ended_at)


# --- Reads --------------------------------------------------------------------------------------


def impact_of(*, outage: Outage) -> Impact:
    """How many services and customers the outage's recorded impact holds."""
    rows = ServiceOutage.objects.filter(outage=outage)
    return Impact(services=rows.count(), customers=rows.values("account_id").distinct().count())


def impact_list(*, outage: Outage) -> models.QuerySet[ServiceOutage]:
    """The services the outage impacted, by customer, with what is shown of each."""
    return (
        ServiceOutage.objects.filter(outage=outage)
        .select_related("account", "service__product_version__product", "service__location")
        .order_by("account__name", "account_id", "service_id")
    )


def planned_impact_list(*, element: Element) -> models.QuerySet[Service]:
    """The services a maintenance window on `element` would take down if it started now."""
    return (
        services_impacted_below(element=element)
        .select_related("account", "product_version__product", "location")
        .order_by("account__name", "account_id", "id")
    )


def _by_currency(rows: models.QuerySet) -> list[Revenue]:
    sums = rows.order_by().values("currency").annotate(total=models.Sum("mrc_amount")).order_by("currency")
    return [Revenue(amount=row["total"], currency=row["currency"]) for row in sums]


def revenue_at_risk(*, outage: Outage) -> list[Revenue]:
    """The monthly recurring revenue of the services the outage impacts, per currency: the
    recorded impact once worked out (a live figure while the outage is open), and for a
    window not started yet what it would take down now."""
    if outage.status == Outage.Status.SCHEDULED:
        return _by_currency(services_impacted_below(element=outage.element))
    return _by_currency(ServiceOutage.objects.filter(outage=outage))
