"""The demo's network topology: a POP, two OLTs with their PON ports, tower 7 with the sector the
Alertmanager samples name, and the demo's live services bound to what they ride on; and the demo
loaded into an empty database, then again (the rest of the demo's tests share one load:
tests/web/test_demo.py)."""

import pytest

from headend.billing.models import Invoice
from headend.crm.models import Account
from headend.inventory import selectors as inventory_selectors
from headend.inventory.models import Service, ServiceElement
from headend.network.models import Element
from headend.orders.models import Order
from headend.quoting.models import Quote
from headend.web import demo
from headend.web.demo import topology as demo_topology

pytestmark = pytest.mark.django_db(databases=["default", "radius"])


def test_demo_topology_binds_the_live_services_and_loads_once(radius_tables):
    demo.load()
    bindings = list(ServiceElement.objects.order_by("pk").values_list("service_id", "element_id", "source"))

    demo_topology.topology_and_bindings()
    demo.load()

    assert list(ServiceElement.objects.order_by("pk").values_list("service_id", "element_id", "source")) == bindings
    assert Element.objects.count() == 14
    elements = {element.name: element for element in Element.objects.all()}
    assert elements["ap-7-north"].parent == elements["tower-7"]
    assert elements["olt-1/pon-4"].path == (
        f"/{elements['pop-machias'].pk}/{elements['olt-1'].pk}/{elements['olt-1/pon-4'].pk}/"
    )
    below = {
        name: sorted(
            f"{service.account.name}: {service.product_version.product.code}"
            for service in inventory_selectors.services_below(element=elements[name]).select_related(
                "account", "product_version__product"
            )
        )
        for name in ("olt-1/pon-1", "olt-1/pon-2", "olt-2/pon-1", "ap-7-north", "olt-1/pon-3")
    }
    assert below == {
        "olt-1/pon-1": [
            "Ada Lovelace: res-fiber-1g",
            "Downeast Community Clinic: biz-dia-1g",
            "Downeast Community Clinic: static-ip-29",
        ],
        "olt-1/pon-2": ["Quoddy Bay Credit Union: biz-dia-1g", "Quoddy Bay Credit Union: voice-line"],
        "olt-2/pon-1": [
            "Grace Hopper: res-fiber-300",
            "Quoddy Bay Credit Union: biz-dia-1g",
            "Quoddy Bay Credit Union: voice-line",
        ],
        "ap-7-north": [
            "Alan Turing: res-fiber-2g",
            "Quoddy Bay Credit Union: biz-dia-1g",
            "Quoddy Bay Credit Union: managed-wifi",
        ],
        "olt-1/pon-3": [],
    }
    assert set(ServiceElement.objects.values_list("source", flat=True)) == {"import"}


def test_the_demo_provider_has_what_the_readme_promises_and_loads_once(radius_tables):
    first = demo.load()
    counts = (Account.objects.count(), Service.objects.count(), Order.objects.count(), Invoice.objects.count())

    second = demo.load()

    assert (first, second) == (True, False)
    assert (Account.objects.count(), Service.objects.count(), Order.objects.count(), Invoice.objects.count()) == counts
    assert Account.objects.filter(kind="business").count() >= 3
    assert Account.objects.filter(kind="residential").count() >= 5
    assert Service.objects.filter(status="active").count() >= 3
    assert Quote.objects.filter(status="presented").count() == 1
    assert Order.objects.filter(status="in_progress").count() == 1
