"""Services bound to the network elements they ride on: by hand or by provisioning, idempotent,
with their history in the outbox; and the services below an element, counted once each."""

import pytest

from headend.catalog.services import TaskSpec
from headend.core.errors import Conflict, Forbidden, ValidationError
from headend.inventory import selectors, services
from headend.inventory.models import ServiceElement
from headend.network import topology
from headend.network.models import Element
from tests.conftest import outbox_names
from tests.factories import make_account, make_live_service, make_product, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def net():
    topology.topology_import(
        file=b"name,kind,parent\npop-1,pop,\nolt-1,olt,pop-1\npon-1,pon_port,olt-1\npon-2,pon_port,olt-1\n"
        b"cpe-1,cpe,pon-1\nolt-2,olt,pop-1\n",
        actor=None,
    )
    return {element.name: element for element in Element.objects.all()}


@pytest.fixture
def version():
    return make_product(tasks=[TaskSpec("Install")])


def live(version):
    return make_live_service(make_account(), version)


def _disconnect(service):
    services.service_request_disconnect(service=service, reason="moving away")
    services.service_disconnect(service=service, at=service.activated_at)


def test_bind_records_the_element_and_its_event(net, version):
    service = live(version)

    binding = services.service_bind_element(
        service=service, element=net["pon-1"], source="staff", actor=make_user("provisioning")
    )

    assert (binding.service, binding.element, binding.source) == (service, net["pon-1"], "staff")
    assert outbox_names(subject=service, name_prefix="service.element") == ["service.element_bound"]


def test_bind_twice_changes_nothing_the_second_time(net, version):
    service = live(version)
    first = services.service_bind_element(service=service, element=net["pon-1"], source="provisioning")

    again = services.service_bind_element(service=service, element=net["pon-1"], source="staff")

    assert again.pk == first.pk
    assert list(ServiceElement.objects.values_list("element__name", "source")) == [("pon-1", "provisioning")]
    assert outbox_names(subject=service, name_prefix="service.element") == ["service.element_bound"]


def test_unbind_removes_the_binding_once(net, version):
    service = live(version)
    services.service_bind_element(service=service, element=net["pon-1"], source="staff")

    services.service_unbind_element(service=service, element=net["pon-1"], actor=make_user("provisioning"))
    services.service_unbind_element(service=service, element=net["pon-1"])

    assert ServiceElement.objects.count() == 0
    assert outbox_names(subject=service, name_prefix="service.element") == [
        "service.element_bound",
        "service.element_unbound",
    ]


def test_bind_a_disconnected_service_is_refused(net, version):
    service = live(version)
    _disconnect(service)

    with pytest.raises(Conflict):
        services.service_bind_element(service=service, element=net["pon-1"], source="staff")

    assert ServiceElement.objects.count() == 0


def test_bind_with_an_unknown_source_is_refused(net, version):
    with pytest.raises(ValidationError) as caught:
        services.service_bind_element(service=live(version), element=net["pon-1"], source="guess")

    assert caught.value.field == "source"


@pytest.mark.parametrize("role", ["sales", "support", "billing"])
def test_bind_and_unbind_need_the_topology_role(net, version, role):
    service = live(version)

    with pytest.raises(Forbidden):
        services.service_bind_element(service=service, element=net["pon-1"], source="staff", actor=make_user(role))
    with pytest.raises(Forbidden):
        services.service_unbind_element(service=service, element=net["pon-1"], actor=make_user(role))

    assert ServiceElement.objects.count() == 0


def test_services_below_count_each_service_once_and_leave_out_disconnected_ones(net, version):
    on_port_and_cpe, on_port, on_other_port, gone = (live(version) for _ in range(4))
    for service, element in [
        (on_port_and_cpe, "pon-1"),
        (on_port_and_cpe, "cpe-1"),
        (on_port, "pon-1"),
        (on_other_port, "pon-2"),
        (gone, "cpe-1"),
    ]:
        services.service_bind_element(service=service, element=net[element], source="staff")
    _disconnect(gone)

    below_port = list(selectors.services_below(element=net["pon-1"]))
    below_olt = list(selectors.services_below(element=net["olt-1"]))
    counts = selectors.service_counts_below(elements=list(net.values()))

    assert below_port == [on_port_and_cpe, on_port]
    assert below_olt == [on_port_and_cpe, on_port, on_other_port]
    assert {net_name: counts[element.pk] for net_name, element in net.items()} == {
        "pop-1": 3,
        "olt-1": 3,
        "pon-1": 2,
        "pon-2": 1,
        "cpe-1": 1,
        "olt-2": 0,
    }
    assert list(selectors.services_below(element=net["cpe-1"], statuses=["disconnected"])) == [gone]
    assert selectors.element_bound_count(element_id=net["cpe-1"].pk) == 2
