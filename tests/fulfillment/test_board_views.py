import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from headend.catalog.models import WorkOrderTemplate
from headend.core import clock
from headend.core.models import OutboxEvent
from headend.fulfillment import services
from headend.fulfillment.models import WorkOrder
from headend.inventory.models import Service, ServiceStatusChange
from headend.quoting import services as quoting_services
from tests.conftest import FROZEN_AT
from tests.factories import make_account, make_location, make_product, make_user

pytestmark = pytest.mark.django_db

SCRIPT = {"HTTP_HX_REQUEST": "true"}  # what the board's script sends with a drop


def accepted_work_order(*, city: str = "Eastport", version=None) -> WorkOrder:
    """An order's one work order (Schedule, Install, Activate) at a site in `city`."""
    account = make_account()
    quote = quoting_services.quote_create(account=account, name="Board test")
    quoting_services.quote_line_add(
        quote=quote,
        location=make_location(account, city=city),
        product_version=version or make_product(),
        term_months=12,
    )
    quoting_services.quote_accept(quote=quoting_services.quote_present(quote=quote), accepted_by_name="Pat")
    return WorkOrder.objects.get(order_line__order__quote=quote)


def finish_all_tasks(work_order: WorkOrder, *, at: dt.datetime) -> WorkOrder:
    with clock.frozen(at):
        for task in work_order.tasks.order_by("position"):
            services.task_complete(task=task, completed_by=make_user("provisioning"))
    work_order.refresh_from_db()
    return work_order


def board(client, **params) -> dict[str, list[str]]:
    response = client.get(reverse("fulfillment:board"), params)
    assert response.status_code == 200
    return {column.status: [card.work_order.number for card in column.cards] for column in response.context["columns"]}


def move(client, work_order: WorkOrder, to: str, data: dict | None = None, **extra):
    url = reverse("fulfillment:work_order_move", args=[work_order.pk])
    return client.post(url, {"to": to, **(data or {})}, **extra)


# Reading the board


def test_board_has_a_column_per_work_order_status_with_the_cards_in_theirs(client):
    client.force_login(make_user("sales"))
    waiting = accepted_work_order()
    started = accepted_work_order()
    services.task_start(task=started.tasks.get(position=1), started_by=make_user("provisioning"))

    response = client.get(reverse("fulfillment:board"))

    columns = response.context["columns"]
    assert [(c.status, c.label) for c in columns] == [
        ("pending", "Not started"),
        ("in_progress", "In progress"),
        ("completed", "Completed"),
        ("cancelled", "Cancelled"),
    ]
    assert [[card.work_order.pk for card in c.cards] for c in columns] == [[waiting.pk], [started.pk], [], []]
    page = response.content.decode()
    assert f'action="{reverse("fulfillment:work_order_move", args=[waiting.pk])}"' not in page  # sales: no form
    assert f'href="{waiting.get_absolute_url()}"' in page  # without JavaScript, the card is a link


def test_board_card_shows_go_live_against_plan_and_who_is_assigned(client):
    client.force_login(make_user("provisioning"))
    work_order = accepted_work_order()
    technician = make_user("provisioning", first_name="Sam", last_name="Splicer")
    install = work_order.tasks.get(name="Install")
    services.task_assign(task=install, assignee=technician, assigned_by=technician)
    services.task_reschedule(task=install, not_before=FROZEN_AT + dt.timedelta(days=1), rescheduled_by=technician)

    card = client.get(reverse("fulfillment:board")).context["columns"][0].cards[0]

    work_order.refresh_from_db()
    assert work_order.forecast_finish > work_order.planned_finish
    assert card.assignees == ("Sam Splicer",)
    assert card.slip == "8 h 45 min"  # go-live Mon 12:35 -> Tue 12:20, on a 08:00-17:00 day
    # A slip within the promise (the delivery target, weeks away) is not late.
    assert (card.overdue, card.late_by) == (False, "")


def test_board_shows_completed_work_orders_for_30_days(client):
    client.force_login(make_user("provisioning"))
    recent = finish_all_tasks(accepted_work_order(), at=FROZEN_AT - dt.timedelta(days=30))
    older = finish_all_tasks(accepted_work_order(), at=FROZEN_AT - dt.timedelta(days=30, minutes=1))

    cards = board(client)

    assert (recent.status, older.status) == ("completed", "completed")
    assert cards["completed"] == [recent.number]


