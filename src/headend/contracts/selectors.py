"""Reads: the terms in effect, a quote's documents and signing status, and whether a signing
link may still be used."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import models

from headend.contracts import documents, tokens
from headend.contracts.models import QuoteDocument, QuoteDocumentJob, Signature, SigningLink, TermsVersion
from headend.core import clock
from headend.core.errors import DomainError, NotFound
from headend.core.ids import parse_id
from headend.crm import notifications as crm_notifications
from headend.crm.models import Account, Contact
from headend.quoting.models import Quote


class LinkInvalid(DomainError):
    """The signing link was never issued by us: a mistyped, cut or edited token."""

    status, code = 400, "link_invalid"


class LinkClosed(DomainError):
    """The signing link was real but can no longer be used."""

    status, code = 410, "link_closed"


def terms_in_effect(*, on: dt.date) -> TermsVersion | None:
    """The terms and conditions in effect on `on`: the latest version already effective."""
    return TermsVersion.objects.filter(effective_date__lte=on).order_by("-effective_date", "-id").first()


def terms_for_quote(*, quote: Quote) -> TermsVersion | None:
    """The terms a quote is offered under: those in effect the day it was presented (today for a draft)."""
    return terms_in_effect(on=documents.offered_on(quote) if quote.presented_at else clock.today())


def addressee(*, account: Account) -> tuple[str, Contact | None]:
    """Who signing links go to: the primary contact's email, else another contact's, else the
    account's own (the rule every customer email follows), and that contact if there is one."""
    email = crm_notifications.recipient(account)
    contact = account.contacts.filter(email=email).order_by("id").first() if email else None
    return email, contact


def link_expiry(*, quote: Quote, at: dt.datetime) -> dt.datetime:
    """A signing link lasts as long as the quote is valid: to the end of `valid_until` where the provider is."""
    last_day = quote.valid_until or (clock.local_date(at) + dt.timedelta(days=settings.HEADEND_QUOTE_VALID_DAYS))
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=clock.provider_zone()).astimezone(
        dt.UTC
    )


def current_state(*, quote: Quote) -> tuple[str, int]:
    """The key of the quote's content as it stands (what its document is stored under) and its
    number of lines."""
    lines = documents.line_states(quote)
    return documents.state_key(quote, lines, terms_for_quote(quote=quote)), len(lines)


def current_state_key(*, quote: Quote) -> str:
    return current_state(quote=quote)[0]


def current_document(*, quote: Quote) -> QuoteDocument | None:
    """The stored document of the quote as it stands, if it was rendered."""
    return QuoteDocument.objects.filter(quote=quote, state_key=current_state_key(quote=quote)).first()


def signing_link_get(*, document_id: Any, token: str) -> SigningLink:
    """The link a customer opened, if the token is ours for that document; LinkInvalid otherwise,
    saying nothing about which part was wrong. A token made without a link id (before a
    document had a link per recipient) opens the document's first live link."""
    invalid = LinkInvalid(
        "This signing link is not valid. Check that you copied the whole link from the email.", field="token"
    )
    try:
        document_pk = int(document_id)
    except (TypeError, ValueError):
        raise invalid from None
    document = QuoteDocument.objects.filter(pk=document_pk).first()
    if document is None:
        raise invalid
    try:
        link_pk = tokens.link_id(document, token)
    except signing.BadSignature:
        raise invalid from None
    links = SigningLink.objects.select_related("document__terms", "quote__account", "quote__opportunity").filter(
        document=document
    )
    if link_pk is not None:
        link = links.filter(pk=link_pk).first()
    else:
        link = links.order_by(models.F("revoked_at").asc(nulls_first=True), "created_at", "pk").first()
    if link is None:
        raise invalid
    return link


def link_path(link: SigningLink) -> str:
    """The signing page of `link` (its document must be stored)."""
    assert link.document is not None
    return tokens.path(link.document, expires_at=link.expires_at, link_id=link.pk)


def signature_of(link: SigningLink) -> Signature | None:
    return Signature.objects.filter(document_id=link.document_id).first()


