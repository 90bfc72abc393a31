from django.core.management.base import BaseCommand, CommandError

from headend.provisioning import radius


class Command(BaseCommand):
    help = "Create the FreeRADIUS tables (radcheck, radreply, radusergroup, ...) the RADIUS database lacks."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=radius.RADIUS, help="Database alias (default: radius).")

    def handle(self, *args, database: str, **options):
        try:
            created = radius.schema_create(using=database)
        except radius.RadiusUnavailable as exc:
            raise CommandError(str(exc)) from exc
        if created:
            self.stdout.write(f"Created {', '.join(created)} in the {database!r} database.")
        elif options["verbosity"] > 1:
            self.stdout.write(f"The {database!r} database has every FreeRADIUS table.")
