"""Email in: real RFC 5322 messages in a Maildir (and an IMAP stand-in, and the JSON webhook)
open cases for known contacts, land replies on the case their subject names, and are recorded
once by Message-ID; unknown senders and automatic mail are refused, nothing else written."""

import mailbox
from email import policy
from email.message import EmailMessage
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from headend.core.models import OutboxEvent
from headend.crm import services as crm_services
from headend.support import cases, mail_readers
from headend.support.models import Case, CaseAttachment, CaseNote, InboundEmail
from tests.factories import make_account, make_user
from tests.support.imap_standin import ImapStandin

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64

FIRST = b"""\
Return-Path: <jo@example.com>
Received: from mail.example.com (mail.example.com [192.0.2.25])
\tby mx.provider.example with ESMTPS id 4Tq; Mon, 02 Mar 2026 09:58:11 -0500
From: Jo Buyer <Jo@Example.com>
To: Headend Fiber Support <support@provider.example>
Subject: Internet down since this morning
Date: Mon, 02 Mar 2026 09:58:01 -0500
Message-ID: <CAF=first.1@mail.example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Hello,

The fiber box shows a red light and nothing works. We rebooted it twice =E2=80=94
no change.

Jo
"""


def reply(reference: str, *, message_id: str = "<CAF=reply.2@mail.example.com>", sender: str = "jo@example.com"):
    return f"""\
From: Jo Buyer <{sender}>
To: support@provider.example
Subject: Re: [{reference}] Internet down since this morning
Date: Mon, 02 Mar 2026 11:02:00 -0500
Message-ID: {message_id}
In-Reply-To: <CAF=first.1@mail.example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"

Yes, the light is still red after swapping the cable.

On Mon, Mar 2, 2026 at 10:30 AM Headend Fiber Support <support@provider.example>
wrote:
> Could you try another patch cable?
>
> --
> Headend Fiber support, case {reference}
""".encode()


HTML_ONLY = b"""\
From: jo@example.com
To: support@provider.example
Subject: =?utf-8?q?Slow_in_the_evenings_=E2=80=93_again?=
Message-ID: <html.3@mail.example.com>
MIME-Version: 1.0
Content-Type: text/html; charset="utf-8"

<html><head><style>p {color: red}</style><script>alert("x")</script></head>
<body><p>Speeds drop to <b>2&nbsp;Mbps</b> after 7&nbsp;pm.</p><div>Tested &amp; wired.</div>
<blockquote>an earlier message</blockquote><img src="https://tracker.example/x.gif"></body></html>
"""


@pytest.fixture
def account():
    account = make_account(email="office@example.com")
    crm_services.contact_create(account=account, first_name="Jo", last_name="Buyer", email="jo@example.com")
    return account


@pytest.fixture
def maildir(tmp_path):
    return mailbox.Maildir(tmp_path / "Maildir", create=True)


def deliver(box, raw: bytes) -> str:
    return box.add(raw)


def read(box):
    return mail_readers.read_maildir(box._path)


def test_a_known_contact_opens_a_case_on_their_account(maildir, account, run_worker, settings, tmp_path):
    key = deliver(maildir, FIRST)

    result = read(maildir)

    case = Case.objects.get()
    assert (case.account, case.contact.email, case.channel, case.type, case.status) == (
        account,
        "jo@example.com",
        "email",
        "other",
        "new",
    )
    assert case.subject == "Internet down since this morning"
    assert case.description == (
        "Hello,\n\nThe fiber box shows a red light and nothing works. We rebooted it twice \u2014\nno change.\n\nJo"
    )
    record = InboundEmail.objects.get()
    assert (record.message_id, record.sender, record.outcome, record.case) == (
        "<CAF=first.1@mail.example.com>",
        "jo@example.com",
        "opened",
        case,
    )
    assert (result.outcomes["opened"], result.read, result.failed) == (1, 1, 0)
    # Read: moved to cur/ and flagged seen.
    message = maildir.get_message(key)
    assert (message.get_subdir(), message.get_flags()) == ("cur", "S")
    assert list((tmp_path / "Maildir" / "new").iterdir()) == []
    # The customer is told we have it, with the reference to reply with.
    run_worker()
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["jo@example.com"], f"[{case.reference}] We have your request: Internet down since this morning")
    ]
    assert f"We have your request {case.reference}" in mail.outbox[0].body


