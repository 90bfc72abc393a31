"""TMF hub registration: POST/GET/DELETE .../hub on each API that sends events."""

import pytest

from headend.hub.models import Delivery, Subscription
from tests.api.client import TMFClient, assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_user
from tests.hub.conftest import SECRET, queued_suspension

pytestmark = pytest.mark.django_db

HUBS = [
    ("serviceInventory/v4", "638", "EventSubscription"),
    ("productOrderingManagement/v4", "622", "EventSubscription"),
    ("quoteManagement/v4", "648", "EventSubscription"),
    ("workOrderManagement/v4", "697", "EventSubscription"),
    ("event/v4", "688", "Hub"),
]


@pytest.mark.parametrize(("api", "spec", "definition"), HUBS)
def test_register_answers_201_with_the_subscription_its_secret_and_location(staff_api, api, spec, definition):
    response = staff_api.post(f"/{api}/hub", {"callback": "https://crm.example.com/hooks"})

    assert response.status_code == 201, response.content
    created = body(response)
    assert_valid(created, api=spec, definition=definition)
    subscription = Subscription.objects.get()
    href = f"http://testserver/tmf-api/{api}/hub/{subscription.pk}"
    assert created == {
        "id": str(subscription.pk),
        "href": href,
        "@type": "EventSubscription",
        "callback": "https://crm.example.com/hooks",
        "secret": subscription.secret,
    }
    assert response["Location"] == href
    assert len(subscription.secret) >= 40
    assert (subscription.api, subscription.event_types) == (api, [])


def test_retrieve_shows_the_subscription_without_its_secret(staff_api):
    created = body(
        staff_api.post(
            "/serviceInventory/v4/hub",
            {"callback": "https://crm.example.com/hooks", "query": "eventType=ServiceStateChangeEvent"},
        )
    )

    response = staff_api.get(f"/serviceInventory/v4/hub/{created['id']}")

    assert response.status_code == 200
    shown = body(response)
    assert_valid(shown, api="638", definition="EventSubscription")
    assert shown == {key: value for key, value in created.items() if key != "secret"}
    assert shown["query"] == "eventType=ServiceStateChangeEvent"


def test_a_secret_given_by_the_caller_is_kept_and_echoed_once(staff_api):
    response = staff_api.post("/quoteManagement/v4/hub", {"callback": "https://crm.example.com/in", "secret": SECRET})

    assert body(response)["secret"] == SECRET
    assert Subscription.objects.get().secret == SECRET


def test_the_query_picks_event_types(staff_api):
    staff_api.post(
        "/serviceInventory/v4/hub",
        {
            "callback": "https://crm.example.com/hooks",
            "query": "eventType=ServiceStateChangeEvent, ServiceCreateEvent&eventType=ServiceStateChangeEvent",
        },
    )

    assert Subscription.objects.get().event_types == ["ServiceStateChangeEvent", "ServiceCreateEvent"]


def test_the_event_hub_takes_every_apis_event_types(staff_api):
    response = staff_api.post(
        "/event/v4/hub",
        {"callback": "https://bus.example.com/", "query": "eventType=QuoteStateChangeEvent,WorkOrderStateChangeEvent"},
    )

    assert response.status_code == 201
    assert Subscription.objects.get().event_types == ["QuoteStateChangeEvent", "WorkOrderStateChangeEvent"]


def test_delete_answers_204_and_the_subscription_is_gone(staff_api):
    created = body(staff_api.post("/workOrderManagement/v4/hub", {"callback": "https://crm.example.com/hooks"}))

    response = staff_api.client.delete(f"/tmf-api/workOrderManagement/v4/hub/{created['id']}", **staff_api.headers)

    assert response.status_code == 204
    assert response.content == b""
    assert Subscription.objects.get().deleted_at is not None
    assert_error(staff_api.get(f"/workOrderManagement/v4/hub/{created['id']}"), status=404, code="not_found")
    again = staff_api.client.delete(f"/tmf-api/workOrderManagement/v4/hub/{created['id']}", **staff_api.headers)
    assert_error(again, status=404, code="not_found")


