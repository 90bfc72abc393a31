import pytest
from django.core import mail

from headend.crm import services as crm_services
from headend.crm.models import CustomerEmail
from headend.fulfillment import selectors
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import Technician, WorkOrder
from headend.inventory import services as inventory_services
from tests.factories import make_account, make_quote, make_user

pytestmark = pytest.mark.django_db


def accepted_work_order() -> WorkOrder:
    account = make_account(email="office@example.com")
    crm_services.contact_create(account=account, first_name="Jo", last_name="Buyer", email="jo@example.com")
    return WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted", account=account))


def test_the_contact_is_emailed_once_when_the_service_goes_live(run_worker):
    work_order = accepted_work_order()
    for name in ("Schedule", "Install", "Activate"):
        fulfillment_services.task_complete(task=work_order.tasks.get(name=name), completed_by=None)

    run_worker()
    run_worker()

    product = work_order.service.product_version.product.name
    assert [(m.to, m.subject) for m in mail.outbox] == [(["jo@example.com"], f"Headend Fiber: your {product} is live")]
    assert CustomerEmail.objects.get().sent_at is not None


def test_resuming_a_suspended_service_sends_no_live_email(run_worker):
    work_order = accepted_work_order()
    for name in ("Schedule", "Install", "Activate"):
        fulfillment_services.task_complete(task=work_order.tasks.get(name=name), completed_by=None)
    run_worker()
    service = work_order.service
    inventory_services.service_suspend(service=service, reason="non-payment")
    inventory_services.service_resume(service=service)

    run_worker()

    assert len(mail.outbox) == 1


def test_the_contact_is_emailed_when_the_appointment_is_booked(run_worker):
    from headend.catalog.services import TaskSpec
    from tests.factories import make_product

    version = make_product(tasks=[TaskSpec("Install", needs_appointment=True)])
    account = make_account(email="office@example.com")
    work_order = WorkOrder.objects.get(
        order_line__order__quote=make_quote(status="accepted", account=account, version=version)
    )
    Technician.objects.create(user=make_user("provisioning"))
    task = work_order.tasks.get()
    slot = selectors.appointment_slots(task=task)[0]
    fulfillment_services.appointment_book(task=task, start=slot.start, booked_by=None)

    run_worker()

    assert mail.outbox[0].to == ["office@example.com"]
    assert "your visit is booked for" in mail.outbox[0].subject
    assert work_order.service.location.one_line in mail.outbox[0].body