def test_a_reply_with_the_reference_lands_on_the_same_case(maildir, account):
    deliver(maildir, FIRST)
    read(maildir)
    case = Case.objects.get()
    agent = make_user("support")
    cases.case_note_add(case=case, kind="reply", body="Could you try another patch cable?", by=agent)
    cases.case_transition(case=case, to="waiting", by=agent)

    deliver(maildir, reply(case.reference.lower()))  # the reference in any case
    read(maildir)

    case.refresh_from_db()
    assert Case.objects.count() == 1
    assert case.status == "in_progress"  # waiting on the customer no more
    note = case.notes.get(kind="customer")
    assert (note.body, note.author_name, note.channel) == (
        "Yes, the light is still red after swapping the cable.",
        "Jo Buyer <jo@example.com>",
        "email",
    )
    assert InboundEmail.objects.get(message_id="<CAF=reply.2@mail.example.com>").outcome == "added"


def test_the_same_message_read_twice_adds_nothing(maildir, account, run_worker):
    deliver(maildir, FIRST)
    read(maildir)
    case = Case.objects.get()
    deliver(maildir, reply(case.reference))
    read(maildir)
    run_worker()
    events = OutboxEvent.objects.count()

    deliver(maildir, FIRST)  # the mail system delivers both again
    deliver(maildir, reply(case.reference))
    again = read(maildir)

    assert (again.seen_before, sum(again.outcomes.values())) == (2, 0)
    assert Case.objects.count() == 1
    assert CaseNote.objects.count() == 1
    assert InboundEmail.objects.count() == 2
    assert OutboxEvent.objects.count() == events


def test_an_unknown_sender_is_refused_and_recorded(maildir, account):
    deliver(maildir, FIRST.replace(b"Jo@Example.com", b"stranger@elsewhere.example"))

    result = read(maildir)

    assert not Case.objects.exists()
    record = InboundEmail.objects.get()
    assert (record.outcome, record.reason, record.case) == (
        "refused",
        "stranger@elsewhere.example is not a contact of any customer",
        None,
    )
    assert result.outcomes["refused"] == 1


def test_a_reference_from_someone_not_on_that_account_is_refused(maildir, account):
    deliver(maildir, FIRST)
    read(maildir)
    case = Case.objects.get()
    other = make_account()
    crm_services.contact_create(account=other, first_name="Al", last_name="Other", email="al@other.example")

    deliver(maildir, reply(case.reference, sender="al@other.example"))
    read(maildir)

    assert not CaseNote.objects.exists()
    assert Case.objects.count() == 1
    assert InboundEmail.objects.get(sender="al@other.example").reason == (
        f"al@other.example is not a contact of the customer of {case.reference}"
    )


def test_the_accounts_own_address_opens_a_case_and_is_answered_there(account, run_worker):
    message = EmailMessage(policy=policy.default)
    message["From"] = "OFFICE@example.com"
    message["Subject"] = "Invoice question"
    message["Message-ID"] = "<office.1@example.com>"
    message.set_content("Why was I charged twice?")

    from headend.support.inbound import email_receive

    received = email_receive(message)

    case = Case.objects.get()
    assert (received.outcome, case.account, case.contact, case.description) == (
        "opened",
        account,
        None,
        "Why was I charged twice?",
    )
    run_worker()
    assert [m.to for m in mail.outbox] == [["office@example.com"]]


def test_an_html_only_message_becomes_plain_text(maildir, account):
    deliver(maildir, HTML_ONLY)
    read(maildir)
    case = Case.objects.get()
    assert case.subject == "Slow in the evenings \u2013 again"
    assert case.description == "Speeds drop to 2 Mbps after 7 pm.\n\nTested & wired."
    assert "<" not in case.description
    assert "alert" not in case.description


