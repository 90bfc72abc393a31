"""Acceptance: a NAS's Accounting-Requests (radclient) reach the real FreeRADIUS, whose rlm_sql
writes radacct in the test database; the ingest turns them into exact bytes per day (a session
over midnight split, totals past 4 GB from Gigawords), running it again changes nothing, and the
cap the usage crosses throttles the subscriber (radusergroup and a CoA the NAS stand-in sees),
bills overage (a one-time charge through the event), or notifies, as the plan says.

Transactional: FreeRADIUS writes over its own connection, and the worker's relay runs at commit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from headend.billing.models import OneTimeCharge
from headend.core import clock
from headend.crm.models import CustomerEmail
from headend.usage.models import CapCycle, DailyUsage
from headend.usage.runs import usage_run
from tests.conftest import outbox_names
from tests.provisioning.conftest import make_radius_service, radius_rows, run_action
from tests.usage.conftest import GB, RADIUS_DB, daily, local, make_capped_plan
from tests.usage.radclient import account

pytestmark = [pytest.mark.django_db(transaction=True, **RADIUS_DB), pytest.mark.usefixtures("radius_tables")]

SESSION = "81a00f3c"


def _live(plan):
    service = make_radius_service(plan)
    run_action("radius.provision", service)
    service.refresh_from_db()
    return service, service.radius_subscriber.username


def test_a_session_over_midnight_is_counted_to_the_byte_and_throttles_at_the_cap(
    freeradius, nas, nas_standin, fast_coa
):
    service, username = _live(make_capped_plan(10, "throttle"))
    start = local("2026-03-01", "22:00")
    account(freeradius, "Start", username=username, session=SESSION, at=start)
    account(freeradius, "Interim-Update", username=username, session=SESSION, at=local("2026-03-01", "23:30"),
            started=start, octets_in=1_000_000_000, octets_out=5_000_000_000)  # fmt: skip
    first = usage_run()
    assert daily(service) == {"2026-03-01": (1_000_000_000, 5_000_000_000)}  # 60 % of 10 GB
    assert (first.throttled, nas_standin.received) == (0, [])

    # Past midnight and past the cap; the download counter is past 4 GB (2 Gigawords).
    account(freeradius, "Interim-Update", username=username, session=SESSION, at=local("2026-03-02", "00:30"),
            started=start, octets_in=1_500_000_000, octets_out=2 * 2**32 + 500_000_000)  # fmt: skip
    second = usage_run()

    # 500,000,000 up and 4,089,934,592 down from 23:30 to 00:30: half on each day.
    assert daily(service) == {
        "2026-03-01": (1_250_000_000, 7_044_967_296),
        "2026-03-02": (250_000_000, 2_044_967_296),
    }
    assert second.throttled == 1
    assert radius_rows(username)["radusergroup"] == [("throttled", 1)]
    [coa] = nas_standin.received
    assert (coa.name, coa.authentic) == ("CoA-Request", True)
    assert coa.attributes == {
        "User-Name": [username],
        "Acct-Session-Id": [SESSION],
        "Framed-IP-Address": ["100.64.0.17"],
        "Mikrotik-Rate-Limit": ["1M/1M"],
    }
    cap = CapCycle.objects.get(service=service)
    assert (cap.throttle, cap.used_octets, cap.cycle_start, cap.cycle_end) == (
        "applied",
        10_589_934_592,
        dt.date(2026, 3, 1),
        dt.date(2026, 4, 1),
    )
    assert outbox_names(subject=service, name_prefix="usage.") == ["usage.threshold", "usage.throttled"]

    account(freeradius, "Stop", username=username, session=SESSION, at=local("2026-03-02", "01:00"),
            started=start, octets_in=1_600_000_000, octets_out=2 * 2**32 + 600_000_000)  # fmt: skip
    usage_run()
    counted = daily(service)
    again = usage_run()

    assert counted == {"2026-03-01": (1_250_000_000, 7_044_967_296), "2026-03-02": (350_000_000, 2_144_967_296)}
    assert daily(service) == counted
    assert (again.ingest.sessions_counted, again.throttled, len(nas_standin.received)) == (0, 0, 1)


def test_the_throttle_is_lifted_at_the_next_cycle(freeradius, nas, nas_standin, fast_coa):
    service, username = _live(make_capped_plan(1, "throttle"))
    start = local("2026-03-02", "08:00")
    account(freeradius, "Start", username=username, session=SESSION, at=start)
    account(freeradius, "Interim-Update", username=username, session=SESSION, at=local("2026-03-02", "09:00"),
            started=start, octets_out=2 * GB)  # fmt: skip
    usage_run()
    assert radius_rows(username)["radusergroup"] == [("throttled", 1)]

    with clock.frozen(dt.datetime(2026, 4, 1, 14, 0, tzinfo=dt.UTC)):  # 10:00 on April 1 in New York
        run = usage_run()

    assert run.lifted == 1
    assert radius_rows(username)["radusergroup"] == [(service.radius_subscriber.plan_group, 1)]
    assert [received.attributes["Mikrotik-Rate-Limit"] for received in nas_standin.received] == [
        ["1M/1M"],
        ["100M/300M"],
    ]
    assert CapCycle.objects.get(service=service).throttle == "lifted"
    assert outbox_names(subject=service, name_prefix="usage.throttle") == ["usage.throttled", "usage.throttle_lifted"]


def test_overage_blocks_become_one_time_charges_once(freeradius):
    plan = make_capped_plan(10, "overage", data_overage_block_gb="5", data_overage_block_amount="10.00")
    service, username = _live(plan)
    start = local("2026-03-02", "08:00")
    account(freeradius, "Start", username=username, session=SESSION, at=start)
    account(freeradius, "Interim-Update", username=username, session=SESSION, at=local("2026-03-02", "09:00"),
            started=start, octets_in=1 * GB, octets_out=20 * GB)  # fmt: skip
    usage_run()  # 21 GB: 11 GB over, 3 blocks of 5 GB begun
    usage_run()
    account(freeradius, "Stop", username=username, session=SESSION, at=local("2026-03-02", "10:00"),
            started=start, octets_in=1 * GB, octets_out=24 * GB + 1)  # fmt: skip
    usage_run()  # 25 GB + 1 byte: a 4th block

    charges = OneTimeCharge.objects.filter(subscription__service=service, kind="charge").order_by("pk")
    assert [(charge.amount, charge.source_key) for charge in charges] == [
        (Decimal("30.00"), f"usage-overage:{service.pk}:2026-03-01:3:charge"),
        (Decimal("10.00"), f"usage-overage:{service.pk}:2026-03-01:4:charge"),
    ]
    assert charges[0].description.startswith("Data overage: 3 \N{MULTIPLICATION SIGN} 5 GB over the allowance of")
    assert charges[0].incurred_on == dt.date(2026, 3, 2)
    assert CapCycle.objects.get(service=service).overage_blocks == 4
    assert radius_rows(username)["radusergroup"] == [(service.radius_subscriber.plan_group, 1)]  # not throttled


def test_notify_only_tells_the_customer_at_80_and_100_percent_once_each(freeradius):
    service, username = _live(make_capped_plan(10, "notify"))
    start = local("2026-03-02", "08:00")
    account(freeradius, "Start", username=username, session=SESSION, at=start)
    for hour, octets in ((9, 7 * GB), (10, 8 * GB + 500_000_000), (11, 9 * GB), (12, 10 * GB), (13, 12 * GB)):
        account(freeradius, "Interim-Update", username=username, session=SESSION,
                at=local("2026-03-02", f"{hour:02}:00"), started=start, octets_out=octets)  # fmt: skip
        usage_run()

    emails = list(
        CustomerEmail.objects.filter(account=service.account).order_by("pk").values_list("subject", flat=True)
    )
    assert [subject.split(": ", 1)[1] for subject in emails if "data allowance" in subject] == [
        "you have used 80 % of your data allowance",
        "you have used all of your data allowance",
    ]
    assert "Your service goes on as usual" in mail.outbox[-1].body
    assert DailyUsage.objects.get(service=service).output_octets == 12 * GB
    assert radius_rows(username)["radusergroup"] == [(service.radius_subscriber.plan_group, 1)]
    assert not OneTimeCharge.objects.filter(subscription__service=service, kind="charge").exists()
