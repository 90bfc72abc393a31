"""The worker killed (SIGKILL) in the middle of a batch of `radius.provision` tasks, on real
worker processes (`manage.py task_worker`, and the worker loop `relay_outbox --follow` whose
sweep queues what a dead worker held): the next worker takes the batch over once its lease has
run out and finishes it. Nothing is provisioned twice: each subscriber has one set of RADIUS
rows (and FreeRADIUS accepts it), each task is done once, each service turned up once.

Killed while it writes FreeRADIUS's rows (held on one username's lock), the batch leaves nothing
but its claim; killed after writing them, while it waits to record the outcomes (held on a work
order's row lock, PostgreSQL only: SQLite's one writer cannot hold back the record without
holding back the write before it), the next worker finds every row as it should be and
rewrites none.

The workers use this test's database (tests/hub/test_kill.py's `database_url`) and the RADIUS
test database."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection, connections
from pyrad import packet

from headend.catalog.services import TaskSpec
from headend.core.models import OutboxEvent
from headend.fulfillment.models import CodeAttempt, Task, WorkOrder
from headend.fulfillment.tasks import run_code_task
from headend.inventory.models import Service, ServiceStatusChange
from headend.orders import services as orders_services
from headend.provisioning.models import Subscriber
from tests.factories import make_account, make_location, make_product, make_user
from tests.hub.receiver import wait_until
from tests.hub.test_kill import database_url  # noqa: F401  (the fixture)
from tests.radius_fixtures import RADIUS_DB

pytestmark = [pytest.mark.django_db(transaction=True, **RADIUS_DB), pytest.mark.usefixtures("radius_tables")]

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBERS = 20
LEASE = 3  # seconds a worker holds its batch (the settings' default is five minutes)
TIMEOUT = 90


def _url(settings: dict) -> str:
    credentials = quote(settings["USER"] or "") + (f":{quote(settings['PASSWORD'])}" if settings["PASSWORD"] else "")
    return f"postgres://{credentials}@{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def _connect(settings: dict) -> psycopg.Connection:
    return psycopg.connect(
        host=settings["HOST"] or "localhost",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname=settings["NAME"],
    )


class Workers:
    """Worker processes on the shared databases, with a short lease."""

    def __init__(self, url: str, log_dir: Path):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "headend.settings",
            "DATABASE_URL": url,
            "HEADEND_RADIUS_DATABASE_URL": _url(connections["radius"].settings_dict),
            "HEADEND_CODE_TASK_LEASE": str(LEASE),
            "HEADEND_RELAY_ON_COMMIT": "0",
            "PYTHONUNBUFFERED": "1",
        }
        self.log_dir = log_dir
        self.started: list[subprocess.Popen] = []

    def start(self, *command: str) -> subprocess.Popen:
        log = (self.log_dir / f"worker-{len(self.started) + 1}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.started.append(process)
        return process

    def task_worker(self) -> subprocess.Popen:
        return self.start("task_worker", "--queue-name", "*", "--interval", "0.1")

    def logs(self) -> str:
        return "\n".join(path.read_text()[-3000:] for path in sorted(self.log_dir.glob("*.log")))

    def kill(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        assert process.wait(TIMEOUT) == -signal.SIGKILL

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait(TIMEOUT)


@pytest.fixture
def workers(database_url, tmp_path) -> Iterator[Workers]:  # noqa: F811
    started = Workers(database_url, tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def queued_on_the_database(settings):
    """Runs are queued in the database, for the worker processes; no relay task per commit."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.HEADEND_RELAY_ON_COMMIT = False


def launch(count: int) -> list[Service]:
    """An order of `count` new services, each with a ready `radius.provision` task that turns it
    up, and a queued run for each task, as the outbox relay queues them."""
    version = make_product(
        code="zt-kill",
        download_mbps=300,
        upload_mbps=100,
        tasks=[TaskSpec("RADIUS", kind="code", code_action="radius.provision", turns_up=True, planned_minutes=1)],
    )
    account = make_account("business")
    items = [
        orders_services.OrderItem(location=make_location(account), product_version=version, term_months=12)
        for _ in range(count)
    ]
    order = orders_services.order_create(account=account, items=items, created_by=make_user("sales"))
    for task_id in Task.objects.filter(work_order__order_line__order=order).values_list("pk", flat=True):
        run_code_task.enqueue(task_id)
    return list(Service.objects.filter(order_line__order=order).order_by("pk"))


def radius_count(table: str) -> tuple[int, int]:
    with connections["radius"].cursor() as cursor:
        cursor.execute(f"SELECT count(*), count(DISTINCT username) FROM {table}")
        return cursor.fetchone()


