"""Prices, tiers, promotions and work-order templates keep their history, naming who changed them."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.catalog import services
from headend.catalog.models import Price, PriceTier, TemplateDependency, TemplateTask
from headend.catalog.services import TaskSpec
from headend.core import audit
from tests.factories import make_product, make_user

pytestmark = pytest.mark.django_db


def test_a_new_versions_prices_and_tiers_are_in_their_history_with_who_set_them():
    manager = make_user("sales_manager")

    with audit.acting_for(manager):
        version = make_product(
            publish=False, prices={12: ("65.00", "0.00")}, tiers={12: [(1, 9, "60.00"), (10, None, "55.00")]}
        )

    prices = Price.history.filter(version_id=version.pk)
    tiers = PriceTier.history.filter(version_id=version.pk).order_by("min_quantity")
    assert list(prices.values_list("history_type", "mrc_amount", "history_user")) == [
        ("+", Decimal("65.00"), manager.pk)
    ]
    assert list(tiers.values_list("history_type", "min_quantity", "mrc_amount", "history_user")) == [
        ("+", 1, Decimal("60.00"), manager.pk),
        ("+", 10, Decimal("55.00"), manager.pk),
    ]


def test_replacing_a_terms_tiers_records_the_old_ones_removed_and_the_new_ones_added():
    version = make_product(publish=False, prices={12: ("65.00", "0.00")}, tiers={12: [(1, None, "60.00")]})

    services.version_tiers_set(version=version, term_months=12, tiers=[(1, 4, "62.00"), (5, None, "58.00")])

    rows = PriceTier.history.filter(version_id=version.pk).order_by("history_id")
    assert list(rows.values_list("history_type", "min_quantity", "max_quantity", "mrc_amount")) == [
        ("+", 1, None, Decimal("60.00")),
        ("-", 1, None, Decimal("60.00")),
        ("+", 1, 4, Decimal("62.00")),
        ("+", 5, None, Decimal("58.00")),
    ]


def test_ending_a_promotion_is_recorded_with_its_old_and_new_last_day():
    version = make_product()
    promotion = services.promotion_create(
        product=version.product, code="spring", name="Spring", valid_from=dt.date(2026, 3, 1), waives_installation=True
    )
    manager = make_user("sales_manager")

    with audit.acting_for(manager):
        services.promotion_end(promotion=promotion, on=dt.date(2026, 3, 31))

    last = promotion.history.latest()
    assert (last.prev_record.valid_to, last.valid_to, last.history_user) == (None, dt.date(2026, 3, 31), manager)


def test_redefining_a_template_records_its_tasks_and_dependencies_removed_and_added():
    version = make_product(tasks=[TaskSpec("Survey"), TaskSpec("Install", depends_on=["Survey"])])
    template = version.product.templates.get(action="add")
    engineer = make_user("provisioning")

    with audit.acting_for(engineer):
        services.template_define(
            product=version.product, action="add", name="Install fiber", tasks=[TaskSpec("Install", planned_minutes=90)]
        )

    tasks = TemplateTask.history.filter(template_id=template.pk).order_by("history_id")
    rows = list(tasks.values_list("history_type", "name", "planned_minutes", "history_user"))
    assert rows[:2] == [("+", "Survey", 60, None), ("+", "Install", 60, None)]
    assert sorted(rows[2:4]) == [("-", "Install", 60, engineer.pk), ("-", "Survey", 60, engineer.pk)]
    assert rows[4:] == [("+", "Install", 90, engineer.pk)]
    assert list(TemplateDependency.history.order_by("history_id").values_list("history_type", flat=True)) == ["+", "-"]
    assert template.history.latest().name == "Install fiber"