def test_a_reply_to_a_closed_case_opens_a_follow_up(maildir, account):
    deliver(maildir, FIRST)
    read(maildir)
    old = Case.objects.get()
    agent = make_user("support")
    cases.case_transition(case=old, to="resolved", by=agent, resolution="New ONT.")
    cases.case_transition(case=old, to="closed", by=agent)

    deliver(maildir, reply(old.reference))
    read(maildir)

    new = Case.objects.exclude(pk=old.pk).get()
    assert (new.parent, new.account, new.subject, new.status) == (
        old,
        account,
        "Internet down since this morning",
        "new",
    )
    assert new.description.startswith(f"Follow-up to {old.reference}, which is closed.\n\nYes, the light")
    record = InboundEmail.objects.get(message_id="<CAF=reply.2@mail.example.com>")
    assert (record.outcome, record.case, record.reason) == (
        "opened",
        new,
        f"{old.reference} is closed: opened {new.reference}",
    )


def test_attachments_of_allowed_types_are_kept_others_noted(maildir, account, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    message = EmailMessage(policy=policy.default)
    message["From"] = "jo@example.com"
    message["To"] = "support@provider.example"
    message["Subject"] = "Speed test"
    message["Message-ID"] = "<attach.4@mail.example.com>"
    message.set_content("Screenshot attached.")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="speed.png")
    message.add_attachment(
        b"MZ\x90\x00" + b"\0" * 60, maintype="application", subtype="octet-stream", filename="fix.exe"
    )
    deliver(maildir, message.as_bytes())

    read(maildir)

    case = Case.objects.get()
    assert [(a.name, a.content_type, a.case_id) for a in CaseAttachment.objects.all()] == [
        ("speed.png", "image/png", case.pk)
    ]
    assert case.description == (
        "Screenshot attached.\n\n"
        "[Attachment not kept: fix.exe: attach a photo (JPEG, PNG, GIF, WebP), a PDF or a text file.]"
    )


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (b"Auto-Submitted: auto-replied\n", "an automatic message (Auto-Submitted: auto-replied)"),
        (b"Precedence: bulk\n", "an automatic message (Precedence: bulk)"),
    ],
)
def test_automatic_replies_are_refused(maildir, account, header, reason):
    deliver(maildir, header + FIRST)
    read(maildir)
    assert not Case.objects.exists()
    assert InboundEmail.objects.get().reason == reason


def test_a_message_too_large_is_refused_from_its_headers(maildir, account, settings):
    settings.HEADEND_INBOUND_EMAIL_MAX_MB = 0
    deliver(maildir, FIRST)
    result = read(maildir)
    assert not Case.objects.exists()
    record = InboundEmail.objects.get()
    assert (record.message_id, record.outcome, record.reason) == (
        "<CAF=first.1@mail.example.com>",
        "refused",
        "larger than 0 MB",
    )
    assert result.outcomes["refused"] == 1


def test_the_command_reads_a_maildir(maildir, account):
    deliver(maildir, FIRST)
    out = StringIO()
    call_command("read_support_mail", "--maildir", str(maildir._path), stdout=out)
    assert out.getvalue().strip() == (
        "Read 1 message: 1 opened a case, 0 added to a case, 0 refused, 0 read before; 0 failed (left unread)."
    )
    with pytest.raises(CommandError, match="not a Maildir"):
        call_command("read_support_mail", "--maildir", str(maildir._path) + "-missing")


# IMAP, against a stand-in server on loopback


@pytest.fixture
def imap():
    standin = ImapStandin().start()
    yield standin
    standin.stop()


def test_imap_reads_unseen_messages_and_marks_them_seen(imap, account, monkeypatch):
    old = imap.add(FIRST.replace(b"first.1", b"old.0"), seen=True)
    new = imap.add(FIRST.replace(b"\n", b"\r\n"))
    monkeypatch.setenv("SUPPORT_IMAP_PASSWORD", imap.password)
    out = StringIO()

    call_command(
        "read_support_mail",
        "--imap", "127.0.0.1", "--port", str(imap.port), "--user", "support",
        "--password-env", "SUPPORT_IMAP_PASSWORD", stdout=out,
    )  # fmt: skip

    case = Case.objects.get()
    assert (case.account, case.subject) == (account, "Internet down since this morning")
    assert "\\Seen" in new.flags
    assert old.flags == {"\\Seen"}
    assert [c for c in imap.commands if c.startswith("UID")] == [
        "UID SEARCH UNSEEN",
        f"UID FETCH {new.uid} (RFC822.SIZE)",
        f"UID FETCH {new.uid} (BODY.PEEK[])",
        f"UID STORE {new.uid} +FLAGS (\\Seen)",
    ]
    assert out.getvalue().startswith("Read 1 message: 1 opened a case")

    again = mail_readers.read_imap(host="127.0.0.1", port=imap.port, user="support", password=imap.password)
    assert again.read == 0
    assert Case.objects.count() == 1


