"""Coverage files: cells no column may hold (a NUL character, ids past their column, digits that
are not ASCII) reject their own row, by line, and the rest is imported."""

import pytest

from headend.network.models import CoverageImport, FccAvailability
from tests.network.factories import fcc_line, import_fcc, write_csv

pytestmark = pytest.mark.django_db

ARABIC_THOUSAND = "\u0661" + "\u0660" * 3  # 1000 in Arabic-Indic digits, which int() reads
ARABIC_BILLION = "\u0661" + "\u0660" * 9


def counts(record: CoverageImport) -> tuple[str, int, int, int]:
    return record.status, record.rows_read, record.rows_imported, record.rows_rejected


def test_a_nul_character_in_a_text_cell_rejects_its_row(tmp_path):
    rows = [fcc_line(location_id="1000000000"), fcc_line(location_id="1000000001", brand="Pioneer\x00Broadband")]

    record = import_fcc(write_csv(tmp_path / "nul.csv", rows))

    assert counts(record) == ("completed", 2, 1, 1)
    assert list(record.rejected_rows.values_list("line", "reason")) == [(3, "brand_name contains a NUL character")]
    assert list(FccAvailability.objects.values_list("location_id", flat=True)) == [1000000000]


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"provider_id": "2147483648"}, "provider_id '2147483648' is out of range"),
        ({"location_id": "9223372036854775808"}, "location_id '9223372036854775808' is out of range"),
        ({"location_id": ARABIC_BILLION}, f"location_id '{ARABIC_BILLION}' is not a whole number"),
        ({"location_id": "1_000_000_000"}, "location_id '1_000_000_000' is not a whole number"),
        ({"down": ARABIC_THOUSAND}, f"max_advertised_download_speed '{ARABIC_THOUSAND}' is not a number"),
    ],
)
def test_a_number_past_its_column_or_not_in_ascii_digits_rejects_its_row(tmp_path, values, reason):
    record = import_fcc(write_csv(tmp_path / "bad.csv", [fcc_line(**values)]))

    assert counts(record) == ("completed", 1, 0, 1)
    assert list(record.rejected_rows.values_list("line", "reason")) == [(2, reason)]