def test_board_filters_by_region_product_assignee_and_late(client):
    client.force_login(make_user("provisioning"))
    lubec = accepted_work_order(city="Lubec")
    other_product = make_product()
    eastport = accepted_work_order(city="Eastport", version=other_product)
    technician = make_user("provisioning")
    services.task_assign(task=eastport.tasks.get(position=1), assignee=technician, assigned_by=technician)
    late = accepted_work_order(city="Eastport")
    # Late: past its committed finish (20 working days from the order) and the grace.
    services.task_reschedule(
        task=late.tasks.get(position=1), not_before=FROZEN_AT + dt.timedelta(days=40), rescheduled_by=technician
    )
    slipped = accepted_work_order(city="Eastport")  # two days behind its plan, well within the promise
    services.task_reschedule(
        task=slipped.tasks.get(position=1), not_before=FROZEN_AT + dt.timedelta(days=2), rescheduled_by=technician
    )

    assert board(client)["pending"] == [lubec.number, eastport.number, slipped.number, late.number]
    assert board(client, region="lubec")["pending"] == [lubec.number]
    assert board(client, product=other_product.product_id)["pending"] == [eastport.number]
    assert board(client, assignee=technician.pk)["pending"] == [eastport.number]
    assert board(client, overdue="1")["pending"] == [late.number]
    assert board(client, region="Lubec", overdue="1")["pending"] == []


def test_board_filters_offer_regions_products_and_people(client):
    client.force_login(make_user("provisioning", username="zed"))
    work_order = accepted_work_order(city="Lubec")

    choices = client.get(reverse("fulfillment:board")).context["choices"]

    product = work_order.order_line.product_version.product
    assert choices.regions == ["Lubec"]
    assert choices.products == [(product.pk, product.name)]
    assert [name for _, name in choices.assignees] == ["zed"]


def test_board_needs_a_staff_role(client):
    client.force_login(make_user())

    response = client.get(reverse("fulfillment:board"))

    assert response.status_code == 403


# Moving a card


def test_dropping_a_work_order_in_progress_starts_its_first_ready_task(client):
    mover = make_user("provisioning")
    client.force_login(mover)
    work_order = accepted_work_order()

    response = move(client, work_order, "in_progress", **SCRIPT)

    assert response.status_code == 200
    assert f'id="card-{work_order.pk}"' in response.content.decode()
    assert 'data-status="in_progress"' in response.content.decode()
    work_order.refresh_from_db()
    schedule = work_order.tasks.get(position=1)
    assert (work_order.status, work_order.started_at) == ("in_progress", FROZEN_AT)
    assert (schedule.status, schedule.started_at, schedule.assignee) == ("in_progress", FROZEN_AT, mover)


def test_dropping_a_work_order_in_completed_with_open_tasks_is_409_with_the_reason_and_changes_nothing(client):
    client.force_login(make_user("provisioning"))
    work_order = accepted_work_order()
    events_before = OutboxEvent.objects.count()

    response = move(client, work_order, "completed", **SCRIPT)

    assert response.status_code == 409
    assert response.content.decode() == (
        "A work order completes when its tasks are done; still open: 1. Schedule, 2. Install, 3. Activate."
    )
    work_order.refresh_from_db()
    assert work_order.status == "pending"
    assert list(work_order.tasks.values_list("status", flat=True)) == ["ready", "pending", "pending"]
    assert OutboxEvent.objects.count() == events_before


def test_move_form_without_javascript_redirects_to_the_board_with_its_filters(client):
    client.force_login(make_user("provisioning"))
    work_order = accepted_work_order(city="Lubec")

    response = move(client, work_order, "in_progress", {"region": "Lubec", "overdue": ""})

    assert response.status_code == 302
    assert response["Location"] == reverse("fulfillment:board") + "?region=Lubec"
    work_order.refresh_from_db()
    assert work_order.status == "in_progress"


def test_refused_move_without_javascript_shows_the_board_with_the_reason(client):
    client.force_login(make_user("provisioning"))
    work_order = accepted_work_order()

    response = move(client, work_order, "cancelled")

    assert response.status_code == 409
    assert "Cancel the order to cancel its work orders." in response.content.decode()
    assert [c.status for c in response.context["columns"]] == ["pending", "in_progress", "completed", "cancelled"]
    work_order.refresh_from_db()
    assert work_order.status == "pending"


def test_sales_cannot_move_work_orders(client):
    client.force_login(make_user("sales", "support"))
    work_order = accepted_work_order()

    response = move(client, work_order, "in_progress", **SCRIPT)

    assert response.status_code == 403
    work_order.refresh_from_db()
    assert work_order.status == "pending"


@pytest.mark.parametrize("work_order_id", [999_999, 0])
def test_moving_an_unknown_work_order_is_404(client, work_order_id):
    client.force_login(make_user("provisioning"))
    accepted_work_order()

    response = client.post(reverse("fulfillment:work_order_move", args=[work_order_id]), {"to": "in_progress"})

    assert response.status_code == 404


