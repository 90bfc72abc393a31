import pytest

from headend.core.errors import Conflict
from headend.inventory import services
from headend.inventory.models import Service
from tests.conftest import FROZEN_AT
from tests.factories import make_quote

pytestmark = pytest.mark.django_db


def pending_service() -> Service:
    quote = make_quote(status="accepted")
    return Service.objects.get(order_line__order__quote=quote)


def move(service: Service, to: str) -> Service:
    return {
        "provisioning": lambda: services.service_start_provisioning(service=service, at=FROZEN_AT),
        "active": lambda: services.service_activate(service=service, at=FROZEN_AT),
        "suspended": lambda: services.service_suspend(service=service, reason="non-payment"),
        "pending_disconnect": lambda: services.service_request_disconnect(service=service, reason="moving away"),
        "disconnected": lambda: services.service_disconnect(service=service, at=FROZEN_AT),
    }[to]()


@pytest.mark.parametrize(
    "path",
    [
        ["provisioning", "active"],
        ["provisioning", "active", "suspended", "active"],
        ["provisioning", "active", "pending_disconnect", "disconnected"],
        ["provisioning", "active", "suspended", "pending_disconnect", "disconnected"],
        ["disconnected"],
    ],
)
def test_service_lifecycle_allowed_paths(path):
    service = pending_service()

    for to in path:
        service = move(service, to)

    assert Service.objects.get(pk=service.pk).status == path[-1]


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "suspended"),
        ([], "pending_disconnect"),
        (["provisioning", "active"], "provisioning"),
        (["disconnected"], "active"),
        (["provisioning", "active", "pending_disconnect", "disconnected"], "suspended"),
    ],
)
def test_service_lifecycle_illegal_moves_are_conflicts(path, illegal):
    service = pending_service()
    for to in path:
        service = move(service, to)

    with pytest.raises(Conflict) as error:
        move(service, illegal)

    assert error.value.code == "invalid_transition"
    assert Service.objects.get(pk=service.pk).status == (path[-1] if path else "pending")


def test_disconnect_ends_billing_at_that_instant():
    service = pending_service()
    for to in ["active", "pending_disconnect", "disconnected"]:
        service = move(service, to)

    assert (service.billable_from, service.billable_until) == (FROZEN_AT, FROZEN_AT)
    assert not service.is_billable


def test_the_service_page_lists_every_order_that_touched_it_and_the_price_since(client):
    import datetime as dt

    from django.urls import reverse

    from headend.core import clock
    from headend.orders.models import Order
    from headend.quoting import services as quoting_services
    from tests.factories import make_account, make_change_catalog, make_live_service, make_quote, make_user

    catalog = make_change_catalog()
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    later = clock.now() + dt.timedelta(days=40)
    with clock.frozen(later):
        quote = make_quote(account=account, lines=0)
        quoting_services.quote_line_change(quote=quote, service=service, action="re_term", term_months=24)
        quoting_services.quote_accept(quote=quoting_services.quote_present(quote=quote), accepted_by_name="Pat")
    client.force_login(make_user("support"))

    html = client.get(service.get_absolute_url()).content.decode()

    first = Order.objects.get(lines__created_service=service)
    change = Order.objects.get(quote=quote)
    assert reverse("orders:order_detail", args=[first.pk]) in html
    assert reverse("orders:order_detail", args=[change.pk]) in html
    assert "re-term" in html
    assert "at this price" in html
    service.refresh_from_db()
    assert service.current_since == later
