"""What a plan says about usage: the action at the data cap and the voice minutes it includes."""

from decimal import Decimal

import pytest

from headend.catalog.models import DataCapAction, ProductVersion
from headend.core.errors import ValidationError
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_overage_keeps_its_block_and_price():
    version = make_product(
        data_cap_action="overage", data_overage_block_gb="50", data_overage_block_amount="10.00", publish=False
    )

    assert (version.data_cap_action, version.data_overage_block_gb) == (DataCapAction.OVERAGE, 50)
    assert version.data_overage_block_amount == Decimal("10.00")


def test_throttle_and_notify_keep_no_block():
    version = make_product(data_cap_action="throttle", data_overage_block_gb="50", publish=False)

    assert (version.data_cap_action, version.data_overage_block_gb, version.data_overage_block_amount) == (
        DataCapAction.THROTTLE,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"data_cap_action": "cut_off"}, "data_cap_action"),
        ({"data_cap_action": "overage", "data_overage_block_amount": "10"}, "data_overage_block_gb"),
        (
            {"data_cap_action": "overage", "data_overage_block_gb": "0", "data_overage_block_amount": "10"},
            "data_overage_block_gb",
        ),
        ({"data_cap_action": "overage", "data_overage_block_gb": "50"}, "data_overage_block_amount"),
        (
            {"data_cap_action": "overage", "data_overage_block_gb": "50", "data_overage_block_amount": "0"},
            "data_overage_block_amount",
        ),
        ({"voice_included_minutes": "-5"}, "voice_included_minutes"),
    ],
)
def test_a_wrong_cap_rule_names_its_field_and_writes_nothing(fields, field):
    before = ProductVersion.objects.count()

    with pytest.raises(ValidationError) as error:
        make_product(publish=False, **fields)

    assert error.value.field == field
    assert ProductVersion.objects.count() == before


def test_included_minutes():
    assert make_product(voice_included_minutes="500", publish=False).voice_included_minutes == 500
