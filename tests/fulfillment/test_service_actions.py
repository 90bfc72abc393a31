"""Suspend, restore and disconnect a live service outside an order: a work order from the
product's template for that action, whose turn-up task changes the service's status."""

import pytest

from headend.catalog.services import TaskSpec
from headend.core.errors import Conflict, ValidationError
from headend.fulfillment import services
from headend.fulfillment.models import Task, WorkOrder
from headend.inventory.models import Service
from tests.conftest import FROZEN_AT, outbox_names
from tests.factories import make_account, make_live_service, make_live_service_with_actions, make_product, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def live():
    return make_live_service_with_actions()


def run_code(work_order: WorkOrder) -> Task:
    task = work_order.tasks.get()
    services.task_run_code(task_id=task.pk)
    return Task.objects.get(pk=task.pk)


def test_suspend_makes_a_work_order_whose_code_task_suspends_the_service(live):
    person = make_user("support")

    work_order = services.service_action_request(
        service=live, action="suspend", reason="Non-payment", requested_by=person
    )

    assert (work_order.order_line, work_order.action, work_order.requested_by) == (None, "suspend", person)
    assert work_order.name.startswith("Suspend internet: ")
    assert work_order.forecast_finish is not None
    assert Service.objects.get(pk=live.pk).status == "active"  # until the network is changed
    assert run_code(work_order).status == "done"
    live.refresh_from_db()
    assert live.status == "suspended"
    assert live.status_changes.last().reason.startswith("Non-payment")
    assert WorkOrder.objects.get(pk=work_order.pk).status == "completed"


def test_restore_brings_a_suspended_service_back(live):
    run_code(services.service_action_request(service=live, action="suspend", reason="Non-payment", requested_by=None))

    run_code(services.service_action_request(service=live, action="restore", reason="Paid", requested_by=None))

    assert Service.objects.get(pk=live.pk).status == "active"


def test_disconnect_asks_at_once_and_ends_billing_when_the_network_is_done(live):
    work_order = services.service_action_request(
        service=live, action="delete", reason="Customer moved away", requested_by=None
    )
    assert Service.objects.get(pk=live.pk).status == "pending_disconnect"

    run_code(work_order)

    live.refresh_from_db()
    assert (live.status, live.billable_until) == ("disconnected", FROZEN_AT)
    assert "work_order.created" in outbox_names(subject=work_order)


def test_an_action_that_does_not_fit_the_status_is_refused(live):
    with pytest.raises(Conflict) as error:
        services.service_action_request(service=live, action="restore", reason="Paid", requested_by=None)
    assert (error.value.code, error.value.message) == ("invalid_transition", "A active service cannot be restored.")


def test_one_change_at_a_time(live):
    services.service_action_request(service=live, action="suspend", reason="Non-payment", requested_by=None)
    with pytest.raises(Conflict) as error:
        services.service_action_request(service=live, action="delete", reason="Gone", requested_by=None)
    assert error.value.code == "change_in_flight"
    assert WorkOrder.objects.filter(service=live, order_line=None).count() == 1


def test_a_reason_is_required_and_nothing_is_written_without_it(live):
    with pytest.raises(ValidationError) as error:
        services.service_action_request(service=live, action="suspend", reason="  ", requested_by=None)
    assert error.value.field == "reason"
    assert not WorkOrder.objects.filter(order_line=None).exists()


def test_a_product_without_the_template_is_refused():
    service = make_live_service(make_account(), make_product(tasks=[TaskSpec("Install")]))
    # A catalog from before publishing required every template.
    service.product_version.product.templates.filter(action="suspend").delete()
    with pytest.raises(Conflict) as error:
        services.service_action_request(service=service, action="suspend", reason="Non-payment", requested_by=None)
    assert error.value.code == "no_template"
    assert Service.objects.get(pk=service.pk).status == "active"


def test_an_unknown_action_is_refused(live):
    with pytest.raises(ValidationError) as error:
        services.service_action_request(service=live, action="explode", reason="x", requested_by=None)
    assert error.value.field == "action"
