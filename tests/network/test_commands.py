"""manage.py import_coverage: progress lines, rejected rows by line, a refused file is an error."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from headend.network.models import AddressCoverage, CoverageImport, FccAvailability
from tests.network.factories import SAMPLE, address_list, fcc_line, write_csv

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("import_coverage", *args, stdout=out)
    return out.getvalue().splitlines()


def test_import_coverage_fcc_prints_progress_and_completes_twice_alike():
    first = run("fcc", str(SAMPLE), "--batch-size", "1000", "--progress-every", "2000")
    second = run("fcc", str(SAMPLE), "--batch-size", "1000", "--progress-every", "2000")

    name = SAMPLE.name
    assert [line.split(" (")[0] for line in first] == [
        f"{name}: 2,000 rows read, 2,000 imported, 0 rejected, 0 skipped",
        f"{name}: 3,548 rows read, 3,548 imported, 0 rejected, 0 skipped",
        first[-1],
    ]
    first_id, second_id = CoverageImport.objects.order_by("pk").values_list("pk", flat=True)
    assert (first[-1], second[-1]) == (f"Import {first_id} completed.", f"Import {second_id} completed.")
    assert [line.split(" (")[0] for line in second[:2]] == [line.split(" (")[0] for line in first[:2]]
    assert FccAvailability.objects.count() == 3548


def test_import_coverage_lists_rejected_rows_by_line(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [fcc_line(), fcc_line(down="x"), fcc_line(technology="61")])

    lines = run("fcc", str(path))

    assert lines[1:3] == [
        "  skipped 1: non-geostationary satellite (code 61)",
        "  line 3: max_advertised_download_speed 'x' is not a number",
    ]


def test_import_coverage_with_a_wrong_header_fails_naming_the_columns(tmp_path):
    path = address_list(tmp_path / "list.csv", [["12 Water St", "", "Eastport", "ME", "04631", "fiber", "1", "1"]])

    with pytest.raises(CommandError) as error:
        run("fcc", str(path))

    assert "refused: Not an FCC BDC availability file: missing columns frn, provider_id" in str(error.value)
    assert "unexpected columns address, unit, city, state, zip, max_down, max_up" in str(error.value)


def test_import_coverage_addresses(tmp_path):
    path = address_list(
        tmp_path / "list.csv", [["12 Water St", "", "Eastport", "ME", "04631", "fiber", "1000", "1000"]]
    )

    run("addresses", str(path))

    assert AddressCoverage.objects.get().address_key == "12 WATER ST||EASTPORT|ME|04631"


def test_import_coverage_of_a_missing_file(tmp_path):
    with pytest.raises(CommandError) as error:
        run("fcc", str(tmp_path / "nowhere.csv"))

    assert str(error.value) == f"No such file: {tmp_path / 'nowhere.csv'}"
