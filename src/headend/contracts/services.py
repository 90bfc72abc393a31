"""Write use cases: render and store a quote's document, send its signing link, and record the
customer's signature or refusal (which accepts or rejects the quote)."""

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, connection, models, transaction
from django.db.models.functions import Coalesce

from headend.contracts import documents, selectors, tokens
from headend.contracts.models import QuoteDocument, QuoteDocumentJob, Signature, SigningEmail, SigningLink
from headend.core import clock, connections, events
from headend.core.errors import Conflict, DomainError, ValidationError
from headend.core.money import format_amount
from headend.quoting import services as quoting_services
from headend.quoting.models import Quote

NAME_MAX = 200
REASON_MAX = 2000
USER_AGENT_MAX = 500


def _load(quote: Quote) -> Quote:
    return Quote.objects.select_related("account", "created_by").get(pk=quote.pk)


# A quote up to this many lines renders in the request (a second or two); a larger one in the worker.
RENDER_NOW_LINES = 50
# A job queued or under way this long without finishing lost its worker: it is queued again.
JOB_STALLED_AFTER = dt.timedelta(minutes=30)

logger = logging.getLogger(__name__)


class DocumentPending(DomainError):
    """The quote's PDF is being prepared by the worker; what was asked for follows when it is stored."""

    status, code = 202, "document_pending"

    def __init__(self, message: str, *, job: QuoteDocumentJob):
        super().__init__(message)
        self.job = job


class _StateChanged(Exception):
    """The quote changed after its PDF was asked for."""


def quote_document_render(*, quote: Quote, rendered_by: Any = None, state_key: str = "") -> QuoteDocument:
    """The PDF of the quote as it stands: the stored document when this content was rendered
    before, else a new one (a new revision, or a draft that changed, gets its own). It renders
    outside any transaction (seconds to minutes); only storing the row is one short write.

    With `state_key`, raises _StateChanged unless the quote still has that content."""
    quote = _load(quote)
    lines = documents.lines_of(quote)
    terms = selectors.terms_for_quote(quote=quote)
    key = documents.state_key(quote, lines, terms)
    if state_key and key != state_key:
        raise _StateChanged(key)
    existing = QuoteDocument.objects.filter(quote=quote, state_key=key).first()
    if existing is not None:
        return existing
    _, contact = selectors.addressee(account=quote.account)
    html = documents.render_html(documents.context(quote=quote, lines=lines, terms=terms, contact=contact))
    rendered = documents.render_pdf(html)
    document = QuoteDocument(
        quote=quote,
        quote_number=quote.number,
        quote_revision=documents.revision(quote),
        is_draft=documents.is_draft(quote),
        terms=terms,
        state_key=key,
        sha256=rendered.sha256,
        size=len(rendered.pdf),
        pages=rendered.pages,
        created_by=rendered_by,
        created_at=clock.now(),
    )
    document.file.save(f"{rendered.sha256}.pdf", ContentFile(rendered.pdf), save=False)

    def store() -> QuoteDocument:
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError:
            # Rendered at the same moment by the worker and a click: keep the first one.
            document.file.delete(save=False)
            return QuoteDocument.objects.get(quote=quote, state_key=key)
        return document

    return connections.patiently(store)


def quote_document_prepare(
    *, quote: Quote, requested_by: Any = None, send_link: str = "", site: str = ""
) -> QuoteDocumentJob:
    """Have the worker make the PDF of the quote as it stands: the one job for this content
    (a content is never rendered twice), queued unless it is queued, under way or done; a
    failed or stalled one is queued again. With `send_link` ("first": unless a link went out
    already; "again": staff asked), the signing link is sent once the document is stored, at
    once if it is stored already. Never renders itself, so it may run inside a transaction."""
    quote = _load(quote)
    key, lines = selectors.current_state(quote=quote)
    now = clock.now()
    document = QuoteDocument.objects.filter(quote=quote, state_key=key).first()
    job, created = QuoteDocumentJob.objects.get_or_create(
        quote=quote,
        state_key=key,
        defaults={
            "lines": lines,
            "requested_by": requested_by,
            "created_at": now,
            "send_link": send_link,
            "site_url": site,
            **({"status": QuoteDocumentJob.Status.DONE, "document": document, "finished_at": now} if document else {}),
        },
    )
    changes: dict[str, Any] = {}
    if not created and send_link and job.send_link != QuoteDocumentJob.SendLink.AGAIN:
        changes.update(send_link=send_link, site_url=site or job.site_url)
    if document is not None and job.status != QuoteDocumentJob.Status.DONE:
        changes.update(status=QuoteDocumentJob.Status.DONE, document=document, finished_at=now, error="")
    elif document is None and not created and _needs_queueing(job, now):
        changes.update(status=QuoteDocumentJob.Status.QUEUED, created_at=now, started_at=None, error="")
    if changes:
        QuoteDocumentJob.objects.filter(pk=job.pk).update(**changes)
        job.refresh_from_db()
    if document is None and (created or "started_at" in changes):
        from headend.contracts.tasks import render_quote_document

        transaction.on_commit(lambda: render_quote_document.enqueue(job.pk))
    if document is not None:
        _send_asked_link(job)
    return job


