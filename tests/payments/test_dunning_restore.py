"""Payment clears dunning through the outbox: services dunning suspended get the product's
restore work order (a suspension the customer asked for stays), a suspension not yet done is
called off, and the late fee is credited back when the policy says so."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.billing.models import BillingAccount, ChargeKind, OneTimeCharge
from headend.core import clock
from headend.fulfillment.models import WorkOrder
from headend.fulfillment.work_orders import service_action_request
from headend.inventory.models import Service
from headend.payments import dunning, payments
from headend.payments.models import DunningStep, DunningSuspension
from tests.conftest import relay_and_run_tasks
from tests.factories import make_account, make_invoice, make_live_service_with_actions, make_user
from tests.module_records import fresh, kept_for_the_module

pytestmark = pytest.mark.django_db
D = Decimal


def drain(run_worker) -> None:
    """Relay until the outbox is quiet (a relayed event's handlers emit more, code tasks run)."""
    for _ in range(20):
        if not run_worker():
            return


def pay(payer, amount: str = "100.00"):
    return payments.payment_record(
        billing_account=payer, amount=amount, means="cash", recorded_by=make_user("billing"), reference="Counter"
    )


def status(service) -> str:
    return Service.objects.get(pk=service.pk).status


@pytest.fixture(scope="module")
def shared_live(django_db_setup, django_db_blocker):
    """A customer with two active services (products with suspend and restore templates),
    billed to its default billing account, which owes 100.00 due 30 days ago (today is the
    suspension day of the default policy); built once for the module's tests on a worker
    (tests/module_records.py)."""
    with kept_for_the_module(django_db_blocker):
        account = make_account()
        services = [make_live_service_with_actions(account), make_live_service_with_actions(account)]
        drain(relay_and_run_tasks)
        payer = BillingAccount.objects.get(account=account, is_default=True)
        invoice = make_invoice(payer, "100.00", bill_date=clock.today() - dt.timedelta(days=45), due_in=15)
        yield {"payer": payer, "invoice": invoice, "services": services}


@pytest.fixture
def live(shared_live):
    """The shared customer's payer, invoice and services, read again for this test."""
    records = fresh(shared_live)
    return records["payer"], records["invoice"], records["services"]


def test_a_payment_restores_what_dunning_suspended(live, run_worker):
    payer, invoice, services = live
    assert dunning.run(clock.today())["suspension"] == 2
    drain(run_worker)
    assert [status(service) for service in services] == ["suspended", "suspended"]

    pay(payer)
    drain(run_worker)

    assert [status(service) for service in services] == ["active", "active"]
    restores = WorkOrder.objects.filter(action="restore").order_by("service_id")
    assert [(wo.service_id, wo.status, wo.requested_by) for wo in restores] == [
        (service.pk, "completed", None) for service in services
    ]
    assert all(wo.name.startswith("Restore internet: ") for wo in restores)  # the product's template
    suspensions = DunningSuspension.objects.filter(billing_account=payer)
    assert all(row.restore_requested_at and row.restored_at for row in suspensions)
    steps = DunningStep.objects.filter(invoice=invoice, step="restore")
    assert [(step.day, step.billing_account) for step in steps] == [(30, payer)]


def test_a_part_payment_leaving_the_minimum_overdue_restores_nothing(live, run_worker):
    payer, _, services = live
    dunning.run(clock.today())
    drain(run_worker)

    pay(payer, "95.00")
    drain(run_worker)

    assert [status(service) for service in services] == ["suspended", "suspended"]
    assert not WorkOrder.objects.filter(action="restore").exists()


def test_a_payment_before_the_suspension_is_done_calls_it_off(live, run_worker):
    payer, _, services = live
    dunning.run(clock.today())

    pay(payer)  # the suspend work orders' code tasks have not run yet
    drain(run_worker)

    assert [status(service) for service in services] == ["active", "active"]
    assert list(WorkOrder.objects.filter(action="suspend").values_list("status", flat=True)) == ["cancelled"] * 2
    assert not WorkOrder.objects.filter(action="restore").exists()
    assert DunningSuspension.objects.filter(restored_at=None).count() == 0


def test_a_suspension_the_customer_asked_for_is_not_restored(live, run_worker):
    payer, _, (asked, other) = live
    service_action_request(service=asked, action="suspend", reason="Away for the winter", requested_by=None)
    drain(run_worker)
    assert status(asked) == "suspended"
    assert dunning.run(clock.today())["suspension"] == 1
    drain(run_worker)

    pay(payer)
    drain(run_worker)

    assert (status(asked), status(other)) == ("suspended", "active")
    assert list(WorkOrder.objects.filter(action="restore").values_list("service_id", flat=True)) == [other.pk]


def test_the_late_fee_is_waived_on_payment_when_the_policy_says(live, run_worker):
    payer, invoice, _ = live
    policy = dunning.policy_for("business")
    dunning.policy_update(policy=policy, updated_by=make_user("billing"), waive_late_fee_on_payment=True)
    dunning.run(clock.today())
    drain(run_worker)

    pay(payer)
    drain(run_worker)
    dunning.reconcile(payer)

    fees = OneTimeCharge.objects.filter(billing_account=payer, kind=ChargeKind.LATE_FEE).order_by("id")
    assert [(fee.source_key, fee.amount) for fee in fees] == [
        (f"late-fee:{invoice.pk}", D("10.00")),
        (f"late-fee-waived:{invoice.pk}", D("-10.00")),
    ]
    assert list(DunningStep.objects.filter(step="late_fee_waived").values_list("invoice", "amount")) == [
        (invoice.pk, D("-10.00"))
    ]


def test_the_late_fee_stays_when_the_policy_does_not_waive_it(live, run_worker):
    payer, invoice, _ = live
    dunning.run(clock.today())
    drain(run_worker)

    pay(payer)
    drain(run_worker)

    fees = OneTimeCharge.objects.filter(billing_account=payer, kind=ChargeKind.LATE_FEE)
    assert [fee.source_key for fee in fees] == [f"late-fee:{invoice.pk}"]
    assert not DunningStep.objects.filter(step="late_fee_waived").exists()


def test_the_daily_pass_restores_what_no_event_restored_yet(live, run_worker):
    payer, _, services = live
    dunning.run(clock.today())
    drain(run_worker)
    pay(payer)  # its events not relayed yet

    counts = dunning.run(clock.today())

    assert (counts["accounts_examined"], counts["restore"]) == (0, 2)
    assert WorkOrder.objects.filter(action="restore").count() == 2
    drain(run_worker)
    assert [status(service) for service in services] == ["active", "active"]
    assert WorkOrder.objects.filter(action="restore").count() == 2


def test_a_waived_late_fee_is_charged_again_when_the_payment_bounces(live, run_worker):
    payer, invoice, _ = live
    policy = dunning.policy_for("business")
    dunning.policy_update(policy=policy, updated_by=make_user("billing"), waive_late_fee_on_payment=True)
    dunning.run(clock.today())
    drain(run_worker)
    cheque = payments.payment_record(
        billing_account=payer, amount="100.00", means="cheque", reference="311", recorded_by=make_user("billing")
    )
    drain(run_worker)

    payments.payment_reverse(payment=cheque, reversed_by=make_user("billing"), reason="Cheque bounced")
    drain(run_worker)

    fees = OneTimeCharge.objects.filter(billing_account=payer, kind=ChargeKind.LATE_FEE).order_by("id")
    assert [(fee.source_key, fee.amount) for fee in fees] == [
        (f"late-fee:{invoice.pk}", D("10.00")),
        (f"late-fee-waived:{invoice.pk}", D("-10.00")),
        (f"late-fee-reinstated:{invoice.pk}:1", D("10.00")),
    ]
    pay(payer)  # paid for good this time: waived again, once
    drain(run_worker)
    assert sum(fee.amount for fee in OneTimeCharge.objects.filter(billing_account=payer, kind="late_fee")) == 0


def test_nobody_is_chased_while_an_ach_debit_that_pays_it_clears(live, run_worker):
    from headend.payments.models import Payment

    payer, _, _ = live
    Payment.objects.create(
        billing_account=payer, means="ach", status="pending", amount=D("100.00"), currency="USD",
        received_on=clock.today(), created_at=clock.now(),
    )  # fmt: skip

    assert dunning.run(clock.today())["reminder"] == 0
    assert not DunningStep.objects.exists()


def test_an_external_biller_charges_its_own_late_fees(live, run_worker, settings):
    payer, _, _ = live
    settings.HEADEND_BILLER = "lago"

    counts = dunning.run(clock.today())

    assert (counts["reminder"], counts["late_fee"]) == (1, 0)
    assert not OneTimeCharge.objects.filter(billing_account=payer, kind=ChargeKind.LATE_FEE).exists()
