import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from headend.core import clock
from headend.payments import autopay

ORDER = ("settled", "attempted", "resumed", "succeeded", "pending", "failed", "skipped", "errors")


class Command(BaseCommand):
    help = (
        "Charge each open invoice due as of a date (default today) to its payer's autopay method: attempt 1 on "
        "the due date, retries on the days of HEADEND_AUTOPAY_RETRY_DAYS after it. Attempts a dead process left "
        "are finished with their own idempotency key, so running it again charges nobody twice. Prints counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: today where the provider is).")

    def handle(self, *args: Any, as_of: str | None = None, **options: Any) -> None:
        try:
            day = dt.date.fromisoformat(as_of) if as_of else clock.today()
        except ValueError as exc:
            raise CommandError(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD).") from exc
        counts = autopay.run(day)
        self.stdout.write(f"Autopay as of {day}: " + ", ".join(f"{name} {counts.get(name, 0)}" for name in ORDER))
