"""A coverage file is streamed: memory stays flat however long the file is.

The bound: the import holds one batch (5,000 rows as model instances, about 1 KB each), the
SQL of one upsert and the csv reader's buffer; measured, that peaks near 5 MB of Python
allocations. 12 MB leaves room for the database driver and still sits below the 140,000-row
file itself (about 14 MB of text, and ten times that as model instances), so a file read into
memory, or rows accumulated across batches, cannot pass. tracemalloc sees Python's allocations;
SQLite's page cache is C memory of fixed size."""

import tracemalloc

import pytest

from headend.network.models import FccAvailability
from tests.network.factories import import_fcc, write_generated_fcc_file

pytestmark = pytest.mark.django_db

BOUND = 12 * 1024 * 1024


def import_with_peak(path):
    tracemalloc.start()
    try:
        record = import_fcc(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return record, peak


def test_import_fcc_of_140000_rows_keeps_memory_flat(tmp_path):
    small = write_generated_fcc_file(tmp_path / "20k.csv", 20_000, seed=1)
    large = write_generated_fcc_file(tmp_path / "140k.csv", 140_000, seed=2)
    assert large.stat().st_size > BOUND

    small_record, small_peak = import_with_peak(small)
    FccAvailability.objects.all().delete()
    large_record, large_peak = import_with_peak(large)

    assert (small_record.status, small_record.rows_imported, small_record.rows_rejected) == ("completed", 20_000, 0)
    assert (large_record.status, large_record.rows_imported, large_record.rows_rejected) == ("completed", 140_000, 0)
    assert FccAvailability.objects.count() == 140_000
    assert large_peak < BOUND, f"peak {large_peak / 2**20:.1f} MiB"
    # Seven times the rows, not seven times the memory: within a quarter of the small file's peak.
    assert large_peak < small_peak * 1.25, f"{small_peak / 2**20:.1f} MiB -> {large_peak / 2**20:.1f} MiB"
