"""A coverage CSV uploaded on the coverage page (core/user_files.py): CSV text by its bytes,
within its size limit, or a field error and nothing imported."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headend.network.coverage_files import FCC_COLUMNS as FCC_HEADER
from headend.network.models import CoverageImport
from tests.factories import make_user
from tests.network.factories import fcc_line

pytestmark = pytest.mark.django_db


def post(client, name: str, data: bytes, content_type: str = "text/csv"):
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(reverse("network:coverage"), {"kind": "fcc", "file": upload})


@pytest.fixture
def network_client(client):
    client.force_login(make_user("provisioning"))
    return client


def fcc_file() -> bytes:
    return ("\n".join([",".join(FCC_HEADER), ",".join(fcc_line())]) + "\n").encode()


def test_a_page_named_csv_is_refused_on_the_field(network_client):
    response = post(network_client, "june.csv", b"<svg onload=alert(1)><script>alert(1)</script></svg>")

    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["june.csv: attach a CSV file."]}
    assert CoverageImport.objects.count() == 0


@pytest.mark.parametrize(("extra", "refused"), [(0, False), (1, True)])
def test_the_coverage_file_limit_comes_from_settings(network_client, settings, extra, refused):
    data = fcc_file()
    settings.HEADEND_UPLOAD_MAX_BYTES = {"coverage_import": len(data)}

    response = post(network_client, "june.csv", data + b"\n" * extra)

    assert CoverageImport.objects.count() == (0 if refused else 1)
    if refused:
        (error,) = response.context["form"].errors["file"]
        assert error.startswith(f"june.csv is {len(data) + 1} bytes; the limit is {len(data)} bytes. Import it with")
