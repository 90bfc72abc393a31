"""Email in: a customer's message opens a case, or adds to the case whose reference its subject
carries. The readers (`manage.py read_support_mail`: a Maildir or an IMAP mailbox) and the mail
services' JSON webhook (inbound_views.py) all hand one message to `email_receive`.

- Every message is recorded once by its Message-ID (InboundEmail), with what became of it:
  reading the same message again adds nothing.
- A reference in the subject (CS-000123, any case) adds the text as the customer's note to
  that case when the sender is one of its account's contacts or the account's own address (a
  case waiting on the customer starts again, a resolved one reopens). A reference to a closed
  or cancelled case opens a new case on the same account, linked to the old one as its parent.
- No reference: a sender who is a contact of an account (or the account's address; case does
  not matter) opens a case on that account: channel email, type other, the subject and text of
  the message.
- Refused, and recorded with the reason, without a case: an unknown sender, a sender who is
  not the referenced case's customer, automatic messages (auto-replies, bounces, lists: a
  loop with our own acknowledgements is never started), our own address, a message over
  HEADEND_INBOUND_EMAIL_MAX_MB.
- The text is the text/plain part, else the HTML part turned into plain text (tags dropped,
  scripts and styles with their content; HTML is never kept), without the quoted message
  below "On ... wrote:"; at most cases.BODY_MAX characters. Attached files of the types cases
  take (photos, PDF, text; core/user_files.py) are kept with the case, others are skipped and
  named in the note.

The sender's address is taken as the mail system delivered it: the mailbox should accept only
mail that passed the provider's SPF/DKIM/DMARC checks."""

import hashlib
import html
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import HeaderParser
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, models, transaction

from headend.core import clock, events, user_files
from headend.core.errors import DomainError, ValidationError
from headend.crm.models import Account, Contact

from . import cases
from .models import Case, CaseNote, InboundEmail

logger = logging.getLogger(__name__)

REFERENCE = re.compile(r"\bCS-(\d{6,12})\b", re.IGNORECASE)
REFERENCE_TAG = re.compile(r"\[?\s*CS-\d{6,12}\s*\]?:?", re.IGNORECASE)
REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
MAX_ATTACHMENTS = 10
NO_SUBJECT = "(no subject)"
NO_TEXT = "(The message had no text.)"


def _width(name: str) -> int:
    return int(InboundEmail._meta.get_field(name).max_length or 0)  # type: ignore[union-attr]


MESSAGE_ID_MAX, SUBJECT_MAX, SENDER_MAX, REASON_MAX = map(_width, ("message_id", "subject", "sender", "reason"))
AUTOMATIC_SENDERS = {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"}
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# Characters kept in text: printable ones, newlines and tabs (never NUL, which PostgreSQL refuses).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def max_bytes() -> int:
    """The largest message read (HEADEND_INBOUND_EMAIL_MAX_MB)."""
    return int(settings.HEADEND_INBOUND_EMAIL_MAX_MB) * 1024 * 1024


# Reading a message


def _clean(text: str) -> str:
    return CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _header(message: EmailMessage, name: str) -> str:
    """A header as text ("" when absent or unreadable), on one line."""
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot make sense of is as good as none
        logger.warning("Unreadable %s header in an inbound email", name)
        return ""
    return " ".join(_clean(str(value or "")).split())


def sender_of(message: EmailMessage) -> tuple[str, str]:
    """(name, address) of who sent the message; the address lowercased, "" if there is none."""
    name, address = parseaddr(_header(message, "From"))
    address = address.strip().lower()
    if "@" not in address or len(address) > SENDER_MAX or any(ch.isspace() for ch in address):
        address = ""
    return name.strip(), address


def message_id_of(message: EmailMessage) -> str:
    """The Message-ID, or for a message without one (or with a very long one) a stable stand-in
    made from its contents, so reading it twice is still recognised."""
    given = _header(message, "Message-ID")
    if given and len(given) <= MESSAGE_ID_MAX:
        return given
    try:
        raw = message.as_bytes()
    except Exception:  # a message that cannot be written back out: its headers and text decide
        raw = "\n".join([given, *(_header(message, name) for name in ("From", "Date", "Subject"))]).encode()
        raw += message_text(message).encode()
    return f"<{hashlib.sha256(raw).hexdigest()}@headend.invalid>"


def _content(part: EmailMessage) -> str:
    """A text part's content, decoded; undecodable bytes replaced rather than refused."""
    try:
        content = part.get_content()
    except Exception:  # an unknown charset, a broken encoding, no payload at all
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            payload = b""
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload or "")
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    return str(content)


