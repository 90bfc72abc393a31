from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from headend.core.errors import ValidationError
from headend.crm import address_points


class Command(BaseCommand):
    help = (
        "Import the provider's address points (its passings, from its GIS) from a CSV with columns "
        "line1,line2,city,state,postal_code,latitude,longitude: the first geocoder locations ask. "
        "Lists refused rows by line number; importing a file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--batch-size", type=int, default=address_points.BATCH_SIZE, help="Rows per upsert.")

    def handle(self, *args: object, path: Path, batch_size: int, **options: object) -> None:
        if not path.is_file():
            raise CommandError(f"No such file: {path}")

        def progress(result: address_points.AddressPointImport) -> None:
            self.stdout.write(f"  {result.rows_read:,} rows read, {result.imported:,} points written")

        with path.open("rb") as handle:
            try:
                result = address_points.address_points_import(
                    file=handle, file_name=path.name, batch_size=batch_size, progress=progress
                )
            except ValidationError as exc:
                raise CommandError(f"{path.name}: {exc.message}") from exc
        for line, reason in result.rejected:
            self.stdout.write(f"  line {line}: {reason}")
        if result.rejected_count > len(result.rejected):
            self.stdout.write(f"  ... and {result.rejected_count - len(result.rejected):,} more refused rows")
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {result.rows_read:,} rows read, {result.imported:,} address points written, "
                f"{result.rejected_count:,} refused."
            )
        )