def _needs_queueing(job: QuoteDocumentJob, now: dt.datetime) -> bool:
    if job.status == QuoteDocumentJob.Status.FAILED:
        return True
    since = job.started_at or job.created_at
    return job.status in (QuoteDocumentJob.Status.QUEUED, QuoteDocumentJob.Status.RENDERING) and (
        now - since > JOB_STALLED_AFTER
    )


def quote_document_job_run(*, job_id: int) -> QuoteDocumentJob:
    """The worker renders and stores the PDF a job asks for, then sends the signing link if one
    was asked for meanwhile. Safe to run twice: a job that is no longer queued is left as it
    is. The quote changed since: the job is outdated and nothing is rendered."""
    now = clock.now()
    claimed = QuoteDocumentJob.objects.filter(pk=job_id, status=QuoteDocumentJob.Status.QUEUED).update(
        status=QuoteDocumentJob.Status.RENDERING, started_at=now, attempts=models.F("attempts") + 1
    )
    job = QuoteDocumentJob.objects.select_related("quote", "requested_by").get(pk=job_id)
    if not claimed:
        return job

    def finish(status: str, **fields: Any) -> QuoteDocumentJob:
        connections.patiently(
            lambda: QuoteDocumentJob.objects.filter(pk=job.pk).update(status=status, finished_at=clock.now(), **fields)
        )
        job.refresh_from_db()
        return job

    try:
        document = quote_document_render(quote=job.quote, rendered_by=job.requested_by, state_key=job.state_key)
    except _StateChanged:
        return finish(QuoteDocumentJob.Status.OUTDATED)
    except Exception as exc:
        logger.exception("The PDF of %s could not be made", job.quote.number)
        return finish(QuoteDocumentJob.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
    finish(QuoteDocumentJob.Status.DONE, document=document, error="")
    connections.patiently(lambda: _send_asked_link(job))
    return job


def _send_asked_link(job: QuoteDocumentJob) -> None:
    """Send the signing links a job was asked for, once: the request is cleared in the
    transaction that sends them."""
    asked = job.send_link
    if not asked or job.document_id is None:
        return
    with transaction.atomic():
        if not QuoteDocumentJob.objects.filter(pk=job.pk, send_link=asked).update(send_link=""):
            return
        assert job.document is not None
        signing_links_deliver(quote=job.quote, document=job.document, site=job.site_url)


def _email_text(*, quote: Quote, link: SigningLink, url: str) -> tuple[str, str]:
    provider = settings.HEADEND_PROVIDER_NAME
    assert link.document is not None
    terms = link.document.terms
    contact = link.contact
    greeting = f"Hello {contact.first_name}," if contact else "Hello,"
    last_day = link.valid_through
    subject = f"{provider}: your quote {quote.number} is ready to sign"
    body = (
        f"{greeting}\n\n"
        + (f"{link.message}\n\n" if link.message else "")
        + f"Here is quote {quote.number}{f' ({quote.name})' if quote.name else ''} for {quote.account.name}:\n"
        f"  Monthly recurring: {format_amount(quote.mrr_amount, quote.currency)}\n"
        f"  One-time: {format_amount(quote.one_time_amount, quote.currency)}\n"
        f"  Total contract value: {format_amount(quote.contract_value_amount, quote.currency)}\n\n"
        f"Review it, download the PDF and accept or decline it here (valid until {last_day:%B %-d, %Y}):\n"
        f"{url}\n\n"
        + (f"The quote is offered under our {terms.label}, attached to the PDF.\n\n" if terms else "")
        + f"Questions? Reply to this email.\n\n{provider}"
    )
    return subject, body


def _presented(quote: Quote) -> None:
    if quote.status != Quote.Status.PRESENTED:
        raise Conflict(
            f"Quote {quote.number} is {quote.get_status_display().lower()}; only a presented quote is signed.",
            field="status",
            code="quote_not_presented",
        )


def signing_link_email(*, link: SigningLink, sent_by: Any, site: str, at: dt.datetime) -> SigningEmail:
    """Queue one email of `link` to its recipient (sent by a task after commit). The caller holds
    the quote's lock and checked the link may be used."""
    assert link.document is not None
    url = tokens.url(link.document, expires_at=link.expires_at, site=site, link_id=link.pk)
    subject, body = _email_text(quote=link.quote, link=link, url=url)
    email = SigningEmail.objects.create(
        link=link, to=link.sent_to, subject=subject, body=body, created_by=sent_by, created_at=at
    )
    SigningLink.objects.filter(pk=link.pk).update(last_sent_at=at, send_count=models.F("send_count") + 1)
    link.refresh_from_db()

    from headend.contracts.tasks import send_signing_email

    transaction.on_commit(lambda: send_signing_email.enqueue(email.pk))
    return email


def _new_link(*, quote: Quote, recipient: selectors.Recipient | None, at: dt.datetime, **fields: Any) -> SigningLink:
    return SigningLink.objects.create(
        quote=quote,
        sent_to=recipient.email if recipient else "",
        contact=recipient.contact if recipient else None,
        expires_at=selectors.link_expiry(quote=quote, at=at),
        created_at=at,
        **fields,
    )


@transaction.atomic
def signing_links_deliver(*, quote: Quote, document: QuoteDocument, site: str = "") -> list[SigningLink]:
    """Email the links waiting for the presented quote's document (those staff chose recipients
    for while it was being prepared). A quote presented with nobody chosen (through the API) gets
    one link, to the default recipient (the primary, else the billing contact), if it has one.
    Safe to run twice: a link goes out once."""
    quote = Quote.objects.select_for_update().select_related("account").get(pk=quote.pk)
    if quote.status != Quote.Status.PRESENTED or document.is_draft:
        return []
    now = clock.now()
    if not SigningLink.objects.filter(quote=quote).exists():
        recipient = selectors.default_recipient(account=quote.account)
        if recipient is None:
            logger.info("no signing link for %s: no primary or billing contact with an email", quote.number)
            return []
        _new_link(quote=quote, recipient=recipient, at=now)
    waiting = list(
        SigningLink.objects.select_for_update(of=("self",))
        .select_related("contact", "created_by")
        .filter(quote=quote, document__isnull=True, revoked_at__isnull=True)
        .order_by("created_at", "pk")
    )
    for link in waiting:
        link.document = document
        link.save(update_fields=["document"])
        if link.sent_to:
            signing_link_email(link=link, sent_by=link.created_by, site=site, at=now)
    return waiting


def signing_link_send(*, quote: Quote, sent_by: Any = None, resend: bool = False, site: str = "") -> SigningLink:
    """The live signing link of the presented quote's document, made now for the default
    recipient (and emailed to them) when there is none: what the customer portal opens. With
    `resend`, the link is emailed again.

    The document is rendered first, outside the transaction, when it is not stored yet and the
    quote is small; a larger one is left to the worker, which sends the link when it is stored
    (DocumentPending says so). Raises Conflict unless the quote is presented and the link still
    usable."""
    _presented(quote)
    document = selectors.current_document(quote=quote)
    if document is None:
        if connection.in_atomic_block or quote.lines.count() > RENDER_NOW_LINES:
            job = quote_document_prepare(
                quote=quote, requested_by=sent_by, send_link=QuoteDocumentJob.SendLink.FIRST, site=site
            )
            raise DocumentPending(
                f"The PDF of quote {quote.number} is being prepared; the signing link goes out when it is ready.",
                job=job,
            )
        document = quote_document_render(quote=quote, rendered_by=sent_by)
    with transaction.atomic():
        quote = Quote.objects.select_for_update().select_related("account").get(pk=quote.pk)
        now = clock.now()
        _presented(quote)
        signing_links_deliver(quote=quote, document=document, site=site)
        link = (
            SigningLink.objects.filter(quote=quote, document=document, revoked_at__isnull=True)
            .order_by("created_at", "pk")
            .first()
        )
        if link is None:
            link = _new_link(quote=quote, recipient=None, at=now, document=document, created_by=sent_by)
        elif resend and link.sent_to:
            selectors.signing_link_check(link=link, at=now)  # LinkClosed is a Conflict for staff
            signing_link_email(link=link, sent_by=sent_by, site=site, at=now)
        return link


def signing_email_send(*, email_id: int) -> SigningEmail | None:
    """Send one queued signing email unless it went already (outside any transaction: SMTP is slow)."""
    email = SigningEmail.objects.filter(pk=email_id).first()
    if email is None or email.sent_at is not None:
        return email
    send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to])
    SigningEmail.objects.filter(pk=email.pk, sent_at=None).update(sent_at=clock.now())
    email.refresh_from_db()
    return email


