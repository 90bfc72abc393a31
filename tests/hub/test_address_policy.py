"""Hub callbacks under the outbound address policy: who may register, how many listeners, which
callbacks are refused at registration, and the check made again at every delivery.

Nothing is allowlisted here unless the test says so: the refusal is what is tested."""

import pytest

from headend.hub import services
from headend.hub.models import Delivery, DeliveryAttempt, Subscription
from tests.api.client import TMFClient, assert_error, body
from tests.factories import make_user
from tests.hub.conftest import SECRET, queued_suspension, subscribe
from tests.hub.receiver import Receiver
from tests.resolver import EXAMPLE_ADDRESS

pytestmark = pytest.mark.django_db

HUB = "/serviceInventory/v4/hub"


@pytest.mark.parametrize(
    "callback",
    [
        "http://127.0.0.1/hooks",
        "http://[::1]/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://0x7f000001/hooks",
        "http://2130706433/hooks",
        "http://0177.0.0.1/hooks",
        "http://127.1/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://localhost:8000/hooks",
        "http://127.0.0.1:6379",
        "https://10.0.0.5/hooks",
        "https://192.168.0.10/hooks",
        "https://100.64.7.1/hooks",
        "http://[fe80::1]/hooks",
        "http://0.0.0.0:5432/",
    ],
)
def test_a_callback_on_a_local_or_private_address_is_400_naming_callback(staff_api, callback):
    response = staff_api.post(HUB, {"callback": callback})

    assert_error(response, status=400, code="callback_refused", field="callback")
    assert not Subscription.objects.exists()


def test_a_callback_whose_name_resolves_to_a_private_address_is_refused(staff_api, dns):
    dns.answer("intranet.example.com", "10.1.2.3")

    error = assert_error(
        staff_api.post(HUB, {"callback": "https://intranet.example.com/hooks"}),
        status=400,
        code="callback_refused",
        field="callback",
    )

    assert "intranet.example.com resolves to 10.1.2.3, a private address" in error["reason"]


def test_a_callback_whose_host_does_not_resolve_is_400_naming_callback(staff_api):
    response = staff_api.post(HUB, {"callback": "https://listener.nowhere.invalid/hooks"})

    assert_error(response, status=400, code="callback_unresolvable", field="callback")


def test_an_admin_may_allow_a_listener_on_the_providers_network(staff_api, settings, dns):
    settings.HEADEND_OUTBOUND_ALLOW = ["10.20.0.0/16", "bus.provider.example.com"]
    dns.answer("bus.provider.example.com", "10.99.0.1")

    assert staff_api.post(HUB, {"callback": "http://10.20.3.4:8080/hooks"}).status_code == 201
    assert staff_api.post(HUB, {"callback": "https://bus.provider.example.com/in"}).status_code == 201
    assert_error(staff_api.post(HUB, {"callback": "http://10.21.0.1/"}), status=400, code="callback_refused")


# --- Who may register, and how many -------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales", "support", "provisioning", "billing"])
def test_registering_needs_the_integration_role_or_admin(client, role):
    api = TMFClient.for_user(client, make_user(role))

    response = api.post(HUB, {"callback": "https://crm.example.com/hooks"})

    assert_error(response, status=403, code="role_required")
    assert not Subscription.objects.exists()


def test_an_admin_may_register(client):
    api = TMFClient.for_user(client, make_user("admin"))

    assert api.post(HUB, {"callback": "https://crm.example.com/hooks"}).status_code == 201


def test_an_account_may_have_as_many_listeners_as_the_setting_allows(staff_api, client, settings):
    settings.HEADEND_HUB_MAX_SUBSCRIPTIONS = 2
    first = body(staff_api.post(HUB, {"callback": "https://a.example.com/hooks"}))
    staff_api.post("/quoteManagement/v4/hub", {"callback": "https://b.example.com/hooks"})

    over = staff_api.post(HUB, {"callback": "https://c.example.com/hooks"})

    error = assert_error(over, status=409, code="too_many_subscriptions")
    assert "2 listeners registered" in error["reason"]
    assert Subscription.objects.count() == 2
    other = TMFClient.for_user(client, make_user("integration"))
    assert other.post(HUB, {"callback": "https://c.example.com/hooks"}).status_code == 201
    staff_api.client.delete(f"/tmf-api{HUB}/{first['id']}", **staff_api.headers)
    assert staff_api.post(HUB, {"callback": "https://c.example.com/hooks"}).status_code == 201


# --- Checked again when sending ----------------------------------------------------------------


def test_a_delivery_to_a_callback_no_longer_allowed_fails_with_the_reason_and_sends_nothing(staff, settings):
    with Receiver(secret=SECRET) as receiver:
        settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
        subscribe(staff, receiver.url)
        settings.HEADEND_OUTBOUND_ALLOW = []
        delivery = queued_suspension()

        services.deliveries_send_due()

    assert receiver.received == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 1, None)
    assert delivery.last_error.startswith("Not sent: 127.0.0.1 is a loopback address;")
    (attempt,) = DeliveryAttempt.objects.filter(delivery=delivery)
    assert (attempt.status_code, attempt.error) == (None, delivery.last_error)


def test_a_callback_whose_name_now_resolves_to_loopback_is_not_sent_to(staff, dns):
    """DNS changed after registration (or is a rebinding attacker's): the delivery is refused."""
    with Receiver(secret=SECRET) as receiver:
        dns.answer("hooks.example.com", EXAMPLE_ADDRESS, "127.0.0.1")
        subscribe(staff, f"http://hooks.example.com:{receiver.port}/in")
        delivery = queued_suspension()

        services.deliveries_send_due()

    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert "hooks.example.com resolves to 127.0.0.1, a loopback address" in delivery.last_error


def test_a_delivery_goes_to_the_address_checked_at_sending(staff, settings, dns):
    """The name answers 127.0.0.2 (allowed) to the checks and 127.0.0.1 to any later lookup: the
    POST reaches the listener on 127.0.0.2, never the one on 127.0.0.1 at the same port."""
    with Receiver(secret=SECRET) as loopback, Receiver(secret=SECRET, host="127.0.0.2", port=loopback.port) as checked:
        settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.2"]
        dns.answer("hooks.example.com", "127.0.0.2", "127.0.0.2", "127.0.0.1")
        subscribe(staff, f"http://hooks.example.com:{loopback.port}/in")
        delivery = queued_suspension()

        services.deliveries_send_due()

    assert loopback.received == []
    assert [received.headers["Host"] for received in checked.received] == [f"hooks.example.com:{loopback.port}"]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert dns.lookups == ["hooks.example.com", "hooks.example.com"]  # registration, then the send
