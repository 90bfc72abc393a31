from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headend.core.errors import ValidationError
from headend.core.money import CENT
from headend.quoting.pricing import LineRequest, TermPrice, VersionPricing, price_quote, price_quote_line

amounts = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)


def book(term: int, mrc: Decimal, nrc: Decimal) -> VersionPricing:
    return VersionPricing(prices=(TermPrice(term, mrc, nrc),))


def test_a_line_multiplies_rounds_and_adds_contract_value():
    priced = price_quote_line(
        LineRequest(pricing=book(12, Decimal("65.00"), Decimal("99.00")), term_months=12, quantity=2)
    )

    assert (priced.mrc_amount, priced.nrc_amount, priced.contract_value_amount) == (
        Decimal("130.00"),
        Decimal("198.00"),
        Decimal("1758.00"),
    )


def test_month_to_month_commits_one_month():
    priced = price_quote_line(LineRequest(pricing=book(0, Decimal("70.00"), Decimal("99.00")), term_months=0))

    assert priced.contract_value_amount == Decimal("169.00")


def test_zero_quantity_is_refused():
    with pytest.raises(ValidationError):
        price_quote_line(LineRequest(pricing=book(12, Decimal(1), Decimal(0)), term_months=12, quantity=0))


@given(st.lists(st.tuples(amounts, amounts, st.integers(1, 50), st.sampled_from([0, 12, 24, 36])), max_size=30))
def test_totals_are_sums_of_rounded_lines(rows):
    quote = price_quote(LineRequest(pricing=book(t, m, n), term_months=t, quantity=q) for m, n, q, t in rows)

    assert quote.totals.mrr_amount == sum((line.mrc_amount for line in quote.lines), Decimal(0))
    assert quote.totals.contract_value_amount == sum((line.contract_value_amount for line in quote.lines), Decimal(0))
    assert all(line.mrc_amount == line.mrc_amount.quantize(CENT) for line in quote.lines)
