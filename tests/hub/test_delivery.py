"""Queueing deliveries as the outbox is relayed, and sending them: signed, retried, in order."""

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.core.management import call_command

from headend.core import clock, events
from headend.core.models import OutboxEvent
from headend.hub import envelopes, services, signatures
from headend.hub.models import Delivery, DeliveryAttempt
from headend.inventory import services as inventory_services
from tests.api.tmf_schema import assert_valid
from tests.conftest import FROZEN_AT
from tests.factories import make_account, make_quote, make_user
from tests.hub.conftest import SECRET, active_service, queued_suspension, settle, subscribe
from tests.hub.receiver import Receiver

# The receivers listen on 127.0.0.1, which the outbound policy refuses unless allowed.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_allowed")]


def attempts_of(delivery: Delivery) -> list[tuple[int, int | None, str]]:
    return list(DeliveryAttempt.objects.filter(delivery=delivery).values_list("number", "status_code", "error"))


# --- Queueing -----------------------------------------------------------------------------------


def test_relay_queues_one_delivery_per_subscription_that_wants_the_event(staff):
    every_service_event = subscribe(staff, "https://a.example.com/hooks/")
    subscribe(staff, "https://b.example.com", query="eventType=ServiceCreateEvent")
    subscribe(staff, "https://c.example.com", api="quoteManagement/v4")
    all_state_changes = subscribe(
        staff, "https://d.example.com?x=1", api="event/v4", query="eventType=ServiceStateChangeEvent"
    )
    service = active_service()

    inventory_services.service_suspend(service=service, reason="non-payment")
    events.relay()

    assert sorted(Delivery.objects.values_list("subscription_id", "event_type", "subject_key", "url", "status")) == [
        (
            every_service_event.pk,
            "ServiceStateChangeEvent",
            f"service/{service.pk}",
            "https://a.example.com/hooks/listener/serviceStateChangeEvent",
            "pending",
        ),
        (
            all_state_changes.pk,
            "ServiceStateChangeEvent",
            f"service/{service.pk}",
            "https://d.example.com/listener/serviceStateChangeEvent?x=1",
            "pending",
        ),
    ]
    assert set(Delivery.objects.values_list("next_attempt_at", flat=True)) == {FROZEN_AT}


def test_the_envelope_is_the_tmf_event_with_the_service_as_the_api_shows_it(staff, staff_api, settings):
    settings.HEADEND_SITE_URL = "http://testserver"  # the API client's host, so hrefs compare
    subscribe(staff, "https://a.example.com/hooks")

    delivery = queued_suspension()

    envelope = json.loads(delivery.body)
    assert_valid(envelope, api="638", definition="ServiceStateChangeEvent")
    assert_valid(envelope, api="688", definition="Event")
    service_id = delivery.subject_key.split("/")[1]
    event = OutboxEvent.objects.get(name="service.suspended")
    assert {key: value for key, value in envelope.items() if key != "event"} == {
        "eventId": str(event.event_id),
        "eventTime": "2026-03-02T15:00:00Z",
        "eventType": "ServiceStateChangeEvent",
        "timeOcurred": "2026-03-02T15:00:00Z",
        "title": "service.suspended",
        "domain": "serviceInventory",
        "source": {
            "id": service_id,
            "href": f"http://testserver/tmf-api/serviceInventory/v4/service/{service_id}",
            "@referredType": "Service",
        },
        "reportingSystem": {"id": "headend", "name": settings.HEADEND_PROVIDER_NAME},
    }
    assert envelope["event"] == {"service": staff_api.get(f"/serviceInventory/v4/service/{service_id}").json()}
    assert envelope["event"]["service"]["state"] == "inactive"


@pytest.mark.parametrize(
    ("name", "spec", "definition", "resource"),
    [
        ("order.created", "622", "ProductOrderCreateEvent", "productOrder"),
        ("quote.accepted", "648", "QuoteStateChangeEvent", "quote"),
        ("work_order.created", "697", "WorkOrderCreateEvent", "workOrder"),
    ],
)
def test_order_quote_and_work_order_envelopes_follow_their_swagger(staff, name, spec, definition, resource):
    api = {"622": "productOrderingManagement/v4", "648": "quoteManagement/v4", "697": "workOrderManagement/v4"}[spec]
    subscribe(staff, "https://a.example.com/hooks", api=api, query=f"eventType={definition}")

    make_quote(status="accepted")
    events.relay()

    delivery = Delivery.objects.get(outbox_event__name=name)
    envelope = json.loads(delivery.body)
    assert_valid(envelope, api=spec, definition=definition)
    assert envelope["eventType"] == definition
    assert list(envelope["event"]) == [resource]
    assert envelope["event"][resource]["id"] == delivery.subject_key.split("/")[1]


