"""Each subscriber state proven with a real Access-Request to a real FreeRADIUS reading the rows
the actions wrote (transactional tests: the server reads over its own connection)."""

import pytest
from pyrad import packet

from tests.provisioning.conftest import RADIUS_DB, make_plan, make_radius_service, run_action

pytestmark = [pytest.mark.django_db(transaction=True, **RADIUS_DB), pytest.mark.usefixtures("radius_tables")]


def _credentials(service):
    return service.radius_subscriber.username, service.radius_subscriber.password


def test_active_subscriber_is_accepted_with_the_plan_rate(freeradius):
    service = make_radius_service()
    run_action("radius.provision", service)
    username, password = _credentials(service)

    reply = freeradius.authenticate(username, password)

    assert reply.code == packet.AccessAccept
    assert reply.attributes == {"Mikrotik-Rate-Limit": ["100M/300M"]}


def test_wrong_password_is_rejected(freeradius):
    service = make_radius_service()
    run_action("radius.provision", service)
    username, _ = _credentials(service)

    reply = freeradius.authenticate(username, "not-the-password")

    assert reply.code == packet.AccessReject
    assert reply.attributes == {}


def test_static_ip_and_wispr_rates_are_in_the_accept(freeradius, settings):
    settings.HEADEND_RADIUS_VENDOR = "wispr"
    service = make_radius_service(ipv4_address="100.64.7.9")
    run_action("radius.provision", service)

    reply = freeradius.authenticate(*_credentials(service))

    assert reply.code == packet.AccessAccept
    assert reply.attributes == {
        "Framed-IP-Address": ["100.64.7.9"],
        "WISPr-Bandwidth-Max-Up": [100_000_000],
        "WISPr-Bandwidth-Max-Down": [300_000_000],
    }


def test_suspended_subscriber_gets_the_walled_garden(freeradius):
    service = make_radius_service()
    run_action("radius.provision", service)

    run_action("radius.suspend", service)
    reply = freeradius.authenticate(*_credentials(service))

    assert reply.code == packet.AccessAccept
    assert reply.attributes == {"Mikrotik-Address-List": ["walled-garden"], "Mikrotik-Rate-Limit": ["1M/1M"]}


def test_restored_subscriber_gets_the_plan_rate_again(freeradius):
    service = make_radius_service()
    run_action("radius.provision", service)
    run_action("radius.suspend", service)

    run_action("radius.restore", service)
    reply = freeradius.authenticate(*_credentials(service))

    assert reply.attributes == {"Mikrotik-Rate-Limit": ["100M/300M"]}


def test_removed_subscriber_is_rejected(freeradius):
    service = make_radius_service()
    run_action("radius.provision", service)
    credentials = _credentials(service)

    run_action("radius.remove", service)
    reply = freeradius.authenticate(*credentials)

    assert reply.code == packet.AccessReject


def test_upgrade_is_accepted_with_the_new_rate(freeradius):
    from headend.inventory.models import Service

    service = make_radius_service()
    run_action("radius.provision", service)
    Service.objects.filter(pk=service.pk).update(
        product_version=make_plan(code="gig", download_mbps=1000, upload_mbps=500)
    )

    run_action("radius.provision", service)
    reply = freeradius.authenticate(*_credentials(service))

    assert reply.attributes == {"Mikrotik-Rate-Limit": ["500M/1000M"]}


def test_ipoe_circuit_id_is_accepted_whatever_the_password(freeradius):
    service = make_radius_service(radius_username="FTTP-000042")
    run_action("radius.provision", service, auth="ipoe")

    reply = freeradius.authenticate("FTTP-000042", "")

    assert reply.code == packet.AccessAccept
    assert reply.attributes == {"Mikrotik-Rate-Limit": ["100M/300M"]}


def _with_block(service, block: str):
    """An add-on ordered on `service` that holds a routed IPv4 block, as ipam.allocate records it."""
    import datetime as dt

    from headend.catalog import services as catalog_services
    from headend.inventory import services as inventory_services
    from headend.inventory.models import Service
    from headend.quoting import services as quoting_services
    from tests.factories import define_change_templates

    product = catalog_services.product_create(
        code=f"block-{service.pk}",
        name="Static /29",
        kind="addon",
        customer_type="any",
        addon_of=[service.product_version.product],
    )
    define_change_templates(product)
    version = catalog_services.version_publish(
        version=catalog_services.version_create(
            product=product, effective_from=dt.date(2020, 1, 1), prices={12: ("20.00", "0.00")}
        )
    )
    quote = quoting_services.quote_create(account=service.account, name="Block")
    quoting_services.quote_line_add(quote=quote, location=service.location, product_version=version, term_months=12)
    quoting_services.quote_accept(quote=quoting_services.quote_present(quote=quote), accepted_by_name="Pat")
    addon = Service.objects.get(base_service=service)
    return inventory_services.service_set_identifiers(service=addon, ipv4_address=block)


def test_an_add_on_block_reaches_the_base_subscriber_as_framed_route(freeradius):
    service = make_radius_service(ipv4_address="100.64.7.9")
    run_action("radius.provision", service)
    addon = _with_block(service, "203.0.113.8/29")

    result, _ = run_action("radius.routes", addon)
    reply = freeradius.authenticate(*_credentials(service))

    assert result["routes"] == ["203.0.113.8/29 0.0.0.0 1"]
    assert reply.code == packet.AccessAccept
    assert reply.attributes["Framed-Route"] == ["203.0.113.8/29 0.0.0.0 1"]
    assert reply.attributes["Framed-IP-Address"] == ["100.64.7.9"]


def test_an_upgrade_of_the_base_keeps_its_routes_and_a_released_block_drops_them(freeradius):
    from headend.inventory import services as inventory_services

    service = make_radius_service()
    run_action("radius.provision", service)
    addon = _with_block(service, "203.0.113.8/29")
    run_action("radius.routes", addon)

    run_action("radius.provision", service)
    assert freeradius.authenticate(*_credentials(service)).attributes["Framed-Route"] == ["203.0.113.8/29 0.0.0.0 1"]

    inventory_services.service_set_identifiers(service=addon, ipv4_address=None)
    result, _ = run_action("radius.routes", addon)

    assert (result["routes"], result["changed"]) == ([], True)
    assert "Framed-Route" not in freeradius.authenticate(*_credentials(service)).attributes
