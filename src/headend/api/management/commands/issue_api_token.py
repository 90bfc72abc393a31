from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from headend.api.services import token_issue


class Command(BaseCommand):
    help = "Print a new API bearer token for USERNAME."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")

    def handle(self, *args, username: str, name: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        _, raw = token_issue(user=user, name=name)
        self.stdout.write(raw)