def test_an_orders_cancellation_is_sent_in_order_with_the_orders_own_events(staff):
    from headend.orders import services as orders_services

    subscribe(staff, "https://a.example.com/hooks", api="productOrderingManagement/v4")
    order = make_quote(status="accepted").order
    settle()

    orders_services.order_cancel(order=order, reason="customer moved", cancelled_by=make_user("sales"))
    events.relay()

    cancellation = Delivery.objects.get(event_type="CancelProductOrderCreateEvent")
    envelope = json.loads(cancellation.body)
    assert_valid(envelope, api="622", definition="CancelProductOrderCreateEvent")
    assert envelope["event"]["cancelProductOrder"]["cancellationReason"] == "customer moved"
    assert set(Delivery.objects.values_list("subject_key", flat=True)) == {f"productOrder/{order.pk}"}


def test_task_moves_are_attribute_changes_of_their_work_order(staff):
    subscribe(staff, "https://a.example.com/hooks", api="workOrderManagement/v4")
    settle()
    quote = make_quote(status="accepted")
    settle()
    work_order = quote.order.lines.get().work_order
    task = work_order.tasks.first()
    account = make_account()

    events.emit("task.blocked", subject=task, data={"reason": "no access"})
    events.emit("account.updated", subject=account)  # not sent to listeners
    events.relay()

    delivery = Delivery.objects.get()
    envelope = json.loads(delivery.body)
    assert_valid(envelope, api="697", definition="WorkOrderAttributeValueChangeEvent")
    assert (delivery.event_type, delivery.subject_key) == (
        "WorkOrderAttributeValueChangeEvent",
        f"workOrder/{work_order.pk}",
    )
    assert (envelope["fieldPath"], envelope["event"]["workOrder"]["id"]) == ("workOrderItem", str(work_order.pk))


@pytest.mark.parametrize(
    ("name", "event_type"),
    [
        ("service.active", "ServiceStateChangeEvent"),
        ("service.identified", "ServiceAttributeValueChangeEvent"),
        ("order.completed", "ProductOrderStateChangeEvent"),
        ("order.cancel_requested", "CancelProductOrderCreateEvent"),
        ("quote.accepted", "QuoteStateChangeEvent"),
        ("quote.approval_approved", "QuoteAttributeValueChangeEvent"),
        ("work_order.completed", "WorkOrderStateChangeEvent"),
        ("task.failed", "WorkOrderAttributeValueChangeEvent"),
        ("account.created", None),
        ("appointment.booked", None),
        ("serviceX.active", None),
    ],
)
def test_outbox_names_map_to_tmf_event_types(name, event_type):
    found = envelopes.notification_for(name)

    assert (found.event_type if found else None) == event_type


def test_queueing_commits_with_the_event_being_published(staff):
    subscribe(staff, "https://a.example.com/hooks")
    service = active_service()

    def explode(event):
        raise RuntimeError("a later handler fails")

    events.subscribe(events.EVERY_EVENT)(explode)  # runs after the hub's handler
    try:
        inventory_services.service_suspend(service=service, reason="non-payment")
        events.relay()
        assert Delivery.objects.count() == 0
        assert OutboxEvent.objects.get(name="service.suspended").published_at is None
    finally:
        events._handlers[events.EVERY_EVENT].remove(explode)

    events.relay()

    assert Delivery.objects.count() == 1
    assert OutboxEvent.objects.get(name="service.suspended").published_at == FROZEN_AT


def test_queueing_an_event_twice_adds_nothing(staff):
    subscribe(staff, "https://a.example.com/hooks")
    delivery = queued_suspension()

    services.deliveries_queue(event=delivery.outbox_event)

    assert Delivery.objects.count() == 1


def test_events_listeners_are_not_sent_queue_nothing(staff):
    subscribe(staff, "https://a.example.com/hooks", api="event/v4")
    settle()

    make_account()
    published = events.relay()

    assert published == 1
    assert not Delivery.objects.exists()


def test_a_listener_whose_owner_left_is_sent_nothing(staff):
    subscribe(staff, "https://a.example.com/hooks")
    service = active_service()
    staff.is_active = False
    staff.save()

    inventory_services.service_suspend(service=service, reason="non-payment")
    events.relay()

    assert not Delivery.objects.exists()


# --- Sending ------------------------------------------------------------------------------------


