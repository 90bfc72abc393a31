"""Statement budgets of the coverage imports: a file of 100 rows costs the statements of a file of
10 (a batch is a COPY into the staging table and one upsert on PostgreSQL, one executemany on
SQLite, whatever its rows), and each further batch costs the same few statements more; so a
return to statements per row fails here. And an import again writes no row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headend.core.models import OutboxEvent
from headend.network.models import AddressCoverage, CoverageImport, FccAvailability
from tests.network.factories import address_list, fcc_line, import_addresses, import_fcc, write_csv

pytestmark = pytest.mark.django_db

# One batch: the record; a savepoint, the upsert, the rejected rows, the counts, its release; the
# finish (a savepoint, the record, the event, its release): 10 on SQLite. PostgreSQL adds the
# staging table (made, emptied, dropped) and the COPY: 14.
FCC_BUDGET = 14
# A batch on PostgreSQL: a savepoint, empty the staging table, COPY, the upsert, the rejected
# rows, the counts, the release (SQLite: 5).
PER_BATCH = 7


def fcc_rows(count: int) -> list[list[str]]:
    """`count` rows: kept ones, a satellite row (skipped) and a bad speed (rejected) in every ten."""
    rows = []
    for n in range(count):
        technology, down = ("60", "100") if n % 10 == 3 else ("50", "fast" if n % 10 == 7 else "1000")
        rows.append(fcc_line(location_id=str(1_000_000_000 + n), technology=technology, down=down))
    return rows


def statements(path, **options) -> int:
    with CaptureQueriesContext(connection) as captured:
        record = import_fcc(path, **options)
    assert record.status == CoverageImport.Status.COMPLETED
    return len(captured.captured_queries)


def changed(record: CoverageImport) -> int:
    return OutboxEvent.objects.get(name="coverage.imported", subject_id=str(record.pk)).data["rows_changed"]


@pytest.mark.parametrize("rows", [10, 100])
def test_import_fcc_statements_do_not_grow_with_rows(tmp_path, rows, django_assert_max_num_queries):
    path = write_csv(tmp_path / "fcc.csv", fcc_rows(rows))

    with django_assert_max_num_queries(FCC_BUDGET):
        record = import_fcc(path)

    assert (record.rows_read, record.rows_imported, record.rows_skipped, record.rows_rejected) == (
        rows,
        rows * 8 // 10,
        rows // 10,
        rows // 10,
    )
    assert record.rejected_rows.count() == rows // 10
    assert FccAvailability.objects.count() == rows * 8 // 10


def test_import_fcc_of_10_and_of_100_rows_costs_the_same_statements(tmp_path):
    ten = statements(write_csv(tmp_path / "10.csv", fcc_rows(10)))
    FccAvailability.objects.all().delete()

    hundred = statements(write_csv(tmp_path / "100.csv", fcc_rows(100)))

    assert hundred == ten


def test_import_fcc_costs_the_same_few_statements_per_batch(tmp_path):
    one = statements(write_csv(tmp_path / "10.csv", fcc_rows(10)), batch_size=10)
    two = statements(write_csv(tmp_path / "20.csv", fcc_rows(20)), batch_size=10)

    ten = statements(write_csv(tmp_path / "100.csv", fcc_rows(100)), batch_size=10)

    assert two - one <= PER_BATCH
    assert ten - one == 9 * (two - one)


def test_import_addresses_of_10_and_of_100_rows_costs_the_same_statements(tmp_path):
    def rows(count):
        return [
            [f"{n} Water Street", "", "Eastport", "ME", "04631", "fiber", "1000", "1000"] for n in range(1, count + 1)
        ]

    with CaptureQueriesContext(connection) as ten:
        import_addresses(address_list(tmp_path / "10.csv", rows(10)))
    with CaptureQueriesContext(connection) as hundred:
        import_addresses(address_list(tmp_path / "100.csv", rows(100)))

    assert len(hundred.captured_queries) == len(ten.captured_queries) <= FCC_BUDGET
    assert AddressCoverage.objects.count() == 100


def test_import_fcc_again_writes_no_row(tmp_path):
    path = write_csv(tmp_path / "fcc.csv", fcc_rows(100))
    first = import_fcc(path)
    versions = _row_versions()

    again = import_fcc(path)

    assert (changed(first), changed(again)) == (80, 0)
    assert _row_versions() == versions


def test_import_fcc_of_a_newer_filing_writes_only_the_rows_it_changes(tmp_path):
    import_fcc(write_csv(tmp_path / "june.csv", fcc_rows(100)))
    versions = _row_versions()
    newer = [*fcc_rows(100), fcc_line(location_id="2000000000"), fcc_line(location_id="2000000001")]
    newer[0] = fcc_line(location_id="1000000000", down="500", up="500")
    newer[1] = fcc_line(location_id="1000000001", market="B")

    record = import_fcc(write_csv(tmp_path / "december.csv", newer))

    assert changed(record) == 4  # two updated, two inserted
    after = _row_versions()
    assert {key for key in after if after[key] != versions.get(key)} == {
        1_000_000_000,
        1_000_000_001,
        2_000_000_000,
        2_000_000_001,
    }
    assert FccAvailability.objects.get(location_id=1_000_000_001).business_residential_code == "B"


def _row_versions() -> dict[int, object]:
    """Each row's version by its FCC location: PostgreSQL's xmin changes when a row is written;
    on SQLite (no row versions) the row's values stand in."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT location_id, xmin::text FROM network_fccavailability")
        else:
            cursor.execute("SELECT location_id, max_down_mbps, business_residential_code FROM network_fccavailability")
            return {location: (down, market) for location, down, market in cursor.fetchall()}
        return dict(cursor.fetchall())
