"""Dunning on a timeline: reminders on their days (a missed one made up once), a late fee once
after the grace period, nothing below the minimum or while a promise holds, suspension through
the product's own suspend template; policies and promises refuse bad input naming the field."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from headend.billing.models import BillingAccount, ChargeKind, OneTimeCharge
from headend.core import clock
from headend.core.errors import Conflict, Forbidden, ValidationError
from headend.crm.models import CustomerEmail
from headend.fulfillment.cancellation import work_order_cancel
from headend.fulfillment.models import WorkOrder
from headend.fulfillment.work_orders import service_action_request
from headend.payments import dunning
from headend.payments.models import DunningPolicy, DunningStep, DunningSuspension, PromiseToPay
from tests.factories import make_account, make_billing_account, make_invoice, make_live_service_with_actions, make_user

pytestmark = pytest.mark.django_db
D = Decimal
DUE = dt.date(2026, 1, 31)  # the invoice's due date: day n of dunning is DUE + n days


def day(n: int) -> dt.date:
    return DUE + dt.timedelta(days=n)


def on_day(n: int) -> dict[str, int]:
    """The dunning pass on day n, with the clock on that day."""
    with clock.frozen(dt.datetime.combine(day(n), dt.time(15), tzinfo=dt.UTC)):
        return dunning.run(day(n))


def overdue_invoice(payer, amount: str = "100.00"):
    return make_invoice(payer, amount, bill_date=DUE - dt.timedelta(days=15), due_in=15)


def steps(payer, step: str) -> list[int]:
    return sorted(DunningStep.objects.filter(billing_account=payer, step=step).values_list("day", flat=True))


def late_fees(payer) -> list[tuple[str, Decimal, dt.date]]:
    rows = OneTimeCharge.objects.filter(billing_account=payer, kind=ChargeKind.LATE_FEE).order_by("id")
    return [(row.source_key, row.amount, row.incurred_on) for row in rows]


def drain(run_worker) -> None:
    """Relay until the outbox is quiet (a relayed event's handlers emit more)."""
    for _ in range(20):
        if not run_worker():
            return


@pytest.fixture
def payer():
    return make_billing_account()


@pytest.fixture
def billing():
    return make_user("billing")


# Policies -------------------------------------------------------------------------------------


def test_policy_for_makes_the_default_once():
    policy = dunning.policy_for("residential")

    assert dunning.policy_for("residential").pk == policy.pk
    assert (
        policy.grace_days,
        policy.minimum_overdue_amount,
        policy.reminder_days,
        policy.late_fee_amount,
        policy.late_fee_percent,
        policy.suspend_after_days,
        policy.waive_late_fee_on_payment,
    ) == (10, D("5.00"), [1, 7], D("10.00"), D("0"), 30, False)


def test_policy_update_changes_the_policy(billing):
    policy = dunning.policy_for("business")

    dunning.policy_update(
        policy=policy,
        updated_by=billing,
        reminder_days="14, 3",
        grace_days="20",
        suspend_after_days="",
        late_fee_percent="1.5",
    )

    policy.refresh_from_db()
    assert (policy.reminder_days, policy.grace_days, policy.suspend_after_days, policy.late_fee_percent) == (
        [3, 14],
        20,
        None,
        D("1.50"),
    )


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"reminder_days": [1, 1]}, "reminder_days", "duplicate"),
        ({"reminder_days": [0, 7]}, "reminder_days", "invalid_number"),
        ({"reminder_days": [366]}, "reminder_days", "invalid_number"),
        ({"reminder_days": "soon"}, "reminder_days", "invalid_number"),
        ({"grace_days": 31}, "grace_days", "grace_after_suspension"),
        ({"suspend_after_days": 9}, "suspend_after_days", "grace_after_suspension"),
        ({"minimum_overdue_amount": "-0.01"}, "minimum_overdue_amount", "invalid_amount"),
        ({"late_fee_amount": "-1"}, "late_fee_amount", "invalid_amount"),
        ({"late_fee_percent": "100.01"}, "late_fee_percent", "invalid_percent"),
        ({"color": "red"}, "color", "unknown_field"),
    ],
)
def test_policy_update_refuses_bad_input_naming_the_field(billing, fields, field, code):
    policy = dunning.policy_for("residential")

    with pytest.raises(ValidationError) as error:
        dunning.policy_update(policy=policy, updated_by=billing, **{"late_fee_amount": "12.00", **fields})

    assert (error.value.field, error.value.code) == (field, code)
    policy.refresh_from_db()
    assert (policy.late_fee_amount, policy.reminder_days, policy.grace_days) == (D("10.00"), [1, 7], 10)


