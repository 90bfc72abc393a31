"""Autopay on a real process (`manage.py run_autopay`) killed (SIGKILL) while the gateway holds
its answer for a charge it has already made; `run_autopay` run again finishes that attempt with
the same idempotency key. Every invoice is paid once and the gateway made exactly one
PaymentIntent per key.

The process uses this test's database (tests/hub/test_kill.py's `database_url`)."""

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

from headend.billing.models import Invoice
from headend.payments import methods
from headend.payments.models import AutopayAttempt, Payment
from tests.factories import make_billing_account, make_invoice
from tests.hub.receiver import wait_until
from tests.hub.test_kill import database_url  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = 4
DUE = dt.date(2026, 3, 1)
TIMEOUT = 60


def test_a_process_killed_mid_autopay_then_a_rerun_charges_nobody_twice(
    database_url,  # noqa: F811
    gateway_settings,
    stripe_standin,
    tmp_path,
):
    for n in range(CUSTOMERS):
        payer = make_billing_account()
        make_invoice(payer, "80.00", bill_date=dt.date(2026, 2, 14))
        methods.payment_method_add(billing_account=payer, token=f"pm_card_visa_{n}", added_by=None, autopay=True)
    stripe_standin.hang_after_charge()  # the first charge is made, its answer never comes
    log = (tmp_path / "autopay.log").open("w")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "headend.settings",
        "DATABASE_URL": database_url,
        "HEADEND_PAYMENT_GATEWAY": gateway_settings.HEADEND_PAYMENT_GATEWAY,
        "HEADEND_STRIPE_API_KEY": gateway_settings.HEADEND_STRIPE_API_KEY,
        "HEADEND_STRIPE_API_BASE": stripe_standin.url,
        "HEADEND_OUTBOUND_ALLOW": "127.0.0.1",
        "HEADEND_HTTP_TIMEOUT": "50",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_autopay", "--as-of", str(DUE)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: len(stripe_standin.intents_per_key) == 1, timeout=TIMEOUT, what="the first charge")
        process.send_signal(signal.SIGKILL)
        assert process.wait(TIMEOUT) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    stripe_standin.released.set()
    assert AutopayAttempt.objects.filter(status="pending").count() == 1, (tmp_path / "autopay.log").read_text()

    out = io.StringIO()
    call_command("run_autopay", as_of=str(DUE), stdout=out)
    call_command("run_autopay", as_of=str(DUE), stdout=(again := io.StringIO()))

    assert "resumed 1" in out.getvalue()
    assert "attempted 0" in again.getvalue()
    assert set(Invoice.objects.values_list("status", "amount_due")) == {("settled", Decimal("0.00"))}
    assert Payment.objects.filter(status="succeeded").count() == CUSTOMERS
    assert set(AutopayAttempt.objects.values_list("attempt", "status")) == {(1, "succeeded")}
    assert len(stripe_standin.intents_per_key) == CUSTOMERS
    assert set(stripe_standin.intents_per_key.values()) == {1}