class _TextFromHtml(HTMLParser):
    """HTML to plain text: the words, a line break per block, nothing else. Scripts, styles, the
    head and quoted blocks (a reply's earlier messages) are dropped with their content."""

    SKIP = {"script", "style", "head", "title", "template", "blockquote", "noscript", "svg", "math"}
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "ul", "ol", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(markup: str) -> str:
    """The text a person reads in an HTML email, as plain text; no tag survives."""
    parser = _TextFromHtml()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # HTMLParser is lenient; should it still fail, keep no markup at all
        return html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


QUOTE_HEADER = re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE)
OUTLOOK_HEADER = re.compile(r"^\s*(-{2,}\s*Original Message\s*-{2,}|_{10,})\s*$", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """The new words of a reply: what comes before "On <date>, <someone> wrote:" (on one line
    or wrapped on two), "-----Original Message-----" or Outlook's rule, and without trailing
    "> " lines. All of it when that would leave nothing."""
    lines = text.split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        two = f"{line} {lines[index + 1]}" if index + 1 < len(lines) else line
        if QUOTE_HEADER.match(line) or (line.strip().lower().startswith("on ") and QUOTE_HEADER.match(two)):
            cut = index
            break
        if OUTLOOK_HEADER.match(line):
            cut = index
            break
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    new = "\n".join(kept).strip()
    return new or text.strip()


def message_text(message: EmailMessage) -> str:
    """The message's own words as plain text: text/plain preferred, else HTML made text."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except Exception:
        part = None
    if part is None:
        return ""
    text = _content(part)  # type: ignore[arg-type]
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return strip_quoted(_clean(text))


def _capped(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    note = f"\n[... the rest is cut: the message was longer than {limit:,} characters]"
    return text[: limit - len(note)] + note


def _attachments(message: EmailMessage) -> tuple[list[Any], list[str]]:
    """The files a case can keep (checked as staff uploads are), and what was skipped, why."""
    kept: list[Any] = []  # SimpleUploadedFile
    skipped: list[str] = []
    try:
        parts = list(message.iter_attachments())
    except Exception:
        return kept, ["the attachments could not be read"]
    for part in parts:
        name = _clean(part.get_filename() or "") or "attachment"
        if len(kept) >= MAX_ATTACHMENTS:
            skipped.append(f"{name}: at most {MAX_ATTACHMENTS} files are kept from one message")
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            skipped.append(f"{name}: not a file")
            continue
        upload = SimpleUploadedFile(name[:200], payload, content_type=part.get_content_type())
        try:
            user_files.check_upload(upload, kind=user_files.ATTACHMENT, field="attachments")
        except ValidationError as exc:
            skipped.append(exc.message)
            continue
        kept.append(upload)
    return kept, skipped


def _with_skipped(text: str, skipped: Iterable[str]) -> str:
    lines = [f"[Attachment not kept: {reason}]" for reason in skipped]
    return "\n\n".join(part for part in [text, "\n".join(lines)] if part)


def _automatic(message: EmailMessage, sender: str) -> str:
    """Why the message is an automatic one (a reply to it would start a loop), or ""."""
    submitted = _header(message, "Auto-Submitted").lower()
    if submitted and submitted != "no":
        return f"an automatic message (Auto-Submitted: {submitted})"
    precedence = _header(message, "Precedence").lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"an automatic message (Precedence: {precedence})"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "an automatic reply"
    if sender.split("@")[0] in AUTOMATIC_SENDERS:
        return f"an automatic message from {sender}"
    return ""


def _our_address(sender: str) -> bool:
    ours = parseaddr(str(settings.DEFAULT_FROM_EMAIL or ""))[1].strip().lower()
    return bool(ours) and sender == ours


# Who the sender is


def _contact_on(account: Account | None, sender: str) -> tuple[bool, Contact | None]:
    """Whether `sender` may write about the account's cases (one of its contacts, or its own
    address), and which contact they are."""
    if account is None or not sender:
        return False, None
    contact = Contact.objects.filter(account=account, email__iexact=sender).order_by("id").first()
    return contact is not None or account.email.lower() == sender, contact


def _known(sender: str) -> tuple[Account | None, Contact | None]:
    """The account a sender writes for: the one they are a contact of (the primary contact's
    first, then the oldest), else the one whose own address it is."""
    contact = (
        Contact.objects.filter(email__iexact=sender)
        .select_related("account")
        .order_by(models.Case(models.When(role=Contact.Role.PRIMARY, then=0), default=1), "account_id", "id")
        .first()
    )
    if contact is not None:
        return contact.account, contact
    account = Account.objects.filter(email__iexact=sender).order_by("id").first()
    return account, None


def _subject_for_case(subject: str, text: str) -> str:
    """A new case's subject: the message's, without "Re:" and an old reference; its first line
    of text when it has none."""
    cleaned = REPLY_PREFIX.sub("", REFERENCE_TAG.sub("", subject)).strip()
    if not cleaned:
        cleaned = next((line.strip() for line in text.splitlines() if line.strip()), "") or NO_SUBJECT
    return cleaned[: cases.SUBJECT_MAX]


# The use case


@dataclass
class _Message:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    received_at: Any


def _record(
    message: _Message, outcome: str, *, reason: str = "", case: Case | None = None, note: CaseNote | None = None
) -> InboundEmail:
    return InboundEmail.objects.create(
        message_id=message.message_id,
        sender=message.sender[:SENDER_MAX] or "(unknown)",
        subject=message.subject[:SUBJECT_MAX],
        received_at=message.received_at,
        outcome=outcome,
        reason=reason[:REASON_MAX],
        case=case,
        note=note,
    )


def _refuse(message: _Message, reason: str, *, case: Case | None = None) -> InboundEmail:
    logger.info("Inbound email %s from %s refused: %s", message.message_id, message.sender, reason)
    return _record(message, InboundEmail.Outcome.REFUSED, reason=reason, case=case)


def email_receive(message: EmailMessage) -> InboundEmail:
    """Open a case, or add to one, from one email; the record of what was done. The same
    message (by Message-ID) a second time returns the first record and changes nothing."""
    message_id = message_id_of(message)
    done = InboundEmail.objects.filter(message_id=message_id).first()
    if done is not None:
        return done
    try:
        with transaction.atomic():
            return _receive(message, message_id)
    except IntegrityError:
        done = InboundEmail.objects.filter(message_id=message_id).first()
        if done is None:
            raise
        return done  # read at the same time by another reader: theirs stands


def email_refuse(message: EmailMessage, *, reason: str) -> InboundEmail:
    """Record a message the reader would not read (too large), once."""
    message_id = message_id_of(message)
    name, sender = sender_of(message)
    received = _Message(message_id, sender, name, _header(message, "Subject"), clock.now())
    with transaction.atomic():
        done = InboundEmail.objects.filter(message_id=message_id).first()
        return done or _refuse(received, reason)


def _receive(message: EmailMessage, message_id: str) -> InboundEmail:
    name, sender = sender_of(message)
    received = _Message(message_id, sender, name, _header(message, "Subject"), clock.now())
    if not sender:
        return _refuse(received, "no sender address")
    automatic = _automatic(message, sender)
    if automatic:
        return _refuse(received, automatic)
    if _our_address(sender):
        return _refuse(received, "sent from our own address")
    text = message_text(message)
    uploads, skipped = _attachments(message)
    body = _capped(_with_skipped(text, skipped), cases.BODY_MAX) or NO_TEXT
    author = (f"{name} <{sender}>" if name else sender)[:200]

    match = REFERENCE.search(received.subject)
    case = Case.objects.select_related("account").filter(pk=int(match.group(1))).first() if match else None
    try:
        with transaction.atomic():
            if case is not None:
                allowed, contact = _contact_on(case.account, sender)
                if not allowed:
                    return _refuse(received, f"{sender} is not a contact of the customer of {case.reference}")
                if case.account is not None and case.status in (Case.Status.CLOSED, Case.Status.CANCELLED):
                    follow_up = _open(received, case.account, contact, body, uploads, follows=case)
                    reason = f"{case.reference} is {case.get_status_display().lower()}: opened {follow_up.reference}"
                    return _record(received, InboundEmail.Outcome.OPENED, reason=reason, case=follow_up)
                note = cases.case_note_add(
                    case=case,
                    kind=CaseNote.Kind.CUSTOMER,
                    body=body,
                    author_name=author,
                    channel=Case.Channel.EMAIL,
                    uploads=uploads,
                )
                return _record(received, InboundEmail.Outcome.ADDED, case=case, note=note)
            account, contact = _known(sender)
            if account is None:
                return _refuse(received, f"{sender} is not a contact of any customer")
            opened = _open(received, account, contact, body, uploads)
            return _record(received, InboundEmail.Outcome.OPENED, case=opened)
    except DomainError as exc:  # what the case would not take: recorded, nothing else written
        return _refuse(received, exc.message, case=case)


def _open(
    received: _Message,
    account: Account,
    contact: Contact | None,
    body: str,
    uploads: list[Any],
    *,
    follows: Case | None = None,
) -> Case:
    """A new case from the message; a follow-up of a closed case is linked to it as its parent."""
    description = body
    if follows is not None:
        description = f"Follow-up to {follows.reference}, which is {follows.get_status_display().lower()}.\n\n{body}"
    case = cases.case_open(
        account=account,
        contact=contact,
        type=Case.Type.OTHER,
        channel=Case.Channel.EMAIL,
        subject=_subject_for_case(received.subject, body),
        description=_capped(description, cases.BODY_MAX),
    )
    if follows is not None and case.parent_id is None:
        # case_link is for staff; the reader links the case it opened itself.
        case.parent = follows
        case.save(update_fields=["parent"])
        events.emit("case.linked", subject=case, data={"parent": follows.pk})
    for upload in uploads:
        cases.case_attach(case=case, upload=upload)
    return case


# The mail services' JSON (inbound_views.py)

# Headers a posted message's own fields set, and those that describe the MIME structure we build.
OWN_HEADERS = {"from", "to", "subject", "message-id", "content-type", "content-transfer-encoding", "mime-version"}


def _json_text(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError("Give text here.", field=field, code="invalid")
    return value


def _json_headers(headers: Any) -> list[tuple[str, str]]:
    """A posted message's headers: an object, a list of [name, value] pairs (or of objects with
    name and value), or the raw header block as text."""
    if headers in (None, "", [], {}):
        return []
    if isinstance(headers, str):
        return [(name, str(value)) for name, value in HeaderParser(policy=policy.default).parsestr(headers).items()]
    pairs: list[Any]
    if isinstance(headers, dict):
        pairs = list(headers.items())
    elif isinstance(headers, list):
        pairs = [(item.get("name"), item.get("value")) if isinstance(item, dict) else item for item in headers]
    else:
        raise ValidationError(
            "Give the headers as an object, a list of pairs or text.", field="headers", code="invalid"
        )
    found = []
    for index, pair in enumerate(pairs):
        if not (isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(part, str) for part in pair)):
            raise ValidationError("Each header is a name and a text value.", field=f"headers[{index}]", code="invalid")
        found.append((pair[0], pair[1]))
    return found


def message_from_json(data: dict[str, Any]) -> EmailMessage:
    """The email a mail service posted as JSON (`from`, `to`, `subject`, `text`, `html`,
    `message_id`, `headers`), as the message a mailbox would hold. ValidationError names the
    field that cannot be read."""
    headers = _json_headers(data.get("headers"))
    given = {name.lower(): value for name, value in headers}
    own = {
        "From": _json_text(data, "from") or given.get("from", ""),
        "To": _json_text(data, "to") or given.get("to", ""),
        "Subject": _json_text(data, "subject") or given.get("subject", ""),
        "Message-ID": _json_text(data, "message_id") or given.get("message-id", ""),
    }
    text, markup = _json_text(data, "text"), _json_text(data, "html")
    message = EmailMessage(policy=policy.default)
    for name, value in [*own.items(), *((n, v) for n, v in headers if n.lower() not in OWN_HEADERS)]:
        if not value:
            continue
        field = {"From": "from", "To": "to", "Subject": "subject", "Message-ID": "message_id"}.get(name, "headers")
        if not re.fullmatch(r"[!-9;-~]+", name):
            raise ValidationError(f"Not a header name: {name[:40]!r}.", field=field, code="invalid")
        try:
            message[name] = CONTROL.sub("", value.replace("\r", " ").replace("\n", " ")).replace("\t", " ")
        except Exception as exc:  # the email package's parsers raise more than ValueError
            raise ValidationError(f"Not a valid {name} header: {exc}", field=field, code="invalid") from None
    if text:
        message.set_content(_clean(text))
        if markup:
            message.add_alternative(_clean(markup), subtype="html")
    elif markup:
        message.set_content(_clean(markup), subtype="html")
    return message
