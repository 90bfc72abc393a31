"""Import a generated 1,000,000-row FCC BDC availability file (rows/s), then the same file again
(which changes nothing), against bare baselines over the same file in the same run: csv.reader
alone (reading), a plain executemany upsert of the same rows into a table of the same shape
(reading + writing, no checks, no ORM), and on PostgreSQL a bare COPY of the same rows into
such a table (the floor of writing them). Goals (PostgreSQL): at least 50,000 rows/s for the
import, 100,000 rows/s for the import again. The file is generated from the sample's census
blocks and H3 cells into a temporary folder and deleted afterwards."""

import csv
import os
import random
import tempfile
import time
from pathlib import Path

from bench import goal, size
from bench.profile import profiled
from bench.setup_django import setup

ROWS = size(1_000_000)
SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "fcc-bdc"
SAMPLE = SAMPLE / "bdc_23029_fiber_fixed_broadband_J23_sample.csv"
TECHNOLOGY = {"10": "dsl", "40": "cable", "50": "fiber", "70": "fixed_wireless", "71": "fixed_wireless"}
BATCH = 5000
IMPORT_GOAL, AGAIN_GOAL = 50_000, 100_000  # rows/s on PostgreSQL
READ, MANY, COPY = (
    "baseline: csv.reader over the file",
    "baseline: executemany upsert, no checks",
    "baseline: one bare COPY",
)
IMPORT, AGAIN = "import_coverage fcc (stream, check, upsert)", "the same file again (changes nothing)"
COLUMNS = (
    "frn, provider_id, brand_name, location_id, technology_code, technology, max_down_mbps, max_up_mbps, "
    "low_latency, business_residential_code, state_usps, block_geoid, h3_res8"
)


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


def bare_rows(path: Path):
    """The file's rows as the table's values, converted as little as a bare load can."""
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        next(reader)
        for frn, provider, brand, location, code, down, up, low, market, state, block, cell in reader:
            yield (
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


def bare_table() -> None:
    """A table with the same columns, unique key and cell index as FccAvailability."""
    from django.db import connection

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


def drop_bare_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_fcc")


def executemany_upsert(path: Path) -> int:
    """The same rows into the bare table by executemany upserts of BATCH rows."""
    from django.db import connection, transaction

    bare_table()
    sql = (
        f"INSERT INTO bench_fcc ({COLUMNS}) VALUES ({', '.join(['%s'] * 13)}) "
        "ON CONFLICT (provider_id, location_id, technology_code) DO UPDATE SET "
        "max_down_mbps = excluded.max_down_mbps, max_up_mbps = excluded.max_up_mbps"
    )
    count = 0
    batch: list[tuple] = []
    for row in bare_rows(path):
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
    drop_bare_table()
    return count


def bare_copy(path: Path) -> int:
    """The same rows into the empty bare table by one COPY (PostgreSQL): writing them, nothing else."""
    from django.db import connection, transaction

    bare_table()
    count = 0
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.copy(f"COPY bench_fcc ({COLUMNS}) FROM STDIN") as copy,
    ):
        for row in bare_rows(path):
            copy.write_row(row)
            count += 1
    drop_bare_table()
    return count


class Clock:
    """Wall time, and the CPU time this process (all its threads) and its PostgreSQL backend
    spent: on a busy machine the CPU seconds say what the work costs when the wall clock cannot.
    The backend's is read from /proc, so only for a server on this machine (else None)."""

    def __init__(self, vendor: str) -> None:
        self.backend = None
        if vendor == "postgresql":
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.backend = Path(f"/proc/{cursor.fetchone()[0]}/stat")
        self.started = self.now()

    def server_seconds(self) -> float | None:
        try:
            fields = self.backend.read_text().rsplit(")", 1)[1].split() if self.backend else None
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else None

    def now(self) -> tuple[float, float, float | None]:
        return time.perf_counter(), time.process_time(), self.server_seconds()

    def lap(self) -> tuple[float, float, float | None]:
        """Seconds since the last lap: wall, this process's CPU, the server's CPU (or None)."""
        then, self.started = self.started, self.now()
        server = None if then[2] is None or self.started[2] is None else self.started[2] - then[2]
        return self.started[0] - then[0], self.started[1] - then[1], server


def main() -> None:
    vendor = setup()
    from headend.core.models import OutboxEvent
    from headend.network import services
    from headend.network.models import FccAvailability

    results: dict[str, tuple[float, float, float | None, int]] = {}
    with tempfile.TemporaryDirectory(prefix="headend-bench-coverage-") as folder:
        path = Path(folder) / "bdc_generated_fixed_broadband.csv"
        write_file(path, ROWS)
        size_mb = path.stat().st_size / 1e6
        clock = Clock(vendor)

        rows = read_only(path)
        results[READ] = (*clock.lap(), rows)
        rows = executemany_upsert(path)
        results[MANY] = (*clock.lap(), rows)
        if vendor == "postgresql":
            rows = bare_copy(path)
            results[COPY] = (*clock.lap(), rows)

        with path.open("rb") as file, profiled("coverage_import"):
            record = services.coverage_import_fcc(file=file, file_name=path.name)
        results[IMPORT] = (*clock.lap(), record.rows_read)
        assert (record.status, record.rows_imported, record.rows_rejected) == ("completed", ROWS, 0), record.error
        assert FccAvailability.objects.count() == ROWS

        clock.lap()
        with path.open("rb") as file, profiled("coverage_reimport"):
            again = services.coverage_import_fcc(file=file, file_name=path.name)
        results[AGAIN] = (*clock.lap(), again.rows_read)
        assert FccAvailability.objects.count() == ROWS
        event = OutboxEvent.objects.filter(name="coverage.imported", subject_id=str(again.pk)).get()
        assert event.data["rows_changed"] == 0, event.data

    print(f"\nBenchmark: FCC BDC coverage import of {ROWS:,} generated rows, {size_mb:,.0f} MB ({vendor})")
    print(f"  {'':<45} {'wall':>8} {'rows/s':>10}   CPU: this process, database server")
    for name, (wall, cpu, server, count) in results.items():
        on_server = "" if server is None else f", {server:6.2f} s"
        print(f"  {name:<45} {wall:6.2f} s {count / wall:10,.0f}   {cpu:6.2f} s{on_server}")
    imported, repeated = results[IMPORT][0], results[AGAIN][0]
    print(f"  ratio import / csv.reader: {imported / results[READ][0]:.1f}x")
    many = results[MANY][0]
    print(f"  ratio to the executemany upsert: import {imported / many:.2f}x, again {repeated / many:.2f}x")
    if vendor == "postgresql":
        copied = results[COPY][0]
        print(f"  ratio to the bare COPY: import {imported / copied:.1f}x, again {repeated / copied:.1f}x")
        print(
            f"  goal import >= {IMPORT_GOAL:,} rows/s: {goal(ROWS / imported >= IMPORT_GOAL)}; "
            f"again >= {AGAIN_GOAL:,} rows/s: {goal(ROWS / repeated >= AGAIN_GOAL)}"
        )
    else:
        print("  the goals (>= 50,000 and >= 100,000 rows/s) are PostgreSQL's: run with DATABASE_URL")


if __name__ == "__main__":
    main()