def test_policy_update_needs_dunning_manage():
    policy = dunning.policy_for("residential")

    with pytest.raises(Forbidden):
        dunning.policy_update(policy=policy, updated_by=make_user("sales"), grace_days=5)

    assert DunningPolicy.objects.get(pk=policy.pk).grace_days == 10


# Reminders ------------------------------------------------------------------------------------


def test_run_sends_a_reminder_on_day_1_and_day_7_once_each(payer):
    overdue_invoice(payer)

    counts = [on_day(n)[DunningStep.Step.REMINDER] for n in (0, 1, 1, 2, 6, 7, 7, 8, 9)]

    assert counts == [0, 1, 0, 0, 0, 1, 0, 0, 0]
    assert steps(payer, "reminder") == [1, 7]
    emails = CustomerEmail.objects.filter(account=payer.account).order_by("id")
    assert [email.to for email in emails] == [payer.account.email] * 2
    assert "100.00 USD is past due" in emails[0].body


def test_run_makes_up_missed_reminder_days_with_one_email(payer):
    overdue_invoice(payer)

    on_day(9)
    on_day(9)
    on_day(10)

    assert steps(payer, "reminder") == [9]
    assert CustomerEmail.objects.filter(account=payer.account).count() == 1


def test_run_counts_the_payers_it_examined(payer):
    overdue_invoice(payer)
    make_invoice(make_billing_account(), "50.00", bill_date=day(-5), due_in=30)  # not yet due

    assert on_day(1) == {"accounts_examined": 1, "reminder": 1, "late_fee": 0, "suspension": 0, "restore": 0}
    assert on_day(1) == {"accounts_examined": 1, "reminder": 0, "late_fee": 0, "suspension": 0, "restore": 0}


# Late fees ------------------------------------------------------------------------------------


def test_run_charges_no_late_fee_before_the_grace_period_ends(payer):
    invoice = overdue_invoice(payer)

    on_day(9)
    assert late_fees(payer) == []

    on_day(10)
    on_day(10)
    on_day(11)

    assert late_fees(payer) == [(f"late-fee:{invoice.pk}", D("10.00"), day(10))]
    assert steps(payer, "late_fee") == [10]
    assert OneTimeCharge.objects.get(source_key=f"late-fee:{invoice.pk}").invoice_line is None  # on the next bill


def test_late_fee_adds_the_percent_of_what_the_invoice_owes(payer, billing):
    invoice = overdue_invoice(payer, "80.00")
    dunning.policy_update(policy=dunning.policy_for("residential"), updated_by=billing, late_fee_percent="2.5")

    on_day(12)

    assert late_fees(payer) == [(f"late-fee:{invoice.pk}", D("12.00"), day(12))]


def test_no_late_fee_when_the_policy_charges_none(payer, billing):
    overdue_invoice(payer)
    dunning.policy_update(policy=dunning.policy_for("residential"), updated_by=billing, late_fee_amount="0")

    assert on_day(12)["late_fee"] == 0

    assert late_fees(payer) == []
    assert steps(payer, "late_fee") == []


# Minimum and promises -------------------------------------------------------------------------


def test_below_the_minimum_nothing_happens_and_at_it_dunning_starts(payer):
    overdue_invoice(payer, "4.99")
    at_minimum = make_billing_account()
    overdue_invoice(at_minimum, "5.00")

    counts = on_day(40)

    assert counts["accounts_examined"] == 2
    assert DunningStep.objects.filter(billing_account=payer).count() == 0
    assert steps(at_minimum, "reminder") == [40]
    assert steps(at_minimum, "late_fee") == [40]


