"""Import a generated 1,000,000-row FCC BDC availability file (rows/s), against two bare
baselines over the same file in the same run: csv.reader alone (reading), and a plain
executemany upsert of the same rows into a table of the same shape (reading + writing, no
validation, no ORM). The file is generated from the sample's census blocks and H3 cells into
a temporary folder and deleted afterwards."""

import csv
import random
import tempfile
import time
from pathlib import Path

from bench import size
from bench.setup_django import setup

ROWS = size(1_000_000)
SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "fcc-bdc"
SAMPLE = SAMPLE / "bdc_23029_fiber_fixed_broadband_J23_sample.csv"
TECHNOLOGY = {"10": "dsl", "40": "cable", "50": "fiber", "70": "fixed_wireless", "71": "fixed_wireless"}
BATCH = 5000


def write_file(path: Path, rows: int) -> None:
    from headend.network.coverage_files import FCC_COLUMNS

    with SAMPLE.open(newline="") as sample:
        places = sorted({(row["block_geoid"], row["h3_res8_id"]) for row in csv.DictReader(sample)})
    rng = random.Random(23029)
    codes = list(TECHNOLOGY)
    speeds = [("1000", "1000"), ("500", "500"), ("300", "30"), ("100", "20"), ("25", "3"), ("0.2", "0.2")]
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(FCC_COLUMNS)
        for n in range(rows):
            block, cell = rng.choice(places)
            down, up = rng.choice(speeds)
            writer.writerow(
                [
                    "0011283405",
                    str(130000 + n % 9),
                    f"Provider {n % 9}",
                    str(1_100_000_000 + n),
                    rng.choice(codes),
                    down,
                    up,
                    rng.choice("01"),
                    rng.choice("RBX"),
                    "ME",
                    block,
                    cell,
                ]
            )


def read_only(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        next(reader)
        return sum(1 for _ in reader)


def executemany_upsert(path: Path) -> int:
    """The same rows into a bare table with the same columns and unique key, by executemany."""
    from django.db import connection, transaction

    columns = (
        "frn, provider_id, brand_name, location_id, technology_code, technology, max_down_mbps, max_up_mbps, "
        "low_latency, business_residential_code, state_usps, block_geoid, h3_res8"
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_fcc")
        cursor.execute(
            "CREATE TABLE bench_fcc (frn varchar(10), provider_id integer, "
            "brand_name varchar(200), location_id bigint, technology_code smallint, technology varchar(16), "
            "max_down_mbps numeric(9, 3), max_up_mbps numeric(9, 3), low_latency boolean, "
            "business_residential_code varchar(1), state_usps varchar(2), block_geoid varchar(15), "
            "h3_res8 varchar(15), UNIQUE (provider_id, location_id, technology_code))"
        )
        cursor.execute("CREATE INDEX bench_fcc_cell ON bench_fcc (h3_res8)")
    sql = (
        f"INSERT INTO bench_fcc ({columns}) VALUES ({', '.join(['%s'] * 13)}) "
        "ON CONFLICT (provider_id, location_id, technology_code) DO UPDATE SET "
        "max_down_mbps = excluded.max_down_mbps, max_up_mbps = excluded.max_up_mbps"
    )
    count = 0
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        next(reader)
        batch: list[tuple] = []
        for frn, provider, brand, location, code, down, up, low, market, state, block, cell in reader:
            row = (
                frn,
                int(provider),
                brand,
                int(location),
                int(code),
                TECHNOLOGY[code],
                down,
                up,
                low == "1",
                market,
                state,
                block,
                cell,
            )
            batch.append(row)
            if len(batch) == BATCH:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            count += len(batch)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_fcc")
    return count


def main() -> None:
    vendor = setup()
    from headend.network import services
    from headend.network.models import FccAvailability

    results: list[tuple[str, float, int]] = []
    with tempfile.TemporaryDirectory(prefix="headend-bench-coverage-") as folder:
        path = Path(folder) / "bdc_generated_fixed_broadband.csv"
        write_file(path, ROWS)
        size_mb = path.stat().st_size / 1e6

        start = time.perf_counter()
        rows = read_only(path)
        results.append(("baseline: csv.reader over the file", time.perf_counter() - start, rows))

        start = time.perf_counter()
        rows = executemany_upsert(path)
        results.append(("baseline: executemany upsert, no checks, no ORM", time.perf_counter() - start, rows))

        start = time.perf_counter()
        with path.open("rb") as file:
            record = services.coverage_import_fcc(file=file, file_name=path.name)
        results.append(("import_coverage fcc (stream, check, upsert)", time.perf_counter() - start, record.rows_read))
        assert (record.status, record.rows_imported, record.rows_rejected) == ("completed", ROWS, 0), record.error
        assert FccAvailability.objects.count() == ROWS

        start = time.perf_counter()
        with path.open("rb") as file:
            again = services.coverage_import_fcc(file=file, file_name=path.name)
        results.append(("the same file again (changes nothing)", time.perf_counter() - start, again.rows_read))
        assert FccAvailability.objects.count() == ROWS

    print(f"\nBenchmark: FCC BDC coverage import of {ROWS:,} generated rows, {size_mb:,.0f} MB ({vendor})")
    for name, seconds, count in results:
        print(f"  {name:<52} {seconds:8.2f} s {count / seconds:12,.0f} rows/s")
    imported = results[2][1]
    print(f"  ratio import / csv.reader: {imported / results[0][1]:.1f}x")
    print(f"  ratio import / executemany upsert: {imported / results[1][1]:.1f}x")


if __name__ == "__main__":
    main()
