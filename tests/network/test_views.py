"""The staff pages: coverage imports and areas under /network/, the panel on a location."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headend.network.coverage_files import FCC_COLUMNS as FCC_HEADER
from headend.network.models import CoverageArea, CoverageImport, FccAvailability
from tests.factories import make_user
from tests.network.factories import (
    PIONEER_CELL,
    SAMPLE,
    fcc_line,
    import_fcc,
    located_in,
    make_offering,
    write_generated_fcc_file,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def network_client(client):
    client.force_login(make_user("provisioning"))
    return client


@pytest.fixture
def sales_client(client):
    client.force_login(make_user("sales"))
    return client


def upload(name, content, kind="fcc", **extra):
    return {"kind": kind, "file": SimpleUploadedFile(name, content.encode(), content_type="text/csv"), **extra}


def test_upload_an_fcc_file_imports_it_and_shows_its_rejected_rows(network_client):
    content = "\n".join([",".join(FCC_HEADER), ",".join(fcc_line()), ",".join(fcc_line(technology="9"))])

    response = network_client.post(reverse("network:coverage"), upload("june.csv", content + "\n"))

    record = CoverageImport.objects.get()
    assert response.url == record.get_absolute_url()
    assert (record.status, record.rows_imported, record.rows_rejected, record.file_name) == (
        "completed",
        1,
        1,
        "june.csv",
    )
    page = network_client.get(response.url)
    assert page.context["items"][0].line == 3
    assert b"unknown technology code &#x27;9&#x27;" in page.content


def test_upload_with_a_wrong_header_says_which_columns(network_client):
    response = network_client.post(reverse("network:coverage"), upload("wrong.csv", "a,b\n1,2\n"), follow=True)

    record = CoverageImport.objects.get()
    assert record.status == "refused"
    (message,) = (str(message) for message in response.context["messages"])
    assert message.startswith("wrong.csv: Not an FCC BDC availability file: missing columns frn, provider_id,")
    assert not FccAvailability.objects.exists()


def test_upload_of_one_providers_rows(network_client):
    content = ",".join(FCC_HEADER) + "\n" + ",".join(fcc_line()) + "\n" + ",".join(fcc_line(provider_id="1")) + "\n"

    network_client.post(reverse("network:coverage"), upload("two.csv", content, provider_id="360068"))

    assert list(FccAvailability.objects.values_list("provider_id", flat=True)) == [360068]


def test_sales_may_see_coverage_but_not_upload(sales_client):
    import_fcc(SAMPLE)

    page = sales_client.get(reverse("network:coverage"))
    refused = sales_client.post(reverse("network:coverage"), upload("x.csv", ",".join(FCC_HEADER) + "\n"))

    assert page.status_code == 200
    assert page.context["totals"].fcc_rows == 3548
    assert SAMPLE.name.encode() in page.content
    assert page.context["can_manage"] is False
    assert refused.status_code == 403
    assert CoverageImport.objects.count() == 1


def test_area_form_adds_a_cell_list(network_client):
    response = network_client.post(
        reverse("network:area_create"),
        {
            "name": "Tower 7",
            "technology": "fixed_wireless",
            "max_down_mbps": "100",
            "max_up_mbps": "20",
            "cells": PIONEER_CELL,
        },
    )

    area = CoverageArea.objects.get()
    assert response.url == reverse("network:coverage")
    assert (area.name, area.cell_count) == ("Tower 7", 1)


def test_area_form_shows_the_error_on_the_field(network_client):
    response = network_client.post(
        reverse("network:area_create"),
        {"name": "Tower 7", "technology": "fiber", "max_down_mbps": "100", "max_up_mbps": "20", "polygon": "1, 2"},
    )

    assert response.context["form"].errors == {"polygon": ["A polygon needs at least 3 distinct points."]}
    assert not CoverageArea.objects.exists()


def test_area_delete(network_client):
    network_client.post(
        reverse("network:area_create"),
        {"name": "Tower 7", "technology": "fiber", "max_down_mbps": "100", "max_up_mbps": "20", "cells": PIONEER_CELL},
    )

    network_client.post(reverse("network:area_delete", args=[CoverageArea.objects.get().pk]))

    assert not CoverageArea.objects.exists()


def test_location_page_shows_the_serviceability_panel(sales_client):
    import_fcc(SAMPLE)
    make_offering("Fiber 1 Gig")
    make_offering("Fiber 2 Gig", down=2000, up=2000)
    location = located_in(PIONEER_CELL)

    page = sales_client.get(location.get_absolute_url())

    assert page.context["serviceability"].status == "serviceable"
    assert b"Pioneer Broadband: 165 FCC locations in this cell" in page.content
    assert b"Fiber 2 Gig needs 2000 Mbps; the location has 1000 Mbps fiber." in page.content


def test_upload_larger_than_memory_uploads_streams_from_the_temporary_file(network_client, tmp_path, settings):
    path = write_generated_fcc_file(tmp_path / "big.csv", 30_000)
    assert path.stat().st_size > settings.FILE_UPLOAD_MAX_MEMORY_SIZE

    with path.open("rb") as file:
        network_client.post(reverse("network:coverage"), {"kind": "fcc", "file": file})

    record = CoverageImport.objects.get()
    assert (record.status, record.rows_read, record.rows_imported) == ("completed", 30_000, 30_000)
