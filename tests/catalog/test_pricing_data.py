"""Catalog pricing data: tiers, floor, ETF, move fee, waivable installation, promotions and
product relations; their use cases, selectors and the product page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from headend.catalog import selectors, services
from headend.catalog.models import EtfKind, MrcOffKind, PriceTier, ProductRelation, ProductVersion, Promotion
from headend.core.errors import Conflict, ValidationError
from headend.quoting import pricing
from tests.factories import define_change_templates, make_product, make_user

pytestmark = pytest.mark.django_db

D = Decimal
VOICE_PRICES = {0: ("25.00", "25.00"), 12: ("20.00", "0.00")}
VOICE_TIERS = {12: [(1, 4, "20.00"), (5, 9, "18.00"), (10, None, "15.00")]}


def voice_version(**rules) -> ProductVersion:
    product = services.product_create(code="voice-line", name="Voice line", kind="voice", customer_type="any")
    define_change_templates(product)
    return services.version_create(product=product, effective_from=dt.date(2020, 1, 1), prices=VOICE_PRICES, **rules)


def test_version_pricing_carries_tiers_floor_etf_move_fee_and_waiver():
    version = voice_version(
        tiers=VOICE_TIERS,
        floor_mrc="14.00",
        etf_kind="percent_of_remaining",
        etf_percent="50",
        etf_cap="300",
        etf_on_downgrade=True,
        move_fee="75",
        installation_waivable=True,
    )

    book = selectors.version_pricing(version=version)

    assert book == pricing.VersionPricing(
        prices=(pricing.TermPrice(0, D("25.00"), D("25.00")), pricing.TermPrice(12, D("20.00"), D("0.00"))),
        tiers=(
            pricing.Tier(12, 1, 4, D("20.00")),
            pricing.Tier(12, 5, 9, D("18.00")),
            pricing.Tier(12, 10, None, D("15.00")),
        ),
        floor_mrc_amount=D("14.00"),
        etf=pricing.EtfRule(kind="percent_of_remaining", percent=D("50.00"), cap_amount=D("300.00"), on_downgrade=True),
        move_fee_amount=D("75.00"),
        installation_waivable=True,
    )


def test_a_version_without_rules_prices_as_before():
    version = make_product(prices={12: ("65.00", "99.00")})

    book = selectors.version_pricing(version=version)

    assert (book.tiers, book.floor_mrc_amount, book.etf, book.move_fee_amount) == ((), None, pricing.NO_ETF, D(0))
    assert book.installation_waivable is False


def test_catalog_rule_kinds_are_the_engines():
    assert list(EtfKind.values) == list(pricing.EtfKind)
    assert list(MrcOffKind.values) == list(pricing.MrcOffKind)


@pytest.mark.parametrize(
    ("rules", "field", "code"),
    [
        ({"tiers": {12: [(1, 4, "-1.00")]}}, "tiers[12][1].mrc_amount", "invalid_amount"),
        ({"tiers": {12: [(1, 5, "20.00"), (5, None, "18.00")]}}, "tiers[12][2].min_quantity", "overlapping_tiers"),
        (
            {"tiers": {12: [(5, None, "18.00"), (1, 4, "20.00"), (3, 3, "19.00")]}},
            "tiers[12][3].min_quantity",
            "overlapping_tiers",
        ),
        ({"tiers": {12: [(1, None, "20.00"), (10, None, "15.00")]}}, "tiers[12][2].min_quantity", "overlapping_tiers"),
        ({"tiers": {12: [(1, 4, "20.00"), (6, None, "18.00")]}}, "tiers[12][2].min_quantity", "tier_gap"),
        ({"tiers": {12: [(0, 4, "20.00")]}}, "tiers[12][1].min_quantity", "invalid"),
        ({"tiers": {12: [(5, 4, "20.00")]}}, "tiers[12][1].max_quantity", "invalid"),
        ({"tiers": {24: [(1, None, "20.00")]}}, "tiers[24]", "term_not_offered"),
        ({"floor_mrc": "-0.01"}, "floor_mrc", "invalid_amount"),
        ({"floor_mrc": "20.01"}, "floor_mrc", "floor_above_price"),
        ({"tiers": VOICE_TIERS, "floor_mrc": "15.01"}, "floor_mrc", "floor_above_price"),
        ({"etf_kind": "percent_of_remaining", "etf_percent": "100.01"}, "etf_percent", "percent_above_100"),
        ({"etf_kind": "percent_of_remaining"}, "etf_percent", "required"),
        ({"etf_kind": "flat", "etf_amount": "-5"}, "etf_amount", "invalid_amount"),
        ({"etf_kind": "flat", "etf_amount": "200", "etf_cap": "-1"}, "etf_cap", "invalid_amount"),
        ({"etf_kind": "forever"}, "etf_kind", "invalid_choice"),
        ({"move_fee": "-75"}, "move_fee", "invalid_amount"),
        ({"move_fee": "lots"}, "move_fee", "invalid_amount"),
    ],
)
def test_bad_pricing_rules_are_refused_naming_the_field_and_write_nothing(rules, field, code):
    product = services.product_create(code="voice-line", name="Voice line", kind="voice", customer_type="any")

    with pytest.raises(ValidationError) as error:
        services.version_create(product=product, effective_from=dt.date(2020, 1, 1), prices=VOICE_PRICES, **rules)

    assert (error.value.field, error.value.code) == (field, code)
    assert (ProductVersion.objects.count(), PriceTier.objects.count()) == (0, 0)


def test_tiers_of_a_draft_are_replaced_per_term():
    version = voice_version(tiers=VOICE_TIERS)

    services.version_tiers_set(version=version, term_months=12, tiers=[(1, 9, "19.00"), (10, None, "14.00")])

    assert list(version.tiers.values_list("min_quantity", "max_quantity", "mrc_amount")) == [
        (1, 9, D("19.00")),
        (10, None, D("14.00")),
    ]


def test_tiers_of_a_published_version_cannot_change():
    version = services.version_publish(version=voice_version(tiers=VOICE_TIERS))

    with pytest.raises(Conflict):
        services.version_tiers_set(version=version, term_months=12, tiers=[])

    assert version.tiers.count() == 3


def test_tiers_under_the_floor_are_refused():
    version = voice_version(floor_mrc="15.00")

    with pytest.raises(ValidationError) as error:
        services.version_tiers_set(version=version, term_months=12, tiers=[(1, None, "14.99")])

    assert error.value.field == "floor_mrc"
    assert version.tiers.count() == 0


# Promotions.


def promotion(of: ProductVersion, **overrides) -> Promotion:
    values = {
        "product": of.product,
        "code": "half-3",
        "name": "First 3 months half price",
        "valid_from": dt.date(2026, 3, 1),
        "valid_to": dt.date(2026, 3, 31),
        "mrc_off_kind": "percent",
        "mrc_off_value": "50",
        "mrc_off_months": 3,
    }
    values.update(overrides)
    return services.promotion_create(**values)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"valid_to": dt.date(2026, 2, 28)}, "valid_to", "dates_out_of_order"),
        ({"mrc_off_value": "100.01"}, "mrc_off_value", "percent_above_100"),
        ({"mrc_off_value": "-5"}, "mrc_off_value", "invalid_amount"),
        ({"mrc_off_kind": "amount", "mrc_off_value": "0"}, "mrc_off_value", "invalid_amount"),
        ({"mrc_off_months": 0}, "mrc_off_months", "invalid_months"),
        ({"mrc_off_kind": "none"}, "mrc_off_kind", "required"),
        ({"mrc_off_kind": "free"}, "mrc_off_kind", "invalid_choice"),
        ({"terms": [18]}, "terms", "unknown_term"),
    ],
)
def test_bad_promotions_are_refused_naming_the_field(overrides, field, code):
    version = make_product()

    with pytest.raises(ValidationError) as error:
        promotion(version, **overrides)

    assert (error.value.field, error.value.code) == (field, code)
    assert Promotion.objects.count() == 0


def test_promotion_for_a_version_of_another_product_is_refused():
    version, other = make_product(), make_product()

    with pytest.raises(ValidationError) as error:
        promotion(version, version=other)

    assert error.value.field == "version"


def test_promotion_codes_are_unique():
    version = make_product()
    promotion(version)

    with pytest.raises(ValidationError) as error:
        promotion(version, name="Again")

    assert (error.value.field, error.value.code) == ("code", "duplicate_code")


@pytest.mark.parametrize(
    ("on", "found"),
    [
        (dt.date(2026, 2, 28), False),
        (dt.date(2026, 3, 1), True),
        (dt.date(2026, 3, 31), True),
        (dt.date(2026, 4, 1), False),
    ],
)
def test_promotions_for_a_day_inside_and_one_past_its_dates(on, found):
    version = make_product()
    promotion(version)

    codes = [p.code for p in selectors.promotions_for(version=version, term_months=12, on=on)]

    assert codes == (["half-3"] if found else [])


def test_promotions_for_a_term_and_a_version():
    v1 = make_product()
    v2 = services.version_create(product=v1.product, effective_from=dt.date(2026, 1, 1), prices={12: ("60", "0")})
    promotion(v1, code="long-terms", terms=[24, 36])
    promotion(v1, code="v2-only", version=v2)
    promotion(v1, code="install-free", mrc_off_kind="none", waives_installation=True, valid_to=None)
    on = dt.date(2026, 3, 2)

    assert [p.code for p in selectors.promotions_for(version=v1, term_months=12, on=on)] == ["install-free"]
    assert [p.code for p in selectors.promotions_for(version=v1, term_months=24, on=on)] == [
        "install-free",
        "long-terms",
    ]
    assert [p.code for p in selectors.promotions_for(version=v2, term_months=12, on=on)] == [
        "install-free",
        "v2-only",
    ]


def test_promotion_offer_is_what_the_engine_prices():
    version = make_product(prices={12: ("100.00", "99.00")})
    offer = selectors.promotion_offer(promotion=promotion(version, terms=[12]))

    line = pricing.price_quote_line(
        pricing.LineRequest(
            pricing=selectors.version_pricing(version=version), term_months=12, promotion=offer, on=dt.date(2026, 3, 2)
        )
    )

    assert (line.promo_mrc_amount, line.promo_months, line.contract_value_amount) == (D("50.00"), 3, D("1149.00"))


def test_promotion_end_stops_it_after_the_day():
    version = make_product()
    offer = promotion(version, valid_to=None)

    services.promotion_end(promotion=offer, on=dt.date(2026, 3, 10))

    assert selectors.promotions_for(version=version, term_months=12, on=dt.date(2026, 3, 11)) == []
    with pytest.raises(ValidationError) as error:
        services.promotion_end(promotion=offer, on=dt.date(2026, 2, 1))
    assert error.value.field == "valid_to"


# Relations.


def products(*names: str):
    return [
        services.product_create(code=name, name=name.replace("-", " ").title(), kind="internet", customer_type="any")
        for name in names
    ]


def test_upgrade_and_downgrade_paths_with_direction():
    gig, two_gig, slow = products("fiber-1g", "fiber-2g", "fiber-300")
    services.product_relate(product=gig, target=two_gig, kind="upgrade")
    services.product_relate(product=gig, target=slow, kind="downgrade")
    services.product_relate(product=two_gig, target=gig, kind="downgrade")

    targets = [(relation.target.code, relation.kind) for relation in selectors.upgrade_targets(product=gig)]

    assert targets == [("fiber-2g", "upgrade"), ("fiber-300", "downgrade")]
    assert selectors.path_between(product=gig, target=two_gig) == "upgrade"
    assert selectors.path_between(product=two_gig, target=gig) == "downgrade"
    assert selectors.path_between(product=slow, target=gig) is None


def test_replacements_both_ways():
    old, new = products("dsl-25", "fiber-300")

    services.product_relate(product=old, target=new, kind="replaced_by")

    assert selectors.replacements(product=old) == [new]
    assert selectors.replaced_products(product=new) == [old]
    assert selectors.replacements(product=new) == []


def test_relating_again_changes_the_kind():
    a, b = products("a-plan", "b-plan")
    services.product_relate(product=a, target=b, kind="upgrade")

    services.product_relate(product=a, target=b, kind="downgrade")

    assert list(ProductRelation.objects.values_list("kind", flat=True)) == ["downgrade"]


@pytest.mark.parametrize(
    ("first", "second", "field", "code"),
    [
        ("upgrade", "upgrade", "kind", "contradicting_relation"),
        ("downgrade", "downgrade", "kind", "contradicting_relation"),
        ("replaced_by", "replaced_by", "kind", "contradicting_relation"),
        ("replaced_by", "upgrade", "kind", "contradicting_relation"),
        ("upgrade", "sideways", "kind", "invalid_choice"),
    ],
)
def test_contradicting_relations_are_refused(first, second, field, code):
    a, b = products("a-plan", "b-plan")
    services.product_relate(product=a, target=b, kind=first)

    with pytest.raises(ValidationError) as error:
        services.product_relate(product=b, target=a, kind=second)

    assert (error.value.field, error.value.code) == (field, code)
    assert ProductRelation.objects.count() == 1


def test_a_product_cannot_relate_to_itself():
    (a,) = products("a-plan")

    with pytest.raises(ValidationError) as error:
        services.product_relate(product=a, target=a, kind="upgrade")

    assert error.value.field == "target"


def test_add_on_is_allowed_on_its_base_products_only():
    gig, dia, dsl = products("fiber-1g", "dia-1g", "dsl-25")
    static_ip = services.product_create(
        code="static-ip", name="Static IP", kind="addon", customer_type="any", addon_of=[gig, dia]
    )

    assert selectors.is_addon_allowed(addon=static_ip, base_products=[dsl, dia]) is True
    assert selectors.is_addon_allowed(addon=static_ip, base_products=[dsl]) is False
    assert selectors.is_addon_allowed(addon=static_ip, base_products=[]) is False
    assert selectors.is_addon_allowed(addon=gig, base_products=[dia]) is False


# The product page.


def test_product_page_shows_tiers_rules_promotions_and_paths(client):
    client.force_login(make_user("sales"))
    version = voice_version(
        tiers=VOICE_TIERS,
        floor_mrc="14.00",
        etf_kind="flat",
        etf_amount="200",
        move_fee="75",
        installation_waivable=True,
    )
    (business,) = products("voice-business")
    services.product_relate(product=version.product, target=business, kind="upgrade")
    promotion(version, code="voice-half", name="Voice half price", terms=[12])

    response = client.get(reverse("catalog:product_detail", args=[version.product.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "10+:</small> $15.00" in page
    assert "Floor:</small> $14.00 per unit a month" in page
    assert "Early termination:</small> $200.00 flat" in page
    assert "Move fee:</small> $75.00" in page
    assert "Voice half price" in page
    assert "First 3 months 50% off" in page
    assert "Upgrade to: <a" in page
    assert "Voice Business" in page


# Admin.


def admin_version_post(client, version: ProductVersion, tiers: list[tuple[str, str, str]]):
    """Post the admin change form of `version` as it is, with these (from, to, price) 12-month tiers."""
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    url = reverse("admin:catalog_productversion_change", args=[version.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "product": version.product.pk,
            "effective_from": "2020-01-01",
            "created_at_0": "2026-03-02",
            "created_at_1": "10:00:00",
            "prices-TOTAL_FORMS": str(version.prices.count()),
            "prices-INITIAL_FORMS": str(version.prices.count()),
            "tiers-TOTAL_FORMS": str(len(tiers)),
            "tiers-INITIAL_FORMS": "0",
        }
    )
    for n, price in enumerate(version.prices.order_by("term_months")):
        for field in ("id", "term_months", "mrc_amount", "nrc_amount", "currency"):
            data[f"prices-{n}-{field}"] = getattr(price, field)
        data[f"prices-{n}-version"] = version.pk
    for n, (low, high, mrc) in enumerate(tiers):
        data.update(
            {
                f"tiers-{n}-term_months": "12",
                f"tiers-{n}-min_quantity": low,
                f"tiers-{n}-max_quantity": high,
                f"tiers-{n}-mrc_amount": mrc,
                f"tiers-{n}-currency": "USD",
            }
        )
    return client.post(url, data)


def test_admin_version_page_saves_tiers(client):
    version = voice_version()

    response = admin_version_post(client, version, [("1", "4", "20.00"), ("5", "", "18.00")])

    assert response.status_code == 302
    assert list(version.tiers.values_list("min_quantity", "max_quantity")) == [(1, 4), (5, None)]


def test_admin_version_page_refuses_overlapping_tiers(client):
    version = voice_version()

    response = admin_version_post(client, version, [("1", "5", "20.00"), ("5", "", "18.00")])

    assert response.status_code == 200
    assert "tiers[12][2].min_quantity: Tiers overlap" in response.content.decode()
    assert version.tiers.count() == 0
