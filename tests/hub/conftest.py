import pytest

from headend.core import events
from headend.core.models import OutboxEvent
from headend.hub import services
from headend.hub.models import Delivery
from headend.inventory import services as inventory_services
from headend.inventory.models import Service
from tests.api.client import TMFClient
from tests.conftest import FROZEN_AT
from tests.factories import make_quote, make_user
from tests.hub.receiver import Receiver
from tests.resolver import EXAMPLE_ADDRESS, fake_dns

SECRET = "a-shared-secret-for-tests"


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    """Names under example.com resolve to a public address (the tests have no network)."""
    resolver = fake_dns(monkeypatch)
    resolver.answer_under(".example.com", EXAMPLE_ADDRESS)
    return resolver


@pytest.fixture
def loopback_allowed(settings):
    """Listeners on 127.0.0.1 (the test receivers) are let through, as an admin would allow a
    host on the provider's own network; without this the policy refuses them."""
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]


@pytest.fixture
def staff(db):
    return make_user("integration")


@pytest.fixture
def staff_api(client, staff):
    """The API as an integration account: the role (besides admin) that registers listeners."""
    return TMFClient.for_user(client, staff)


@pytest.fixture
def receiver():
    """A listener on 127.0.0.1 that checks signatures made with SECRET."""
    with Receiver(secret=SECRET) as server:
        yield server


def subscribe(owner, callback: str, *, api: str = "serviceInventory/v4", query: str = ""):
    subscription, _ = services.subscription_register(
        api=api, callback=callback, query=query, secret=SECRET, registered_by=owner
    )
    return subscription


def settle() -> None:
    """Count what the arrangement emitted as published: only the act's events are relayed."""
    OutboxEvent.objects.filter(published_at=None).update(published_at=FROZEN_AT)


def active_service() -> Service:
    """An active service whose arrangement events count as published."""
    service = Service.objects.get(order_line__order__quote=make_quote(status="accepted"))
    service = inventory_services.service_activate(service=service, at=FROZEN_AT)
    settle()
    return service


def queued_suspension(service: Service | None = None) -> Delivery:
    """Suspend a service and relay: the delivery queued for the (one) listener."""
    service = service or active_service()
    inventory_services.service_suspend(service=service, reason="non-payment")
    events.relay()
    return Delivery.objects.filter(outbox_event__name="service.suspended").latest("id")
