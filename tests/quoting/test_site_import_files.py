"""The CSV of sites as a file (core/user_files.py): CSV text by its bytes, within its size limit,
kept under a random name; who may upload one."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headend.core.errors import ValidationError
from headend.quoting import services
from headend.quoting.models import QuoteLine, SiteImportJob
from tests.factories import make_account, make_product, make_quote, make_user
from tests.quoting.test_site_import import csv, many_rows

pytestmark = pytest.mark.django_db

PAGE = b"<html><body><script>fetch('/settings/api-tokens/')</script></body></html>"


def post(client, quote, upload):
    return client.post(reverse("quoting:quote_sites_import", args=[quote.pk]), {"file": upload})


@pytest.fixture
def quote():
    make_product(code="dia-1g", customer_type="business")
    return make_quote(account=make_account("business"), lines=0)


@pytest.fixture
def seller(client):
    client.force_login(make_user("sales"))
    return client


def test_a_page_named_csv_is_refused_on_the_upload_page(seller, quote):
    response = post(seller, quote, SimpleUploadedFile("sites.csv", PAGE, content_type="text/csv"))

    assert response.status_code == 400
    assert "sites.csv: attach a CSV file." in response.content.decode()
    assert QuoteLine.objects.count() == 0


def test_a_picture_is_refused_on_the_upload_page(seller, quote):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32

    response = post(seller, quote, SimpleUploadedFile("sites.csv", png, content_type="text/csv"))

    assert "sites.csv: attach a CSV file." in response.content.decode()


@pytest.mark.parametrize(("extra", "refused"), [(0, False), (1, True)])
def test_the_site_file_limit_comes_from_settings(seller, quote, settings, extra, refused):
    data = csv('Plant,"84 Water St, Eastport, ME 04631",,,,,dia-1g,12,1')
    settings.HEADEND_UPLOAD_MAX_BYTES = {"site_import": len(data)}
    data += b" " * extra

    response = post(seller, quote, SimpleUploadedFile("sites.csv", data, content_type="text/csv"))

    assert (f"the limit is {len(data) - extra} bytes." in response.content.decode()) == refused
    assert QuoteLine.objects.count() == (0 if refused else 1)


def test_a_background_import_is_kept_under_a_random_name_with_its_own_for_display(quote):
    job = services.site_import_job_create(quote=quote, upload=SimpleUploadedFile("Harbor sites.csv", many_rows(3)))

    assert job.file_name == "Harbor sites.csv"
    folder, stored = job.file.name.rsplit("/", 1)
    assert (folder, len(stored), stored[-4:]) == ("site-imports/2026/03", 36, ".csv")


def test_a_background_import_refuses_a_page_and_keeps_nothing(quote):
    with pytest.raises(ValidationError) as error:
        services.site_import_job_create(quote=quote, upload=SimpleUploadedFile("big.csv", PAGE * 10))

    assert (error.value.field, error.value.code) == ("file", "file_type")
    assert SiteImportJob.objects.count() == 0


@pytest.mark.parametrize(("roles", "status"), [(("sales",), 200), (("provisioning",), 403), ((), 403)])
def test_site_import_route_by_role(client, quote, roles, status):
    client.force_login(make_user(*roles))

    response = post(
        client, quote, SimpleUploadedFile("sites.csv", csv('Plant,"84 Water St, Eastport, ME 04631",,,,,dia-1g,12,1'))
    )

    assert response.status_code == (302 if status == 200 else status)
