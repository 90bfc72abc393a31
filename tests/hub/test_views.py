"""Settings → Webhooks: listeners, the delivery log, redeliver and remove (admins only)."""

import pytest
from django.urls import reverse

from headend.hub.models import Delivery, Subscription
from tests.factories import make_user
from tests.hub.conftest import queued_suspension, subscribe

# The receivers listen on 127.0.0.1, which the outbound policy refuses unless allowed.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_allowed")]


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("admin"))
    return client


def failed_delivery(owner) -> Delivery:
    subscribe(owner, "https://crm.example.com/hooks")
    delivery = queued_suspension()
    Delivery.objects.filter(pk=delivery.pk).update(
        status="failed",
        attempts=10,
        next_attempt_at=None,
        last_status_code=500,
        last_error="HTTP 500 Internal Server Error",
    )
    return delivery


def test_the_page_lists_listeners_and_deliveries(admin_client, staff):
    delivery = failed_delivery(staff)

    response = admin_client.get(reverse("hub:webhooks"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "https://crm.example.com/hooks" in page
    assert f'id="delivery-{delivery.pk}"' in page
    assert "HTTP 500 Internal Server Error" in page
    assert 'href="/settings/webhooks/"' in page  # the nav link


def test_the_deliveries_filter_by_status(admin_client, staff):
    delivery = failed_delivery(staff)

    failed = admin_client.get(reverse("hub:webhooks"), {"status": "failed"}).content.decode()
    delivered = admin_client.get(reverse("hub:webhooks"), {"status": "delivered"}).content.decode()

    assert f'id="delivery-{delivery.pk}"' in failed
    assert f'id="delivery-{delivery.pk}"' not in delivered
    assert "No deliveries delivered." in delivered


def test_staff_who_are_not_admins_may_not_see_it(client, staff):
    client.force_login(staff)

    assert client.get(reverse("hub:webhooks")).status_code == 403
    assert 'href="/settings/webhooks/"' not in client.get(reverse("api_ui:token_list")).content.decode()


def test_redeliver_with_htmx_answers_the_row_queued_again(admin_client, staff):
    delivery = failed_delivery(staff)

    response = admin_client.post(reverse("hub:delivery_redeliver", args=[delivery.pk]), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    row = response.content.decode()
    assert row.lstrip().startswith(f'<tr id="delivery-{delivery.pk}">')
    assert "Pending" in row
    assert "Redeliver" not in row
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)


def test_redeliver_without_javascript_redirects_back_with_a_message(admin_client, staff):
    delivery = failed_delivery(staff)

    response = admin_client.post(reverse("hub:delivery_redeliver", args=[delivery.pk]), follow=True)

    assert response.redirect_chain == [(reverse("hub:webhooks"), 302)]
    assert "ServiceStateChangeEvent queued again for https://crm.example.com/hooks." in response.content.decode()


def test_redelivering_a_queued_delivery_shows_why_not(admin_client, staff):
    subscribe(staff, "https://crm.example.com/hooks")
    delivery = queued_suspension()

    response = admin_client.post(reverse("hub:delivery_redeliver", args=[delivery.pk]), HTTP_HX_REQUEST="true")

    assert "This delivery is already queued." in response.content.decode()


def test_the_delivery_page_shows_each_attempt_and_the_body(admin_client, staff, receiver):
    from headend.hub import services

    subscription = subscribe(staff, receiver.url)
    delivery = queued_suspension()
    receiver.statuses.append(503)
    services.deliveries_send_due()

    page = admin_client.get(reverse("hub:delivery_detail", args=[delivery.pk])).content.decode()

    assert "HTTP 503" in page
    assert "HTTP 503 Service Unavailable" in page
    assert f"{receiver.url}/listener/serviceStateChangeEvent" in page
    assert "&quot;eventType&quot;: &quot;ServiceStateChangeEvent&quot;" in page
    assert subscription.secret not in page


def test_removing_a_listener_cancels_what_waits(admin_client, staff):
    subscription = subscribe(staff, "https://crm.example.com/hooks")
    delivery = queued_suspension()

    response = admin_client.post(reverse("hub:subscription_delete", args=[subscription.pk]))

    assert response.status_code == 302
    assert Subscription.objects.get().deleted_at is not None
    delivery.refresh_from_db()
    assert delivery.status == "cancelled"
    assert "https://crm.example.com/hooks</code></td>" not in admin_client.get(reverse("hub:webhooks")).content.decode()
