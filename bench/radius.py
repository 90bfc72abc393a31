"""Zero touch: provision 1,000 subscribers end to end through the workers. Each is a customer's
order of one line whose work order has three code tasks, as a launch night's pre-sold
activations have: an IP address from the pool (`ipam.allocate`), the circuit id
(`inventory.assign_circuit_id`), then the RADIUS subscriber (`radius.provision`), which turns the
service up. The workers claim due code tasks in batches per action, run each action for the
batch at once and record the batch in one transaction (attempt log, task done, successors,
turn-up, history, outbox events, the order's forecast once its code work is done).

Figures (goal: at least 200 subscribers a second through 2 worker processes on PostgreSQL):
- two `manage.py task_worker` processes on this database, given a queued run per ready task as
  the outbox relay queues them (the relay itself, `relay_outbox --follow`, is not running: the
  events the work writes wait in the outbox, as they would for it);
- one worker in this process (`code_tasks_work`), for the profile (HEADEND_BENCH_PROFILE=1);
  `--workers-only` leaves it out (CI, where the goal's figure is the workers');
- `radius.provision` run again for 100 of them: it finds their rows as they should be and
  writes nothing (FreeRADIUS's rows keep their ids);
against a bare-SQL executemany insert of the same RADIUS rows into empty tables (the baseline).
Then FreeRADIUS's authentications per second against those rows, with radclient sending PAP
Access-Requests to a real FreeRADIUS started as the tests start it, against Status-Server
packets (no SQL lookup) to the same server.

The RADIUS database is PostgreSQL whatever Headend's own is: `headend_bench_radius` on the
server of HEADEND_BENCH_RADIUS_DATABASE_URL (default postgres://postgres@127.0.0.1:5432),
dropped and created for the run. Needs Debian's FreeRADIUS (scripts/ensure-freeradius)."""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import goal, radius_db, size
from bench.profile import profiled
from bench.setup_django import setup
from bench.templates import define_missing

ROOT = Path(__file__).resolve().parents[1]
SUBSCRIBERS = size(1000)  # a tenth in a small run (CI)
RADIUS_DB = "headend_bench_radius"
PARALLEL = 64  # Access-Requests radclient keeps in flight
WORKERS = 2  # worker processes, as many as the goal's cores
IN_PROCESS = "--workers-only" not in sys.argv[1:]
TIMEOUT = 600  # seconds the workers may take before the benchmark fails
POOL = "bench-v4"
TASKS = [  # the template's code tasks, in order; the last turns the service up
    ("IP address", "ipam.allocate", {"pool": POOL}),
    ("Circuit id", "inventory.assign_circuit_id", {}),
    ("RADIUS", "radius.provision", {"auth": "pppoe"}),
]

# The workers read the outbox's relay from the worker loop, as scripts/run runs them: no relay
# task is queued per commit (set before Django reads its settings).
os.environ["HEADEND_RELAY_ON_COMMIT"] = "0"


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


def _summary_count(summary: str, label: str) -> int:
    for line in summary.splitlines():
        if label in line:
            return int(line.rsplit(":", 1)[-1])
    return -1


def _database_url() -> str:
    """DATABASE_URL for a worker process on this benchmark's database."""
    from urllib.parse import quote

    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    credentials = quote(settings["USER"] or "") + (f":{quote(settings['PASSWORD'])}" if settings["PASSWORD"] else "")
    return f"postgres://{credentials}@{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def _start_workers(log_dir: Path) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "headend.settings",
        "DATABASE_URL": _database_url(),
        "HEADEND_RADIUS_DATABASE_URL": radius_db.url(RADIUS_DB),
        "HEADEND_RELAY_ON_COMMIT": "0",
        "HEADEND_LOG_LEVEL": "WARNING",
        # Compiled modules kept where `make` keeps them, whatever this process was started with:
        # a worker that compiles Django and ours as it starts is still starting when the clock
        # runs (seen in CI, which runs this module directly with PYTHONDONTWRITEBYTECODE=1:
        # 139-149 subscribers/s against 200-204 with the compiled copies).
        "PYTHONDONTWRITEBYTECODE": "",
        "PYTHONPYCACHEPREFIX": os.environ.get("PYTHONPYCACHEPREFIX") or str(ROOT / ".venv" / "pycache"),
    }
    started = []
    for n in range(WORKERS):
        log = (log_dir / f"worker-{n + 1}.log").open("w")
        started.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "task_worker", "--queue-name", "*", "--interval", "0.05"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return started


