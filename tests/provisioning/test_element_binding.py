"""Provisioning's code tasks bind the service to the topology elements they know: the task's
`element` parameter (a name or a template), the identifier `network_element`, and (acs.configure)
the router itself as a CPE element named by its serial."""

import pytest

from headend.catalog import code_actions
from headend.catalog.code_actions import ActionContext
from headend.catalog.services import TaskSpec
from headend.core.errors import ValidationError
from headend.fulfillment.models import Task
from headend.inventory import services as inventory_services
from headend.inventory.models import ServiceElement
from headend.network import topology
from headend.provisioning.acs import configure
from tests.factories import make_account, make_live_service, make_product
from tests.provisioning.conftest import RADIUS_DB, make_radius_service, run_action
from tests.provisioning.genieacs_standin import GenieAcsStandIn

pytestmark = pytest.mark.django_db(**RADIUS_DB)

SERIAL = "ZTEG-00C0FFEE"


@pytest.fixture
def net(db):
    topology.topology_import(
        file=f"name,kind,parent\nolt-1,olt,\nolt-1/pon-1,pon_port,olt-1\n{SERIAL},cpe,olt-1/pon-1\n".encode(),
        actor=None,
    )


def bindings():
    return list(ServiceElement.objects.order_by("element__path").values_list("element__name", "source"))


@pytest.mark.usefixtures("radius_tables", "net")
def test_radius_provision_binds_the_element_its_parameter_names_once():
    service = make_radius_service()

    result, context = run_action("radius.provision", service, element="olt-1/pon-1")
    again, _ = run_action("radius.provision", service, element="olt-1/pon-1")

    assert (result["elements"], again["elements"]) == (["olt-1/pon-1"], ["olt-1/pon-1"])
    assert bindings() == [("olt-1/pon-1", "provisioning")]
    assert {"note": f"{service.number} rides on olt-1/pon-1 (topology)."} in context.exchanges


@pytest.mark.usefixtures("radius_tables", "net")
def test_radius_provision_element_template_reads_the_service_identifiers():
    service = make_radius_service(pon_port="olt-1/pon-1")

    result, _ = run_action("radius.provision", service, element="{{ service.identifiers.pon_port }}")

    assert result["elements"] == ["olt-1/pon-1"]
    assert bindings() == [("olt-1/pon-1", "provisioning")]


@pytest.mark.usefixtures("radius_tables", "net")
def test_radius_provision_binds_the_network_element_identifier_without_a_parameter():
    service = make_radius_service(network_element="olt-1")

    result, _ = run_action("radius.provision", service)

    assert result["elements"] == ["olt-1"]
    assert bindings() == [("olt-1", "provisioning")]


@pytest.mark.usefixtures("radius_tables", "net")
def test_radius_provision_with_an_element_the_topology_lacks_binds_nothing_and_says_so():
    service = make_radius_service()

    result, context = run_action("radius.provision", service, element="olt-9/pon-1")

    assert result["elements"] == []
    assert result["created"] is True  # the subscriber is provisioned all the same
    assert bindings() == []
    assert {
        "note": f"No element named 'olt-9/pon-1' in the topology: {service.number} is bound to none."
    } in context.exchanges


@pytest.mark.usefixtures("radius_tables", "net")
def test_radius_provision_without_element_leaves_its_result_as_it_was():
    result, _ = run_action("radius.provision", make_radius_service())

    assert "elements" not in result
    assert bindings() == []


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("radius.provision", {"element": 7}),
        ("radius.provision", {"element": "{% if %}"}),
        ("radius.provision", {"element": "{{ service.nope }}"}),
        ("acs.configure", {"element": ""}),
        ("acs.configure", {"element": "{{ account.secret }}"}),
    ],
)
def test_element_parameter_is_checked_when_the_template_is_saved(settings, name, params):
    settings.HEADEND_SECRETS = {**settings.HEADEND_SECRETS, "WIFI": "test-wifi-secret"}

    with pytest.raises(ValidationError) as caught:
        code_actions.check_params(name, params)

    assert caught.value.field == "code_params.element"


def test_element_parameter_with_a_name_or_identifier_template_is_accepted(settings):
    settings.HEADEND_SECRETS = {**settings.HEADEND_SECRETS, "WIFI": "test-wifi-secret"}

    code_actions.check_params("radius.provision", {"element": "olt-1/pon-1"})
    code_actions.check_params("acs.configure", {"element": "{{ service.identifiers.sector }}"})


@pytest.fixture
def acs(settings):
    standin = GenieAcsStandIn().start()
    settings.HEADEND_GENIEACS_URL = standin.url
    settings.HEADEND_SECRETS = {**settings.HEADEND_SECRETS, "WIFI": "test-wifi-secret"}
    yield standin
    standin.stop()


@pytest.mark.usefixtures("net")
def test_acs_configure_binds_the_router_named_by_its_serial_and_the_named_port(acs):
    service = make_live_service(make_account(), make_product(tasks=[TaskSpec("Turn up")]))
    inventory_services.service_set_identifiers(service=service, cpe_serial=SERIAL)
    acs.add_device(SERIAL)
    task = Task.objects.get(work_order__service=service)

    result = configure(ActionContext(task=task, params={"element": "olt-1/pon-1", "wifi": False}))

    assert result["elements"] == ["olt-1/pon-1", SERIAL]
    assert bindings() == [("olt-1/pon-1", "provisioning"), (SERIAL, "provisioning")]
