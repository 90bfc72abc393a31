"""A version's monthly cost, promised availability and credit table: checked by version_create
and by the model's clean (the admin's form), field by field; shown on the product page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse

from headend.catalog import services
from headend.catalog.models import ProductVersion
from headend.catalog.sla_terms import check_availability_terms, credit_percent_for
from headend.core.errors import ValidationError
from tests.factories import make_product, make_user

TABLE = [
    {"below": "99.0", "credit_percent": "50"},
    {"below": "99.9", "credit_percent": "10"},
    {"below": "99.5", "credit_percent": "25.00"},
]


def test_a_table_is_normalised_highest_level_first():
    target, credits = check_availability_terms(target="99.90", credits=TABLE)

    assert target == Decimal("99.900")
    assert credits == [
        {"below": "99.9", "credit_percent": "10"},
        {"below": "99.5", "credit_percent": "25"},
        {"below": "99", "credit_percent": "50"},
    ]


def test_json_numbers_are_read_as_written():
    assert check_availability_terms(target=99.95, credits=[{"below": 99.95, "credit_percent": 12.5}]) == (
        Decimal("99.950"),
        [{"below": "99.95", "credit_percent": "12.5"}],
    )


def test_a_target_without_credits_and_no_target_at_all_are_fine():
    assert check_availability_terms(target="99.9", credits=[]) == (Decimal("99.900"), [])
    assert check_availability_terms(target=None, credits=None) == (None, [])


@pytest.mark.parametrize(
    ("target", "credits", "field", "code"),
    [
        ("0", [], "availability_target", "invalid_percent"),
        ("100.5", [], "availability_target", "invalid_percent"),
        ("99.9999", [], "availability_target", "invalid_number"),  # more places than the column
        ("NaN", [], "availability_target", "invalid_number"),
        (None, [{"below": "99", "credit_percent": "10"}], "availability_target", "required"),
        ("99.9", {"below": "99"}, "availability_credits", "invalid"),
        ("99.9", [["99", "10"]], "availability_credits[1]", "invalid"),
        ("99.9", [{"below": "99"}], "availability_credits[1]", "invalid"),
        ("99.9", [{"below": "99", "credit_percent": "10", "note": "x"}], "availability_credits[1]", "invalid"),
        ("99.9", [{"below": "0", "credit_percent": "10"}], "availability_credits[1].below", "invalid_percent"),
        ("99.9", [{"below": "-1", "credit_percent": "10"}], "availability_credits[1].below", "invalid_percent"),
        ("99.9", [{"below": "abc", "credit_percent": "10"}], "availability_credits[1].below", "invalid_number"),
        ("99.9", [{"below": True, "credit_percent": "10"}], "availability_credits[1].below", "invalid_number"),
        ("99.9", [{"below": "99", "credit_percent": "0"}], "availability_credits[1].credit_percent", "invalid_percent"),
        (
            "99.9",
            [{"below": "99", "credit_percent": "100.01"}],
            "availability_credits[1].credit_percent",
            "invalid_percent",
        ),
        (
            "99.9",
            [{"below": "99", "credit_percent": "12.345"}],
            "availability_credits[1].credit_percent",
            "invalid_number",
        ),
        ("99.5", [{"below": "99.9", "credit_percent": "10"}], "availability_credits[1].below", "level_above_target"),
        (
            "99.9",
            [{"below": "99.9", "credit_percent": "10"}, {"below": "99.90", "credit_percent": "20"}],
            "availability_credits[2].below",
            "duplicate_level",
        ),
        (
            "99.9",
            [{"below": "99.9", "credit_percent": "25"}, {"below": "99.5", "credit_percent": "10"}],
            "availability_credits[2].credit_percent",
            "credit_shrinks",
        ),
        (
            "99.9",
            [{"below": str(99 - n), "credit_percent": "10"} for n in range(21)],
            "availability_credits",
            "too_many",
        ),
    ],
)
def test_a_bad_target_or_table_names_its_field(target, credits, field, code):
    with pytest.raises(ValidationError) as error:
        check_availability_terms(target=target, credits=credits)

    assert (error.value.field, error.value.code) == (field, code)


def test_the_credit_is_that_of_the_lowest_level_the_availability_is_under():
    _, credits = check_availability_terms(target="99.9", credits=TABLE)

    assert [
        credit_percent_for(Decimal(value), credits) for value in ("99.9", "99.8999", "99.5", "99.0", "98.9999")
    ] == [
        Decimal(0),
        Decimal(10),
        Decimal(10),
        Decimal(25),
        Decimal(50),
    ]


@pytest.mark.django_db
def test_version_create_stores_the_cost_target_and_table():
    version = make_product(monthly_cost="180.00", availability_target="99.9", availability_credits=TABLE)

    version.refresh_from_db()
    assert (version.monthly_cost_amount, version.availability_target, version.availability_credits) == (
        Decimal("180.00"),
        Decimal("99.900"),
        [
            {"below": "99.9", "credit_percent": "10"},
            {"below": "99.5", "credit_percent": "25"},
            {"below": "99", "credit_percent": "50"},
        ],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"monthly_cost": "-1.00"}, "monthly_cost"),
        ({"monthly_cost": "1.234"}, "monthly_cost"),
        ({"availability_credits": TABLE}, "availability_target"),
        ({"availability_target": "99.9", "availability_credits": [{"below": "100.1", "credit_percent": "5"}]},
         "availability_credits[1].below"),
    ],
)  # fmt: skip
def test_version_create_refuses_a_bad_cost_or_table_and_writes_nothing(values, field):
    product = services.product_create(code="dia", name="DIA", kind="internet", customer_type="business")

    with pytest.raises(ValidationError) as error:
        services.version_create(
            product=product, effective_from=dt.date(2020, 1, 1), prices={12: ("650", "0")}, **values
        )

    assert error.value.field == field
    assert not ProductVersion.objects.filter(product=product).exists()


@pytest.mark.django_db
def test_the_model_clean_refuses_a_bad_table_on_its_field():
    version = make_product()
    version.availability_target = Decimal("99.9")
    version.availability_credits = [
        {"below": "99.9", "credit_percent": "10"},
        {"below": "99.9", "credit_percent": "20"},
    ]

    with pytest.raises(DjangoValidationError) as error:
        version.full_clean()

    assert error.value.message_dict == {"availability_credits": ["Row 2: the level 99.9 % is already row 1."]}


@pytest.mark.django_db
def test_the_admin_form_shows_the_error_on_the_credit_table(client):
    version = make_product()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1"))
    url = reverse("admin:catalog_productversion_change", args=[version.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {
        "effective_from": "2020-01-01",
        "created_at_0": "2020-01-01",
        "created_at_1": "00:00:00",
        "published_at_0": "2020-01-01",
        "published_at_1": "00:00:00",
        "availability_target": "99.5",
        "availability_credits": '[{"below": "99.9", "credit_percent": "10"}]',
        "prices-TOTAL_FORMS": "0",
        "prices-INITIAL_FORMS": "0",
        "tiers-TOTAL_FORMS": "0",
        "tiers-INITIAL_FORMS": "0",
    }

    response = client.post(url, data)

    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors
    assert errors["availability_credits"] == ["Row 1: the level 99.9 % is above the 99.5 % promised."]
    version.refresh_from_db()
    assert (version.availability_target, version.availability_credits) == (None, [])


@pytest.mark.django_db
def test_the_product_page_shows_cost_target_and_credit_table(client):
    version = make_product(monthly_cost="180.00", availability_target="99.9", availability_credits=TABLE)
    client.force_login(make_user("sales"))

    html = client.get(version.product.get_absolute_url()).content.decode()

    assert "<small>Cost:</small> $180.00 per unit a month" in html
    assert "<small>Availability promised:</small> 99.9 %" in html
    assert "<div><small>below 99.9 %:</small> 10 %</div><div><small>below 99.5 %:</small> 25 %</div>" in html


@pytest.mark.django_db
def test_the_demo_catalog_costs_every_product_and_promises_the_business_circuits_99_9():
    from headend.catalog.models import Skill
    from headend.web.demo import catalog as demo_catalog
    from headend.web.demo import network as demo_network
    from headend.web.demo.staff import SKILLS

    for code, name in SKILLS:
        Skill.objects.get_or_create(code=code, defaults={"name": name})
    demo_network.pools_and_nas()  # what the demo's templates name
    demo_catalog.products()
    demo_catalog.products()  # loading again changes nothing

    versions = {version.product.code: version for version in ProductVersion.objects.select_related("product")}
    assert {code: str(version.monthly_cost_amount) for code, version in versions.items()} == demo_catalog.MONTHLY_COSTS
    assert {
        code: (version.availability_target, version.availability_credits)
        for code, version in versions.items()
        if version.availability_target is not None
    } == {
        code: (
            Decimal("99.900"),
            [
                {"below": "99.9", "credit_percent": "10"},
                {"below": "99.5", "credit_percent": "25"},
                {"below": "99", "credit_percent": "50"},
            ],
        )
        for code in ("biz-dia-1g", "biz-dia-10g")
    }
