"""manage.py import_payments FILE --as USERNAME: record a bank's CSV file of payments (see
headend.payments.imports), all or none."""

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from headend.core.errors import DomainError
from headend.payments import imports


class Command(BaseCommand):
    help = "Record a bank's CSV file of payments received (lockbox, bank transfers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--as", dest="username", required=True, help="The billing user recording it.")

    def handle(self, *args: Any, file: Path, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username}.")
        try:
            result = imports.payment_import(text=file.read_text(encoding="utf-8-sig"), imported_by=user)
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{result.payments} payments, {result.amount} received: {result.allocated} paid "
            f"{result.invoices_settled} invoices in full or part, {result.credit} kept as credit"
        )
