from django.core.management.base import BaseCommand

from headend.quoting.services import quote_expire_due


class Command(BaseCommand):
    help = "Expire presented quotes whose validity has run out (run daily, e.g. from cron)."

    def handle(self, *args, **options):
        self.stdout.write(f"Expired {quote_expire_due()} quotes.")
