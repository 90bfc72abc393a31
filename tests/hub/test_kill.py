"""The kill test: real worker processes (`manage.py relay_outbox --follow`) and a real
listener. Events committed while no worker runs (as when one dies between the commit and the
publish) are all published by the next; a worker killed (SIGKILL) after the listener got an
event but before it marked it delivered is followed by one that sends it again. Nothing is
lost, each record's events arrive in order, and the listener, idempotent by eventId, applies
each event once.

The worker uses this test's database: PostgreSQL's test database as it is, or SQLite's
(in memory for the test run) copied to a file that this test then uses too."""

import copy
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connections

from headend.core.models import OutboxEvent
from headend.hub.models import Delivery, DeliveryAttempt
from headend.inventory import services as inventory_services
from headend.inventory.models import Service
from tests.conftest import FROZEN_AT
from tests.factories import make_quote, make_user
from tests.hub.conftest import SECRET, subscribe
from tests.hub.receiver import Receiver, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback_allowed")]

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60  # seconds any one wait may take before the test fails


@pytest.fixture
def database_url(transactional_db, tmp_path) -> Iterator[str]:
    """DATABASE_URL for a worker process that shares this test's database."""
    connection = connections["default"]
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        credentials = quote(settings["USER"] or "") + (
            f":{quote(settings['PASSWORD'])}" if settings["PASSWORD"] else ""
        )
        host = f"{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}"
        yield f"postgres://{credentials}@{host}/{settings['NAME']}"
        return
    if not connection.is_in_memory_db():
        yield f"sqlite:///{Path(settings['NAME']).resolve()}"
        return
    path = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    copy_to = sqlite3.connect(path)
    connection.connection.backup(copy_to)  # the migrated schema, for both processes
    copy_to.close()
    on_file = connection.__class__({**copy.deepcopy(settings), "NAME": str(path)}, "default")
    connections["default"] = on_file
    try:
        yield f"sqlite:///{path}"
    finally:
        on_file.close()
        connections["default"] = connection


@pytest.fixture
def no_relay_on_commit(settings):
    """Commits only write the outbox: no task relays in this process, only the worker does."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}


class Workers:
    """Starts `manage.py relay_outbox --follow` processes on the shared database."""

    def __init__(self, database_url: str, log_dir: Path):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "headend.settings",
            "DATABASE_URL": database_url,
            "HEADEND_HTTP_TIMEOUT": "1",  # a held delivery is taken over after 3 x 1 + 1 s
            "HEADEND_OUTBOUND_ALLOW": "127.0.0.1",  # the receiver's address, as an admin would allow it
            "PYTHONUNBUFFERED": "1",
        }
        self.log_dir = log_dir
        self.started: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = (self.log_dir / f"worker-{len(self.started) + 1}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "relay_outbox", "--follow", "--interval", "0.2"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.started.append(process)
        return process

    def log(self, process: subprocess.Popen) -> str:
        return (self.log_dir / f"worker-{self.started.index(process) + 1}.log").read_text()

    def kill(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        assert process.wait(TIMEOUT) == -signal.SIGKILL

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait(TIMEOUT)


@pytest.fixture
def workers(database_url, tmp_path) -> Iterator[Workers]:
    started = Workers(database_url, tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


def active_services(count: int) -> list[Service]:
    services = []
    for _ in range(count):
        service = Service.objects.get(order_line__order__quote=make_quote(status="accepted"))
        services.append(inventory_services.service_activate(service=service, at=FROZEN_AT))
    OutboxEvent.objects.filter(published_at=None).update(published_at=FROZEN_AT)  # arrangement only
    return services


def outbox_order(event_ids: list[str]) -> dict[str, list[str]]:
    """Event ids by record, each record's in the order they were applied."""
    records = dict(OutboxEvent.objects.values_list("event_id", "subject_id"))
    by_record: dict[str, list[str]] = {}
    for event_id in event_ids:
        by_record.setdefault(records[uuid.UUID(event_id)], []).append(event_id)
    return by_record


def test_killed_after_the_listener_got_it_the_next_worker_delivers_again(workers, no_relay_on_commit):
    (service,) = active_services(1)
    with Receiver(secret=SECRET) as receiver:
        receiver.hold_first = True
        subscribe(make_user("integration"), f"{receiver.url}/hooks")
        inventory_services.service_suspend(service=service, reason="non-payment")
        event = OutboxEvent.objects.get(name="service.suspended")
        first = workers.start()

        assert receiver.got_first.wait(TIMEOUT), workers.log(first)
        workers.kill(first)  # the listener applied it; the worker never heard back
        receiver.release.set()
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        second = workers.start()
        wait_until(
            lambda: Delivery.objects.get().status == "delivered", timeout=TIMEOUT, what="the second worker's delivery"
        )

        assert receiver.event_ids() == [str(event.event_id)] * 2
        assert receiver.applied_ids() == [str(event.event_id)]
    attempts = list(DeliveryAttempt.objects.values_list("number", "status_code", "finished_at"))
    assert [(number, status) for number, status, _ in attempts] == [(1, None), (2, 200)]
    assert attempts[0][2] is None  # the killed worker's try never finished
    workers.kill(second)


def test_events_committed_with_no_worker_all_arrive_in_order_across_a_kill(workers, no_relay_on_commit):
    services = active_services(3)
    with Receiver(secret=SECRET) as receiver:
        receiver.hold_first = True
        subscribe(make_user("integration"), receiver.url)
        for service in services:  # four state changes per record, interleaved across records
            inventory_services.service_suspend(service=service, reason="non-payment")
        for service in services:
            inventory_services.service_resume(service=service)
            inventory_services.service_suspend(service=service, reason="again")
        for service in services:
            inventory_services.service_resume(service=service)
        committed = [str(e) for e in OutboxEvent.objects.filter(published_at=None).values_list("event_id", flat=True)]
        assert len(committed) == 12
        assert not Delivery.objects.exists()  # nothing relayed: no worker runs

        first = workers.start()
        assert receiver.got_first.wait(TIMEOUT), workers.log(first)
        workers.kill(first)
        receiver.release.set()
        second = workers.start()
        wait_until(
            lambda: len(receiver.applied_ids()) == len(committed), timeout=TIMEOUT, what="every event to be applied"
        )

        applied = receiver.applied_ids()
        assert sorted(applied) == sorted(committed)  # each once: nothing lost, nothing applied twice
        assert outbox_order(applied) == outbox_order(committed)  # each record's in the order committed
        assert len(receiver.received) == len(committed) + 1  # the held one was sent again
    assert not OutboxEvent.objects.filter(published_at=None).exists()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    workers.kill(second)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_worker_finishes_the_post_under_way_and_exits_cleanly(workers, no_relay_on_commit, stop):
    (service,) = active_services(1)
    with Receiver(secret=SECRET) as receiver:
        receiver.hold_first = True
        subscribe(make_user("integration"), receiver.url)
        inventory_services.service_suspend(service=service, reason="non-payment")
        worker = workers.start()
        assert receiver.got_first.wait(TIMEOUT), workers.log(worker)

        worker.send_signal(stop)
        wait_until(lambda: "stopping after the turn under way" in workers.log(worker), what="the worker to hear it")
        receiver.release.set()  # only now does the POST under way get its answer

        assert worker.wait(TIMEOUT) == 0, workers.log(worker)
    assert Delivery.objects.get().status == "delivered"
    assert workers.log(worker).splitlines()[-1] == "Stopped."