def radcheck_ids() -> list[int]:
    with connections["radius"].cursor() as cursor:
        cursor.execute("SELECT id FROM radcheck ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def waiting_for_lock(held: psycopg.Connection, kind: str) -> bool:
    """Whether a backend waits for a lock of this kind (advisory; transactionid: a row's) that
    `held` holds: the server's other waits (another test's, in another database) do not count."""
    return bool(
        held.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = %s"
            " AND pg_backend_pid() = ANY(pg_blocking_pids(pid))",
            [kind],
        ).fetchone()[0]
    )


def take_over_and_finish(workers: Workers, services: list[Service]) -> None:
    """The next worker, and the worker loop whose sweep queues what the dead one held."""
    workers.task_worker()
    workers.start("relay_outbox", "--follow", "--interval", "0.2")
    wait_until(
        lambda: Service.objects.filter(pk__in=[s.pk for s in services], status="active").count() == len(services),
        timeout=TIMEOUT,
        what=f"every service turned up ({workers.logs()})",
    )


def assert_each_provisioned_and_turned_up_once(services: list[Service], freeradius) -> None:
    assert radius_count("radcheck") == (len(services), len(services))  # one password each
    assert radius_count("radusergroup") == (len(services), len(services))  # one plan group each
    assert Subscriber.objects.count() == len(services)
    tasks = Task.objects.filter(work_order__service__in=services)
    assert set(tasks.values_list("status", flat=True)) == {"done"}
    for task in tasks:
        outcomes = list(task.code_attempts.values_list("outcome", flat=True))
        assert outcomes == ["abandoned", "succeeded"], outcomes  # the killed batch's, then one run
        assert task.history.filter(status="done").count() == 1  # done once
    ids = [str(s.pk) for s in services]
    assert ServiceStatusChange.objects.filter(service__in=services, to_status="active").count() == len(services)
    activated = OutboxEvent.objects.filter(name="service.active", subject_id__in=ids)
    assert activated.count() == len(services)  # each turned up once
    assert set(WorkOrder.objects.filter(service__in=services).values_list("status", flat=True)) == {"completed"}
    for service in services:
        subscriber = Subscriber.objects.get(service=service)
        assert freeradius.authenticate(subscriber.username, subscriber.password).code == packet.AccessAccept


def test_killed_while_writing_radius_rows_the_next_worker_provisions_each_once(
    workers, queued_on_the_database, freeradius
):
    services = launch(SUBSCRIBERS)
    last = f"s-{services[-1].pk:06d}"  # the usernames a PPPoE subscriber gets
    with _connect(connections["radius"].settings_dict) as held:
        held.execute("SELECT pg_advisory_lock(hashtext(%s))", [f"headend-radius:user:{last}"])
        first = workers.task_worker()
        wait_until(lambda: waiting_for_lock(held, "advisory"), timeout=TIMEOUT, what=f"the batch ({workers.logs()})")

        assert Task.objects.filter(status="in_progress").count() == SUBSCRIBERS  # one batch holds them all
        workers.kill(first)
        held.execute("SELECT pg_advisory_unlock_all()")
    assert radius_count("radcheck") == (0, 0)  # its RADIUS transaction died with it
    assert not Subscriber.objects.exists()
    assert CodeAttempt.objects.filter(outcome="running").count() == SUBSCRIBERS

    take_over_and_finish(workers, services)

    assert_each_provisioned_and_turned_up_once(services, freeradius)


def test_killed_before_recording_its_batch_the_next_worker_rewrites_no_row(workers, queued_on_the_database, freeradius):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's one writer cannot hold the record back without holding back the RADIUS write")
    services = launch(SUBSCRIBERS)
    last = f"s-{services[-1].pk:06d}"
    with _connect(connections["radius"].settings_dict) as radius_held, _connect(connection.settings_dict) as held:
        radius_held.execute("SELECT pg_advisory_lock(hashtext(%s))", [f"headend-radius:user:{last}"])
        first = workers.task_worker()
        wait_until(lambda: waiting_for_lock(radius_held, "advisory"), timeout=TIMEOUT, what=workers.logs())
        with held.transaction():  # the batch's record will wait for this work order
            held.execute(
                "SELECT id FROM fulfillment_workorder WHERE service_id = %s FOR UPDATE", [services[0].pk]
            ).fetchall()
            radius_held.execute("SELECT pg_advisory_unlock_all()")
            wait_until(lambda: waiting_for_lock(held, "transactionid"), timeout=TIMEOUT, what=workers.logs())

            assert radius_count("radcheck") == (SUBSCRIBERS, SUBSCRIBERS)  # written and committed
            workers.kill(first)
    written = radcheck_ids()
    assert Subscriber.objects.count() == SUBSCRIBERS
    assert Task.objects.filter(status="in_progress").count() == SUBSCRIBERS  # not recorded

    take_over_and_finish(workers, services)

    assert_each_provisioned_and_turned_up_once(services, freeradius)
    assert radcheck_ids() == written  # found as they should be: not one rewritten
