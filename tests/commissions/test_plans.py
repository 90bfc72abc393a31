"""Commission plans: each bad field named and nothing written; the most specific plan in force
on the booking day; a plan's terms fixed once a sale is booked under it."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.commissions import plans
from headend.commissions.models import Plan
from headend.core.errors import Conflict, Forbidden, ValidationError
from headend.core.models import OutboxEvent
from tests.commissions.conftest import make_plan, make_version, sell
from tests.factories import make_product, make_user

pytestmark = pytest.mark.django_db

D = Decimal


def test_plan_create_keeps_what_it_was_given():
    plan = make_plan()

    assert (plan.booking_basis, plan.booking_value, plan.turn_up_basis, plan.turn_up_value) == (
        "percent",
        D("50.00"),
        "fixed",
        D("25.00"),
    )
    assert (plan.recurring_percent, plan.recurring_months, plan.clawback_months) == (D("10.00"), 12, 18)
    assert (plan.scope_label, plan.effective_to, plan.currency) == ("Every product", None, "USD")


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"booking_value": "100.01"}, "booking_value", "over_100_percent"),
        ({"booking_value": "150"}, "booking_value", "over_100_percent"),
        ({"turn_up_basis": "percent", "turn_up_value": "101"}, "turn_up_value", "over_100_percent"),
        ({"recurring_percent": "120"}, "recurring_percent", "over_100_percent"),
        ({"booking_value": "-5"}, "booking_value", "negative"),
        ({"turn_up_value": "-0.01"}, "turn_up_value", "negative"),
        ({"recurring_percent": "-1"}, "recurring_percent", "negative"),
        ({"booking_value": "12.345"}, "booking_value", "invalid_percent"),
        ({"turn_up_value": "NaN"}, "turn_up_value", "invalid_amount"),
        ({"recurring_months": 121}, "recurring_months", "out_of_range"),
        ({"recurring_months": -1}, "recurring_months", "out_of_range"),
        ({"recurring_months": 0}, "recurring_months", "required"),
        ({"recurring_percent": "0"}, "recurring_percent", "required"),
        ({"clawback_months": 61}, "clawback_months", "out_of_range"),
        ({"clawback_months": "six"}, "clawback_months", "invalid_number"),
        ({"name": " "}, "name", "required"),
        ({"booking_basis": "bonus"}, "booking_basis", "invalid_choice"),
        ({"booking_basis": "none", "booking_value": "5"}, "booking_value", "not_allowed"),
        ({"turn_up_basis": "fixed", "turn_up_value": ""}, "turn_up_value", "required"),
        ({"effective_to": dt.date(2024, 12, 31)}, "effective_to", "ends_before_start"),
        ({"effective_from": "soon"}, "effective_from", "invalid_date"),
        (
            {
                "booking_basis": "none",
                "booking_value": "",
                "turn_up_basis": "none",
                "turn_up_value": "",
                "recurring_percent": "0",
                "recurring_months": 0,
            },
            "booking_basis",
            "pays_nothing",
        ),
    ],
)
def test_plan_create_names_the_bad_field_and_writes_nothing(values, field, code):
    with pytest.raises(ValidationError) as error:
        make_plan(**values)

    assert (error.value.field, error.value.code) == (field, code)
    assert not Plan.objects.exists()
    assert not OutboxEvent.objects.filter(name__startswith="commission_plan.").exists()


def test_a_plan_over_100_percent_says_so():
    with pytest.raises(ValidationError) as error:
        make_plan(booking_value="150")

    assert error.value.message == "On booking: 150.00 % is over 100 %; a commission is at most all of the MRR."


def test_a_fixed_amount_may_be_over_100():
    assert make_plan(booking_basis="fixed", booking_value="150.00").booking_value == D("150.00")


def test_plan_create_refuses_a_product_and_a_kind_at_once():
    product = make_product().product

    with pytest.raises(ValidationError) as error:
        make_plan(product=product, product_kind="internet")

    assert (error.value.field, error.value.code) == ("product", "two_scopes")


def test_plans_of_the_same_scope_may_not_overlap_by_a_day():
    make_plan(effective_to=dt.date(2025, 12, 31))

    with pytest.raises(ValidationError) as error:
        make_plan(name="Fiber 2026 bis", effective_from=dt.date(2025, 12, 31))

    assert (error.value.field, error.value.code) == ("effective_from", "plan_overlap")
    assert Plan.objects.count() == 1
    assert make_plan(name="Next", effective_from=dt.date(2026, 1, 1)).effective_from == dt.date(2026, 1, 1)


def test_plans_of_other_scopes_may_overlap():
    make_plan()
    make_plan(name="Voice", product_kind="voice")
    make_plan(name="Gig", product=make_product().product)

    assert Plan.objects.count() == 3


def test_plan_create_needs_finance():
    with pytest.raises(Forbidden):
        plans.plan_create(created_by=make_user("sales"), name="Mine", recurring_percent="100", recurring_months=1)


def test_plan_for_takes_the_product_then_its_kind_then_every_product():
    version = make_product()
    product = version.product
    every = make_plan(name="Every")
    kind = make_plan(name="Internet", product_kind="internet")
    own = make_plan(name="Own", product=product, effective_from=dt.date(2026, 3, 1))
    in_force = plans.plans_in_force(on=[dt.date(2026, 2, 28), dt.date(2026, 3, 1)])

    assert plans.plan_for(in_force, product=product, on=dt.date(2026, 3, 1)) == own
    assert plans.plan_for(in_force, product=product, on=dt.date(2026, 2, 28)) == kind
    voice = make_product(kind="voice").product
    assert plans.plan_for(in_force, product=voice, on=dt.date(2026, 3, 1)) == every


def test_plan_for_is_none_outside_the_dates():
    plan = make_plan(effective_from=dt.date(2026, 1, 1), effective_to=dt.date(2026, 1, 31))
    product = make_product().product

    assert plans.plan_for([plan], product=product, on=dt.date(2025, 12, 31)) is None
    assert plans.plan_for([plan], product=product, on=dt.date(2026, 1, 31)) == plan
    assert plans.plan_for([plan], product=product, on=dt.date(2026, 2, 1)) is None


def test_plan_update_changes_terms_while_no_sale_was_booked():
    plan = make_plan()

    plan = plans.plan_update(plan=plan, updated_by=make_user("finance"), booking_value="40")

    assert plan.booking_value == D("40.00")


def test_plan_update_keeps_the_terms_of_a_plan_in_use(rep, run_worker):
    plan = make_plan()
    sell(rep=rep, version=make_version(), on=dt.date(2026, 1, 5))
    run_worker()
    finance = make_user("finance")

    with pytest.raises(Conflict) as error:
        plans.plan_update(plan=plan, updated_by=finance, booking_value="40")
    assert (error.value.field, error.value.code) == ("booking_value", "plan_in_use")
    with pytest.raises(ValidationError) as error:
        plans.plan_update(plan=plan, updated_by=finance, effective_to=dt.date(2026, 1, 4))
    assert error.value.field == "effective_to"

    plan = plans.plan_update(plan=plan, updated_by=finance, name="Fiber 2026 (ended)", effective_to=dt.date(2026, 1, 5))
    plan.refresh_from_db()
    assert (plan.name, plan.effective_to, plan.booking_value) == ("Fiber 2026 (ended)", dt.date(2026, 1, 5), D("50.00"))
