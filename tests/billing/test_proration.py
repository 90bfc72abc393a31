"""The proration engine: exact amounts per period, effective dates, netting and its invariants."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headend.billing import proration as p

D = dt.date
FIBER = "Fiber 300"


def rate(day: dt.date, mrc: str, label: str = FIBER, *, n: int = 0, kind: str = "active") -> p.Rate:
    return p.Rate(effective=day, mrc=Decimal(mrc), label=label, order=(n,), kind=kind)


def bill(rates: list[p.Rate], period: p.Period, billed: list[p.Billed] = (), **kwargs) -> list[p.Charge]:
    kwargs.setdefault("proration", p.DAILY)
    kwargs.setdefault("billable_from", D(2020, 1, 1))
    return p.rate_period(p.timeline(rates), list(billed), period, **kwargs)


def as_billed(charges: list[p.Charge]) -> list[p.Billed]:
    return [p.Billed(charge.component, charge.added, charge.removed) for charge in charges]


@pytest.mark.parametrize(
    ("start", "days", "first_day", "amount"),
    [
        (D(2026, 2, 1), 28, D(2026, 2, 15), "32.50"),  # 14/28 of 65
        (D(2028, 2, 1), 29, D(2028, 2, 15), "33.62"),  # leap year: 15/29 of 65 = 33.6206
        (D(2026, 4, 1), 30, D(2026, 4, 11), "43.33"),  # 20/30
        (D(2026, 1, 1), 31, D(2026, 1, 17), "31.45"),  # 15/31 of 65 = 31.4516
    ],
)
def test_first_partial_period_is_charged_by_the_days_of_that_month(start, days, first_day, amount):
    period = p.period_containing(start, 1)
    assert period.days == days
    (charge,) = bill([rate(first_day, "65.00")], period, billable_from=first_day)
    assert charge.amount == Decimal(amount)
    assert charge.days == (period.end - first_day).days
    assert charge.span == (first_day, period.end)


def test_a_whole_period_costs_exactly_its_price_in_every_month_length():
    for month in range(1, 13):
        period = p.period_containing(D(2028, month, 1), 1)
        (charge,) = bill([rate(D(2027, 6, 3), "59.99")], period)
        assert charge.amount == Decimal("59.99")
        assert charge.fraction == 1


def test_periods_start_on_the_bill_day():
    assert p.period_containing(D(2026, 1, 10), 15) == p.Period(D(2025, 12, 15), D(2026, 1, 15))
    assert p.period_containing(D(2026, 1, 31), 28) == p.Period(D(2026, 1, 28), D(2026, 2, 28))
    assert p.next_bill_date(D(2026, 3, 2), 1) == D(2026, 4, 1)
    assert p.next_bill_date(D(2026, 3, 1), 1) == D(2026, 3, 1)
    starts = [x.start for x in p.periods(D(2026, 1, 17), D(2026, 4, 1), 1)]
    assert starts == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]


def test_upgrade_mid_period_credits_the_unused_part_and_charges_the_new_price():
    period = p.Period(D(2026, 2, 1), D(2026, 3, 1))
    first = bill([rate(D(2026, 1, 1), "65.00")], period)
    assert [c.amount for c in first] == [Decimal("65.00")]
    upgraded = [rate(D(2026, 1, 1), "65.00"), rate(D(2026, 2, 10), "80.00", "Fiber 1000", n=1)]
    credit, charge = bill(upgraded, period, as_billed(first))
    # Feb 10-28 is 19 days: 65 x 9/28 = 20.89 kept (65.00 - 44.11), 80 x 19/28 = 54.29 charged.
    assert (credit.amount, credit.days, credit.span) == (Decimal("-44.11"), -19, (D(2026, 2, 10), D(2026, 3, 1)))
    assert (charge.amount, charge.days, charge.component.label) == (Decimal("54.29"), 19, "Fiber 1000")
    assert bill(upgraded, period, as_billed(first) + as_billed([credit, charge])) == []  # billed once


def test_downgrades_and_revisions_wait_for_the_next_period_unless_asked():
    assert p.effective_date(p.DOWNGRADE, D(2026, 2, 10), bill_day=1) == D(2026, 3, 1)
    assert p.effective_date(p.REVISION, D(2026, 2, 10), bill_day=15) == D(2026, 2, 15)
    assert p.effective_date(p.REVISION, D(2026, 2, 1), bill_day=1) == D(2026, 2, 1)
    assert p.effective_date(p.REVISION, D(2026, 2, 10), bill_day=1, immediate=True) == D(2026, 2, 10)
    assert p.effective_date(p.UPGRADE, D(2026, 2, 10), bill_day=1) == D(2026, 2, 10)
    assert p.change_kind(Decimal("65"), Decimal("80")) == p.UPGRADE
    assert p.change_kind(Decimal("80"), Decimal("65")) == p.DOWNGRADE


def test_a_later_change_cancels_a_pending_one_dated_after_it():
    waiting = rate(D(2026, 3, 1), "50.00", "Fiber 100", n=1)  # a downgrade made on 10 Feb
    upgrade = rate(D(2026, 2, 20), "80.00", "Fiber 1000", n=2)  # then an upgrade on 20 Feb
    kept = p.timeline([rate(D(2026, 1, 1), "65.00"), waiting, upgrade])
    assert [r.mrc for r in kept] == [Decimal("65.00"), Decimal("80.00")]


def test_change_and_revert_in_one_period_net_to_nothing():
    period = p.Period(D(2026, 2, 1), D(2026, 3, 1))
    first = bill([rate(D(2026, 1, 1), "65.00")], period)
    rates = [rate(D(2026, 1, 1), "65.00"), rate(D(2026, 2, 10), "80.00", "Fiber 1000", n=1)]
    rates.append(rate(D(2026, 2, 10), "65.00", n=2))  # reverted the same day
    assert bill(rates, period, as_billed(first)) == []


def test_two_changes_in_one_period_make_lines_on_one_invoice_that_sum_exactly():
    period = p.Period(D(2026, 1, 1), D(2026, 2, 1))
    rates = [
        rate(D(2025, 12, 1), "65.00"),
        rate(D(2026, 1, 11), "80.00", "Fiber 1000", n=1),
        rate(D(2026, 1, 21), "100.00", "Fiber 2000", n=2),
    ]
    charges = bill(rates, period)
    assert [(c.component.label, c.days, c.amount) for c in charges] == [
        (FIBER, 10, Decimal("20.97")),  # 65 x 10/31
        ("Fiber 1000", 10, Decimal("25.81")),  # 80 x 10/31
        ("Fiber 2000", 11, Decimal("35.48")),  # 100 x 11/31
    ]


def test_suspension_is_credited_by_the_day_and_a_hold_rate_charged():
    period = p.Period(D(2026, 4, 1), D(2026, 5, 1))
    base = [rate(D(2026, 1, 1), "60.00")]
    first = bill(base, period)
    suspended = [
        *base,
        rate(D(2026, 4, 11), "0.00", kind="suspended", n=1),
        rate(D(2026, 4, 21), "0", kind="restored", n=2),
    ]
    (credit,) = bill(suspended, period, as_billed(first))
    assert (credit.amount, credit.days) == (Decimal("-20.00"), -10)  # 10 of 30 days at 60
    hold = [*base, rate(D(2026, 4, 11), "10.00", "Fiber 300 (on hold)", kind="suspended", n=1)]
    credit, charge = bill(hold, period, as_billed(first))
    assert (credit.amount, charge.amount, charge.days) == (Decimal("-40.00"), Decimal("6.67"), 20)


def test_disconnection_day_is_not_charged_and_none_proration_charges_whole_periods():
    period = p.Period(D(2026, 6, 1), D(2026, 7, 1))
    first = bill([rate(D(2026, 1, 1), "60.00")], period)
    (credit,) = bill([rate(D(2026, 1, 1), "60.00")], period, as_billed(first), billable_until=D(2026, 6, 16))
    assert (credit.amount, credit.days) == (Decimal("-30.00"), -15)  # 16-30 June
    whole = bill([rate(D(2026, 6, 20), "60.00")], period, billable_from=D(2026, 6, 20), proration=p.NONE)
    assert [c.amount for c in whole] == [Decimal("60.00")]


def test_a_service_that_starts_after_the_period_costs_nothing_in_it():
    period = p.Period(D(2026, 6, 1), D(2026, 7, 1))
    assert bill([rate(D(2026, 7, 3), "60.00")], period, billable_from=D(2026, 7, 3)) == []


changes = st.lists(
    st.tuples(st.integers(min_value=0, max_value=30), st.sampled_from(["0.00", "9.99", "65.00", "80.00", "120.50"])),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(steps=changes, month=st.integers(min_value=1, max_value=12))
def test_credits_never_exceed_what_was_charged_and_billing_again_adds_nothing(steps, month):
    """For any sequence of changes in one period, billed step by step as a bill run would: the
    period's credits never take back more than it was charged, each label's total is that label's
    price for its days, and billing once more adds nothing."""
    period = p.period_containing(D(2028, month, 5), 1)
    rates = [rate(period.start - dt.timedelta(days=40), "65.00")]
    billed: list[p.Billed] = []
    charged = credited = Decimal(0)
    for n, (offset, mrc) in enumerate(steps, start=1):
        for charge in bill(rates, period, billed):
            billed.append(p.Billed(charge.component, charge.added, charge.removed))
            if charge.amount >= 0:
                charged += charge.amount
            else:
                credited -= charge.amount
        day = min(period.start + dt.timedelta(days=offset), period.end - dt.timedelta(days=1))
        rates.append(rate(day, mrc, f"Plan {mrc}", n=n))
    for charge in bill(rates, period, billed):
        billed.append(p.Billed(charge.component, charge.added, charge.removed))
        charged += max(charge.amount, Decimal(0))
        credited += max(-charge.amount, Decimal(0))
    assert credited <= charged
    assert bill(rates, period, billed) == []
    for component, days in p.billed_days(billed).items():
        assert days == p.expected(p.timeline(rates), period, proration=p.DAILY, billable_from=D(2020, 1, 1)).get(
            component
        )


@given(mrc=st.decimals(min_value=0, max_value=10_000, places=2), month=st.integers(min_value=1, max_value=12))
def test_a_full_period_unchanged_costs_exactly_its_price(mrc, month):
    period = p.period_containing(D(2028, month, 1), 1)
    charges = bill([rate(D(2027, 1, 1), str(mrc))], period)
    assert sum((c.amount for c in charges), Decimal(0)) == mrc
