from django.core.management.base import BaseCommand

from headend.web import demo
from headend.web.demo import portal


class Command(BaseCommand):
    help = "Load the demo provider (accounts, catalog, quotes, orders); creates nothing twice."

    def add_arguments(self, parser):
        parser.add_argument("--logins-only", action="store_true", help="Only print the demo logins.")

    def handle(self, *args, logins_only: bool = False, **options):
        if not logins_only:
            created = demo.load()
            self.stdout.write("Demo provider loaded." if created else "Demo provider already loaded; nothing to do.")
        self.stdout.write(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD}):")
        for user in demo.USERS:
            self.stdout.write(f"  {user.username:<13} {', '.join(user.roles)}")
        self.stdout.write("\nCustomer portal (/portal/), same password:")
        for account, _, _, email, role in portal.PORTAL_LOGINS:
            self.stdout.write(f"  {email:<28} {account} ({role})")
