"""Provision 1,000 subscribers through the worker (`task_run_code`: claim the code task, run
`radius.provision`, log the attempt, finish the task, turn the service up) into FreeRADIUS's
tables on PostgreSQL (goal: at least 200 a second), one worker and several worker processes at
once, against a bare-SQL executemany insert of the same rows; then FreeRADIUS's
authentications per second against those rows, with radclient sending PAP Access-Requests to
a real FreeRADIUS started as the tests start it, against Status-Server packets (no SQL lookup)
to the same server. The reference is about 2,000 packets/s with SQL.

A relay task is queued per committed transaction as by default; HEADEND_RELAY_ON_COMMIT=0
measures the worker as run beside the `relay_outbox --follow` loop (scripts/run).

The RADIUS database is PostgreSQL whatever Headend's own is: `headend_bench_radius` on the
server of HEADEND_BENCH_RADIUS_DATABASE_URL (default postgres://postgres@127.0.0.1:5432),
dropped and created for the run. Needs Debian's FreeRADIUS (scripts/ensure-freeradius)."""

import multiprocessing
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench import size
from bench.setup_django import setup
from bench.templates import define_missing

SUBSCRIBERS = size(1000)  # a tenth in a small run (CI)
RADIUS_URL = os.environ.get("HEADEND_BENCH_RADIUS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
RADIUS_DB = "headend_bench_radius"
PARALLEL = 64  # Access-Requests radclient keeps in flight
ACTION = "radius.provision"
WORKERS = 4  # concurrent provisioning workers for the second figure


def _radius_database() -> dict:
    """Point the "radius" alias at a fresh PostgreSQL database holding the package's schema."""
    import dj_database_url
    import psycopg
    from django.db import connections
    from tests.provisioning.freeradius import schema_sql

    base = RADIUS_URL.rstrip("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{RADIUS_DB}"')
        conn.execute(f'CREATE DATABASE "{RADIUS_DB}"')
    with psycopg.connect(f"{base}/{RADIUS_DB}", autocommit=True) as conn:
        conn.execute(schema_sql())
    connections["radius"].close()
    configured = connections.configure_settings(
        {"default": connections.settings["default"], "radius": dj_database_url.parse(f"{base}/{RADIUS_DB}")}
    )
    connections.settings["radius"] = configured["radius"]
    del connections["radius"]
    return configured["radius"]


def _drop_radius_database() -> None:
    import psycopg
    from django.db import connections

    connections["radius"].close()
    with psycopg.connect(f"{RADIUS_URL.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{RADIUS_DB}"')


def _radclient(server, packets: str, command: str) -> tuple[float, str]:
    """Send the packets in `packets` with radclient; return the seconds taken and its summary."""
    with tempfile.NamedTemporaryFile("w", suffix=".radclient", delete=False) as handle:
        handle.write(packets)
    port = server.auth_port
    start = time.perf_counter()
    done = subprocess.run(
        [
            "radclient",
            "-d",
            str(server.raddb),
            "-f",
            handle.name,
            "-p",
            str(PARALLEL),
            "-t",
            "5",
            "-r",
            "3",
            "-s",
            "-q",
            f"127.0.0.1:{port}",
            command,
            server.secret,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    Path(handle.name).unlink()
    return seconds, done.stdout + done.stderr


_CHUNKS: list[list[int]] = []  # task ids per forked worker


def _provision_chunk(index: int) -> int:
    """One worker process: run its share of the code tasks as the worker does."""
    from django.db import connections

    from headend.fulfillment import services

    try:
        done = 0
        for task_id in _CHUNKS[index]:
            task = services.task_run_code(task_id=task_id)
            done += task is not None and task.status == "done"
        return done
    finally:
        connections.close_all()


def _action_chunk(index: int) -> int:
    """One process running only the code action (no task bookkeeping) for its share."""
    from django.db import connections

    from headend.catalog import code_actions
    from headend.catalog.code_actions import ActionContext
    from headend.fulfillment.models import Task

    provision = code_actions.get(ACTION)
    try:
        tasks = Task.objects.filter(pk__in=_CHUNKS[index]).select_related("work_order__service")
        for task in tasks:
            provision(ActionContext(task=task, params={"auth": "pppoe"}))
        return len(tasks)
    finally:
        connections.close_all()


def _forked(step, task_ids: list[int]) -> float:
    """Seconds for WORKERS forked processes to run `step` over their share of the tasks."""
    from django.db import connections

    _CHUNKS[:] = [task_ids[i::WORKERS] for i in range(WORKERS)]
    connections.close_all()  # forked workers open their own connections
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
        done = sum(pool.map(step, range(WORKERS)))
    assert done == len(task_ids), done
    return time.perf_counter() - start


def _summary_count(summary: str, label: str) -> int:
    for line in summary.splitlines():
        if label in line:
            return int(line.rsplit(":", 1)[-1])
    return -1


def main() -> None:
    vendor = setup()
    import datetime as dt
    from decimal import Decimal

    from django.db import connections, transaction
    from tests.provisioning.freeradius import Database, FreeRadius

    from headend.catalog import code_actions
    from headend.catalog import services as catalog
    from headend.catalog.code_actions import ActionContext
    from headend.core import clock
    from headend.crm import services as crm
    from headend.fulfillment import services as fulfillment_services
    from headend.fulfillment.models import Task, WorkOrder
    from headend.inventory.models import Service
    from headend.provisioning.models import Subscriber

    radius_settings = _radius_database()
    product = catalog.product_create(code="bench-home", name="Bench Home", kind="internet", customer_type="any")
    define_missing(product)
    version = catalog.version_publish(
        version=catalog.version_create(
            product=product,
            effective_from=dt.date(2020, 1, 1),
            prices={12: ("55.00", "0.00")},
            download_mbps=300,
            upload_mbps=100,
        )
    )
    account = crm.account_create(kind="residential", first_name="Bench", last_name="Radius", email="b@example.com")
    location = crm.location_create(account=account, line1="1 Main St", city="Calais", state="ME", postal_code="04619")
    now = clock.now()
    with transaction.atomic():
        services = Service.objects.bulk_create(
            Service(
                account=account,
                location=location,
                product_version=version,
                status="pending",
                term_months=12,
                mrc_amount=Decimal("55.00"),
                nrc_amount=Decimal("0"),
                currency="USD",
                created_at=now,
                status_changed_at=now,
            )
            for _ in range(4 * SUBSCRIBERS)
        )
        work_orders = WorkOrder.objects.bulk_create(
            WorkOrder(service=service, name="Turn up", created_at=now) for service in services
        )
        tasks = Task.objects.bulk_create(
            Task(
                work_order=wo,
                position=1,
                name="RADIUS",
                kind="code",
                planned_minutes=1,
                code_action=ACTION,
                code_params={"auth": "pppoe"},
                turns_up=True,
                status="ready",
            )
            for wo in work_orders
        )
    tasks = tasks_all = list(Task.objects.filter(pk__in=[t.pk for t in tasks]).select_related("work_order__service"))
    provision = code_actions.get(ACTION)

    tasks, parallel_tasks = tasks[:SUBSCRIBERS], tasks[SUBSCRIBERS : 2 * SUBSCRIBERS]
    action_tasks, parallel_action_tasks = tasks_all[2 * SUBSCRIBERS : 3 * SUBSCRIBERS], tasks_all[3 * SUBSCRIBERS :]

    results: dict[str, float] = {}
    start = time.perf_counter()
    for task in tasks:
        assert fulfillment_services.task_run_code(task_id=task.pk).status == "done"
    results[f"provision {SUBSCRIBERS:,} subscribers through the worker"] = time.perf_counter() - start
    assert Service.objects.filter(status="active").count() == SUBSCRIBERS

    results[f"provision {SUBSCRIBERS:,} more, {WORKERS} worker processes at once"] = _forked(
        _provision_chunk, [task.pk for task in parallel_tasks]
    )
    # The code action alone, as the worker calls it (no claim, attempt log, turn-up or forecast).
    start = time.perf_counter()
    for task in action_tasks:
        provision(ActionContext(task=task, params={"auth": "pppoe"}))
    results[f"the radius.provision action alone, {SUBSCRIBERS:,}, one process"] = time.perf_counter() - start
    results[f"the action alone, {SUBSCRIBERS:,} more, {WORKERS} processes"] = _forked(
        _action_chunk, [task.pk for task in parallel_action_tasks]
    )
    tasks = list(Task.objects.filter(pk__in=[t.pk for t in tasks]).select_related("work_order__service"))
    subscribers = list(
        Subscriber.objects.filter(service__in=[t.work_order.service_id for t in tasks])
        .order_by("pk")
        .values_list("username", "password", "plan_group")
    )
    with connections["radius"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM radcheck")
        radcheck_rows = cursor.fetchone()[0]
    subscriber_rows = Subscriber.objects.count()
    again = time.perf_counter()
    for task in tasks[:100]:
        provision(ActionContext(task=task, params={"auth": "pppoe"}))
    results["re-run the action for 100 of them (idempotent, no change)"] = time.perf_counter() - again

    # Baseline: the same rows, bare SQL, one transaction, into emptied tables.
    with connections["radius"].cursor() as cursor:
        cursor.execute("CREATE TABLE bench_radcheck (LIKE radcheck INCLUDING ALL)")
        cursor.execute("CREATE TABLE bench_radusergroup (LIKE radusergroup INCLUDING ALL)")
    start = time.perf_counter()
    with transaction.atomic(using="radius"), connections["radius"].cursor() as cursor:
        cursor.executemany(
            "INSERT INTO bench_radcheck (username, attribute, op, value) VALUES (%s, %s, %s, %s)",
            [(u, "Cleartext-Password", ":=", p) for u, p, _ in subscribers],
        )
        cursor.executemany(
            "INSERT INTO bench_radusergroup (username, groupname, priority) VALUES (%s, %s, %s)",
            [(u, g, 1) for u, _, g in subscribers],
        )
    results["baseline: bare-SQL executemany of the same rows"] = time.perf_counter() - start

    server = FreeRadius(Database.from_settings(radius_settings), threads=16, sql_connections=16)
    server.start()
    try:
        requests = "\n".join(f'User-Name = "{u}"\nUser-Password = "{p}"\n' for u, p, _ in subscribers)
        auth_runs, status_runs = [], []
        summaries = []
        for _ in range(3):
            seconds, summary = _radclient(server, requests, "auth")
            auth_runs.append(seconds)
            summaries.append(summary)
            seconds, _ = _radclient(server, "Message-Authenticator = 0x00\n\n" * SUBSCRIBERS, "status")
            status_runs.append(seconds)
        accepted = _summary_count(summaries[-1], "Accepted")
        rejected = _summary_count(summaries[-1], "Rejected")
        lost = _summary_count(summaries[-1], "Lost")
    finally:
        server.cleanup()
        _drop_radius_database()

    provisioned = results[f"provision {SUBSCRIBERS:,} subscribers through the worker"]
    auth_rate = SUBSCRIBERS / statistics.median(auth_runs)
    status_rate = SUBSCRIBERS / statistics.median(status_runs)
    from django.conf import settings

    relay = "a relay task queued per commit" if settings.HEADEND_RELAY_ON_COMMIT else "HEADEND_RELAY_ON_COMMIT off"
    print(f"\nBenchmark: RADIUS provisioning (Headend on {vendor}, RADIUS tables on postgresql; {relay})")
    print(f"rows written: {radcheck_rows:,} radcheck rows for {subscriber_rows:,} subscribers")
    for name, seconds in results.items():
        print(f"  {name:<58} {seconds:8.3f} s")
    ratio = provisioned / results["baseline: bare-SQL executemany of the same rows"]
    rate = SUBSCRIBERS / provisioned
    parallel_rate = SUBSCRIBERS / results[f"provision {SUBSCRIBERS:,} more, {WORKERS} worker processes at once"]
    print(f"  ratio worker / baseline: {ratio:.1f}x")
    action_rate = SUBSCRIBERS / results[f"the radius.provision action alone, {SUBSCRIBERS:,}, one process"]
    action_parallel = SUBSCRIBERS / results[f"the action alone, {SUBSCRIBERS:,} more, {WORKERS} processes"]
    print(
        f"  through the worker: one worker {rate:,.0f} subscribers/s; {WORKERS} workers on {os.cpu_count()} CPUs "
        f"{parallel_rate:,.0f}/s; goal >= 200/s: {'met' if max(rate, parallel_rate) >= 200 else 'missed'}"
    )
    print(
        f"  the action alone: one process {action_rate:,.0f} subscribers/s; {WORKERS} processes "
        f"{action_parallel:,.0f}/s; goal >= 200/s: {'met' if max(action_rate, action_parallel) >= 200 else 'missed'}"
    )
    print(
        f"Benchmark: FreeRADIUS {Path('/usr/sbin/freeradius').name} authentications (radclient, {PARALLEL} in flight,"
        f" median of 3 x {SUBSCRIBERS:,})"
    )
    print(
        f"  PAP Access-Request, SQL lookup                             {auth_rate:8,.0f} packets/s "
        f"(last run: {accepted:,} accepted, {rejected:,} rejected, {lost:,} lost)"
    )
    print(f"  baseline: Status-Server, no SQL                            {status_rate:8,.0f} packets/s")
    print("  reference: about 2,000 packets/s with SQL")


if __name__ == "__main__":
    main()
