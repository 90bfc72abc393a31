import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from headend.support import mail_readers


class Command(BaseCommand):
    help = (
        "Read the support mailbox: each new message from a customer's contact opens a case on their "
        "account, or adds to the case whose reference (CS-000123) its subject carries; others are "
        "refused and recorded. A Maildir (--maildir PATH: new/ is read, each message moved to cur/ "
        "marked seen) or an IMAP folder (--imap HOST --user U --password-env VAR: its unseen messages, "
        "each marked \\Seen once received). Running it again adds nothing twice. Run it from cron or "
        "a systemd timer every minute or so."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--maildir", metavar="PATH", help="A Maildir (with new/, cur/, tmp/).")
        source.add_argument("--imap", metavar="HOST", help="An IMAP server.")
        parser.add_argument("--user", help="The IMAP login.")
        parser.add_argument("--password-env", metavar="VAR", help="The environment variable holding the IMAP password.")
        parser.add_argument("--folder", default="INBOX", help="The IMAP folder (default INBOX).")
        parser.add_argument("--port", type=int, help="The IMAP port (default 143, or 993 with --ssl).")
        tls = parser.add_mutually_exclusive_group()
        tls.add_argument("--ssl", action="store_true", help="IMAP over TLS (IMAPS).")
        tls.add_argument("--starttls", action="store_true", help="Upgrade the IMAP connection with STARTTLS.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["maildir"]:
                result = mail_readers.read_maildir(options["maildir"])
            else:
                result = mail_readers.read_imap(
                    host=options["imap"],
                    user=self._required(options, "user", "--user"),
                    password=self._password(options),
                    folder=options["folder"],
                    use_ssl=options["ssl"],
                    starttls=options["starttls"],
                    port=options["port"],
                )
        except mail_readers.MailboxError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(result.summary())
        if result.failed:
            raise CommandError(f"{result.failed} message(s) could not be read; they stay unread (see the log).")

    def _required(self, options: dict[str, Any], key: str, flag: str) -> str:
        if not options.get(key):
            raise CommandError(f"{flag} is needed with --imap.")
        return str(options[key])

    def _password(self, options: dict[str, Any]) -> str:
        variable = self._required(options, "password_env", "--password-env")
        password = os.environ.get(variable)
        if not password:
            raise CommandError(f"The environment variable {variable} (--password-env) is not set.")
        return password