@pytest.mark.parametrize(
    "callback",
    [
        "ftp://crm.example.com/hooks",
        "crm.example.com/hooks",
        "https:///nohost",
        "https://crm.example.com/a b",
        "https://crm.example.com/a\x00b",
        "https://crm.example.com/#top",
        "https://crm.example.com:99999/hooks",
        "http://[::1/hooks",
        "",
    ],
)
def test_a_callback_that_is_not_an_http_url_is_400_naming_callback(staff_api, callback):
    response = staff_api.post("/serviceInventory/v4/hub", {"callback": callback})

    assert_error(response, status=400, code="invalid_callback", field="callback")
    assert not Subscription.objects.exists()


def test_a_missing_callback_is_400_naming_callback(staff_api):
    response = staff_api.post("/serviceInventory/v4/hub", {"query": "eventType=ServiceStateChangeEvent"})

    assert_error(response, status=400, field="callback")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("eventType=ServiceExplodedEvent", "unknown_event_type"),
        ("eventType=QuoteStateChangeEvent", "unknown_event_type"),  # another API's type
        ("eventType=ServiceStateChangeEvent,", "unknown_event_type"),
        ("state=active", "unsupported_query"),
        ("eventType", "invalid_query"),
    ],
)
def test_a_query_we_cannot_honour_is_400_naming_query(staff_api, query, code):
    response = staff_api.post("/serviceInventory/v4/hub", {"callback": "https://crm.example.com/hooks", "query": query})

    assert_error(response, status=400, code=code, field="query")
    assert not Subscription.objects.exists()


def test_the_unknown_type_error_lists_the_types_the_api_sends(staff_api):
    response = staff_api.post(
        "/quoteManagement/v4/hub", {"callback": "https://crm.example.com/hooks", "query": "eventType=Nope"}
    )

    assert body(response)["reason"] == (
        "Unknown event type 'Nope' for this API; it sends QuoteAttributeValueChangeEvent, QuoteCreateEvent, "
        "QuoteStateChangeEvent."
    )


@pytest.mark.parametrize(
    ("secret", "code"), [("x" * 15, "weak_secret"), ("x" * 16 + " y", "weak_secret"), ("x" * 16 + "\x00", None)]
)
def test_a_short_or_unprintable_secret_is_400_naming_secret(staff_api, secret, code):
    response = staff_api.post(
        "/serviceInventory/v4/hub", {"callback": "https://crm.example.com/hooks", "secret": secret}
    )

    assert_error(response, status=400, code=code, field="secret")
    assert not Subscription.objects.exists()


def test_someone_elses_subscription_is_404_to_staff_and_visible_to_an_admin(client, staff_api):
    created = body(staff_api.post("/serviceInventory/v4/hub", {"callback": "https://crm.example.com/hooks"}))
    other = TMFClient.for_user(client, make_user("integration"))
    admin = TMFClient.for_user(client, make_user("admin"))

    assert_error(other.get(f"/serviceInventory/v4/hub/{created['id']}"), status=404)
    refused = other.client.delete(f"/tmf-api/serviceInventory/v4/hub/{created['id']}", **other.headers)
    assert_error(refused, status=404)
    assert admin.get(f"/serviceInventory/v4/hub/{created['id']}").status_code == 200
    assert Subscription.objects.get().deleted_at is None


def test_a_subscription_is_found_only_at_its_own_apis_hub(staff_api):
    created = body(staff_api.post("/serviceInventory/v4/hub", {"callback": "https://crm.example.com/hooks"}))

    assert_error(staff_api.get(f"/quoteManagement/v4/hub/{created['id']}"), status=404)


def test_registering_needs_a_token(client):
    assert_error(TMFClient(client).post("/serviceInventory/v4/hub", {"callback": "https://x.example.com"}), status=401)


def test_unregistering_cancels_what_waits_for_the_listener(staff_api, staff):
    created = body(staff_api.post("/serviceInventory/v4/hub", {"callback": "https://crm.example.com/hooks"}))
    delivery = queued_suspension()

    staff_api.client.delete(f"/tmf-api/serviceInventory/v4/hub/{created['id']}", **staff_api.headers)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == (Delivery.Status.CANCELLED, None)
