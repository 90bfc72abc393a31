"""A rep's commissions from the outbox and the monthly job: booking, turn-up, twelve recurring
months and a clawback, to the cent; splits; each event and each month once; the journal."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from beancount import loader
from django.core.management import CommandError, call_command
from django.db.models import Sum

from headend.billing import ledger
from headend.billing.models import JournalEntry, JournalLine
from headend.commissions import earnings, handlers, schedule, selectors, splits
from headend.commissions.models import AccrualRun, Deal, Earning
from headend.core import clock
from headend.core.errors import ValidationError
from headend.core.models import OutboxEvent
from headend.core.periods import add_months
from headend.crm import services as crm_services
from headend.inventory.models import Service
from tests.commissions.conftest import disconnect, make_plan, make_version, noon, sell, turn_up
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db

D = Decimal
JAN = dt.date(2026, 1, 1)
MONTHS_2026 = [add_months(JAN, index) for index in range(12)]


def accrue(month: dt.date) -> list[Earning]:
    """The monthly job for `month`, run on the first day of the next one."""
    with clock.frozen(noon(add_months(month, 1))):
        return earnings.accrue(month=month)


def statement_totals(rep) -> list[tuple[str, Decimal]]:
    with clock.frozen(noon(dt.date(2027, 2, 1))):
        rows = selectors.statement_list(user=rep)
    return [(f"{row.month:%Y-%m}", row.total) for row in reversed(rows)]


@pytest.fixture
def year_of_service(rep, run_worker):
    """Booked 5 Jan 2026 at 65.00 a month, turned up 20 Jan, twelve months accrued, the
    disconnection asked for 10 Jan 2027 and done 15 Jan 2027 (inside the 18 months)."""
    make_plan()
    order = sell(rep=rep, version=make_version("65.00"), on=dt.date(2026, 1, 5))
    run_worker()
    service = turn_up(order, on=dt.date(2026, 1, 20))
    run_worker()
    for month in MONTHS_2026:
        accrue(month)
    service = disconnect(service, asked_on=dt.date(2027, 1, 10), gone_on=dt.date(2027, 1, 15))
    run_worker()
    return service


def test_a_reps_statement_over_13_months(rep, year_of_service):
    assert statement_totals(rep) == [
        ("2026-01", D("64.00")),  # booking 32.50 + turn-up 25.00 + the turn-up month's 6.50
        *[(f"2026-{month:02d}", D("6.50")) for month in range(2, 13)],
        ("2027-01", D("-135.50")),  # all of it clawed back: 32.50 + 25.00 + 12 x 6.50
    ]
    lines = list(Earning.objects.filter(rep=rep).order_by("id").values_list("kind", "month", "amount"))
    assert lines[:3] == [
        ("booking", JAN, D("32.50")),
        ("turn_up", JAN, D("25.00")),
        ("recurring", JAN, D("6.50")),
    ]
    assert [amount for kind, _, amount in lines if kind == "recurring"] == [D("6.50")] * 12
    clawbacks = [(month, amount) for kind, month, amount in lines if kind == "clawback"]
    assert clawbacks == [(dt.date(2027, 1, 1), -amount) for kind, _, amount in lines if kind != "clawback"]
    assert Earning.objects.aggregate(total=Sum("amount"))["total"] == D("0.00")


def test_the_january_statement_shows_each_line_and_totals_by_kind(rep, year_of_service):
    statement = selectors.statement_get_for(user=rep, rep_id=rep.pk, month=dt.date(2026, 1, 15))

    assert [(line.kind, line.earned_on, line.amount) for line in statement.lines] == [
        ("booking", dt.date(2026, 1, 5), D("32.50")),
        ("turn_up", dt.date(2026, 1, 20), D("25.00")),
        ("recurring", dt.date(2026, 1, 31), D("6.50")),
    ]
    assert [(total.kind, total.amount) for total in statement.by_kind] == [
        ("booking", D("32.50")),
        ("turn_up", D("25.00")),
        ("recurring", D("6.50")),
        ("clawback", D("0.00")),
    ]
    assert statement.totals == {"USD": D("64.00")}
    booking = statement.lines[0]
    assert (booking.basis, booking.rate, booking.basis_amount, booking.share_percent) == (
        "percent",
        D("50.00"),
        D("65.00"),
        D("100.00"),
    )


def test_no_recurring_month_is_accrued_after_the_clawback(rep, year_of_service):
    assert accrue(dt.date(2027, 1, 1)) == []

    deal = Deal.objects.get(service=year_of_service)
    assert (deal.turned_up_on, deal.disconnected_on, deal.clawed_back_on) == (
        dt.date(2026, 1, 20),
        dt.date(2027, 1, 15),
        dt.date(2027, 1, 15),
    )


def test_replaying_every_event_and_running_each_month_again_writes_nothing(rep, year_of_service):
    before = (Earning.objects.count(), JournalEntry.objects.count(), JournalLine.objects.count())
    subscribers = {
        "order.created": handlers.on_order_created,
        "service.active": handlers.on_service_active,
        "service.disconnected": handlers.on_service_disconnected,
    }

    for event in OutboxEvent.objects.filter(name__in=subscribers).order_by("id"):
        subscribers[event.name](event)
    for month in MONTHS_2026:
        assert accrue(month) == []

    # booking, turn-up and 12 months, each clawed back; an entry each (one for the clawback)
    assert before == (14 + 14, 15, 30)
    assert (Earning.objects.count(), JournalEntry.objects.count(), JournalLine.objects.count()) == before
    assert AccrualRun.objects.count() == 12


def test_journal_entries_balance_and_appear_in_the_ledger_export(rep, year_of_service):
    entries = JournalEntry.objects.filter(kind=JournalEntry.Kind.COMMISSION).order_by("date", "id")

    for entry in entries:
        lines = list(entry.lines.all())
        assert sum(line.debit for line in lines) == sum(line.credit for line in lines)
    expense = JournalLine.objects.filter(entry__in=entries, account=earnings.EXPENSE)
    assert expense.aggregate(debit=Sum("debit"), credit=Sum("credit")) == {"debit": D("135.50"), "credit": D("135.50")}
    payable = JournalLine.objects.filter(entry__in=entries, account=earnings.PAYABLE)
    assert payable.aggregate(debit=Sum("debit"), credit=Sum("credit")) == {"debit": D("135.50"), "credit": D("135.50")}
    assert [(entry.date, entry.lines.get(account=earnings.EXPENSE).debit) for entry in entries[:3]] == [
        (dt.date(2026, 1, 5), D("32.50")),
        (dt.date(2026, 1, 20), D("25.00")),
        (dt.date(2026, 1, 31), D("6.50")),
    ]
    out = io.StringIO()
    written = ledger.export(date_from=JAN, date_to=dt.date(2027, 1, 31), format="csv", out=out)
    rows = out.getvalue().splitlines()
    assert written == entries.count() == 15
    assert "2026-01-05" in rows[1]
    assert ",commission,Commissions on booking O-" in rows[1]
    assert rows[1].endswith(f",{earnings.EXPENSE},32.50,0.00,USD")
    assert rows[2].endswith(f",{earnings.PAYABLE},0.00,32.50,USD")
    assert rows[-2].endswith(f",{earnings.EXPENSE},0.00,135.50,USD")
    assert rows[-1].endswith(f",{earnings.PAYABLE},135.50,0.00,USD")
    beancount = io.StringIO()
    ledger.export(date_from=JAN, date_to=dt.date(2027, 1, 31), format="beancount", out=beancount)
    _, errors, _ = loader.load_string(beancount.getvalue())
    assert errors == []


def test_each_earning_names_its_journal_entry(rep, year_of_service):
    assert not Earning.objects.filter(journal_entry=None).exists()


def test_splits_share_every_line_to_the_cent(run_worker):
    make_plan()
    rita, sam = make_user("sales", username="rita"), make_user("sales", username="sam")
    account = make_account()
    opportunity = crm_services.opportunity_create(account=account, name="Cannery", close_date=dt.date(2026, 2, 1))
    splits.splits_set(opportunity=opportunity, shares=[(rita, "60"), (sam, "40")], set_by=make_user("sales_manager"))
    order = sell(rep=rita, version=make_version("65.00"), on=dt.date(2026, 1, 5), opportunity=opportunity)
    run_worker()
    turn_up(order, on=dt.date(2026, 1, 20))
    run_worker()

    accrue(JAN)

    by_rep = {
        rep.username: list(Earning.objects.filter(rep=rep).order_by("id").values_list("kind", "amount"))
        for rep in (rita, sam)
    }
    assert by_rep == {
        "rita": [("booking", D("19.50")), ("turn_up", D("15.00")), ("recurring", D("3.90"))],
        "sam": [("booking", D("13.00")), ("turn_up", D("10.00")), ("recurring", D("2.60"))],
    }


def test_splits_round_each_whole_by_largest_remainder(run_worker):
    make_plan(booking_basis="fixed", booking_value="10.00", turn_up_basis="none", turn_up_value="")
    reps = [make_user("sales") for _ in range(3)]
    opportunity = crm_services.opportunity_create(account=make_account(), name="Thirds", close_date=dt.date(2026, 2, 1))
    splits.splits_set(
        opportunity=opportunity,
        shares=[(reps[0], "33.33"), (reps[1], "33.33"), (reps[2], "33.34")],
        set_by=make_user("finance"),
    )

    sell(rep=reps[0], version=make_version(), on=dt.date(2026, 1, 5), opportunity=opportunity)
    run_worker()

    assert [Earning.objects.get(rep=rep).amount for rep in reps] == [D("3.33"), D("3.33"), D("3.34")]


def test_without_splits_the_quotes_owner_is_credited_not_the_opportunitys(rep, run_worker):
    make_plan()
    owner = make_user("sales")
    opportunity = crm_services.opportunity_create(
        account=make_account(), name="Owned", close_date=dt.date(2026, 2, 1), owner=owner
    )

    sell(rep=rep, version=make_version(), on=dt.date(2026, 1, 5), opportunity=opportunity)
    run_worker()

    assert list(Earning.objects.values_list("rep_id", "kind")) == [(rep.pk, "booking")]


@pytest.mark.parametrize(
    ("shares", "field", "code"),
    [
        ([("a", "60"), ("b", "30")], "shares", "not_100_percent"),
        ([("a", "60"), ("b", "40.01")], "shares", "not_100_percent"),
        ([("a", "100"), ("b", "0")], "share_1", "share_out_of_range"),
        ([("a", "50"), ("a", "50")], "rep_1", "duplicate"),
        ([("a", "50"), (None, "50")], "rep_1", "required"),
        ([("a", "fifty")], "share_0", "invalid_share"),
    ],
)
def test_splits_set_names_the_bad_row_and_writes_nothing(shares, field, code):
    users = {"a": make_user("sales"), "b": make_user("sales")}
    opportunity = crm_services.opportunity_create(account=make_account(), name="Bad", close_date=dt.date(2026, 2, 1))

    with pytest.raises(ValidationError) as error:
        splits.splits_set(
            opportunity=opportunity,
            shares=[(users.get(rep) if rep else None, share) for rep, share in shares],
            set_by=make_user("sales_manager"),
        )

    assert (error.value.field, error.value.code) == (field, code)
    assert not opportunity.commission_splits.exists()


def test_leaving_after_the_clawback_months_keeps_what_was_earned(rep, run_worker):
    make_plan(clawback_months=3)
    order = sell(rep=rep, version=make_version(), on=dt.date(2026, 1, 5))
    run_worker()
    service = turn_up(order, on=dt.date(2026, 1, 20))
    run_worker()
    accrue(JAN)
    accrue(dt.date(2026, 2, 1))
    accrue(dt.date(2026, 3, 1))

    disconnect(service, asked_on=dt.date(2026, 4, 20), gone_on=dt.date(2026, 5, 2))  # 3 months to the day
    run_worker()
    accrue(dt.date(2026, 4, 1))
    accrue(dt.date(2026, 5, 1))  # disconnected in May: May is its last month
    accrue(dt.date(2026, 6, 1))

    assert not Earning.objects.filter(kind="clawback").exists()
    recurring = Earning.objects.filter(kind="recurring").order_by("month").values_list("month", flat=True)
    assert list(recurring) == [JAN, *[dt.date(2026, month, 1) for month in range(2, 6)]]


def test_the_clawback_window_runs_to_the_day_the_customer_asked(rep, run_worker):
    make_plan(clawback_months=3)
    order = sell(rep=rep, version=make_version(), on=dt.date(2026, 1, 5))
    run_worker()
    service = turn_up(order, on=dt.date(2026, 1, 20))
    run_worker()

    disconnect(service, asked_on=dt.date(2026, 4, 19), gone_on=dt.date(2026, 5, 2))  # asked inside 3 months
    run_worker()

    assert list(Earning.objects.filter(kind="clawback").values_list("amount", "month")) == [
        (D("-32.50"), dt.date(2026, 5, 1)),
        (D("-25.00"), dt.date(2026, 5, 1)),
    ]


def test_a_disconnection_called_off_claws_nothing_back(rep, run_worker):
    from headend.inventory import services as inventory_services

    make_plan()
    order = sell(rep=rep, version=make_version(), on=dt.date(2026, 1, 5))
    run_worker()
    service = turn_up(order, on=dt.date(2026, 1, 20))
    run_worker()

    with clock.frozen(noon(dt.date(2026, 2, 10))):
        inventory_services.service_request_disconnect(service=service, reason="moving away")
        service.refresh_from_db()
        inventory_services.service_activate(service=service, at=clock.now(), reason="stays after all")
    run_worker()

    assert list(Earning.objects.order_by("id").values_list("kind", flat=True)) == ["booking", "turn_up"]


def test_an_order_cancelled_before_turn_up_gives_back_its_booking(rep, run_worker):
    from headend.orders import services as orders_services

    make_plan()
    order = sell(rep=rep, version=make_version(), on=dt.date(2026, 1, 5))
    run_worker()

    with clock.frozen(noon(dt.date(2026, 1, 12))):
        orders_services.order_cancel(order=order, reason="customer changed their mind", cancelled_by=rep)
    run_worker()

    assert Service.objects.get(order_line__order=order).status == "disconnected"
    assert list(Earning.objects.order_by("id").values_list("kind", "amount")) == [
        ("booking", D("32.50")),
        ("clawback", D("-32.50")),
    ]


def test_a_sale_without_a_plan_or_a_quote_earns_nothing(rep, run_worker):
    sell(rep=rep, version=make_version(), on=dt.date(2026, 1, 5))
    run_worker()

    assert not Deal.objects.exists()
    assert not Earning.objects.exists()


def test_accrue_refuses_a_month_not_over():
    with clock.frozen(noon(dt.date(2026, 3, 31))), pytest.raises(ValidationError) as error:
        earnings.accrue(month=dt.date(2026, 3, 1))

    assert (error.value.field, error.value.code) == ("month", "month_not_over")
    assert not AccrualRun.objects.exists()


def test_accrue_commissions_command_accrues_last_month_once(rep, run_worker):
    make_plan()
    order = sell(rep=rep, version=make_version(), on=dt.date(2026, 1, 5))
    run_worker()
    turn_up(order, on=dt.date(2026, 1, 20))
    run_worker()
    out = io.StringIO()

    with clock.frozen(noon(dt.date(2026, 2, 3))):
        call_command("accrue_commissions", stdout=out)
        call_command("accrue_commissions", "--month", "2026-01", stdout=out)

    assert out.getvalue().splitlines() == [
        "Recurring commissions for 2026-01: 1 new lines, 6.50 in all.",
        "Recurring commissions for 2026-01: 0 new lines, 0.00 in all.",
    ]


@pytest.mark.parametrize(("month", "message"), [("2026-13", "is not a month"), ("2026-02", "has not ended yet")])
def test_accrue_commissions_command_refuses_a_bad_month(month, message):
    with clock.frozen(noon(dt.date(2026, 2, 3))), pytest.raises(CommandError, match=message):
        call_command("accrue_commissions", "--month", month)


def test_the_worker_loop_accrues_last_month_once_a_day_after_its_hour(rep, run_worker, settings):
    settings.HEADEND_COMMISSIONS_RUN_AT = "04:00"
    make_plan()
    order = sell(rep=rep, version=make_version(), on=dt.date(2026, 1, 5))
    run_worker()
    turn_up(order, on=dt.date(2026, 1, 20))
    run_worker()
    job = schedule.MonthlyAccrual()

    with clock.frozen(dt.datetime(2026, 2, 1, 8, 59, tzinfo=dt.UTC)):  # 03:59 in Maine
        before = job(lambda: False)
    with clock.frozen(dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)):
        first = job(lambda: False)
        again = job(lambda: False)

    assert (before, first, again) == (0, 1, 0)
    assert list(Earning.objects.filter(kind="recurring").values_list("month", "amount")) == [(JAN, D("6.50"))]