def test_send_posts_the_signed_envelope_to_the_listener_path(staff, receiver):
    subscribe(staff, f"{receiver.url}/hooks")
    delivery = queued_suspension()

    tried = services.deliveries_send_due()

    assert tried == 1
    (received,) = receiver.received
    assert received.path == "/hooks/listener/serviceStateChangeEvent"
    assert received.body == delivery.body.encode()
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["X-Headend-Event-Id"] == str(delivery.outbox_event.event_id)
    assert received.headers["X-Headend-Event-Type"] == "ServiceStateChangeEvent"
    timestamp = int(FROZEN_AT.timestamp())
    mac = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    assert received.headers["X-Headend-Signature"] == f"t={timestamp},v1={mac}"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.delivered_at, delivery.next_attempt_at) == ("delivered", FROZEN_AT, None)
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (1, 201, "")
    (attempt,) = DeliveryAttempt.objects.filter(delivery=delivery)
    assert (attempt.number, attempt.status_code, attempt.error, attempt.finished_at) == (1, 201, "", FROZEN_AT)
    assert attempt.duration_ms is not None


def test_a_receiver_with_another_secret_refuses_the_signature_and_it_is_retried(staff):
    with Receiver(secret="not-the-secret-it-was-signed-with") as receiver:
        subscribe(staff, receiver.url)
        delivery = queued_suspension()

        services.deliveries_send_due()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("pending", 401)
    assert delivery.last_error == "HTTP 401 Unauthorized"
    assert receiver.applied == []


def test_verify_accepts_the_signature_within_the_tolerance_and_nothing_else():
    header = signatures.sign(SECRET, 1_000_000, b'{"a": 1}')

    assert signatures.verify(SECRET, header, b'{"a": 1}', now=1_000_300)
    assert not signatures.verify(SECRET, header, b'{"a": 1}', now=1_000_301)
    assert not signatures.verify(SECRET, header, b'{"a": 2}', now=1_000_000)
    assert not signatures.verify("another-secret-entirely", header, b'{"a": 1}', now=1_000_000)
    assert not signatures.verify(SECRET, "v1=abc", b'{"a": 1}', now=1_000_000)


def test_a_500_is_logged_and_retried_after_the_backoff(staff, receiver):
    subscribe(staff, receiver.url)
    delivery = queued_suspension()
    receiver.statuses.append(500)

    services.deliveries_send_due()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        "pending",
        1,
        FROZEN_AT + dt.timedelta(seconds=30),
    )
    assert (delivery.last_status_code, delivery.last_error) == (500, "HTTP 500 Internal Server Error")
    assert services.deliveries_send_due() == 0  # not due yet
    with clock.frozen(FROZEN_AT + dt.timedelta(seconds=29)):
        assert services.deliveries_send_due() == 0
    with clock.frozen(FROZEN_AT + dt.timedelta(seconds=30)):
        assert services.deliveries_send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert attempts_of(delivery) == [(1, 500, "HTTP 500 Internal Server Error"), (2, 201, "")]
    assert len(receiver.received) == 2
    assert receiver.applied_ids() == [str(delivery.outbox_event.event_id)]


def test_a_timeout_is_logged_and_retried(staff, receiver, settings):
    settings.HEADEND_HTTP_TIMEOUT = 0.2
    receiver.delay = 1.0
    subscribe(staff, receiver.url)
    delivery = queued_suspension()

    services.deliveries_send_due()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error == "No answer within 0.2 s (timeout)."
    assert delivery.next_attempt_at == FROZEN_AT + dt.timedelta(seconds=30)
    assert attempts_of(delivery) == [(1, None, "No answer within 0.2 s (timeout).")]


def test_an_unreachable_listener_is_logged_and_retried(staff):
    with Receiver() as gone:
        url = gone.url  # a port nobody listens on once the server is closed
    subscribe(staff, url)
    delivery = queued_suspension()

    services.deliveries_send_due()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("pending", None)
    assert delivery.last_error.startswith("ConnectError")


@pytest.mark.parametrize(
    ("attempt", "seconds"), [(1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (9, 3600), (40, 3600)]
)
def test_the_backoff_doubles_from_30_seconds_up_to_an_hour(attempt, seconds):
    assert services.backoff(attempt) == dt.timedelta(seconds=seconds)


def test_after_the_last_attempt_the_delivery_fails_and_a_person_can_redeliver(staff, receiver, settings):
    settings.HEADEND_WEBHOOK_MAX_ATTEMPTS = 3
    subscribe(staff, receiver.url)
    delivery = queued_suspension()
    receiver.statuses.extend([500, 503, 500])

    for offset in (0, 30, 90):
        with clock.frozen(FROZEN_AT + dt.timedelta(seconds=offset)):
            assert services.deliveries_send_due() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    with clock.frozen(FROZEN_AT + dt.timedelta(days=1)):
        assert services.deliveries_send_due() == 0
        services.delivery_redeliver(delivery=delivery, requested_by=make_user("admin"))
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 0)
        assert services.deliveries_send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert [number for number, _, _ in attempts_of(delivery)] == [1, 2, 3, 4]


