import datetime as dt
from decimal import Decimal

import pytest

from headend.core.errors import Conflict, ValidationError
from headend.crm import services
from headend.crm.models import Account, Location, Opportunity
from tests.conftest import outbox_names
from tests.factories import make_account, make_location

pytestmark = pytest.mark.django_db


def test_business_account_takes_its_legal_name_as_display_name():
    account = services.account_create(kind="business", legal_name="Eastport Marine Supply LLC", tax_id="12-3456789")

    assert (account.name, account.status) == ("Eastport Marine Supply LLC", "prospect")
    assert outbox_names(subject=account) == ["account.created"]


def test_residential_account_is_named_after_the_person_and_phone_is_e164():
    account = services.account_create(
        kind="residential", first_name="Ada", last_name="Lovelace", phone="(207) 555-0134"
    )

    assert (account.name, account.phone) == ("Ada Lovelace", "+12075550134")


@pytest.mark.parametrize(
    ("kind", "values", "field"),
    [
        ("business", {"legal_name": ""}, "legal_name"),
        ("business", {"legal_name": "X LLC", "tax_id": "1234"}, "tax_id"),
        ("residential", {"first_name": "Ada", "last_name": ""}, "last_name"),
        ("residential", {"first_name": "Ada", "last_name": "L", "phone": "555-01"}, "phone"),
        ("residential", {"first_name": "Ada", "last_name": "L", "email": "ada@"}, "email"),
        ("wholesale", {"legal_name": "X"}, "kind"),
    ],
)
def test_account_create_names_the_bad_field_and_writes_nothing(kind, values, field):
    with pytest.raises(ValidationError) as error:
        services.account_create(kind=kind, **values)

    assert error.value.field == field
    assert Account.objects.count() == 0


def test_account_cannot_become_its_own_ancestor():
    parent = make_account()
    child = make_account(parent=parent)

    with pytest.raises(ValidationError) as error:
        services.account_update(account=parent, parent=child)

    assert error.value.code == "parent_cycle"


def test_location_is_normalised_and_keeps_its_unit():
    location = make_location(line1="123 main street", line2="suite 4b", city="machias", state="me", postal_code="04654")

    assert (location.line1, location.line2, location.city, location.state) == ("123 MAIN ST", "STE 4B", "MACHIAS", "ME")


def test_the_same_address_spelled_differently_is_one_location():
    account = make_account()
    make_location(account, line1="12 Water Street", city="Eastport", state="ME", postal_code="04631")

    with pytest.raises(ValidationError) as error:
        make_location(account, line1="12 water st", city="EASTPORT", state="me", postal_code="04631")

    assert error.value.code == "duplicate_location"
    assert Location.objects.filter(account=account).count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"postal_code": "0463"}, "postal_code"),
        ({"state": "ZZ"}, "state"),
        ({"line1": "Water Street"}, "line1"),
        ({"line1": ""}, "line1"),
        ({"latitude": "95", "longitude": "-67"}, "latitude"),
        ({"latitude": "44.9"}, "longitude"),
    ],
)
def test_malformed_address_is_refused_with_its_field(values, field):
    account = make_account()
    base = {"line1": "12 Water St", "city": "Eastport", "state": "ME", "postal_code": "04631"}

    with pytest.raises(ValidationError) as error:
        services.location_create(account=account, **{**base, **values})

    assert error.value.field == field
    assert Location.objects.count() == 0


def test_contact_needs_a_way_to_reach_them():
    with pytest.raises(ValidationError) as error:
        services.contact_create(account=make_account(), first_name="Pat", last_name="Doe")

    assert error.value.field == "email"


def test_opportunity_win_records_the_quote_totals_and_closes_it():
    opportunity = services.opportunity_create(account=make_account(), name="Fiber", close_date=dt.date(2026, 4, 1))

    services.opportunity_win(
        opportunity=opportunity,
        mrr_amount=Decimal("130.00"),
        one_time_amount=Decimal("99.00"),
        contract_value_amount=Decimal("1659.00"),
        at=dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC),
    )

    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.amount, opportunity.contract_value_amount) == (
        "closed_won",
        Decimal("130.00"),
        Decimal("1659.00"),
    )
    assert opportunity.close_date == dt.date(2026, 3, 2)


def test_a_closed_opportunity_cannot_be_won_again():
    opportunity = services.opportunity_create(account=make_account(), name="Fiber", close_date=dt.date(2026, 4, 1))
    services.opportunity_lose(opportunity=opportunity)

    with pytest.raises(Conflict):
        services.opportunity_win(
            opportunity=opportunity,
            mrr_amount=Decimal(1),
            one_time_amount=Decimal(0),
            contract_value_amount=Decimal(1),
            at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        )

    assert Opportunity.objects.get().stage == "closed_lost"
