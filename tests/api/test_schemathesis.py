"""Schemathesis over the whole OpenAPI document, hub included: no operation answers a 5xx.

`st run` (the schemathesis CLI) against a live test server holding the demo provider, as an
admin (who may call every operation), 15 examples per operation with a fixed seed, and ids
of the demo's records offered for half the path parameters so that requests reach past the
404. Background work is not run (the dummy task backend, no relay on commit): this checks how
the API answers requests, not the worker. Select it with `-m schemathesis`, leave it out with
`-m "not schemathesis"`; HEADEND_SCHEMATHESIS_SEED picks another seed, and
HEADEND_SCHEMATHESIS_ARGS adds options to `st run` (`--include-path-regex=/quote`)."""

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from headend.api.services import token_issue
from headend.catalog.models import ProductVersion
from headend.crm.models import Account, Location
from headend.fulfillment.models import WorkOrder
from headend.inventory.models import Service
from headend.network.models import Qualification
from headend.orders.models import Order
from headend.quoting.models import Quote, QuoteApproval
from headend.web import demo

ST = Path(sys.executable).with_name("st")
# Enough for every operation's parameters and bodies under the fixed seed; HEADEND_SCHEMATHESIS_ARGS
# (e.g. --max-examples=100) digs deeper by hand.
EXAMPLES_PER_OPERATION = 15
MODELS_BY_ID = (Account, Location, ProductVersion, Quote, Order, Service, WorkOrder, Qualification)

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db(transaction=True, databases=["default", "radius"])]


def bound(parameter: str, dictionary: str) -> str:
    return f'"path.{parameter}" = {{ dictionary = "{dictionary}", probability = 0.5 }}'


def config() -> str:
    """schemathesis.toml: ids of the demo's records for path parameters half of the time; the
    task routes get a work order and its own tasks, the authorization route a quote and its own."""
    last = max(model.objects.order_by("-pk").values_list("pk", flat=True).first() or 1 for model in MODELS_BY_ID)
    work_order = (
        WorkOrder.objects.filter(status__in=["pending", "in_progress"], tasks__isnull=False).order_by("pk").first()
    )
    approval = QuoteApproval.objects.order_by("pk").first()
    dictionaries = {
        "ids": list(range(1, last + 1)),
        "work_orders": [work_order.pk] if work_order else [1],
        "tasks": list(work_order.tasks.values_list("pk", flat=True)) if work_order else [1],
        "quotes": [approval.quote_id] if approval else [1],
        "approvals": [approval.pk] if approval else [1],
    }
    lines = []
    for name, ids in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = [{', '.join(repr(str(pk)) for pk in ids)}]", ""]
    lines += ["[parameters]", bound("id", "ids"), ""]
    lines += ["[[operations]]", 'include-path-regex = "/task/"', "[operations.parameters]"]
    lines += [bound("id", "work_orders"), bound("task_id", "tasks"), ""]
    lines += ["[[operations]]", 'include-path-regex = "/authorization/"', "[operations.parameters]"]
    lines += [bound("id", "quotes"), bound("authorization_id", "approvals"), ""]
    return "\n".join(lines)


def test_no_api_operation_answers_a_server_error(live_server, settings, tmp_path, radius_tables):
    settings.HEADEND_RELAY_ON_COMMIT = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    demo.load()
    _, token = token_issue(user=User.objects.get(username="admin"), name="schemathesis")
    (tmp_path / "schemathesis.toml").write_text(config())
    started = time.monotonic()

    result = subprocess.run(
        [
            str(ST),
            "run",
            f"{live_server.url}/tmf-api/openapi.json",
            "--checks=not_a_server_error",
            f"--max-examples={EXAMPLES_PER_OPERATION}",
            f"--seed={os.environ.get('HEADEND_SCHEMATHESIS_SEED', '11')}",
            "--workers=1",
            "--generation-database=none",
            "--no-color",
            "--request-timeout=30",
            f"--header=Authorization: Bearer {token}",
            # A new connection per request: the test server's keep-alive answers wait on delayed ACKs.
            "--header=Connection: close",
            *shlex.split(os.environ.get("HEADEND_SCHEMATHESIS_ARGS", "")),  # e.g. --include-path-regex=/quote
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,  # its config file, and the cache schemathesis keeps, live there
        check=False,
    )

    elapsed = time.monotonic() - started
    summary = result.stdout[-20000:]
    print(summary, f"\nschemathesis ran for {elapsed:.0f} s", file=sys.stderr)
    assert result.returncode == 0, summary + result.stderr[-5000:]