def main() -> None:
    vendor = setup()
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import connections, transaction
    from tests.provisioning.freeradius import Database, FreeRadius

    from headend.catalog import code_actions
    from headend.catalog import services as catalog
    from headend.catalog.code_actions import ActionContext
    from headend.catalog.services import TaskSpec
    from headend.core import clock
    from headend.core.models import OutboxEvent
    from headend.crm import services as crm
    from headend.crm.models import Location
    from headend.fulfillment import code_tasks
    from headend.fulfillment.models import CodeAttempt, Task
    from headend.fulfillment.tasks import run_code_task
    from headend.inventory.models import Service
    from headend.ipam import services as ipam
    from headend.orders import services as orders
    from headend.orders.models import Order, OrderLine
    from headend.provisioning.models import Subscriber

    radius_settings = radius_db.create(RADIUS_DB)
    staff = get_user_model().objects.create_user("bench-launch", password=None)
    ipam.pool_create(name=POOL, prefix="100.64.0.0/16", allocation_length=32, created_by=staff)
    product = catalog.product_create(code="bench-home", name="Bench Home", kind="internet", customer_type="any")
    define_missing(product)
    catalog.template_define(
        product=product,
        action="add",
        name="Zero-touch activation",
        tasks=[
            TaskSpec(
                name,
                kind="code",
                code_action=action,
                code_params=params,
                planned_minutes=1,
                depends_on=[TASKS[n - 1][0]] if n else [],
                turns_up=n == len(TASKS) - 1,
            )
            for n, (name, action, params) in enumerate(TASKS)
        ],
    )
    version = catalog.version_publish(
        version=catalog.version_create(
            product=product,
            effective_from=dt.date(2020, 1, 1),
            prices={12: ("55.00", "0.00")},
            download_mbps=300,
            upload_mbps=100,
        )
    )
    account = crm.account_create(kind="business", legal_name="Bench Launch Night LLC")

    def launch_night(count: int, street: str) -> list[Order]:
        """`count` customers' orders of one line each, decomposed as an accepted quote's are:
        each line's service, work order and its three code tasks, the first ready."""
        now = clock.now()
        with transaction.atomic():
            locations = Location.objects.bulk_create(
                Location(
                    account=account,
                    line1=f"{n} {street}",
                    city="Calais",
                    state="ME",
                    postal_code="04619",
                    address_key=f"{n} {street.upper()}||CALAIS|ME|04619",
                    created_at=now,
                )
                for n in range(1, count + 1)
            )
            made = Order.objects.bulk_create(
                Order(account=account, currency="USD", created_at=now) for _ in range(count)
            )
            OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    position=1,
                    action="add",
                    location=location,
                    product_version=version,
                    term_months=12,
                    quantity=1,
                    mrc_amount=Decimal("55.00"),
                    nrc_amount=Decimal("0.00"),
                )
                for order, location in zip(made, locations, strict=True)
            )
            for order in made:
                orders.order_decompose(order=order, at=now, requested_by=staff)
        return made

    def ready_tasks(made: list[Order]) -> list[int]:
        return list(
            Task.objects.filter(work_order__order_line__order__in=made, status="ready")
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def active(made: list[Order]) -> int:
        # Polled every 50 ms while the workers run: a range of order ids (a launch night's are
        # made together) rather than a list of a thousand, which cost the workers a tenth of a core.
        ids = [order.pk for order in made]
        assert ids == list(range(ids[0], ids[0] + len(ids))), "one launch night's orders are consecutive"
        return Service.objects.filter(
            order_line__order__pk__range=(ids[0], ids[-1]), status=Service.Status.ACTIVE
        ).count()

    results: dict[str, float] = {}
    workers_label = f"{SUBSCRIBERS:,} subscribers through {WORKERS} worker processes"
    process_label = f"{SUBSCRIBERS:,} more through one worker in this process"

    # Through the worker processes, queued as the relay queues ready code tasks: one run each.
    made = launch_night(SUBSCRIBERS, "Harbor Rd")
    log_dir = Path(tempfile.mkdtemp(prefix="headend-bench-workers-"))
    workers = _start_workers(log_dir)
    try:
        time.sleep(3)  # Django up in each, polling an empty queue
        events_before = OutboxEvent.objects.count()
        start = time.perf_counter()
        with transaction.atomic():
            for task_id in ready_tasks(made):
                run_code_task.enqueue(task_id)
        while active(made) < SUBSCRIBERS:
            if time.perf_counter() - start > TIMEOUT or any(worker.poll() is not None for worker in workers):
                logs = "\n".join(path.read_text()[-2000:] for path in sorted(log_dir.glob("*.log")))
                raise SystemExit(f"The workers did not turn every service up ({active(made):,} active):\n{logs}")
            time.sleep(0.05)
        results[workers_label] = time.perf_counter() - start
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
    written = {
        "code attempts": CodeAttempt.objects.filter(task__work_order__order_line__order__in=made).count(),
        "outbox events": OutboxEvent.objects.count() - events_before,
    }

    if IN_PROCESS:  # one worker in this process, for the profile
        more = launch_night(SUBSCRIBERS, "Ferry Rd")
        start = time.perf_counter()
        with profiled("radius.zero_touch"):
            code_tasks.code_tasks_work(seconds=TIMEOUT)
        results[process_label] = time.perf_counter() - start
        assert active(more) == SUBSCRIBERS, active(more)

    subscribers = list(
        Subscriber.objects.filter(service__order_line__order__in=made)
        .order_by("pk")
        .values_list("username", "password", "plan_group")
    )
    with connections["radius"].cursor() as cursor:
        cursor.execute("SELECT count(*), max(id) FROM radcheck")
        radcheck_rows, last_id = cursor.fetchone()
    # radius.provision again, as a worker that died after its RADIUS write would run it.
    provision = code_actions.run_many
    again = list(
        Task.objects.filter(work_order__order_line__order__in=made[:100], code_action="radius.provision")
        .select_related("work_order__service__product_version__product", "work_order__order_line")
        .order_by("pk")
    )
    start = time.perf_counter()
    outcomes = provision("radius.provision", [ActionContext(task=task, params={"auth": "pppoe"}) for task in again])
    results["radius.provision again for 100 of them (no change)"] = time.perf_counter() - start
    assert all(not outcome["changed"] for outcome in outcomes), outcomes[:3]
    with connections["radius"].cursor() as cursor:
        cursor.execute("SELECT count(*), max(id) FROM radcheck")
        assert cursor.fetchone() == (radcheck_rows, last_id)  # not one row rewritten

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
    baseline = time.perf_counter() - start
    results["baseline: bare-SQL executemany of the same RADIUS rows"] = baseline

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
        radius_db.drop(RADIUS_DB)

    through = results[workers_label]
    rate = SUBSCRIBERS / through
    print(f"\nBenchmark: zero-touch provisioning (Headend on {vendor}, RADIUS tables on postgresql)")
    print(
        f"per subscriber: {len(TASKS)} code tasks ({', '.join(action for _, action, _ in TASKS)}), "
        f"turn-up, history, outbox events, the order's forecast; batches of {code_tasks.BATCH}"
    )
    print(
        f"rows written: {radcheck_rows:,} radcheck rows for {len(subscribers):,} subscribers; "
        + ", ".join(f"{count:,} {name}" for name, count in written.items())
    )
    for name, seconds in results.items():
        print(f"  {name:<62} {seconds:8.3f} s")
    print(f"  ratio through the workers / baseline: {through / baseline:,.1f}x")
    in_process = f"one worker in process: {SUBSCRIBERS / results[process_label]:,.0f}/s; " if IN_PROCESS else ""
    print(
        f"  through {WORKERS} workers on {os.cpu_count()} CPUs: {rate:,.0f} subscribers/s; "
        f"{in_process}goal >= 200/s: {goal(rate >= 200)}"
    )
    auth_rate = SUBSCRIBERS / statistics.median(auth_runs)
    status_rate = SUBSCRIBERS / statistics.median(status_runs)
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