def signing_link_open(*, link: SigningLink) -> None:
    """Note that the customer opened the link (the staff see whether it was)."""
    now = clock.now()
    SigningLink.objects.filter(pk=link.pk).update(
        opened_at=Coalesce("opened_at", models.Value(now)),
        last_opened_at=now,
        open_count=models.F("open_count") + 1,
    )


def _signer_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Type your full name.", field="signer_name", code="required")
    if len(name) > NAME_MAX:
        raise ValidationError(f"At most {NAME_MAX} characters.", field="signer_name", code="too_long")
    return name


def _lock_usable(link: SigningLink, at: dt.datetime) -> tuple[SigningLink, bytes]:
    link = (
        SigningLink.objects.select_for_update(of=("self",))
        .select_related("document__terms", "document__quote", "quote__account")
        .get(pk=link.pk)
    )
    return link, selectors.signing_link_check(link=link, at=at)


def _document_of(link: SigningLink) -> QuoteDocument:
    assert link.document is not None  # a link that was opened went out with its document
    return link.document


def consent_text(link: SigningLink) -> str:
    """What the signer ticks: the quote and the terms version, named."""
    document = link.document
    assert document is not None  # a link that was opened went out with its document
    terms = document.terms
    revision = f" (revision {document.revision_letter})" if document.quote_revision > 1 else ""
    text = f"I accept quote {document.quote_number}{revision}"
    return f"{text} and the {terms.label}." if terms else f"{text}."


