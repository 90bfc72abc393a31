"""Reads: the terms in effect, a quote's documents and signing status, and whether a signing
link may still be used."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing

from headend.contracts import documents, tokens
from headend.contracts.models import QuoteDocument, QuoteDocumentJob, Signature, SigningLink, TermsVersion
from headend.core import clock
from headend.core.errors import DomainError
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
    saying nothing about which part was wrong."""
    invalid = LinkInvalid(
        "This signing link is not valid. Check that you copied the whole link from the email.", field="token"
    )
    try:
        document_pk = int(document_id)
    except (TypeError, ValueError):
        raise invalid from None
    link = (
        SigningLink.objects.select_related("document__terms", "quote__account", "quote__opportunity")
        .filter(document_id=document_pk)
        .first()
    )
    if link is None:
        raise invalid
    try:
        tokens.read(link.document, token)
    except signing.BadSignature:
        raise invalid from None
    return link


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
    if document.is_draft or document.state_key != current_state_key(quote=quote):
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
class LinkStatus:
    link: SigningLink
    emails: list
    signature: Signature | None
    state: str  # not_sent, sent, opened, accepted, declined, expired, closed
    label: str


def _link_status(link: SigningLink, *, quote: Quote, current_document_id: int | None, at: dt.datetime) -> LinkStatus:
    signature = next(iter(link.signatures.all()), None)
    emails = list(link.emails.all())
    if signature is not None:
        state = signature.decision
        label = f"{signature.get_decision_display()} by {signature.signer_name}"
    elif quote.status != Quote.Status.PRESENTED or link.document_id != current_document_id:
        state, label = "closed", "Closed (the quote moved on)"
    elif at >= link.expires_at:
        state, label = "expired", "Expired"
    elif link.opened_at:
        state, label = "opened", f"Opened ({link.open_count} time{'s' if link.open_count > 1 else ''}), not signed yet"
    elif link.send_count:
        state, label = "sent", "Sent, not opened yet"
    else:
        state, label = "not_sent", "Not sent: no email address on the account"
    return LinkStatus(
        link=link,
        emails=emails,
        signature=signature,
        state=state,
        label=label,
    )


def quote_documents_summary(*, quote: Quote) -> dict:
    """The quote's documents (newest first) with their signing link's status and signature, for
    the staff's quote page, and which send action fits now."""
    docs = list(
        QuoteDocument.objects.filter(quote=quote)
        .select_related("terms", "created_by")
        .prefetch_related("signing_link__emails", "signing_link__signatures")
        .order_by("-created_at", "-id")
    )
    at = clock.now()
    current_id = next((doc.pk for doc in docs if not doc.is_draft), None)
    rows: list[dict[str, Any]] = []
    for doc in docs:
        link = getattr(doc, "signing_link", None)
        status = _link_status(link, quote=quote, current_document_id=current_id, at=at) if link else None
        rows.append({"document": doc, "status": status, "current": doc.pk == current_id})
    current: LinkStatus | None = next((row["status"] for row in rows if row["current"]), None)
    send_action = ""
    if quote.status == Quote.Status.PRESENTED:
        state = current.state if current else "not_sent"
        if state == "not_sent":
            send_action = "Send signing link"
        elif state in ("sent", "opened"):
            send_action = "Resend link"
    return {
        "rows": rows,
        "terms": terms_for_quote(quote=quote),
        "recipient": crm_notifications.recipient(quote.account),
        "send_action": send_action,
        "resend": send_action == "Resend link",
        "pending_job": QuoteDocumentJob.objects.filter(
            quote=quote, status__in=[QuoteDocumentJob.Status.QUEUED, QuoteDocumentJob.Status.RENDERING]
        )
        .order_by("-created_at", "-id")
        .first(),
    }


def quote_document_get(*, quote: Quote, document_id: Any) -> QuoteDocument | None:
    """One of the quote's stored documents, or None."""
    try:
        pk = int(document_id)
    except (TypeError, ValueError):
        return None
    return QuoteDocument.objects.filter(quote=quote, pk=pk).first()


def link_send_count(*, quote: Quote) -> int:
    """How many times the signing link of the quote's current document was emailed (0: none yet)."""
    return int(
        SigningLink.objects.filter(quote=quote)
        .order_by("-created_at", "-id")
        .values_list("send_count", flat=True)
        .first()
        or 0
    )


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
