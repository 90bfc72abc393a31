"""The rollout pages (issue 17): new version from this one, new product from a copy, preview quote,
publish; bad input is a message on the form's field and writes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from headend.catalog.models import Product, ProductVersion, Promotion
from tests.factories import make_product, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def fiber_300():
    return make_product(
        code="res-fiber-300",
        customer_type="residential",
        prices={12: ("50.00", "0.00"), 24: ("45.00", "0.00")},
        floor_mrc="36.00",
        download_mbps=300,
        upload_mbps=300,
    )


@pytest.fixture
def pm_client(client):
    client.force_login(make_user("product_manager"))
    return client


def form_data(**overrides):
    data = {
        "effective_from": "2026-03-09",
        "floor_mrc": "36.00",
        "download_mbps": "500",
        "upload_mbps": "500",
        "price_12_mrc": "60.00",
        "price_12_nrc": "0.00",
        "price_24_mrc": "55.00",
        "price_24_nrc": "0.00",
        "promotion_mrc_off_kind": "percent",
    }
    return data | overrides


def test_new_version_form_is_prefilled_from_the_source(pm_client, fiber_300):
    response = pm_client.get(reverse("catalog:version_new", args=[fiber_300.pk]))

    assert response.status_code == 200
    form = response.context["form"]
    assert (form["price_12_mrc"].value(), form["price_24_mrc"].value(), form["floor_mrc"].value()) == (
        Decimal("50.00"),
        Decimal("45.00"),
        Decimal("36.00"),
    )
    assert form["effective_from"].value() == TODAY


def test_new_version_posts_a_draft_and_goes_to_its_preview(pm_client, fiber_300):
    response = pm_client.post(reverse("catalog:version_new", args=[fiber_300.pk]), form_data())

    draft = fiber_300.product.versions.get(version=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:version_preview", args=[draft.pk])
    assert (draft.status, draft.effective_from, draft.download_mbps) == ("draft", dt.date(2026, 3, 9), 500)


def test_a_past_effective_date_is_a_message_on_the_date_and_writes_nothing(pm_client, fiber_300):
    response = pm_client.post(
        reverse("catalog:version_new", args=[fiber_300.pk]), form_data(effective_from="2026-03-01")
    )

    assert response.status_code == 200
    assert "is in the past" in response.context["form"].errors["effective_from"][0]
    assert fiber_300.product.versions.count() == 1


def test_a_price_below_the_floor_is_a_message_on_that_price_and_writes_nothing(pm_client, fiber_300):
    response = pm_client.post(reverse("catalog:version_new", args=[fiber_300.pk]), form_data(price_24_mrc="35.00"))

    assert response.status_code == 200
    assert response.context["form"].errors["price_24_mrc"] == [
        "24 months: the monthly price 35.00 is below the floor 36.00; raise the price or lower the floor."
    ]
    assert fiber_300.product.versions.count() == 1


def test_copy_makes_a_new_product_with_a_promotion(pm_client, fiber_300):
    data = form_data(
        code="res-fiber-500",
        name="Fiber 500",
        promotion_name="Launch",
        promotion_code="f500-launch",
        promotion_mrc_off_value="50",
        promotion_mrc_off_months="3",
    )

    response = pm_client.post(reverse("catalog:product_copy", args=[fiber_300.pk]), data)

    product = Product.objects.get(code="res-fiber-500")
    draft = product.versions.get()
    assert response["Location"] == reverse("catalog:version_preview", args=[draft.pk])
    assert Promotion.objects.get(code="f500-launch").version == draft


def test_copy_form_offers_the_delivery_prefilled_from_the_source(pm_client, fiber_300):
    copy_form = pm_client.get(reverse("catalog:product_copy", args=[fiber_300.pk])).context["form"]
    version_form = pm_client.get(reverse("catalog:version_new", args=[fiber_300.pk])).context["form"]

    assert copy_form["delivery"].value() == "on_net"
    assert "delivery" not in version_form.fields


def test_copy_makes_a_wholesale_partner_product(pm_client, fiber_300):
    data = form_data(code="partner-100", name="Partner Fiber 100 (wholesale)", delivery="wholesale")

    response = pm_client.post(reverse("catalog:product_copy", args=[fiber_300.pk]), data)

    product = Product.objects.get(code="partner-100")
    assert response["Location"] == reverse("catalog:version_preview", args=[product.versions.get().pk])
    assert (product.delivery, product.name) == ("wholesale", "Partner Fiber 100 (wholesale)")
    html = pm_client.get(product.get_absolute_url()).content.decode()
    eligibility = html.split('data-testid="eligibility">')[1].split("</p>")[0]
    assert "<small>Delivery:</small> Wholesale partner" in eligibility


def test_copy_with_an_unknown_delivery_names_that_field_and_writes_nothing(pm_client, fiber_300):
    data = form_data(code="partner-100", name="Partner Fiber 100", delivery="resold")

    response = pm_client.post(reverse("catalog:product_copy", args=[fiber_300.pk]), data)

    assert response.status_code == 200
    assert "resold is not one of the available choices" in response.context["form"].errors["delivery"][0]
    assert not Product.objects.filter(code="partner-100").exists()


def test_copy_with_a_taken_promotion_code_names_that_field_and_writes_nothing(pm_client, fiber_300):
    Promotion.objects.create(
        product=fiber_300.product,
        code="taken",
        name="Old",
        valid_from=TODAY,
        waives_installation=True,
        created_at=fiber_300.created_at,
    )

    response = pm_client.post(
        reverse("catalog:product_copy", args=[fiber_300.pk]),
        form_data(code="res-fiber-500", name="Fiber 500", promotion_name="Launch", promotion_code="taken"),
    )

    assert "exists" in response.context["form"].errors["promotion_code"][0]
    assert not Product.objects.filter(code="res-fiber-500").exists()


def test_preview_prices_the_draft_with_the_quoting_engine(pm_client, fiber_300):
    pm_client.post(reverse("catalog:version_new", args=[fiber_300.pk]), form_data())
    draft = fiber_300.product.versions.get(version=2)

    response = pm_client.get(reverse("catalog:version_preview", args=[draft.pk]), {"term_months": 24, "quantity": 2})

    html = response.content.decode()
    assert 'data-testid="preview-mrc">$110.00<' in html
    assert 'data-testid="preview-tcv">$2,640.00<' in html
    assert "Publish" in html


def test_publish_from_the_preview(pm_client, fiber_300):
    pm_client.post(reverse("catalog:version_new", args=[fiber_300.pk]), form_data())
    draft = fiber_300.product.versions.get(version=2)

    response = pm_client.post(reverse("catalog:version_publish", args=[draft.pk]))

    assert response["Location"] == fiber_300.product.get_absolute_url()
    assert ProductVersion.objects.get(pk=draft.pk).status == "published"


def test_a_sales_rep_sees_the_product_page_without_rollout_actions(client, fiber_300):
    client.force_login(make_user("sales"))

    html = client.get(fiber_300.product.get_absolute_url()).content.decode()
    refused = client.post(reverse("catalog:version_new", args=[fiber_300.pk]), form_data())

    assert "New version from this one" not in html
    assert refused.status_code == 403
    assert fiber_300.product.versions.count() == 1


def test_the_product_page_shows_rollout_eligibility_and_label_to_a_product_manager(pm_client, fiber_300):
    html = pm_client.get(fiber_300.product.get_absolute_url()).content.decode()

    assert "<small>Delivery:</small> Our network" in html
    assert "New version from this one" in html
    assert "New product from a copy" in html
    assert 'data-testid="eligibility"' in html
    assert 'data-testid="label-fields"' in html
