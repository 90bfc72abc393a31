import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from headend.core import clock
from headend.core.errors import DomainError
from headend.payments.external import sync
from headend.payments.external.port import ExternalBillerError

DEFAULT_DAYS = 35


class Command(BaseCommand):
    help = (
        "Pull the external biller's invoices and payments (HEADEND_BILLER, e.g. lago) into Headend, read-only: "
        f"those issued or received since --since (default: the last {DEFAULT_DAYS} days). Running it again "
        "changes nothing that did not change there. Skipped documents are listed with their reason. Run it "
        "from cron as a safety net under the webhooks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="YYYY-MM-DD; 'all' for everything the biller has.")

    def handle(self, *args: Any, since: str | None = None, **options: Any) -> None:
        try:
            day = None if since == "all" else dt.date.fromisoformat(since) if since else None
        except ValueError as exc:
            raise CommandError(f"--since: {since!r} is not a date (YYYY-MM-DD) or 'all'.") from exc
        if since is None:
            day = clock.today() - dt.timedelta(days=DEFAULT_DAYS)
        try:
            biller = sync.configured_biller()
            result = sync.sync(biller=biller, since=day)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except ExternalBillerError as exc:
            raise CommandError(f"{exc} (what was read before is kept; run again)") from exc
        for skipped in result.skipped:
            self.stdout.write(f"Skipped {skipped.kind} {skipped.external_id}: {skipped.reason}")
        self.stdout.write(result.summary())