def test_moving_needs_post(client):
    client.force_login(make_user("provisioning"))
    work_order = accepted_work_order()

    response = client.get(reverse("fulfillment:work_order_move", args=[work_order.pk]), {"to": "in_progress"})

    assert response.status_code == 405


# The service board


def active_service() -> Service:
    """A live service whose product leaves suspension to staff (a catalog from before every
    product had suspend and restore work): the board moves its status directly."""
    work_order = finish_all_tasks(accepted_work_order(), at=FROZEN_AT - dt.timedelta(days=1))
    service = Service.objects.get(pk=work_order.service_id)
    WorkOrderTemplate.objects.filter(
        product=service.product_version.product, action__in=["suspend", "restore", "delete"]
    ).delete()
    return service


def service_move(client, service: Service, to: str, **extra):
    return client.post(reverse("inventory:service_move", args=[service.pk]), {"to": to}, **extra)


def test_service_board_has_a_column_per_service_status(client):
    client.force_login(make_user("support"))
    live = active_service()
    waiting = Service.objects.get(pk=accepted_work_order().service_id)

    response = client.get(reverse("inventory:service_board"))

    columns = response.context["columns"]
    assert [c.label for c in columns] == [
        "Pending",
        "Provisioning",
        "Active",
        "Suspended",
        "Pending disconnect",
        "Disconnected",
    ]
    assert {c.status: [card.service.pk for card in c.cards] for c in columns if c.cards} == {
        "pending": [waiting.pk],
        "active": [live.pk],
    }
    assert columns[0].cards[0].work.work_order.service_id == waiting.pk  # the open work order that moves it


def test_service_board_filters_by_region(client):
    client.force_login(make_user("support"))
    Service.objects.get(pk=accepted_work_order(city="Lubec").service_id)
    eastport = Service.objects.get(pk=accepted_work_order(city="Eastport").service_id)

    response = client.get(reverse("inventory:service_board"), {"region": "Eastport"})

    assert [card.service.pk for card in response.context["columns"][0].cards] == [eastport.pk]


def test_dropping_an_active_service_in_suspended_suspends_it(client):
    client.force_login(make_user("support"))
    service = active_service()

    response = service_move(client, service, "suspended", **SCRIPT)

    assert response.status_code == 200
    assert 'data-status="suspended"' in response.content.decode()
    service.refresh_from_db()
    assert (service.status, service.status_changed_at) == ("suspended", FROZEN_AT)
    change = ServiceStatusChange.objects.filter(service=service).last()
    assert (change.from_status, change.to_status) == ("active", "suspended")
    assert change.reason.startswith("moved on the board by ")


def test_dropping_a_pending_service_in_active_is_409_with_the_reason(client):
    client.force_login(make_user("provisioning"))
    service = Service.objects.get(pk=accepted_work_order().service_id)

    response = service_move(client, service, "active", **SCRIPT)

    assert response.status_code == 409
    assert "turn-up task is done" in response.content.decode()
    service.refresh_from_db()
    assert service.status == "pending"


def test_billing_may_suspend_on_the_board_as_on_the_service_page_and_the_api(client):
    client.force_login(make_user("billing"))
    service = active_service()

    response = service_move(client, service, "suspended", **SCRIPT)

    assert response.status_code == 200
    service.refresh_from_db()
    assert service.status == "suspended"


def test_sales_cannot_move_services(client):
    client.force_login(make_user("sales"))
    service = active_service()

    response = service_move(client, service, "suspended", **SCRIPT)

    assert response.status_code == 403
    service.refresh_from_db()
    assert service.status == "active"


def test_moving_an_unknown_service_is_404(client):
    client.force_login(make_user("support"))
    active_service()

    response = client.post(reverse("inventory:service_move", args=[999_999]), {"to": "suspended"})

    assert response.status_code == 404


def test_board_reads_the_same_number_of_queries_for_one_work_order_or_many(client):
    technician = make_user("provisioning")
    client.force_login(technician)
    work_order = accepted_work_order()
    services.task_assign(task=work_order.tasks.get(position=1), assignee=technician, assigned_by=technician)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("fulfillment:board"))
    for _ in range(3):
        more = accepted_work_order(city="Lubec")
        services.task_assign(task=more.tasks.get(position=1), assignee=make_user(), assigned_by=technician)

    with CaptureQueriesContext(connection) as many:
        client.get(reverse("fulfillment:board"))

    assert len(many) == len(one)
