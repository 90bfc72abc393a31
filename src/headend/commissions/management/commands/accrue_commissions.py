import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from headend.commissions import earnings
from headend.core import clock
from headend.core.errors import ValidationError
from headend.core.money import ZERO


class Command(BaseCommand):
    help = (
        "Accrue the reps' recurring commission share for a month that has ended (default: last month). "
        "Running it again for the month writes only what was not there. Run it monthly (cron), or set "
        "HEADEND_COMMISSIONS_RUN_AT for the worker loop."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: the month before this one).")

    def handle(self, *args: Any, month: str | None = None, **options: Any) -> None:
        try:
            first = dt.date.fromisoformat(f"{month}-01") if month else earnings.previous_month(clock.today())
        except ValueError as exc:
            raise CommandError(f"--month: {month!r} is not a month (YYYY-MM).") from exc
        try:
            made = earnings.accrue(month=first)
        except ValidationError as exc:
            raise CommandError(f"--month: {exc.message}") from exc
        total = sum((earning.amount for earning in made), ZERO)
        self.stdout.write(f"Recurring commissions for {first:%Y-%m}: {len(made)} new lines, {total} in all.")
