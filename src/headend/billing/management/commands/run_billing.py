import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from headend.billing import ledger, runs
from headend.billing.models import BillRun
from headend.core import clock
from headend.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Invoice every billing account due as of a date (default today): the run's chunks go on the task queue "
        "and this command bills those no worker has taken, then waits for the rest. Running it again for the "
        "same date creates no invoice; revenue billed in advance is recognised as of the date. The last line reads "
        "'N invoices created'. Run it daily (cron): accounts whose bill day has come are invoiced."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: today where the provider is).")
        parser.add_argument(
            "--queue-only", action="store_true", help="Queue the chunks for the workers and return at once."
        )

    def handle(self, *args: Any, as_of: str | None = None, queue_only: bool = False, **options: Any) -> None:
        try:
            day = dt.date.fromisoformat(as_of) if as_of else clock.today()
        except ValueError as exc:
            raise CommandError(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD).") from exc
        try:
            run = runs.bill_run_start(as_of=day)
        except DomainError as exc:
            raise CommandError(f"--as-of: {exc.message}") from exc
        self.stdout.write(f"Bill run {run.pk} as of {day}: {run.accounts} accounts due in {run.chunks} chunks.")
        if queue_only:
            self.stdout.write("Queued for the workers.")
            return
        before = run.invoices.count()
        runs.work(run)
        while BillRun.objects.filter(pk=run.pk, status=BillRun.Status.RUNNING).exists():
            time.sleep(1)  # chunks other workers hold
        recognised = ledger.recognise(day)  # revenue billed in advance, as its days pass
        self.stdout.write(f"Revenue recognised as of {day}: {recognised} lines.")
        shown = runs.progress(run)
        if shown["failed"]:
            self.stdout.write(f"{shown['failed']} accounts failed: see the bill run's page.")
        self.stdout.write(f"{run.invoices.count() - before} invoices created")
