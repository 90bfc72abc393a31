"""Autopay on a real process (`manage.py run_autopay`) killed (SIGKILL) while the gateway holds
its answer for a charge it has already made; `run_autopay` run again finishes that attempt,
also a day later when the gateway has forgotten every idempotency key. Every invoice is paid
once and every customer's money was taken exactly once.

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
from headend.payments.models import AutopayAttempt, Payment, PaymentMethod
from tests.factories import make_billing_account, make_invoice
from tests.hub.receiver import wait_until
from tests.hub.test_kill import database_url  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = 4
DUE = dt.date(2026, 3, 1)
TIMEOUT = 60


def killed_mid_autopay(url, gateway_settings, stripe_standin, log_path):
    """Customers with autopay; `run_autopay` killed once the gateway charged the first of them
    and holds its answer. The attempt it was making is left pending."""
    for n in range(CUSTOMERS):
        payer = make_billing_account()
        make_invoice(payer, "80.00", bill_date=dt.date(2026, 2, 14))
        methods.payment_method_add(billing_account=payer, token=f"pm_card_visa_{n}", added_by=None, autopay=True)
    stripe_standin.hang_after_charge()  # the first charge is made, its answer never comes
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "headend.settings",
        "DATABASE_URL": url,
        "HEADEND_PAYMENT_GATEWAY": gateway_settings.HEADEND_PAYMENT_GATEWAY,
        "HEADEND_STRIPE_API_KEY": gateway_settings.HEADEND_STRIPE_API_KEY,
        "HEADEND_STRIPE_API_BASE": stripe_standin.url,
        "HEADEND_OUTBOUND_ALLOW": "127.0.0.1",
        "HEADEND_HTTP_TIMEOUT": "50",
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_autopay", "--as-of", str(DUE)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(lambda: len(stripe_standin.charges) == 1, timeout=TIMEOUT, what="the first charge")
            process.send_signal(signal.SIGKILL)
            assert process.wait(TIMEOUT) == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
    stripe_standin.released.set()
    assert AutopayAttempt.objects.filter(status="pending").count() == 1, log_path.read_text()


def rerun(as_of):
    """`run_autopay` twice as of `as_of`: what each printed."""
    call_command("run_autopay", as_of=str(as_of), stdout=(out := io.StringIO()))
    call_command("run_autopay", as_of=str(as_of), stdout=(again := io.StringIO()))
    return out.getvalue(), again.getvalue()


def assert_everyone_paid_once(stripe_standin):
    assert set(Invoice.objects.values_list("status", "amount_due")) == {("settled", Decimal("0.00"))}
    assert Payment.objects.filter(status="succeeded").count() == CUSTOMERS
    assert set(AutopayAttempt.objects.values_list("attempt", "status")) == {(1, "succeeded")}
    customers = set(PaymentMethod.objects.values_list("gateway_customer", flat=True))
    assert stripe_standin.paid_per_customer() == dict.fromkeys(customers, 1)
    assert set(stripe_standin.charges_per_intent.values()) == {1}


def test_a_process_killed_mid_autopay_then_a_rerun_charges_nobody_twice(
    database_url,  # noqa: F811
    gateway_settings,
    stripe_standin,
    tmp_path,
):
    killed_mid_autopay(database_url, gateway_settings, stripe_standin, tmp_path / "autopay.log")

    out, again = rerun(DUE)

    assert "resumed 1" in out
    assert "attempted 0" in again
    assert_everyone_paid_once(stripe_standin)
    assert len(stripe_standin.intents_per_key) == CUSTOMERS
    assert set(stripe_standin.intents_per_key.values()) == {1}


def test_a_rerun_the_next_day_after_the_gateway_forgot_every_key_charges_nobody_twice(
    database_url,  # noqa: F811
    gateway_settings,
    stripe_standin,
    tmp_path,
):
    killed_mid_autopay(database_url, gateway_settings, stripe_standin, tmp_path / "autopay.log")
    stripe_standin.forget_keys()  # Stripe prunes idempotency keys after about 24 hours

    out, again = rerun(DUE + dt.timedelta(days=1))

    assert "resumed 1" in out
    assert "attempted 0" in again
    assert_everyone_paid_once(stripe_standin)
