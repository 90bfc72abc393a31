import pytest

from headend.catalog import code_actions
from headend.catalog.code_actions import PermanentError
from headend.core.errors import ValidationError
from headend.ipam import actions
from headend.ipam.models import IPAllocation
from tests.conftest import outbox_names
from tests.ipam.factories import action_context, make_pool, make_services

pytestmark = pytest.mark.django_db


def test_both_actions_are_registered():
    assert code_actions.is_registered("ipam.allocate")
    assert code_actions.is_registered("ipam.release")


def test_allocate_chooses_the_pool_by_the_service_location_and_plan_and_records_the_address():
    make_pool("100.64.0.0/24", name="Lubec fiber", region="Lubec", technology="fiber")
    make_pool("100.64.1.0/24", name="Eastport cable", region="Eastport", technology="cable")
    make_pool("100.64.2.0/24", name="Eastport fiber", region="Eastport", technology="fiber")
    (service,) = make_services(1)  # fiber, in Eastport
    context = action_context(service, family="ipv4")

    result = code_actions.get("ipam.allocate")(context)

    assert result == {"address": "100.64.2.1", "pool": "Eastport fiber", "identifier": "ipv4_address"}
    service.refresh_from_db()
    assert service.identifiers == {"ipv4_address": "100.64.2.1"}
    assert context.exchanges == [{"note": "100.64.2.1 from pool Eastport fiber (100.64.2.0/24)"}]


def test_allocate_run_twice_has_one_effect():
    make_pool("2001:db8::/48", allocation_length=56, name="Delegated")
    (service,) = make_services(1)

    first = actions.allocate(action_context(service, pool="Delegated"))
    second = actions.allocate(action_context(service, pool="Delegated"))

    assert first == second == {"address": "2001:db8::/56", "pool": "Delegated", "identifier": "ipv6_prefix"}
    assert IPAllocation.objects.count() == 1
    assert outbox_names(subject=service, name_prefix="service.identified") == ["service.identified"]


def test_allocate_from_a_full_pool_fails_permanently_and_records_nothing():
    make_pool("100.64.0.0/32", name="One address")
    first, second = make_services(2)
    actions.allocate(action_context(first, pool="One address"))

    with pytest.raises(PermanentError) as error:
        actions.allocate(action_context(second, pool="One address"))

    assert str(error.value) == "IP pool One address has no free address left."
    second.refresh_from_db()
    assert second.identifiers == {}


def test_allocate_with_no_pool_serving_the_service_fails_permanently():
    make_pool("100.64.0.0/24", region="Lubec")
    (service,) = make_services(1)

    with pytest.raises(PermanentError) as error:
        actions.allocate(action_context(service, family="ipv4"))

    assert str(error.value) == "No active IPv4 pool serves region EASTPORT, fiber."  # addresses are kept in capitals


def test_allocate_refuses_a_named_pool_of_the_other_family_before_allocating():
    make_pool("2001:db8::/48", allocation_length=64, name="Delegated")
    (service,) = make_services(1)

    with pytest.raises(PermanentError) as error:
        actions.allocate(action_context(service, pool="Delegated", family="ipv4"))

    assert str(error.value) == "Pool Delegated holds IPv6 addresses, not ipv4."
    assert not IPAllocation.objects.exists()


def test_release_quarantines_and_removes_the_identifiers_once():
    make_pool("100.64.0.0/24", name="Residential")
    make_pool("2001:db8::/48", allocation_length=56, name="Delegated")
    (service,) = make_services(1)
    actions.allocate(action_context(service, pool="Residential"))
    actions.allocate(action_context(service, pool="Delegated"))

    result = actions.release(action_context(service))
    again = actions.release(action_context(service))

    assert (result, again) == ({"released": ["100.64.0.1", "2001:db8::/56"]}, {"released": []})
    assert sorted(IPAllocation.objects.values_list("state", flat=True)) == ["quarantined", "quarantined"]
    service.refresh_from_db()
    assert service.identifiers == {}


def test_release_of_one_family_keeps_the_other_identifier():
    make_pool("100.64.0.0/24", name="Residential")
    make_pool("2001:db8::/48", allocation_length=56, name="Delegated")
    (service,) = make_services(1)
    actions.allocate(action_context(service, pool="Residential"))
    actions.allocate(action_context(service, pool="Delegated"))

    actions.release(action_context(service, family="ipv6"))

    service.refresh_from_db()
    assert service.identifiers == {"ipv4_address": "100.64.0.1"}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({}, "code_params.family", "Name the pool, or say which family (ipv4 or ipv6) to choose a pool by."),
        ({"family": "ipv5"}, "code_params.family", "The family is ipv4 or ipv6."),
        ({"pool": "Nowhere"}, "code_params.pool", "No IP pool is named 'Nowhere'."),
        ({"pool": ""}, "code_params.pool", "Name the pool."),
        (
            {"family": "ipv4", "technology": "pigeon"},
            "code_params.technology",
            "Unknown technology 'pigeon'; use one of fiber, cable, fixed_wireless, dsl.",
        ),
        (
            {"family": "ipv6", "allocation_length": "56"},
            "code_params.allocation_length",
            "The allocation size is a prefix length, 1 to 128 (32, 29, 56, 64).",
        ),
        (
            {"family": "ipv4", "size": 29},
            "code_params.size",
            "Unknown parameter 'size'; this action takes allocation_length, family, pool, region, technology.",
        ),
        (
            {"pool": "Residential", "region": "Eastport"},
            "code_params.pool",
            "A named pool is chosen already: drop region, technology and size.",
        ),
    ],
)
def test_allocate_parameters_are_checked_when_the_template_is_saved(params, field, message):
    make_pool("100.64.0.0/24", name="Residential")

    with pytest.raises(ValidationError) as error:
        code_actions.check_params("ipam.allocate", params)

    assert (error.value.field, error.value.message) == (field, message)


def test_good_parameters_pass():
    make_pool("100.64.0.0/24", name="Residential")

    code_actions.check_params("ipam.allocate", {"pool": "Residential"})
    code_actions.check_params(
        "ipam.allocate", {"family": "ipv6", "region": "Eastport", "technology": "fiber", "allocation_length": 56}
    )
    code_actions.check_params("ipam.release", {})
    with pytest.raises(ValidationError) as error:
        code_actions.check_params("ipam.release", {"region": "Eastport"})
    assert error.value.field == "code_params.region"
