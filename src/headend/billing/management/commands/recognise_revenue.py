from django.core.management.base import BaseCommand, CommandParser

from headend.billing import ledger
from headend.billing.management.commands.export_ledger import parse_date
from headend.core import clock


class Command(BaseCommand):
    help = (
        "Recognise revenue for the billed days that have passed: moves it from deferred revenue to "
        "income (run daily, e.g. from cron; running it twice for a day changes nothing)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", dest="as_of", default=None, metavar="YYYY-MM-DD", help="Recognise the days before this date."
        )

    def handle(self, *args: object, as_of: str | None, **options: object) -> None:
        day = parse_date("--as-of", as_of) if as_of is not None else clock.today()
        self.stdout.write(f"{ledger.recognise(day)} lines recognised")
