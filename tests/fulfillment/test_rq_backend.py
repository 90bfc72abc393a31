"""Code tasks on the Redis/RQ backend (many workers on many machines), chosen by settings:
a real Redis on 127.0.0.1:6379 and a real RQ worker (in-process, burst mode)."""

import django_rq
import pytest
from django.test import override_settings
from django_tasks_rq import Job
from rq import SimpleWorker

from headend.catalog.services import TaskSpec
from headend.fulfillment.models import WorkOrder
from headend.inventory.models import Service
from tests.factories import make_product, make_quote

RQ = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=RQ)
def test_an_order_turns_up_through_rq_workers():
    queue = django_rq.get_queue("default", job_class=Job)
    queue.connection.ping()  # Redis must be there: a failure, never a skip
    queue.empty()

    circuit = TaskSpec("Assign circuit", kind="code", code_action="inventory.assign_circuit_id")
    quote = make_quote(status="accepted", version=make_product(tasks=[circuit]))
    work_order = WorkOrder.objects.get(order_line__order__quote=quote)
    assert work_order.tasks.get().status == "ready"  # queued in Redis, not run in-process
    assert queue.count >= 1

    worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
    worker.work(burst=True)

    task = work_order.tasks.get()
    assert (task.status, task.attempts) == ("done", 1)
    assert Service.objects.get(pk=work_order.service_id).status == "active"
