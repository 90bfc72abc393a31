"""Product rollout use cases (issue 17): a new version from an existing one, a new product from a
copy, publishing; an effective date in the past or a price below the floor writes nothing."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.catalog import services as catalog_services
from headend.catalog.models import Price, Product, ProductRelation, ProductVersion, Promotion, WorkOrderTemplate
from headend.core.errors import Conflict, Forbidden, ValidationError
from tests.conftest import outbox_names
from tests.factories import make_product, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 2)  # the frozen clock's day in Maine


@pytest.fixture
def pm():
    return make_user("product_manager")


@pytest.fixture
def fiber_300():
    version = make_product(
        code="res-fiber-300",
        customer_type="residential",
        prices={0: ("55.00", "99.00"), 12: ("50.00", "0.00"), 24: ("45.00", "0.00")},
        download_mbps=300,
        upload_mbps=300,
        floor_mrc="36.00",
        etf_kind="percent_of_remaining",
        etf_percent="100",
        etf_cap_months=6,
        monthly_cost="18.00",
    )
    version.typical_download_mbps, version.typical_latency_ms, version.data_policy = 310, 9, "Unlimited data."
    version.save()
    return version


def test_version_create_from_copies_rules_and_label_with_new_prices(fiber_300, pm):
    draft = catalog_services.version_create_from(
        source=fiber_300, effective_from=TODAY, by=pm, prices={12: ("48.00", "0.00"), 24: ("44.00", "0.00")}
    )

    assert (draft.version, draft.status, draft.effective_from) == (2, "draft", TODAY)
    assert [(p.term_months, p.mrc_amount, p.nrc_amount) for p in draft.prices.all()] == [
        (12, Decimal("48.00"), Decimal("0.00")),
        (24, Decimal("44.00"), Decimal("0.00")),
    ]
    assert (draft.floor_mrc_amount, draft.etf_kind, draft.etf_percent, draft.etf_cap_months) == (
        Decimal("36.00"),
        "percent_of_remaining",
        Decimal("100.00"),
        6,
    )
    assert (draft.download_mbps, draft.monthly_cost_amount) == (300, Decimal("18.00"))
    assert (draft.typical_download_mbps, draft.typical_latency_ms, draft.data_policy) == (310, 9, "Unlimited data.")
    assert draft.fcc_label_id == ""


def test_version_create_from_without_prices_takes_the_sources(fiber_300, pm):
    draft = catalog_services.version_create_from(source=fiber_300, effective_from=TODAY, by=pm)

    assert {p.term_months: p.mrc_amount for p in draft.prices.all()} == {
        0: Decimal("55.00"),
        12: Decimal("50.00"),
        24: Decimal("45.00"),
    }


def test_an_effective_date_in_the_past_is_refused_and_nothing_is_written(fiber_300, pm):
    with pytest.raises(ValidationError) as refused:
        catalog_services.version_create_from(source=fiber_300, effective_from=TODAY - dt.timedelta(days=1), by=pm)

    assert (refused.value.field, refused.value.code) == ("effective_from", "effective_in_past")
    assert fiber_300.product.versions.count() == 1


def test_today_is_a_valid_effective_date_and_tomorrow_too(fiber_300, pm):
    for day in (TODAY, TODAY + dt.timedelta(days=1)):
        catalog_services.version_create_from(source=fiber_300, effective_from=day, by=pm)

    assert fiber_300.product.versions.count() == 3


def test_a_price_below_the_floor_is_refused_on_that_term_and_nothing_is_written(fiber_300, pm):
    with pytest.raises(ValidationError) as refused:
        catalog_services.version_create_from(
            source=fiber_300, effective_from=TODAY, by=pm, prices={12: ("36.00", "0"), 24: ("35.99", "0")}
        )

    assert (refused.value.field, refused.value.code) == ("prices[24]", "below_floor")
    assert "below the floor 36.00" in refused.value.message
    assert ProductVersion.objects.filter(product=fiber_300.product).count() == 1
    assert Price.objects.filter(version__product=fiber_300.product).count() == 3


def test_a_bad_promotion_rolls_back_the_version(fiber_300, pm):
    with pytest.raises(ValidationError) as refused:
        catalog_services.version_create_from(
            source=fiber_300,
            effective_from=TODAY,
            by=pm,
            promotion={"code": "launch", "name": "Launch", "mrc_off_kind": "percent", "mrc_off_value": "150"},
        )

    assert refused.value.field == "promotion.mrc_off_value"
    assert fiber_300.product.versions.count() == 1
    assert not Promotion.objects.exists()


def test_only_a_product_manager_or_admin_rolls_out(fiber_300):
    with pytest.raises(Forbidden):
        catalog_services.version_create_from(source=fiber_300, effective_from=TODAY, by=make_user("sales_manager"))

    catalog_services.version_create_from(source=fiber_300, effective_from=TODAY, by=make_user("admin"))


def test_product_create_from_copies_product_templates_paths_and_a_draft(fiber_300, pm):
    gig = make_product(code="res-fiber-1g")
    catalog_services.product_relate(product=fiber_300.product, target=gig.product, kind="upgrade")

    draft = catalog_services.product_create_from(
        source=fiber_300,
        code="res-fiber-500",
        name="Fiber 500",
        effective_from=TODAY + dt.timedelta(days=7),
        by=pm,
        prices={12: ("60.00", "0.00")},
        download_mbps=500,
        upload_mbps=500,
        promotion={"code": "f500-launch", "name": "Launch offer", "mrc_off_kind": "amount",
                   "mrc_off_value": "10", "mrc_off_months": 3},
    )  # fmt: skip

    product = draft.product
    assert (product.code, product.name, product.customer_type, product.kind) == (
        "res-fiber-500",
        "Fiber 500",
        "residential",
        "internet",
    )
    assert (draft.version, draft.status, draft.download_mbps, draft.floor_mrc_amount) == (
        1,
        "draft",
        500,
        Decimal("36.00"),
    )
    assert set(WorkOrderTemplate.objects.filter(product=product).values_list("action", flat=True)) == set(
        WorkOrderTemplate.objects.filter(product=fiber_300.product).values_list("action", flat=True)
    )
    assert list(product.templates.get(action="add").tasks.values_list("name", flat=True)) == [
        "Schedule",
        "Install",
        "Activate",
    ]
    assert list(ProductRelation.objects.filter(product=product).values_list("target", "kind")) == [
        (gig.product_id, "upgrade")
    ]
    promotion = Promotion.objects.get(code="f500-launch")
    assert (promotion.version, promotion.valid_from) == (draft, draft.effective_from)


def test_product_create_from_with_a_code_taken_writes_nothing(fiber_300, pm):
    with pytest.raises(ValidationError) as refused:
        catalog_services.product_create_from(
            source=fiber_300, code="res-fiber-300", name="Fiber 500", effective_from=TODAY, by=pm
        )

    assert refused.value.field == "code"
    assert Product.objects.count() == 1


def test_product_create_from_keeps_the_sources_delivery(pm):
    partner = make_product(code="partner-100", customer_type="business", delivery="wholesale")

    draft = catalog_services.product_create_from(
        source=partner, code="partner-fiber-200", name="Partner Fiber 200", effective_from=TODAY, by=pm
    )

    assert draft.product.delivery == Product.Delivery.WHOLESALE


def test_product_create_from_makes_a_wholesale_partner_product_from_an_on_net_one(fiber_300, pm):
    draft = catalog_services.product_create_from(
        source=fiber_300,
        code="partner-100",
        name="Partner Fiber 100 (wholesale)",
        effective_from=TODAY,
        by=pm,
        delivery="wholesale",
    )

    assert (draft.product.delivery, fiber_300.product.delivery) == ("wholesale", "on_net")
    assert (draft.product.customer_type, draft.product.kind) == ("residential", "internet")


def test_product_create_from_with_an_unknown_delivery_writes_nothing(fiber_300, pm):
    with pytest.raises(ValidationError) as refused:
        catalog_services.product_create_from(
            source=fiber_300, code="res-fiber-500", name="Fiber 500", effective_from=TODAY, by=pm, delivery="resold"
        )

    assert (refused.value.field, refused.value.code) == ("delivery", "invalid_choice")
    assert Product.objects.count() == 1


def test_product_update_sets_the_delivery_and_refuses_an_unknown_one(fiber_300, pm):
    catalog_services.product_update(product=fiber_300.product, by=pm, delivery="wholesale")
    with pytest.raises(ValidationError) as refused:
        catalog_services.product_update(product=fiber_300.product, by=pm, delivery="")

    fiber_300.product.refresh_from_db()
    assert fiber_300.product.delivery == "wholesale"
    assert refused.value.field == "delivery"


def test_launch_publishes_a_draft_and_emits_the_event(fiber_300, pm):
    draft = catalog_services.version_create_from(source=fiber_300, effective_from=TODAY, by=pm)

    catalog_services.version_launch(version=draft, by=pm)

    draft.refresh_from_db()
    assert draft.status == "published"
    assert outbox_names(subject=draft) == ["product_version.published"]


def test_launch_refuses_a_draft_whose_date_has_passed(fiber_300, pm):
    draft = catalog_services.version_create_from(source=fiber_300, effective_from=TODAY, by=pm)
    ProductVersion.objects.filter(pk=draft.pk).update(effective_from=TODAY - dt.timedelta(days=1))

    with pytest.raises(ValidationError) as refused:
        catalog_services.version_launch(version=draft, by=pm)

    assert refused.value.code == "effective_in_past"
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_launch_of_a_published_version_is_a_conflict(fiber_300, pm):
    with pytest.raises(Conflict):
        catalog_services.version_launch(version=fiber_300, by=pm)


def test_prices_of_a_draft_can_be_set_but_not_below_the_floor(fiber_300, pm):
    draft = catalog_services.version_create_from(source=fiber_300, effective_from=TODAY, by=pm)

    catalog_services.version_prices_set(version=draft, by=pm, prices={36: ("40.00", "0")}, keep_other_terms=True)
    with pytest.raises(ValidationError) as refused:
        catalog_services.version_prices_set(version=draft, by=pm, prices={12: ("30.00", "0")})

    assert refused.value.field == "prices[12]"
    assert {p.term_months: p.mrc_amount for p in draft.prices.all()} == {
        0: Decimal("55.00"),
        12: Decimal("50.00"),
        24: Decimal("45.00"),
        36: Decimal("40.00"),
    }


def test_prices_of_a_published_version_do_not_change(fiber_300, pm):
    with pytest.raises(Conflict) as refused:
        catalog_services.version_prices_set(version=fiber_300, by=pm, prices={12: ("60.00", "0")})

    assert refused.value.code == "version_not_draft"
