from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from headend.core.errors import ValidationError
from headend.core.numbers import parse_int
from headend.provisioning.radius_store import RadiusUnavailable
from headend.usage import ingest, radacct, runs

MAX_BATCH = 1_000_000


class Command(BaseCommand):
    help = (
        "Count what FreeRADIUS's radacct gained since the last run into data usage per service per day, check "
        "the data caps (notices, overage, throttles), lift the throttles of cycles that are over. Safe to run "
        "again and beside the worker's own pass (HEADEND_USAGE_INGEST_EVERY). The last line reads "
        "'N radacct rows read'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            help=f"radacct rows per transaction, 1 to {MAX_BATCH:,} (default {ingest.BATCH:,} on PostgreSQL, "
            f"{ingest.SMALL_BATCH:,} on SQLite).",
        )
        parser.add_argument("--max-rows", dest="max_rows", help="Stop after this many radacct rows (default: all).")
        parser.add_argument(
            "--create-index",
            action="store_true",
            help="First add the index on radacct (acctupdatetime, radacctid) the ingest reads by, if it is missing.",
        )

    def handle(
        self,
        *args: Any,
        batch: str | None = None,
        max_rows: str | None = None,
        create_index: bool = False,
        **options: Any,
    ) -> None:
        try:
            size = parse_int(batch, field="batch", minimum=1, maximum=MAX_BATCH) if batch is not None else None
            most = parse_int(max_rows, field="max_rows", minimum=1) if max_rows is not None else None
        except ValidationError as exc:
            option = "--" + (exc.field or "batch").replace("_", "-")
            raise CommandError(f"{option}: {exc.message}") from exc
        try:
            if create_index:
                added = radacct.index_create()
                self.stdout.write(f"Index {radacct.INDEX} on radacct: {'added' if added else 'already there'}.")
            run = runs.usage_run(batch=size, max_rows=most)
        except RadiusUnavailable as exc:
            raise CommandError(str(exc)) from exc
        result = run.ingest
        self.stdout.write(
            f"{result.sessions_counted:,} sessions counted, {result.octets:,} bytes on {result.days_written:,} "
            f"service days, {result.unmatched:,} readings of usernames no subscriber holds; "
            f"{result.cap_changes:,} cap events; {run.throttled:,} throttled, {run.lifted:,} lifted."
        )
        self.stdout.write(f"{result.rows_read:,} radacct rows read")
