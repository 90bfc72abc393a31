"""Who did it (issue 12): every outbox event names the user it was done for, and the quote,
order and service pages list what happened to them, by whom and when."""

import pytest

from headend.core import audit, events
from headend.core.models import OutboxEvent
from headend.quoting import services as quoting
from tests.factories import make_account, make_change_catalog, make_live_service, make_quote, make_user

pytestmark = pytest.mark.django_db


def test_an_event_names_the_user_the_worker_acts_for():
    quote = make_quote()
    user = make_user("sales")

    with audit.acting_for(user):
        event = events.emit("quote.noted", subject=quote)

    assert event.actor == user


def test_an_event_of_the_system_names_nobody():
    event = events.emit("quote.noted", subject=make_quote())

    assert event.actor is None


def test_a_request_names_its_user_on_the_events_it_emits(client):
    user = make_user("sales")
    client.force_login(user)
    account = make_account()

    client.post("/quotes/new/", {"account": account.pk, "name": "From the page"})

    event = OutboxEvent.objects.get(name="quote.created")
    assert event.actor == user


def test_the_quote_page_lists_what_happened_by_whom(client):
    maker = make_user("sales", username="pat", first_name="Pat", last_name="Seller")
    quote = quoting.quote_create(account=make_account(), name="Deal", created_by=maker)
    with audit.acting_for(maker):
        events.emit("quote.presented", subject=quote)
    client.force_login(make_user("sales"))

    page = client.get(quote.get_absolute_url()).content.decode()

    assert 'id="activity"' in page
    assert "Presented" in page
    assert "Pat Seller" in page


def test_the_order_and_service_pages_list_their_activity(client):
    service = make_live_service(make_account(), make_change_catalog()["gig"])
    client.force_login(make_user("support"))

    service_page = client.get(service.get_absolute_url()).content.decode()
    order_page = client.get(service.order_line.order.get_absolute_url()).content.decode()

    assert 'id="activity"' in service_page
    assert "<td>Active</td>" in service_page
    assert 'id="activity"' in order_page
    assert "Completed" in order_page
