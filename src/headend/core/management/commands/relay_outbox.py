from django.core.management.base import BaseCommand

from headend.core import events


class Command(BaseCommand):
    help = "Publish every outbox event still waiting (the worker does this after each commit)."

    def handle(self, *args, **options):
        self.stdout.write(f"Published {events.relay(limit=1_000_000)} events.")