def signature_accept(
    *, link: SigningLink, signer_name: str, consent: bool, ip_address: str | None, user_agent: str
) -> Signature:
    """The customer signs the quote's document through their link: the signature is recorded with
    the document's hash, the quote is accepted (one order, opportunity won) and the signed PDF,
    with a page recording the signature, is stored. The signed PDF is made before the
    transaction (rendering a page and copying a long document take seconds), and the link is
    checked again under its lock.

    Raises LinkClosed (a Conflict-like 410) if the link cannot be used any more, Conflict if the
    quote cannot be accepted, ValidationError for a missing name or consent."""
    now = clock.now()
    link = SigningLink.objects.select_related("document__terms", "document__quote", "quote__account").get(pk=link.pk)
    content = selectors.signing_link_check(link=link, at=now)
    name = _signer_name(signer_name)
    if not consent:
        raise ValidationError("Tick the box to accept the quote and the terms.", field="consent", code="required")
    signature = Signature(
        document=link.document,
        link=link,
        quote=link.quote,
        decision=Signature.Decision.ACCEPTED,
        signer_name=name,
        signer_email=link.sent_to,
        consent_text=consent_text(link),
        signed_at=now,
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:USER_AGENT_MAX],
        document_sha256=_document_of(link).sha256,
    )
    signature.full_clean(exclude=["signed_file", "document", "link", "quote"])
    signed = documents.append_signature_page(content, signature)
    signature.signed_file.save(f"{_document_of(link).sha256}-signed.pdf", ContentFile(signed.pdf), save=False)
    signature.signed_sha256 = signed.sha256
    try:
        with transaction.atomic():
            _lock_usable(link, now)  # decided, withdrawn or changed meanwhile: LinkClosed
            signature.save()
            quoting_services.quote_accept(quote=link.quote, accepted_by=None, accepted_by_name=name)
            events.emit(
                "quote.signed",
                subject=link.quote,
                data={"signature_id": signature.pk, "document_sha256": signature.document_sha256},
            )
    except BaseException:
        signature.signed_file.delete(save=False)
        raise
    return signature


@transaction.atomic
def signature_decline(
    *, link: SigningLink, signer_name: str, reason: str, ip_address: str | None, user_agent: str
) -> Signature:
    """The customer declines the quote through their link, saying why: recorded like a signature,
    and the quote is rejected with the reason as its note.

    Raises LinkClosed if the link cannot be used any more, ValidationError without a name or reason."""
    now = clock.now()
    link, _ = _lock_usable(link, now)
    name = _signer_name(signer_name)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Tell us why you decline the quote.", field="reason", code="required")
    if len(reason) > REASON_MAX:
        raise ValidationError(f"At most {REASON_MAX} characters.", field="reason", code="too_long")
    signature = Signature(
        document=link.document,
        link=link,
        quote=link.quote,
        decision=Signature.Decision.DECLINED,
        signer_name=name,
        signer_email=link.sent_to,
        reason=reason,
        signed_at=now,
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:USER_AGENT_MAX],
        document_sha256=_document_of(link).sha256,
    )
    signature.full_clean(exclude=["signed_file", "document", "link", "quote"])
    signature.save()
    quoting_services.quote_reject(quote=link.quote, note=reason)
    events.emit("quote.signing_declined", subject=link.quote, data={"signature_id": signature.pk})
    return signature
