"""Collections, end to end, on a real FreeRADIUS (issue 14's acceptance): an invoice goes unpaid,
the customer is reminded, charged a late fee after the grace period, suspended through the
product's suspend work order (walled garden in RADIUS, a CoA to the NAS stand-in), pays by card
through the Stripe stand-in, is restored through the restore work order in the same minute
(FreeRADIUS accepts the router with the plan's rate again), and the next invoice credits the
late fee and the days the service was suspended, as the dunning policy and the product say."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from pyrad import packet

from headend.billing import runs
from headend.billing.models import Invoice
from headend.catalog import services as catalog_services
from headend.catalog.models import Product, SuspendedCharge
from headend.core import clock
from headend.crm.hooks import standing_of
from headend.fulfillment.models import WorkOrder
from headend.inventory.models import Service
from headend.ipam import services as ipam_services
from headend.payments import dunning, methods, payments
from headend.provisioning.models import Subscriber
from headend.web.demo import RADIUS_RESTORE, RADIUS_SUSPEND, ZERO_TOUCH_INSTALL
from tests.factories import make_account, make_product, make_quote, make_user

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "radius"]),
    pytest.mark.usefixtures("radius_tables"),
]
D = Decimal
SESSION = "5e551011"


def at(day: str) -> dt.datetime:
    """15:00 UTC (10:00 in Maine) on `day`."""
    return dt.datetime.fromisoformat(f"{day}T15:00:00+00:00")


def days(first: dt.date, last: dt.date) -> None:
    """What the provider's schedule does each day from `first` to `last`: the bill run on the
    1st, then the dunning pass."""
    day = first
    while day <= last:
        with clock.frozen(at(day.isoformat())):
            if day.day == 1:
                runs.work(runs.bill_run_start(as_of=day))
            dunning.run(day)
        day += dt.timedelta(days=1)


def test_unpaid_reminded_fined_suspended_paid_by_card_restored_and_credited(
    freeradius, nas, nas_standin, gateway_settings, stripe_standin
):
    version = make_product(code="home-500", customer_type="residential", download_mbps=500, upload_mbps=100,
                           tasks=ZERO_TOUCH_INSTALL)  # fmt: skip
    for action, tasks in (("suspend", RADIUS_SUSPEND), ("restore", RADIUS_RESTORE)):
        catalog_services.template_define(product=version.product, action=action, name=action, tasks=tasks)
    Product.objects.filter(pk=version.product_id).update(while_suspended=SuspendedCharge.NO_CHARGE)
    ipam_services.pool_create(name="Residential", prefix="100.64.0.0/29", allocation_length=32, created_by=None)
    policy = dunning.policy_for("residential")
    dunning.policy_update(
        policy=policy, updated_by=make_user("finance"), grace_days=10, minimum_overdue_amount="5.00",
        reminder_days=[1], late_fee_amount="10.00", suspend_after_days=20, waive_late_fee_on_payment=True,
    )  # fmt: skip
    account = make_account("residential", email="ada@example.com")

    # Turned up with nobody touching it on 2 March; its router is accepted with the plan's rate.
    with clock.frozen(at("2026-03-02")):
        quote = make_quote(account=account, version=version, status="accepted")
    service = Service.objects.get(order_line__order__quote=quote)
    subscriber = Subscriber.objects.get(service=service)
    assert freeradius.authenticate(subscriber.username, subscriber.password).attributes["Mikrotik-Rate-Limit"] == [
        "100M/500M"
    ]
    freeradius.account("Start", username=subscriber.username, session_id=SESSION, NAS_IP_Address="127.0.0.1")

    # Billed on 2 March, due after the terms; nothing is paid.
    with clock.frozen(at("2026-03-02")):
        runs.work(runs.bill_run_start(as_of=dt.date(2026, 3, 2)))
    march = Invoice.objects.get()
    payer, due = march.billing_account, march.due_date
    assert march.amount_due > 0

    # A reminder the day after the due date, once; no late fee within the grace period.
    mail.outbox.clear()
    days(due + dt.timedelta(days=1), due + dt.timedelta(days=9))
    assert [step.step for step in dunning.steps_of(payer)] == ["reminder"]
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]
    assert not payer.one_time_charges.filter(kind="late_fee").exists()

    # After the grace period, a late fee, once (it goes on the next invoice).
    days(due + dt.timedelta(days=10), due + dt.timedelta(days=19))
    assert [charge.amount for charge in payer.one_time_charges.filter(kind="late_fee")] == [D("10.00")]
    service.refresh_from_db()
    assert service.status == "active"

    # Day 20: suspended through the product's suspend work order: walled garden and a CoA.
    suspended_on = due + dt.timedelta(days=20)
    days(suspended_on, suspended_on)
    service.refresh_from_db()
    assert service.status == "suspended"
    suspend = WorkOrder.objects.filter(service=service, action="suspend").get()
    assert (suspend.status, suspend.reason.startswith("Non-payment")) == ("completed", True)
    coa = nas_standin.received[-1]
    assert (coa.name, coa.attributes["Mikrotik-Address-List"]) == ("CoA-Request", ["walled-garden"])
    walled = freeradius.authenticate(subscriber.username, subscriber.password)
    assert walled.attributes["Mikrotik-Address-List"] == ["walled-garden"]

    # Two days later the customer pays all they owe by card on the phone: restored at once.
    paid_on = suspended_on + dt.timedelta(days=2)
    clerk = make_user("billing")
    with clock.frozen(at(paid_on.isoformat())):
        card = methods.payment_method_add(billing_account=payer, token="pm_card_visa", added_by=clerk)
        assert dunning.overdue_amount(payer, paid_on) == march.total_amount
        owed = standing_of(payer.account_id, paid_on).balance_amount
        payment = payments.payment_take(billing_account=payer, amount=owed, payment_method=card, taken_by=clerk)
    assert payment.status == "succeeded"
    assert list(stripe_standin.intents_per_key.values()) == [1]
    assert stripe_standin.charges_per_intent == {payment.gateway_id: 1}
    service.refresh_from_db()
    assert service.status == "active"
    restore = WorkOrder.objects.filter(service=service, action="restore").get()
    assert restore.status == "completed"
    assert restore.completed_at - payment.succeeded_at < dt.timedelta(minutes=1)
    assert nas_standin.received[-1].attributes["Mikrotik-Rate-Limit"] == ["100M/500M"]
    reply = freeradius.authenticate(subscriber.username, subscriber.password)
    assert reply.code == packet.AccessAccept
    assert reply.attributes["Mikrotik-Rate-Limit"] == ["100M/500M"]
    assert "Mikrotik-Address-List" not in reply.attributes

    # The policy waives the late fee once paid; the product charges nothing while suspended:
    # the next invoice credits both.
    days(paid_on + dt.timedelta(days=1), dt.date(suspended_on.year, suspended_on.month + 1, 1))
    april, may = Invoice.objects.filter(billing_account=payer).exclude(pk=march.pk).order_by("bill_date")
    assert [(line.kind, line.amount) for line in april.lines.filter(one_time_charge__kind="late_fee")] == [
        ("one_time", D("10.00"))
    ]
    assert [line.amount for line in may.lines.filter(one_time_charge__kind="late_fee")] == [D("-10.00")]
    credit = may.lines.get(kind="recurring", amount__lt=0)
    assert (credit.start_date, credit.end_date) == (suspended_on, paid_on)
    assert credit.amount == -(service.mrc_amount * 2 / 30).quantize(D("0.01"))  # 2 of April's 30 days