def test_a_promise_holds_dunning_until_its_day_then_dunning_resumes(payer, billing):
    overdue_invoice(payer)
    on_day(1)
    with clock.frozen(dt.datetime.combine(day(2), dt.time(15), tzinfo=dt.UTC)):
        dunning.promise_create(billing_account=payer, until=day(12), amount="100.00", note="Payday", created_by=billing)

    held = [on_day(n) for n in (7, 10, 12)]

    assert [counts["reminder"] + counts["late_fee"] for counts in held] == [0, 0, 0]
    assert on_day(13) == {"accounts_examined": 1, "reminder": 1, "late_fee": 1, "suspension": 0, "restore": 0}
    assert steps(payer, "reminder") == [1, 13]


def test_a_cancelled_promise_no_longer_holds(payer, billing):
    overdue_invoice(payer)
    promise = dunning.promise_create(
        billing_account=payer, until=clock.today() + dt.timedelta(days=5), amount="100.00", note="", created_by=billing
    )

    dunning.promise_cancel(promise=promise, cancelled_by=billing)

    assert dunning.run(clock.today())["late_fee"] == 1
    with pytest.raises(Conflict):
        dunning.promise_cancel(promise=promise, cancelled_by=billing)


@pytest.mark.parametrize(
    ("until_in", "amount", "field", "code"),
    [
        (0, "10.00", "until", "past"),
        (61, "10.00", "until", "too_far"),
        (60, "0", "amount", "invalid_amount"),
        (5, "-3", "amount", "invalid_amount"),
    ],
)
def test_promise_create_refuses_bad_input(payer, billing, until_in, amount, field, code):
    with pytest.raises(ValidationError) as error:
        dunning.promise_create(
            billing_account=payer,
            until=clock.today() + dt.timedelta(days=until_in),
            amount=amount,
            note="",
            created_by=billing,
        )

    assert (error.value.field, error.value.code) == (field, code)
    assert PromiseToPay.objects.count() == 0


def test_one_promise_holds_at_a_time(payer, billing):
    dunning.promise_create(
        billing_account=payer, until=clock.today() + dt.timedelta(days=60), amount="1", note="", created_by=billing
    )

    with pytest.raises(Conflict) as error:
        dunning.promise_create(
            billing_account=payer, until=clock.today() + dt.timedelta(days=3), amount="1", note="", created_by=billing
        )

    assert error.value.code == "promise_exists"
    assert PromiseToPay.objects.filter(billing_account=payer).count() == 1


def test_promise_create_needs_dunning_promise(payer):
    with pytest.raises(Forbidden):
        dunning.promise_create(
            billing_account=payer,
            until=clock.today() + dt.timedelta(days=3),
            amount="1",
            note="",
            created_by=make_user("sales"),
        )


# Suspension -----------------------------------------------------------------------------------


@pytest.fixture
def live_payer(run_worker):
    """A business customer with two active services (products with suspend and restore
    templates) billed to its default billing account, which owes an invoice due on DUE."""
    account = make_account()
    services = [make_live_service_with_actions(account), make_live_service_with_actions(account)]
    drain(run_worker)  # billing opens the subscriptions on the default billing account
    payer = BillingAccount.objects.get(account=account, is_default=True)
    overdue_invoice(payer)
    return payer, services


def test_suspension_day_requests_the_products_suspend_work_order_for_each_active_service(live_payer):
    payer, services = live_payer

    assert on_day(29)["suspension"] == 0
    assert on_day(30)["suspension"] == 2
    assert on_day(30)["suspension"] == 0
    assert on_day(31)["suspension"] == 0

    work = WorkOrder.objects.filter(action="suspend").order_by("service_id")
    assert [wo.service_id for wo in work] == [service.pk for service in services]
    assert all(wo.reason.startswith("Non-payment: ") and wo.requested_by is None for wo in work)
    assert all(wo.name.startswith("Suspend internet: ") for wo in work)  # the product's template
    assert [wo.tasks.get().code_action for wo in work] == ["inventory.assign_circuit_id"] * 2
    suspensions = DunningSuspension.objects.filter(billing_account=payer).order_by("service_id")
    assert [(row.service_id, row.restored_at) for row in suspensions] == [(service.pk, None) for service in services]
    assert steps(payer, "suspension") == [30]


