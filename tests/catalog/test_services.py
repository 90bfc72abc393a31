import datetime as dt
from decimal import Decimal

import pytest

from headend.catalog import selectors, services
from headend.catalog.services import TaskSpec
from headend.core.errors import Conflict, ValidationError
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_versions_are_numbered_in_order_and_start_as_drafts():
    first = make_product(publish=False)
    second = services.version_create(
        product=first.product, effective_from=dt.date(2026, 6, 1), prices={12: ("60", "0")}
    )

    assert (first.version, second.version, second.status) == (1, 2, "draft")


def test_price_lookup_by_term_and_version():
    v1 = make_product(prices={0: ("70.00", "99.00"), 12: ("65.00", "0.00")})
    v2 = services.version_create(product=v1.product, effective_from=dt.date(2026, 6, 1), prices={12: ("59.99", "0.00")})

    assert selectors.price_for(version=v1, term_months=0).mrc_amount == Decimal("70.00")
    assert selectors.price_for(version=v1, term_months=12).mrc_amount == Decimal("65.00")
    assert selectors.price_for(version=v2, term_months=12).mrc_amount == Decimal("59.99")


@pytest.mark.parametrize(("term", "code"), [(18, "unknown_term"), ("12", "unknown_term"), (24, "term_not_offered")])
def test_price_for_an_unknown_or_unoffered_term_is_a_field_error(term, code):
    version = make_product(prices={12: ("65.00", "0.00")})

    with pytest.raises(ValidationError) as error:
        selectors.price_for(version=version, term_months=term)

    assert (error.value.field, error.value.code) == ("term_months", code)


def test_current_version_is_the_latest_published_in_force_on_the_day():
    v1 = make_product()
    v2 = services.version_publish(
        version=services.version_create(
            product=v1.product, effective_from=dt.date(2026, 6, 1), prices={12: ("60", "0")}
        )
    )

    assert selectors.version_current(product=v1.product, on=dt.date(2026, 5, 31)) == v1
    assert selectors.version_current(product=v1.product, on=dt.date(2026, 6, 1)) == v2


@pytest.mark.parametrize(
    ("steps", "allowed"),
    [
        (["published"], True),
        (["published", "retired"], True),
        (["retired"], False),
        (["published", "published"], False),
    ],
)
def test_version_lifecycle(steps, allowed):
    version = make_product(publish=False)
    moves = {"published": services.version_publish, "retired": services.version_retire}

    def walk():
        for step in steps:
            moves[step](version=version)

    if allowed:
        walk()
        version.refresh_from_db()
        assert version.status == steps[-1]
    else:
        with pytest.raises(Conflict):
            walk()


def test_template_with_a_dependency_cycle_is_refused_and_names_it():
    version = make_product()

    with pytest.raises(ValidationError) as error:
        services.template_define(
            product=version.product,
            action="add",
            name="Loop",
            tasks=[TaskSpec("A", depends_on=["C"]), TaskSpec("B", depends_on=["A"]), TaskSpec("C", depends_on=["B"])],
        )

    assert error.value.code == "dependency_cycle"
    assert "A -> C -> B -> A" in error.value.message
    assert [t.name for t in version.product.templates.get(action="add").tasks.all()] == [
        "Schedule",
        "Install",
        "Activate",
    ]


def test_template_code_task_must_name_a_registered_action():
    version = make_product()

    with pytest.raises(ValidationError) as error:
        services.template_define(
            product=version.product, action="add", name="X", tasks=[TaskSpec("Do", kind="code", code_action="nope")]
        )

    assert error.value.field == "tasks[1].code_action"
