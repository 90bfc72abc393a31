from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headend.core.money import CENT
from headend.quoting.pricing import LinePrice, price_line, quote_totals

amounts = st.decimals(min_value=0, max_value=100_000, places=3, allow_nan=False, allow_infinity=False)


def test_price_line_multiplies_rounds_and_adds_contract_value():
    priced = price_line(mrc_unit=Decimal("65.00"), nrc_unit=Decimal("99.00"), quantity=2, term_months=12)

    assert priced == LinePrice(Decimal("130.00"), Decimal("198.00"), Decimal("1758.00"))


def test_month_to_month_commits_one_month():
    priced = price_line(mrc_unit=Decimal("70.00"), nrc_unit=Decimal("99.00"), quantity=1, term_months=0)

    assert priced.contract_value_amount == Decimal("169.00")


def test_zero_quantity_is_refused():
    with pytest.raises(ValueError):
        price_line(mrc_unit=Decimal(1), nrc_unit=Decimal(0), quantity=0, term_months=12)


@given(st.lists(st.tuples(amounts, amounts, st.integers(1, 50), st.sampled_from([0, 12, 24, 36])), max_size=30))
def test_totals_are_sums_of_rounded_lines(rows):
    lines = [price_line(mrc_unit=m, nrc_unit=n, quantity=q, term_months=t) for m, n, q, t in rows]

    totals = quote_totals(lines)

    assert totals.mrr_amount == sum((line.mrc_amount for line in lines), Decimal(0))
    assert totals.contract_value_amount == sum((line.contract_value_amount for line in lines), Decimal(0))
    assert all(line.mrc_amount == line.mrc_amount.quantize(CENT) for line in lines)
