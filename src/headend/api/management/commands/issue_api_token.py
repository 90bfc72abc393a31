from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from headend.api.services import token_issue
from headend.core.errors import DomainError


class Command(BaseCommand):
    help = "Print a new API bearer token for USERNAME."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--days", default=None, help="Expire after this many days (default: never).")

    def handle(self, *args, username: str, name: str, days: str | None = None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            _, raw = token_issue(user=user, name=name, expires_in_days=days)
        except DomainError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        self.stdout.write(raw)