def signing_link_check(*, link: SigningLink, at: dt.datetime) -> bytes:
    """The document's bytes if the customer may still sign or decline through `link`; LinkClosed
    (with the reason in the customer's words) if it was used, expired, or the quote moved on."""
    quote, provider = link.quote, settings.HEADEND_PROVIDER_NAME
    signature = signature_of(link)
    if signature is not None:
        verb = "accepted" if signature.decision == Signature.Decision.ACCEPTED else "declined"
        when = signature.signed_at.astimezone(clock.provider_zone())
        raise LinkClosed(
            f"This link was already used: quote {quote.number} was {verb} by {signature.signer_name} "
            f"on {when:%B %-d, %Y at %H:%M}.",
            code="link_used",
        )
    if link.revoked_at is not None:
        raise LinkClosed(
            f"This link was withdrawn by {provider}: it can no longer be used to sign quote {quote.number}. "
            f"Ask {provider} for a new link.",
            code="link_revoked",
        )
    if quote.status == Quote.Status.ACCEPTED:
        raise LinkClosed(f"Quote {quote.number} was already accepted; there is nothing left to sign.", code="decided")
    if quote.status == Quote.Status.REJECTED:
        raise LinkClosed(f"Quote {quote.number} was declined; ask {provider} for a new quote.", code="decided")
    if quote.status == "superseded":
        raise LinkClosed(
            f"Quote {quote.number} was replaced by a newer version. Use the link in the latest email from {provider}.",
            code="superseded",
        )
    if at >= link.expires_at or quote.is_expired_on(clock.local_date(at)):
        last_day = quote.valid_until or link.valid_through
        raise LinkClosed(
            f"This link expired: quote {quote.number} was valid until {last_day:%B %-d, %Y}. "
            f"Ask {provider} for a new quote.",
            code="link_expired",
        )
    if quote.status != Quote.Status.PRESENTED:
        raise LinkClosed(f"Quote {quote.number} was withdrawn by {provider}.", code="withdrawn")
    changed = LinkClosed(
        f"Quote {quote.number} changed after this link was sent. Use the link in the latest email from {provider}.",
        code="document_changed",
    )
    document = link.document
    if document is None or document.is_draft or document.state_key != current_state_key(quote=quote):
        raise changed
    try:
        with document.file.open("rb") as handle:
            content = handle.read()
    except OSError:
        raise changed from None
    if documents.sha256(content) != document.sha256:
        raise changed
    return content


@dataclass(frozen=True)
class Recipient:
    """Someone a signing link may go to: a contact of the account with an email address, or the
    account's own mailbox (offered, never chosen for staff)."""

    key: str  # "contact:<id>" or "account"
    email: str
    name: str
    role: str
    contact: Contact | None

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>"


def present_recipients(*, account: Account) -> list[Recipient]:
    """Who the signing link may go to: the account's contacts that have an email address, then
    the account's general mailbox when it is another address."""
    contacts = list(account.contacts.exclude(email="").order_by("id"))
    recipients = [
        Recipient(
            key=f"contact:{contact.pk}",
            email=contact.email,
            name=f"{contact.first_name} {contact.last_name}".strip(),
            role=contact.get_role_display(),
            contact=contact,
        )
        for contact in contacts
    ]
    if account.email and account.email.lower() not in {r.email.lower() for r in recipients}:
        # A resident's own address is the customer's; a business's is a shared mailbox.
        role = "Account holder" if account.kind == Account.Kind.RESIDENTIAL else "General mailbox"
        recipients.append(Recipient(key="account", email=account.email, name=account.name, role=role, contact=None))
    return recipients


def default_recipient(*, account: Account, recipients: list[Recipient] | None = None) -> Recipient | None:
    """Who the signing link goes to unless staff choose: the primary contact with an email
    address, else the billing contact, else a resident's own address; never a business's
    general mailbox by itself."""
    recipients = present_recipients(account=account) if recipients is None else recipients
    for role in (Contact.Role.PRIMARY, Contact.Role.BILLING):
        for recipient in recipients:
            if recipient.contact is not None and recipient.contact.role == role:
                return recipient
    if account.kind == Account.Kind.RESIDENTIAL:
        return next((recipient for recipient in recipients if recipient.contact is None), None)
    return None


