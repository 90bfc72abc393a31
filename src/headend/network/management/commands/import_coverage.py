import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from headend.network import services
from headend.network.models import CoverageImport

SHOWN_REJECTIONS = 20


class Command(BaseCommand):
    help = (
        "Import coverage from a CSV file: 'fcc PATH' for an FCC BDC fixed availability file, "
        "'addresses PATH' for a provider's address list. Streams the file (any size), prints "
        "progress, and lists rejected rows by line number. Importing a file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=[CoverageImport.Kind.FCC, CoverageImport.Kind.ADDRESSES])
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--provider-id",
            type=int,
            default=None,
            help="FCC files: import only this provider's rows (the public files list every provider).",
        )
        parser.add_argument("--batch-size", type=int, default=services.BATCH_SIZE, help="Rows per upsert.")
        parser.add_argument(
            "--progress-every", type=int, default=50_000, help="Print a progress line every this many rows."
        )

    def handle(
        self,
        *args: object,
        kind: str,
        path: Path,
        provider_id: int | None,
        batch_size: int,
        progress_every: int,
        **options: object,
    ) -> None:
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        every = progress_every
        started = time.perf_counter()
        printed = {"rows": 0}

        def progress(record: CoverageImport) -> None:
            finished = record.status != CoverageImport.Status.RUNNING
            if finished or record.rows_read - printed["rows"] >= every:
                printed["rows"] = record.rows_read
                rate = record.rows_read / max(time.perf_counter() - started, 1e-9)
                self.stdout.write(
                    f"{path.name}: {record.rows_read:,} rows read, {record.rows_imported:,} imported, "
                    f"{record.rows_rejected:,} rejected, {record.rows_skipped:,} skipped ({rate:,.0f} rows/s)"
                )

        with path.open("rb") as file:
            if kind == CoverageImport.Kind.FCC:
                record = services.coverage_import_fcc(
                    file=file,
                    file_name=path.name,
                    provider_id=provider_id,
                    batch_size=batch_size,
                    progress=progress,
                )
            else:
                record = services.coverage_import_addresses(
                    file=file,
                    file_name=path.name,
                    batch_size=batch_size,
                    progress=progress,
                )
        for reason, rows in record.skipped_reasons.items():
            self.stdout.write(f"  skipped {rows:,}: {reason}")
        for row in record.rejected_rows.all()[:SHOWN_REJECTIONS]:
            self.stdout.write(f"  line {row.line}: {row.reason}")
        if record.rows_rejected > SHOWN_REJECTIONS:
            more = record.rows_rejected - SHOWN_REJECTIONS
            self.stdout.write(f"  ... {more:,} more rejected rows (see import {record.pk} on /network/)")
        if record.status != CoverageImport.Status.COMPLETED:
            raise CommandError(f"Import {record.pk} {record.status}: {record.error}")
        self.stdout.write(self.style.SUCCESS(f"Import {record.pk} completed."))
