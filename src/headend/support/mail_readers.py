"""The support mailbox readers behind `manage.py read_support_mail`: a Maildir (stdlib mailbox)
or an IMAP mailbox (stdlib imaplib). Each message is handed to inbound.email_receive, which
commits on its own; only then is the message marked read (moved to cur/ with the Seen flag, or
\\Seen on the IMAP server), so a reader that dies in between reads it again next time and the
Message-ID check adds nothing twice. A message over HEADEND_INBOUND_EMAIL_MAX_MB is not parsed:
it is recorded as refused from its headers, and marked read."""

import imaplib
import logging
import mailbox
import re
import ssl
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path
from typing import Any

from . import inbound
from .models import InboundEmail

logger = logging.getLogger(__name__)

HEADER_BYTES = 64 * 1024  # what is read of a message too large to read whole
IMAP_TIMEOUT = 30.0


class MailboxError(Exception):
    """The mailbox cannot be read (no such Maildir, the IMAP server refused)."""


@dataclass
class ReadResult:
    """What one run read: messages by outcome (opened, added, refused), those read before
    (`seen_before`), and those that failed and stay unread for the next run."""

    outcomes: Counter[str] = field(default_factory=Counter)
    seen_before: int = 0
    failed: int = 0

    def count(self, received: InboundEmail, *, new: bool) -> None:
        if new:
            self.outcomes[received.outcome] += 1
        else:
            self.seen_before += 1

    @property
    def read(self) -> int:
        return sum(self.outcomes.values()) + self.seen_before

    def summary(self) -> str:
        return (
            f"Read {self.read} message{'s' if self.read != 1 else ''}: {self.outcomes['opened']} opened a case, "
            f"{self.outcomes['added']} added to a case, {self.outcomes['refused']} refused, "
            f"{self.seen_before} read before; {self.failed} failed (left unread)."
        )


def _handle(raw: bytes, result: ReadResult, *, size: int | None = None) -> None:
    """Receive one message from its bytes (or refuse it, too large, from its headers): `size`
    is its whole size when only its headers were fetched."""
    if (size if size is not None else len(raw)) > inbound.max_bytes():
        headers = BytesHeaderParser(policy=policy.default).parsebytes(raw[:HEADER_BYTES])
        message: EmailMessage = headers
        before = InboundEmail.objects.filter(message_id=inbound.message_id_of(message)).exists()
        limit = inbound.max_bytes() // (1024 * 1024)
        result.count(inbound.email_refuse(message, reason=f"larger than {limit} MB"), new=not before)
        return
    message = BytesParser(policy=policy.default).parsebytes(raw)
    before = InboundEmail.objects.filter(message_id=inbound.message_id_of(message)).exists()
    result.count(inbound.email_receive(message), new=not before)


# Maildir


def read_maildir(path: str | Path) -> ReadResult:
    """Read the messages in the Maildir's new/, moving each to cur/ with the Seen flag."""
    root = Path(path)
    if not (root / "new").is_dir() or not (root / "cur").is_dir():
        raise MailboxError(f"{root} is not a Maildir (it needs new/ and cur/).")
    box = mailbox.Maildir(root, factory=None, create=False)
    result = ReadResult()
    for name in sorted(entry.name for entry in (root / "new").iterdir() if not entry.name.startswith(".")):
        key = name.split(box.colon)[0]
        try:
            with box.get_file(key) as handle:
                raw = handle.read(max(inbound.max_bytes() + 1, HEADER_BYTES))  # enough to tell it is too large
            _handle(raw, result)
        except KeyError:
            continue  # taken by another reader meanwhile
        except Exception:
            logger.exception("Could not read %s from the Maildir %s; it stays in new/", name, root)
            result.failed += 1
            continue
        seen = box.get_message(key)
        seen.set_subdir("cur")
        seen.add_flag("S")
        box[key] = seen
    return result


# IMAP


LITERAL_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def _ok(reply: tuple[str, Any], what: str) -> Any:
    status, data = reply
    if status != "OK":
        detail = b" ".join(part for part in data if isinstance(part, bytes)).decode("utf-8", "replace")
        raise MailboxError(f"The IMAP server refused {what}: {detail or status}")
    return data


def _fetched(data: Any) -> bytes:
    """The literal of a FETCH answer: imaplib gives [(b'1 (UID 7 BODY[] {123}', b'...'), b')']."""
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    return b""


def _mailbox_name(folder: str) -> str:
    return folder if re.fullmatch(r"[A-Za-z0-9._/-]+", folder) else '"' + folder.replace('"', '\\"') + '"'


def read_imap(
    *,
    host: str,
    user: str,
    password: str,
    folder: str = "INBOX",
    use_ssl: bool = False,
    starttls: bool = False,
    port: int | None = None,
    imap_class: Any = None,
) -> ReadResult:
    """Read the folder's unseen messages (without marking them read as they are fetched: PEEK),
    each marked \\Seen once received. TLS certificates are verified."""
    context = ssl.create_default_context()
    if imap_class is None:
        imap_class = imaplib.IMAP4_SSL if use_ssl else imaplib.IMAP4
    options: dict[str, Any] = {"timeout": IMAP_TIMEOUT}
    if use_ssl:
        options["ssl_context"] = context
    try:
        connection = imap_class(host, port, **options) if port else imap_class(host, **options)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"Could not reach the IMAP server {host}: {exc}") from exc
    result = ReadResult()
    try:
        if starttls:
            _ok(connection.starttls(ssl_context=context), "STARTTLS")
        try:
            connection.login(user, password)
        except imaplib.IMAP4.error as exc:
            raise MailboxError(f"The IMAP server refused the login of {user}: {exc}") from exc
        _ok(connection.select(_mailbox_name(folder)), f"the folder {folder}")
        found = _ok(connection.uid("SEARCH", None, "UNSEEN"), "the search for unseen messages")
        for uid in (found[0] or b"").split():
            try:
                size_reply = _ok(connection.uid("FETCH", uid, "(RFC822.SIZE)"), "the size of a message")
                size = LITERAL_SIZE.search(b" ".join(p for p in size_reply if isinstance(p, bytes)))
                too_large = size is not None and int(size.group(1)) > inbound.max_bytes()
                part = "(BODY.PEEK[HEADER])" if too_large else "(BODY.PEEK[])"
                raw = _fetched(_ok(connection.uid("FETCH", uid, part), "a message"))
                _handle(raw, result, size=int(size.group(1)) if size is not None else None)
            except MailboxError:
                raise
            except Exception:
                logger.exception("Could not read message %s from %s; it stays unseen", uid, folder)
                result.failed += 1
                continue
            _ok(connection.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "marking a message read")
    except (OSError, imaplib.IMAP4.abort) as exc:
        raise MailboxError(f"The IMAP connection to {host} failed: {exc}") from exc
    finally:
        try:
            connection.logout()
        except Exception as exc:  # the messages read are kept whatever the goodbye does
            logger.info("IMAP logout from %s failed: %s", host, exc)
    return result