def test_redelivering_a_queued_delivery_is_a_conflict(staff):
    from headend.core.errors import Conflict

    subscribe(staff, "https://a.example.com/hooks")
    delivery = queued_suspension()

    with pytest.raises(Conflict):
        services.delivery_redeliver(delivery=delivery, requested_by=staff)


def test_deliveries_for_one_record_go_out_in_order_and_others_are_not_held_up(staff, receiver):
    subscribe(staff, receiver.url)
    first_service, second_service = active_service(), active_service()
    inventory_services.service_suspend(service=first_service, reason="non-payment")
    inventory_services.service_resume(service=first_service)
    inventory_services.service_suspend(service=second_service, reason="non-payment")
    events.relay()
    suspended, resumed, other = Delivery.objects.order_by("outbox_event")
    receiver.statuses.append(500)  # the first service's first event fails once

    assert services.deliveries_send_due() == 2  # its suspension (500) and the other service's
    assert services.deliveries_send_due() == 0  # the resumption waits for the suspension
    with clock.frozen(FROZEN_AT + dt.timedelta(seconds=30)):
        while services.deliveries_send_due():
            pass

    sent = receiver.event_ids()
    ids = {d.pk: str(d.outbox_event.event_id) for d in (suspended, resumed, other)}
    assert sent == [ids[suspended.pk], ids[other.pk], ids[suspended.pk], ids[resumed.pk]]
    assert receiver.applied_ids() == [ids[other.pk], ids[suspended.pk], ids[resumed.pk]]


def test_a_failed_delivery_holds_back_the_records_later_ones_until_redelivered(staff, receiver, settings):
    settings.HEADEND_WEBHOOK_MAX_ATTEMPTS = 1
    subscribe(staff, receiver.url)
    service = active_service()
    receiver.statuses.append(500)
    first = queued_suspension(service)
    services.deliveries_send_due()
    inventory_services.service_resume(service=service)
    events.relay()

    assert services.deliveries_send_due() == 0

    services.delivery_redeliver(delivery=first, requested_by=staff)
    assert services.deliveries_send_due() == 1
    assert services.deliveries_send_due() == 1
    assert [e["title"] for e in receiver.applied] == ["service.suspended", "service.active"]


def test_a_delivery_waits_while_an_earlier_event_of_its_record_is_not_relayed(staff, receiver):
    subscribe(staff, receiver.url)
    service = active_service()

    def explode(event):
        raise RuntimeError("downstream is down")

    events.subscribe("service.suspended")(explode)
    try:
        inventory_services.service_suspend(service=service, reason="non-payment")
        inventory_services.service_resume(service=service)
        events.relay()
        assert list(Delivery.objects.values_list("outbox_event__name", flat=True)) == ["service.active"]

        assert services.deliveries_send_due() == 0
    finally:
        events._handlers["service.suspended"].remove(explode)

    events.relay()
    while services.deliveries_send_due():
        pass
    assert [e["title"] for e in receiver.applied] == ["service.suspended", "service.active"]


def test_unsubscribing_stops_deliveries(staff, receiver):
    subscription = subscribe(staff, receiver.url)
    service = active_service()
    queued = queued_suspension(service)

    services.subscription_delete(subscription=subscription, deleted_by=staff)
    inventory_services.service_resume(service=service)
    events.relay()
    tried = services.deliveries_send_due()

    assert tried == 0
    assert receiver.received == []
    queued.refresh_from_db()
    assert queued.status == "cancelled"
    assert Delivery.objects.count() == 1


# --- The worker's turn --------------------------------------------------------------------------


def test_a_worker_turn_relays_then_sends(staff, receiver):
    subscribe(staff, receiver.url)
    service = active_service()
    inventory_services.service_suspend(service=service, reason="non-payment")

    done = events.work()

    assert done == 2  # one event published, one delivery sent
    assert [e["title"] for e in receiver.applied] == ["service.suspended"]


def test_the_one_shot_command_relays_and_sends_nothing(staff, receiver, capsys):
    subscribe(staff, receiver.url)
    service = active_service()
    inventory_services.service_suspend(service=service, reason="non-payment")

    call_command("relay_outbox")

    assert capsys.readouterr().out == "Published 1 events.\n"
    assert Delivery.objects.get().status == "pending"
    assert receiver.received == []