def test_a_service_with_open_work_is_skipped_and_suspended_at_the_next_pass(live_payer):
    payer, (busy, other) = live_payer
    open_work = service_action_request(service=busy, action="suspend", reason="Customer away", requested_by=None)

    assert on_day(30)["suspension"] == 1
    assert list(DunningSuspension.objects.values_list("service_id", flat=True)) == [other.pk]

    work_order_cancel(work_order=open_work, at=clock.now(), reason="Changed their mind")  # still active

    assert on_day(31)["suspension"] == 1
    assert sorted(DunningSuspension.objects.values_list("service_id", flat=True)) == sorted([busy.pk, other.pk])
    assert steps(payer, "suspension") == [30, 31]


def test_services_of_a_child_billing_account_are_suspended_with_the_payers(run_worker):
    account = make_account()
    payer = make_billing_account(account)
    make_billing_account(account, parent=payer, is_default=True)  # the services bill here
    service = make_live_service_with_actions(account)
    drain(run_worker)
    overdue_invoice(payer)

    assert on_day(30)["suspension"] == 1

    assert DunningSuspension.objects.get(service=service).billing_account == payer
    assert WorkOrder.objects.get(service=service, action="suspend").reason.startswith("Non-payment")


# The queue and the command ----------------------------------------------------------------------


def test_queue_shows_each_payer_with_what_comes_next(payer, billing):
    invoice = overdue_invoice(payer)
    make_invoice(make_billing_account(), "4.00", bill_date=day(-15), due_in=15)  # below the minimum
    on_day(1)
    on_day(8)
    later = make_billing_account()
    make_invoice(later, "30.00", bill_date=day(-2), due_in=5)

    rows = dunning.queue(day(8))

    assert [(row.payer, row.days_past_due, row.overdue_amount) for row in rows] == [
        (payer, 8, D("100.00")),
        (later, 5, D("30.00")),
    ]
    first = rows[0]
    assert (first.account_name, first.last_step.step, first.last_step.day) == (payer.account.name, "reminder", 8)
    assert (first.next_action, first.next_action_date, first.promise, first.suspended_services) == (
        "Late fee",
        day(10),
        None,
        0,
    )
    assert (rows[1].next_action, rows[1].next_action_date) == ("Reminder", day(8))  # not yet run for it
    assert [(step.invoice, step.step, step.day) for step in dunning.steps_of(payer)] == [
        (invoice, "reminder", 8),
        (invoice, "reminder", 1),
    ]


def test_queue_puts_the_next_action_after_a_promise(payer, billing):
    overdue_invoice(payer)
    with clock.frozen(dt.datetime.combine(day(2), dt.time(15), tzinfo=dt.UTC)):
        promise = dunning.promise_create(
            billing_account=payer, until=day(20), amount="100.00", note="", created_by=billing
        )

    (row,) = dunning.queue(day(3))

    assert (row.promise, row.next_action, row.next_action_date) == (promise, "Reminder", day(21))


def test_queue_says_when_only_a_suspension_is_left_and_nothing_can_be_suspended(payer, billing):
    overdue_invoice(payer)  # the payer has no service
    on_day(31)

    (row,) = dunning.queue(day(31))

    assert (row.next_action, row.next_action_date) == ("Nothing to suspend: collect by hand", None)


def test_run_dunning_command_prints_the_counts(payer):
    overdue_invoice(payer)
    out = StringIO()

    with clock.frozen(dt.datetime.combine(day(12), dt.time(15), tzinfo=dt.UTC)):
        call_command("run_dunning", "--as-of", day(12).isoformat(), stdout=out)

    assert out.getvalue().splitlines() == [
        f"Dunning as of {day(12)}: 1 accounts past due examined.",
        "Reminder sent: 1",
        "Late fee charged: 1",
        "Service suspended: 0",
        "Service restored: 0",
    ]


def test_the_worker_loop_runs_the_pass_once_a_day_after_its_hour(payer, settings):
    overdue_invoice(payer)
    daily = dunning.DailyPass()
    settings.HEADEND_DUNNING_RUN_AT = "11:00"  # the frozen clock reads 10:00 in Maine
    with clock.frozen(dt.datetime.combine(day(1), dt.time(15), tzinfo=dt.UTC)):
        assert daily(lambda: False) == 0
    settings.HEADEND_DUNNING_RUN_AT = "10:00"

    with clock.frozen(dt.datetime.combine(day(1), dt.time(15), tzinfo=dt.UTC)):
        assert [daily(lambda: False), daily(lambda: False)] == [1, 0]

    assert steps(payer, "reminder") == [1]
