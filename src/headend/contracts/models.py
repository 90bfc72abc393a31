"""Terms and conditions versions, the quote documents (PDF) customers sign, the signing links
emailed to them, and the signatures they give."""

import datetime as dt

from django.conf import settings
from django.db import models

from headend.core import clock
from headend.core.numbers import revision_letter
from headend.quoting.models import Quote


class TermsVersion(models.Model):
    """One version of the provider's terms and conditions; the one in effect is the latest
    whose effective date has come. A quote document names the version it was offered under."""

    label = models.CharField(max_length=100, unique=True, help_text='For example "Standard terms v2".')
    effective_date = models.DateField()
    body = models.TextField(help_text="Plain text. A blank line starts a new paragraph.")
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["-effective_date", "-id"]
        verbose_name = "terms and conditions version"

    def __str__(self) -> str:
        return self.label


def _document_path(document: "QuoteDocument", filename: str) -> str:
    return f"contracts/quotes/{document.quote_number}/{filename}"


class QuoteDocument(models.Model):
    """The PDF of one state of a quote, stored once: rendering the same state again returns this
    row, a new revision gets its own. `sha256` is the hash of `file`; signing links are bound to it."""

    quote = models.ForeignKey(Quote, on_delete=models.PROTECT, related_name="documents")
    quote_number = models.CharField(max_length=20)
    quote_revision = models.PositiveIntegerField(default=1)
    is_draft = models.BooleanField(default=False, help_text="Rendered from a draft: for review, not for signature.")
    terms = models.ForeignKey(TermsVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    state_key = models.CharField(max_length=64, help_text="SHA-256 of the quote content the document shows.")
    file = models.FileField(upload_to=_document_path, max_length=200)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField(default=0)
    pages = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "state_key"], name="quote_document_unique_state"),
        ]

    def __str__(self) -> str:
        return f"{self.quote_number} rev {self.quote_revision} ({self.sha256[:12]})"

    @property
    def revision_letter(self) -> str:
        return revision_letter(self.quote_revision)

    @property
    def filename(self) -> str:
        return f"{self.quote_number}-rev{self.revision_letter}{'-draft' if self.is_draft else ''}.pdf"


class SigningLink(models.Model):
    """The link to sign a presented quote's document, for one recipient (a contact of the account
    chosen by staff, or the account's mailbox when chosen); a document has as many links as
    recipients. Resending emails the same link again; revoking it closes it for good.

    The token in the URL is not stored: it is an HMAC of the document id, its SHA-256, the expiry
    and the link's id (see `contracts.tokens`)."""

    document = models.ForeignKey(
        QuoteDocument,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_links",
        help_text="Empty while the PDF is being prepared: the link goes out once it is stored.",
    )
    quote = models.ForeignKey(Quote, on_delete=models.PROTECT, related_name="signing_links")
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="signing_links"
    )
    sent_to = models.EmailField(blank=True, help_text="Who the link is for.")
    message = models.TextField(blank=True, help_text="The note from staff, in the email.")
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live link per recipient of a quote: sending twice to someone sends one link.
            models.UniqueConstraint(
                fields=["quote", "sent_to"],
                condition=models.Q(revoked_at__isnull=True),
                name="signing_link_one_live_per_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"Signing link of {self.quote.number} for {self.sent_to or 'nobody'}"

    @property
    def valid_through(self) -> dt.date:
        """The last day the link can be used, where the provider is."""
        return clock.local_date(self.expires_at - dt.timedelta(seconds=1))

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class SigningEmail(models.Model):
    """One sending of a signing link (the first one when the quote is presented, then resends);
    written in a transaction, sent by a task after commit."""

    link = models.ForeignKey(SigningLink, on_delete=models.CASCADE, related_name="emails")
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} -> {self.to}"


def _signed_path(signature: "Signature", filename: str) -> str:
    return f"contracts/quotes/{signature.document.quote_number}/{filename}"


class Signature(models.Model):
    """The customer's decision on one document through its signing link: who, when, from where,
    on which exact file (its SHA-256). An acceptance carries the signed PDF with its own hash."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    document = models.OneToOneField(QuoteDocument, on_delete=models.PROTECT, related_name="signature")
    link = models.ForeignKey(SigningLink, on_delete=models.PROTECT, related_name="signatures")
    quote = models.ForeignKey(Quote, on_delete=models.PROTECT, related_name="signatures")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    signer_name = models.CharField(max_length=200)
    signer_email = models.EmailField(blank=True)
    consent_text = models.CharField(max_length=300, blank=True)
    reason = models.TextField(blank=True)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    document_sha256 = models.CharField("document SHA-256", max_length=64)
    signed_file = models.FileField(upload_to=_signed_path, max_length=200, blank=True)
    signed_sha256 = models.CharField("signed PDF SHA-256", max_length=64, blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision__in=["accepted", "declined"]), name="signature_decision_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(decision="accepted") | ~models.Q(reason=""), name="signature_decline_has_reason"
            ),
            models.CheckConstraint(condition=~models.Q(signer_name=""), name="signature_has_signer_name"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.signer_name} ({self.document.quote_number})"


class QuoteDocumentJob(models.Model):
    """The PDF of one state of a quote, rendered by the worker (a large quote takes minutes):
    one job per state, so the same state is never rendered twice; the staff's progress page
    follows it, and a signing link asked for meanwhile is sent when the document is stored."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Preparing the PDF"
        DONE = "done", "Ready"
        OUTDATED = "outdated", "The quote changed first"
        FAILED = "failed", "Failed"

    class SendLink(models.TextChoices):
        NONE = "", "No"
        FIRST = "first", "The first time (quote presented)"
        AGAIN = "again", "Asked by staff"

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="document_jobs")
    state_key = models.CharField(max_length=64, help_text="SHA-256 of the quote content to render.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    lines = models.PositiveIntegerField(default=0, help_text="Lines on the quote: the size of the work.")
    document = models.ForeignKey(QuoteDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    send_link = models.CharField(max_length=5, choices=SendLink.choices, default=SendLink.NONE, blank=True)
    site_url = models.CharField(max_length=200, blank=True, help_text="Where staff reached Headend, for the link.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "state_key"], name="quote_document_job_unique_state"),
        ]

    def __str__(self) -> str:
        return f"PDF of {self.quote} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.OUTDATED, self.Status.FAILED)
