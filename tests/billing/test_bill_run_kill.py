"""A bill run on real worker processes (`manage.py task_worker`): the worker is killed (SIGKILL)
while it bills the run's chunks, and `run_billing` for the same date finishes the run. The
invoice set is the same as an uninterrupted run's: one invoice per account, numbers with no gap
and no duplicate.

The worker uses this test's database (tests/hub/test_kill.py's `database_url`)."""

import datetime as dt
import io
import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from headend.billing import charges, runs
from headend.billing.models import BillingAccount, BillRun, BillRunChunk, BillRunResult, Invoice
from headend.core import clock
from headend.inventory.models import Service
from tests.factories import TaskSpec, make_account, make_location, make_product
from tests.hub.receiver import wait_until
from tests.hub.test_kill import database_url  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = 60
TIMEOUT = 90


def live_services(count: int) -> None:
    """`count` customers, each with a service turned up on 10 February and known to billing."""
    version = make_product(tasks=[TaskSpec("Install")])
    at = dt.datetime(2026, 2, 10, 15, tzinfo=dt.UTC)
    for n in range(count):
        account = make_account("residential")
        service = Service.objects.create(
            account=account,
            location=make_location(account),
            product_version=version,
            status=Service.Status.ACTIVE,
            term_months=12,
            mrc_amount=Decimal("65.00"),
            nrc_amount=Decimal("0.00"),
            currency="USD",
            created_at=at,
            activated_at=at,
            billable_from=at,
            current_since=at,
            status_changed_at=at,
        )
        charges.record_turn_up(service=service, key=f"arranged-{n}")


@pytest.fixture
def queued_on_the_database(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.HEADEND_BILLING_CHUNK = 5


def test_a_worker_killed_mid_run_then_a_rerun_gives_one_invoice_each_with_no_gap(
    database_url,  # noqa: F811
    queued_on_the_database,
    tmp_path,
):
    live_services(ACCOUNTS)
    run = runs.bill_run_start(as_of=clock.today())
    assert run.chunks == ACCOUNTS // 5
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "task_worker", "--queue-name", "*", "--interval", "0.1"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "headend.settings", "DATABASE_URL": database_url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(
            lambda: BillRunChunk.objects.exclude(done_at=None).count() >= 2,
            timeout=TIMEOUT,
            what="the worker to bill two chunks",
        )
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(TIMEOUT) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
    done_by_worker = BillRunChunk.objects.exclude(done_at=None).count()
    assert done_by_worker < run.chunks, (tmp_path / "worker.log").read_text()

    out = io.StringIO()
    call_command("run_billing", as_of=str(clock.today()), stdout=out)  # resumes the run

    assert BillRun.objects.get().status == BillRun.Status.DONE
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-{n:07d}" for n in range(1, ACCOUNTS + 1)]  # no gap, no duplicate
    assert set(Invoice.objects.values_list("billing_account_id", flat=True)) == set(
        BillingAccount.objects.values_list("pk", flat=True)
    )
    assert BillRunResult.objects.filter(outcome="invoiced").count() == ACCOUNTS
    assert set(Invoice.objects.values_list("total_amount", flat=True)) == {
        Decimal("109.11")
    }  # 19/28 of 65.00, and March
    call_command("run_billing", as_of=str(clock.today()), stdout=(again := io.StringIO()))
    assert again.getvalue().strip().splitlines()[-1] == "0 invoices created"
