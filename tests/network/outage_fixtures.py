"""A small network for the outage tests: a POP holding tower 7 with two sectors, the customers
riding on them, and the Alertmanager samples (tests/data/alertmanager, their SOURCES.md).

    eastport-pop (POP)
      tower-7 (tower)
        ap-7-north (sector)   Cobscook Bay Seafood: two services (65.00 + 129.99), a primary
                              contact with a mobile; Ada: one service (49.95); Grace: a
                              suspended service (not impacted)
        ap-7-south (sector)   Ida: one service (not impacted)

The samples name ap-7-north by the label `device`, so tests that post them set
HEADEND_ALERT_ELEMENT_LABEL to "element,device"."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from headend.catalog.services import TaskSpec
from headend.crm import services as crm_services
from headend.crm.models import Account
from headend.inventory import services as inventory_services
from headend.inventory.models import Service
from headend.network import topology
from headend.network.models import Element
from tests.factories import make_account, make_live_service, make_product
from tests.module_records import kept_for_the_module

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "alertmanager"


def sample(name: str) -> dict[str, Any]:
    """One of the real webhook bodies: "firing" or "resolved"."""
    return json.loads((SAMPLES / f"webhook-v4-{name}.json").read_text())


def sample_bytes(name: str) -> bytes:
    return (SAMPLES / f"webhook-v4-{name}.json").read_bytes()


@dataclass
class Network:
    pop: Element
    tower: Element
    north: Element
    south: Element
    business: Account
    resident: Account
    suspended_owner: Account
    other: Account
    impacted: list[Service]
    suspended: Service
    elsewhere: Service

    @property
    def impacted_mrr(self) -> Decimal:
        return sum((service.mrc_amount for service in self.impacted), Decimal("0"))


def _bind(service: Service, element: Element) -> Service:
    inventory_services.service_bind_element(service=service, element=element, source="staff")
    return service


def build_network() -> Network:
    pop = topology.element_create(name="eastport-pop", kind="pop")
    tower = topology.element_create(name="tower-7", kind="tower", parent=pop)
    north = topology.element_create(name="ap-7-north", kind="sector", parent=tower)
    south = topology.element_create(name="ap-7-south", kind="sector", parent=tower)

    one_task = [TaskSpec("Install")]
    internet = make_product(prices={12: ("65.00", "0.00")}, tasks=one_task)
    business_fiber = make_product(prices={12: ("129.99", "0.00")}, customer_type="business", tasks=one_task)
    basic = make_product(prices={12: ("49.95", "0.00")}, tasks=one_task)

    business = make_account("business")
    crm_services.contact_create(
        account=business, first_name="Ada", last_name="Byron", email="ada.byron@cobscook.example", phone="207-555-0199"
    )
    resident = make_account("residential")
    suspended_owner = make_account("residential")
    other = make_account("residential")

    impacted = [
        _bind(make_live_service(business, internet), north),
        _bind(make_live_service(business, business_fiber), north),
        _bind(make_live_service(resident, basic), north),
    ]
    suspended = _bind(make_live_service(suspended_owner, basic), north)
    Service.objects.filter(pk=suspended.pk).update(status=Service.Status.SUSPENDED)
    elsewhere = _bind(make_live_service(other, basic), south)
    return Network(
        pop=pop,
        tower=tower,
        north=north,
        south=south,
        business=business,
        resident=resident,
        suspended_owner=suspended_owner,
        other=other,
        impacted=[Service.objects.get(pk=service.pk) for service in impacted],
        suspended=suspended,
        elsewhere=elsewhere,
    )


@pytest.fixture(scope="module")
def shared_network(django_db_setup, django_db_blocker) -> Iterator[Network]:
    """build_network() once for a module's tests on a worker (tests/module_records.py): each test
    takes its own copy with `fresh`."""
    with kept_for_the_module(django_db_blocker):
        yield build_network()


# Every table the outage pipeline writes, for "nothing changed" and "nothing written".
def table_counts() -> dict[str, int]:
    from headend.core.models import OutboxEvent
    from headend.crm.models import CustomerEmail
    from headend.inventory.models import ServiceOutage
    from headend.network.models import Alarm, Outage, OutageAlert
    from headend.support.models import Case, CaseNote, OutageNotice

    models = (Outage, OutageAlert, Alarm, ServiceOutage, Case, CaseNote, OutageNotice, OutboxEvent, CustomerEmail)
    return {model.__name__: model.objects.count() for model in models}
