import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from headend.core import clock
from headend.payments import dunning


class Command(BaseCommand):
    help = (
        "The dunning pass as of a date (default today): reminders, late fees and suspensions due for every "
        "overdue payer, by its customer type's policy. Running it again for the same date takes no step twice. "
        "Prints the payers examined and the steps taken. Run it daily (cron), after the bill run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: today where the provider is).")

    def handle(self, *args: Any, as_of: str | None = None, **options: Any) -> None:
        try:
            day = dt.date.fromisoformat(as_of) if as_of else clock.today()
        except ValueError as exc:
            raise CommandError(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD).") from exc
        if day > clock.today():
            raise CommandError(f"--as-of: {day} is in the future: dunning chases what is overdue now.")
        counts = dunning.run(day)
        self.stdout.write(f"Dunning as of {day}: {counts['accounts_examined']} accounts past due examined.")
        for step, label in dunning.DunningStep.Step.choices:
            if step in counts:
                self.stdout.write(f"{label}: {counts[step]}")
