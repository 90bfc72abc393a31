"""The FCC broadband label of a plan (portal/labels.py), from the catalog, and its public page."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.catalog import services as catalog_services
from headend.catalog.models import ProductVersion, Skill
from headend.portal import labels
from headend.web.demo import catalog as demo_catalog
from headend.web.demo import network as demo_network
from headend.web.demo.staff import SKILLS
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def labelled(**facts) -> ProductVersion:
    version = make_product(
        code="res-fiber-300", prices={0: ("55.00", "99.00"), 12: ("50.00", "0.00")}, download_mbps=300, upload_mbps=300
    )
    values = {
        "typical_download_mbps": 310,
        "typical_upload_mbps": 305,
        "typical_latency_ms": 9,
        "data_policy": "Unlimited data.",
        "monthly_fees": [{"name": "Router rental", "amount": "10"}],
        "fcc_label_id": "F0031415926RESFIBER300V1",
        **facts,
    }
    ProductVersion.objects.filter(pk=version.pk).update(**values)
    return ProductVersion.objects.get(pk=version.pk)


def test_label_for_takes_every_fact_from_the_catalog():
    version = labelled()

    label = labels.label_for(version=version)

    assert [(offer.term_label, offer.mrc_amount, offer.nrc_amount) for offer in label.terms] == [
        ("Month-to-month", Decimal("55.00"), Decimal("99.00")),
        ("12 months", Decimal("50.00"), Decimal("0.00")),
    ]
    assert (label.typical_download_mbps, label.typical_upload_mbps, label.typical_latency_ms) == (310, 305, 9)
    assert (label.data_included, label.data_policy) == ("Unlimited", "Unlimited data.")
    assert label.monthly_fees == (labels.Fee("Router rental", Decimal("10.00")),)
    assert label.plan_id == "F0031415926RESFIBER300V1"
    assert label.complete


def test_label_for_shows_the_introductory_price_and_the_price_after():
    version = labelled()
    catalog_services.promotion_create(
        product=version.product,
        code="spring",
        name="Spring offer",
        valid_from=dt.date(2026, 3, 1),
        mrc_off_kind="percent",
        mrc_off_value="50",
        mrc_off_months=3,
        waives_installation=True,
        terms=[0],
    )

    first, twelve = labels.label_for(version=version).terms

    assert (first.promotion, first.intro_mrc_amount, first.intro_months, first.mrc_amount) == (
        "Spring offer",
        Decimal("27.50"),
        3,
        Decimal("55.00"),
    )
    assert (first.installation_waived, first.installation_amount) == (True, Decimal("0.00"))
    assert (twelve.promotion, twelve.intro_mrc_amount) == ("", None)


def test_label_for_counts_the_data_cap():
    label = labels.label_for(version=labelled(data_cap_gb=1200))

    assert label.data_included == "1,200 GB a month"


def test_plan_identifier_is_generated_from_the_frn_when_staff_set_none(settings):
    settings.HEADEND_FCC_FRN = "31415926"
    version = labelled(fcc_label_id="")

    assert labels.plan_identifier(version) == f"F0031415926P{version.product_id:05d}V001"


def test_label_missing_names_what_the_catalog_does_not_say(settings):
    settings.HEADEND_FCC_FRN = ""
    version = make_product()

    label = labels.label_for(version=version)

    assert label.missing == [
        "typical download speed",
        "typical upload speed",
        "typical latency",
        "data policy",
        "FCC Registration Number",
    ]
    assert not label.complete


def test_every_demo_plan_has_a_complete_label():
    for code, name in SKILLS:
        Skill.objects.get_or_create(code=code, defaults={"name": name})
    demo_network.pools_and_nas()  # what the demo's templates name
    versions = demo_catalog.products()

    plans = {code: version for code, version in versions.items() if version.product.kind == "internet"}
    assert sorted(plans) == sorted(demo_catalog.LABELS)
    for code, version in plans.items():
        label = labels.label_for(version=ProductVersion.objects.get(pk=version.pk))
        assert label.missing == [], code
    assert len({labels.plan_identifier(version) for version in plans.values()}) == len(plans)


def test_label_page_shows_the_label_to_anyone(client):
    version = labelled()

    response = client.get(f"/portal/labels/{version.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Broadband Facts" in page
    assert "F0031415926RESFIBER300V1" in page
    assert "310 Mbps" in page
    assert "9 ms" in page
    assert "Router rental" in page


@pytest.mark.parametrize("kind", ["addon", "draft"])
def test_label_page_is_404_for_what_is_no_plan(client, kind):
    version = make_product(kind="addon") if kind == "addon" else make_product(publish=False)

    response = client.get(f"/portal/labels/{version.pk}/")

    assert response.status_code == 404