@dataclass(frozen=True)
class LinkStatus:
    link: SigningLink
    emails: list
    signature: Signature | None
    state: str  # waiting, not_sent, sent, opened, accepted, declined, expired, closed, revoked
    label: str

    @property
    def live(self) -> bool:
        """Resend and revoke still make sense."""
        return self.state in ("sent", "opened", "not_sent")


def _link_status(link: SigningLink, *, quote: Quote, current_document_id: int | None, at: dt.datetime) -> LinkStatus:
    signature = next((s for s in link.signatures.all()), None)
    emails = list(link.emails.all())
    if signature is not None:
        state = signature.decision
        label = f"{signature.get_decision_display()} by {signature.signer_name}"
    elif link.revoked_at is not None:
        state, label = "revoked", f"Revoked {clock.local_date(link.revoked_at):%b %-d}"
    elif link.document_id is None:
        state, label = "waiting", "Goes out when the PDF is ready"
    elif quote.status != Quote.Status.PRESENTED or link.document_id != current_document_id:
        state, label = "closed", "Closed (the quote moved on)"
    elif at >= link.expires_at:
        state, label = "expired", "Expired"
    elif link.opened_at:
        state, label = "opened", f"Opened ({link.open_count} time{'s' if link.open_count > 1 else ''}), not signed yet"
    elif link.send_count:
        state, label = "sent", "Sent, not opened yet"
    else:
        state, label = "not_sent", "Not sent: no email address"
    return LinkStatus(link=link, emails=emails, signature=signature, state=state, label=label)


def quote_documents_summary(*, quote: Quote) -> dict:
    """The quote's documents (newest first) with their signature, its signing links (one per
    recipient, newest first) with their status, for the staff's quote page."""
    docs = list(
        QuoteDocument.objects.filter(quote=quote)
        .select_related("terms", "created_by")
        .prefetch_related("signature")
        .order_by("-created_at", "-id")
    )
    at = clock.now()
    current_id = next((doc.pk for doc in docs if not doc.is_draft), None)
    links = (
        SigningLink.objects.filter(quote=quote)
        .select_related("document", "contact", "created_by", "revoked_by")
        .prefetch_related("emails__created_by", "signatures")
        .order_by("-created_at", "-id")
    )
    rows = [
        {"document": doc, "signature": getattr(doc, "signature", None), "current": doc.pk == current_id} for doc in docs
    ]
    return {
        "rows": rows,
        "links": [_link_status(link, quote=quote, current_document_id=current_id, at=at) for link in links],
        "terms": terms_for_quote(quote=quote),
        "may_send": quote.status == Quote.Status.PRESENTED,
        "pending_job": QuoteDocumentJob.objects.filter(
            quote=quote, status__in=[QuoteDocumentJob.Status.QUEUED, QuoteDocumentJob.Status.RENDERING]
        )
        .order_by("-created_at", "-id")
        .first(),
    }


def signing_link_get_for(*, quote: Quote, link_id: Any) -> SigningLink:
    """One of the quote's signing links; NotFound otherwise."""
    link = SigningLink.objects.filter(quote=quote, pk=parse_id(link_id)).select_related("document").first()
    if link is None:
        raise NotFound("No such signing link.", field="id")
    return link


def quote_document_get(*, quote: Quote, document_id: Any) -> QuoteDocument | None:
    """One of the quote's stored documents, or None."""
    try:
        pk = int(document_id)
    except (TypeError, ValueError):
        return None
    return QuoteDocument.objects.filter(quote=quote, pk=pk).first()


def quote_document_job_get(*, quote: Quote, job_id: Any) -> QuoteDocumentJob | None:
    """One of the quote's PDF jobs, or None."""
    try:
        pk = int(job_id)
    except (TypeError, ValueError):
        return None
    return QuoteDocumentJob.objects.filter(quote=quote, pk=pk).select_related("document").first()


def job_elapsed(*, job: QuoteDocumentJob, at: dt.datetime) -> int:
    """Seconds the job has been waiting or rendering (until it finished)."""
    return max(0, int(((job.finished_at or at) - job.created_at).total_seconds()))