def test_imap_wrong_password_is_a_clear_error(imap, monkeypatch):
    monkeypatch.setenv("SUPPORT_IMAP_PASSWORD", "wrong")
    with pytest.raises(CommandError, match="refused the login of support"):
        call_command(
            "read_support_mail",
            "--imap", "127.0.0.1", "--port", str(imap.port), "--user", "support",
            "--password-env", "SUPPORT_IMAP_PASSWORD",
        )  # fmt: skip
    with pytest.raises(CommandError, match="SUPPORT_IMAP_MISSING"):
        call_command(
            "read_support_mail", "--imap", "127.0.0.1", "--user", "support", "--password-env", "SUPPORT_IMAP_MISSING"
        )


# The mail services' JSON webhook


TOKEN = "inbound-token-for-tests"


def post(client, data, token=TOKEN):
    import json

    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    raw = data if isinstance(data, str) else json.dumps(data)
    return client.post("/support/inbound-email/", data=raw, content_type="application/json", **headers)


def posted(**extra):
    return {
        "from": "Jo Buyer <jo@example.com>",
        "to": "support@provider.example",
        "subject": "No internet",
        "text": "Red light on the box.",
        "html": "<p>Red light on the <b>box</b>.</p>",
        "message_id": "<hook.1@mail.example.com>",
        "headers": {"Auto-Submitted": "no"},
        **extra,
    }


def test_the_webhook_opens_a_case_with_the_token(client, account, settings):
    settings.HEADEND_INBOUND_EMAIL_TOKEN = TOKEN

    response = post(client, posted())

    assert response.status_code == 200, response.content
    case = Case.objects.get()
    assert response.json() == {"outcome": "opened", "reason": "", "case": case.reference}
    assert (case.account, case.subject, case.description) == (account, "No internet", "Red light on the box.")
    again = post(client, posted())
    assert again.json() == response.json()
    assert Case.objects.count() == 1


def test_the_webhook_takes_html_only_and_headers_as_pairs(client, account, settings):
    settings.HEADEND_INBOUND_EMAIL_TOKEN = TOKEN
    response = post(client, posted(text=None, headers=[["Precedence", "bulk"]]))
    assert response.json()["outcome"] == "refused"
    response = post(client, posted(text="", message_id="<hook.2@mail.example.com>", headers=[]))
    assert Case.objects.get().description == "Red light on the box."


@pytest.mark.parametrize("token", ["", "wrong-token", TOKEN + "x"])
def test_the_webhook_without_the_token_is_401_and_writes_nothing(client, account, settings, token):
    settings.HEADEND_INBOUND_EMAIL_TOKEN = TOKEN
    response = post(client, posted(), token=token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="inbound-email"'
    assert not InboundEmail.objects.exists()
    assert not Case.objects.exists()


def test_the_webhook_is_off_without_a_configured_token(client, account, settings):
    settings.HEADEND_INBOUND_EMAIL_TOKEN = ""
    response = post(client, posted(), token="")
    assert (response.status_code, response.json()["code"]) == (503, "receiver_off")


@pytest.mark.parametrize(
    ("body", "field"),
    [("not json", None), ("[1, 2]", None), ({"from": 7}, "from"), ({"headers": 5}, "headers")],
)
def test_the_webhook_refuses_a_bad_body(client, account, settings, body, field):
    settings.HEADEND_INBOUND_EMAIL_TOKEN = TOKEN
    response = post(client, body)
    assert response.status_code == 400
    assert response.json().get("field") == field
    assert not InboundEmail.objects.exists()
