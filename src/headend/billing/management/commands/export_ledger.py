import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from headend.billing import ledger


def parse_date(option: str, value: str) -> dt.date:
    """A YYYY-MM-DD option's date; CommandError naming the option otherwise."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Export the journal entries dated --from to --to (both included) for the accounting system: "
        "CSV (one row per journal line) or a beancount file (check it with bean-check)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD", help="First day.")
        parser.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD", help="Last day, included.")
        parser.add_argument("--format", required=True, choices=ledger.FORMATS)
        parser.add_argument("--output", type=Path, default=None, help="File to write (default: standard output).")

    def handle(
        self, *args: object, date_from: str, date_to: str, format: str, output: Path | None, **options: object
    ) -> None:
        first, last = parse_date("--from", date_from), parse_date("--to", date_to)
        if first > last:
            raise CommandError(f"--from ({first}) is after --to ({last}).")
        if output is None:
            ledger.export(date_from=first, date_to=last, format=format, out=self.stdout)
            return
        try:
            with output.open("w", encoding="utf-8", newline="") as out:
                written = ledger.export(date_from=first, date_to=last, format=format, out=out)
        except OSError as exc:
            raise CommandError(f"--output: cannot write {output}: {exc.strerror}.") from None
        self.stderr.write(f"{written} journal entries written to {output}.")
