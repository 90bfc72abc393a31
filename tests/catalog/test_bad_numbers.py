"""Prices, tiers, floors, ETF rules and promotions read by the shared amount and percent parsers:
numbers no column holds are a ValidationError naming the field, and nothing is written."""

import datetime as dt

import pytest

from headend.catalog import services
from headend.catalog.models import PriceTier, ProductVersion, Promotion
from headend.core.errors import ValidationError
from tests.factories import make_product

pytestmark = pytest.mark.django_db

NOT_AMOUNTS = ["NaN", "Infinity", "-Infinity", "1e999999", "99999999999", "²", "79.999"]
PRICES = {12: ("20.00", "0.00")}


def rules_with(where: str, value: str) -> tuple[dict, str]:
    """The version_create arguments that put `value` at `where`, and the field the error names."""
    return {
        "price": ({"prices": {12: (value, "0.00")}}, "prices"),
        "one_time": ({"prices": {12: ("20.00", value)}}, "prices"),
        "tier": ({"tiers": {12: [(1, None, value)]}}, "tiers[12][1].mrc_amount"),
        "floor": ({"floor_mrc": value}, "floor_mrc"),
        "etf_percent": ({"etf_kind": "percent_of_remaining", "etf_percent": value}, "etf_percent"),
        "etf_amount": ({"etf_kind": "flat", "etf_amount": value}, "etf_amount"),
        "move_fee": ({"move_fee": value}, "move_fee"),
    }[where]


@pytest.mark.parametrize("value", NOT_AMOUNTS)
@pytest.mark.parametrize("where", ["price", "one_time", "tier", "floor", "etf_percent", "etf_amount", "move_fee"])
def test_a_version_with_a_number_no_column_holds_is_refused_and_not_written(where, value):
    product = services.product_create(code="voice-line", name="Voice line", kind="voice", customer_type="any")
    rules, field = rules_with(where, value)

    with pytest.raises(ValidationError) as error:
        services.version_create(product=product, effective_from=dt.date(2020, 1, 1), **({"prices": PRICES} | rules))

    assert error.value.field == field
    assert (ProductVersion.objects.count(), PriceTier.objects.count()) == (0, 0)


@pytest.mark.parametrize(("kind", "value"), [(kind, value) for kind in ("percent", "amount") for value in NOT_AMOUNTS])
def test_a_promotion_value_no_column_holds_is_refused_and_not_written(kind, value):
    version = make_product()

    with pytest.raises(ValidationError) as error:
        services.promotion_create(
            product=version.product,
            code="half-3",
            name="First 3 months half price",
            valid_from=dt.date(2026, 3, 1),
            mrc_off_kind=kind,
            mrc_off_value=value,
            mrc_off_months=3,
        )

    assert error.value.field == "mrc_off_value"
    assert Promotion.objects.count() == 0


def half_price(version: ProductVersion, months: object) -> Promotion:
    return services.promotion_create(
        product=version.product,
        code="half",
        name="Half price",
        valid_from=dt.date(2026, 3, 1),
        mrc_off_kind="percent",
        mrc_off_value="50",
        mrc_off_months=months,
    )


def test_a_promotion_runs_up_to_120_months():
    assert half_price(make_product(), 120).mrc_off_months == 120


@pytest.mark.parametrize("months", [121, 10**20, "²", "1_2"])
def test_promotion_months_past_120_or_not_in_ascii_digits_are_refused(months):
    with pytest.raises(ValidationError) as error:
        half_price(make_product(), months)

    assert (error.value.field, error.value.code) == ("mrc_off_months", "invalid_months")
    assert Promotion.objects.count() == 0
