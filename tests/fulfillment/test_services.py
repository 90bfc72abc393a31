import datetime as dt

import pytest

from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.core.errors import Conflict
from headend.fulfillment import services
from headend.fulfillment.models import Task, WorkOrder
from headend.inventory.models import Service
from tests.conftest import FROZEN_AT, outbox_names
from tests.factories import make_product, make_quote, make_user

pytestmark = pytest.mark.django_db


def accepted_work_order(**product) -> WorkOrder:
    quote = make_quote(status="accepted", version=make_product(**product) if product else None)
    return WorkOrder.objects.get(order_line__order__quote=quote)


def task(work_order: WorkOrder, name: str) -> Task:
    return work_order.tasks.get(name=name)


def test_work_order_copies_the_template_tasks_with_their_dependencies():
    work_order = accepted_work_order()

    tasks = list(work_order.tasks.order_by("position"))
    assert [(t.name, t.status) for t in tasks] == [
        ("Schedule", "ready"),
        ("Install", "pending"),
        ("Activate", "pending"),
    ]
    assert list(tasks[2].depends_on.values_list("name", flat=True)) == ["Install"]
    assert [t.history.count() for t in tasks] == [1, 1, 1]


def test_a_task_cannot_complete_before_its_predecessors():
    work_order = accepted_work_order()

    with pytest.raises(Conflict) as error:
        services.task_complete(task=task(work_order, "Install"), completed_by=make_user("provisioning"))

    assert error.value.code == "task_blocked"
    assert "1. Schedule" in error.value.message
    assert task(work_order, "Install").status == "pending"
    assert work_order.service.status == "pending"


def test_completing_a_task_readies_its_successor_and_starts_provisioning():
    work_order = accepted_work_order()

    services.task_complete(task=task(work_order, "Schedule"), completed_by=make_user("provisioning"))

    work_order.refresh_from_db()
    assert task(work_order, "Install").status == "ready"
    assert (work_order.status, work_order.service.status) == ("in_progress", "provisioning")
    assert work_order.order_line.order.status == "in_progress"


def test_the_last_task_turns_the_service_up_billable_from_that_instant():
    work_order = accepted_work_order()
    tech = make_user("provisioning")
    services.task_complete(task=task(work_order, "Schedule"), completed_by=tech)
    services.task_complete(task=task(work_order, "Install"), completed_by=tech)
    done_at = FROZEN_AT + dt.timedelta(hours=3)

    with clock.frozen(done_at):
        services.task_complete(task=task(work_order, "Activate"), completed_by=tech, notes="940/930 Mbps")

    service = Service.objects.get(pk=work_order.service_id)
    assert (service.status, service.activated_at, service.billable_from) == ("active", done_at, done_at)
    assert (service.term_start_date, service.term_end_date) == (dt.date(2026, 3, 2), dt.date(2027, 3, 1))
    order = work_order.order_line.order
    order.refresh_from_db()
    assert (order.status, order.completed_at) == ("completed", done_at)
    assert outbox_names(subject=service) == ["service.created", "service.provisioning", "service.active"]
    assert list(service.status_changes.values_list("to_status", flat=True)) == ["pending", "provisioning", "active"]


def test_a_done_task_cannot_be_completed_again():
    work_order = accepted_work_order()
    services.task_complete(task=task(work_order, "Schedule"), completed_by=None)

    with pytest.raises(Conflict):
        services.task_complete(task=task(work_order, "Schedule"), completed_by=None)


def test_code_tasks_are_run_by_the_worker_not_by_hand(run_worker):
    work_order = accepted_work_order(
        tasks=[
            TaskSpec("Assign circuit", kind="code", code_action="inventory.assign_circuit_id"),
            TaskSpec("Install", role="provisioning", depends_on=["Assign circuit"]),
        ]
    )

    with pytest.raises(Conflict):
        services.task_complete(task=task(work_order, "Assign circuit"), completed_by=None)
    run_worker()

    code_task = task(work_order, "Assign circuit")
    service = Service.objects.get(pk=work_order.service_id)
    assert (code_task.status, code_task.attempts) == ("done", 1)
    assert code_task.result == {"circuit_id": service.circuit_id}
    assert service.circuit_id == f"DIA-FTTP-{service.pk:06d}"
    assert task(work_order, "Install").status == "ready"


def test_running_a_code_task_twice_changes_nothing_the_second_time(run_worker):
    work_order = accepted_work_order(
        tasks=[TaskSpec("Assign circuit", kind="code", code_action="inventory.assign_circuit_id")]
    )
    run_worker()
    code_task = task(work_order, "Assign circuit")

    services.task_run_code(task_id=code_task.pk)

    code_task.refresh_from_db()
    assert code_task.attempts == 1
    assert outbox_names(name_prefix="service.identified") == ["service.identified"]


def test_a_work_order_of_only_code_tasks_turns_up_with_no_human_touch(run_worker):
    work_order = accepted_work_order(
        tasks=[TaskSpec("Assign circuit", kind="code", code_action="inventory.assign_circuit_id")]
    )

    run_worker()

    service = Service.objects.get(pk=work_order.service_id)
    assert (service.status, service.billable_from) == ("active", FROZEN_AT)


def booked_install():
    from headend.fulfillment import selectors as fulfillment_selectors
    from headend.fulfillment.models import Technician

    Technician.objects.create(user=make_user("provisioning"))
    version = make_product(tasks=[TaskSpec(name="Install", role="provisioning", needs_appointment=True)])
    quote = make_quote(version=version, status="accepted")
    install = Task.objects.get(work_order__order_line__order__quote=quote)
    slot = fulfillment_selectors.appointment_slots(task=install)[-1]
    services.appointment_book(task=install, start=slot.start, booked_by=None)
    return install


def test_an_install_done_before_its_appointment_needs_a_reason():
    from headend.core.errors import ValidationError

    install = booked_install()

    with pytest.raises(ValidationError) as error:
        services.task_complete(task=install, completed_by=None)
    assert (error.value.field, error.value.code) == ("early_reason", "before_appointment")
    install.refresh_from_db()
    assert install.status == "ready"

    services.task_complete(task=install, completed_by=None, notes="ONT -18 dBm", early_reason="Customer called us in")

    install.refresh_from_db()
    assert install.status == "done"
    assert install.notes.startswith("ONT -18 dBm\nDone before the appointment of ")
    assert install.notes.endswith(": Customer called us in")


def test_an_install_at_or_after_its_appointment_needs_no_reason():
    install = booked_install()
    start = install.appointments.get().start

    with clock.frozen(start):
        services.task_complete(task=install, completed_by=None)

    install.refresh_from_db()
    assert install.status == "done"
