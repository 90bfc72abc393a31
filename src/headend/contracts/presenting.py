"""Presenting a quote to the customer: staff preview the document as the customer will see it,
choose who receives it among the account's contacts, add a message and send; then resend or
revoke each recipient's signing link."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from headend.contracts import selectors, services
from headend.contracts.models import QuoteDocumentJob, SigningLink
from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.permissions import require
from headend.quoting import services as quoting_services
from headend.quoting.approving import check_approved
from headend.quoting.construction import check_surveys
from headend.quoting.models import Quote

MESSAGE_MAX = 2000


def preview_quote(quote: Quote, *, at: dt.datetime) -> Quote:
    """The quote as it will read once presented at `at` (dated that day, valid for the usual
    days): an unsaved copy for the preview; a presented quote is itself."""
    if quote.presented_at is not None:
        return quote
    preview = Quote.objects.select_related("account", "created_by").get(pk=quote.pk)
    preview.presented_at = at
    preview.valid_until = clock.local_date(at) + dt.timedelta(days=settings.HEADEND_QUOTE_VALID_DAYS)
    return preview


def present_held(quote: Quote) -> str:
    """Why a draft cannot be presented yet (an approval not given, a site survey not done), in
    the words Present would refuse with; empty when it can be (or is not a draft)."""
    if quote.status != Quote.Status.DRAFT:
        return ""
    try:
        check_approved(quote)
        check_surveys(quote)
    except Conflict as held:
        return held.message
    return ""


def _chosen(quote: Quote, keys: Sequence[str]) -> list[selectors.Recipient]:
    offered = {recipient.key: recipient for recipient in selectors.present_recipients(account=quote.account)}
    unknown = [key for key in keys if key not in offered]
    if unknown:
        raise ValidationError("Choose among the account's contacts.", field="recipients", code="invalid_choice")
    chosen = list({offered[key].email.lower(): offered[key] for key in keys}.values())
    if not chosen:
        raise ValidationError(
            "Choose who receives the quote: at least one contact with an email address.",
            field="recipients",
            code="required",
        )
    return chosen


def quote_send(
    *, quote: Quote, recipients: Sequence[str], message: str = "", sent_by: Any, site: str = ""
) -> list[SigningLink]:
    """Present the draft (prices are then fixed) and send each chosen recipient (keys of
    `selectors.present_recipients`) their own signing link, with `message`; on a presented quote,
    send links to recipients who have none yet. Choosing someone who has a live link sends
    nothing again (a double click sends one email): resend is its own action.

    The PDF is rendered after the commit when the quote is small; a large one's by the worker,
    which sends the waiting links once it is stored. Returns the new links (their `document` is
    empty while they wait). Raises ValidationError for no or unknown recipients or a long
    message, Conflict when the quote cannot be presented (approvals, lines) or was decided."""
    require(sent_by, "quote.send")
    chosen = _chosen(quote, recipients)
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise ValidationError(f"At most {MESSAGE_MAX} characters.", field="message", code="too_long")
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        if locked.status == Quote.Status.DRAFT:
            locked = quoting_services.quote_present(quote=locked, presented_by=sent_by, site_url=site)
        elif locked.status != Quote.Status.PRESENTED:
            raise Conflict(
                f"Quote {locked.number} is {locked.get_status_display().lower()}; there is nothing to send.",
                field="status",
                code="quote_not_presented",
            )
        live = {
            email.lower()
            for email in SigningLink.objects.filter(quote=locked, revoked_at__isnull=True).values_list(
                "sent_to", flat=True
            )
        }
        now = clock.now()
        links = [
            SigningLink.objects.create(
                quote=locked,
                sent_to=recipient.email,
                contact=recipient.contact,
                message=message,
                expires_at=selectors.link_expiry(quote=locked, at=now),
                created_by=sent_by,
                created_at=now,
            )
            for recipient in chosen
            if recipient.email.lower() not in live
        ]
        if links:
            events.emit(
                "quote.signing_links_created",
                subject=locked,
                data={"links": [link.pk for link in links], "to": [link.sent_to for link in links]},
            )
    if links:
        _deliver(locked, sent_by=sent_by, site=site)
    return list(SigningLink.objects.filter(pk__in=[link.pk for link in links]).order_by("created_at", "pk"))


def _deliver(quote: Quote, *, sent_by: Any, site: str) -> None:
    """Send the waiting links: now, with the PDF rendered outside any transaction, for a small
    quote; once the worker stored it for a large one."""
    document = selectors.current_document(quote=quote)
    if document is None and (connection.in_atomic_block or quote.lines.count() > services.RENDER_NOW_LINES):
        services.quote_document_prepare(
            quote=quote, requested_by=sent_by, send_link=QuoteDocumentJob.SendLink.FIRST, site=site
        )
        return
    if document is None:
        document = services.quote_document_render(quote=quote, rendered_by=sent_by)
    services.signing_links_deliver(quote=quote, document=document, site=site)


@transaction.atomic
def signing_link_resend(*, link: SigningLink, sent_by: Any, site: str = "") -> SigningLink:
    """Email the same link again to its recipient (they lost the email).

    Raises Conflict when the link was revoked, is still waiting for its PDF, or can no longer be
    used (signed, expired, the quote moved on: LinkClosed)."""
    require(sent_by, "quote.send")
    Quote.objects.select_for_update().get(pk=link.quote_id)
    link = SigningLink.objects.select_related("document__terms", "quote__account", "contact").get(pk=link.pk)
    if link.revoked_at is not None:
        raise Conflict("This link was revoked: send the quote to the contact again.", field="link", code="link_revoked")
    if link.document is None or not link.sent_to:
        raise Conflict(
            "This link has not gone out yet: it is sent when the PDF is ready.", field="link", code="link_waiting"
        )
    now = clock.now()
    selectors.signing_link_check(link=link, at=now)
    services.signing_link_email(link=link, sent_by=sent_by, site=site, at=now)
    return link


@transaction.atomic
def signing_link_revoke(*, link: SigningLink, revoked_by: Any) -> SigningLink:
    """Withdraw one recipient's link: it no longer opens the quote (the signing page says it was
    withdrawn); the quote stays presented and others' links still work. Revoking twice is
    harmless. Raises Conflict once the quote was signed or declined through it."""
    require(revoked_by, "quote.send")
    Quote.objects.select_for_update().get(pk=link.quote_id)
    link = SigningLink.objects.select_for_update(of=("self",)).select_related("quote").get(pk=link.pk)
    if link.revoked_at is not None:
        return link
    if link.signatures.exists():
        raise Conflict("The customer already decided through this link.", field="link", code="link_used")
    link.revoked_at = clock.now()
    link.revoked_by = revoked_by if getattr(revoked_by, "pk", None) else None
    link.save(update_fields=["revoked_at", "revoked_by"])
    events.emit("quote.signing_link_revoked", subject=link.quote, data={"link_id": link.pk, "to": link.sent_to})
    return link
