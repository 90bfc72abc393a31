from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from headend.contracts.models import QuoteDocument, Signature, SigningEmail, SigningLink, TermsVersion
from headend.core.admin import ReadOnly


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
    list_display = ["label", "effective_date", "created_at"]
    search_fields = ["label", "body"]
    date_hierarchy = "effective_date"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Documents customers saw name this version: its text must stay what they saw.
        if obj is not None and obj.documents.exists():
            return ["label", "effective_date", "body"]
        return []


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    """Records of what was sent and signed: viewed here, never edited."""


@admin.register(QuoteDocument)
class QuoteDocumentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "quote", "is_draft", "terms", "pages", "created_at"]
    list_filter = ["is_draft"]
    search_fields = ["quote_number", "sha256"]


@admin.register(SigningLink)
class SigningLinkAdmin(ReadOnlyAdmin):
    list_display = ["document", "sent_to", "send_count", "last_sent_at", "opened_at", "expires_at"]
    search_fields = ["sent_to", "document__quote_number"]


@admin.register(SigningEmail)
class SigningEmailAdmin(ReadOnlyAdmin):
    list_display = ["subject", "to", "created_at", "sent_at"]
    search_fields = ["to", "subject"]


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "decision", "signer_name", "signer_email", "signed_at", "ip_address"]
    list_filter = ["decision"]
    search_fields = ["signer_name", "signer_email", "document_sha256", "signed_sha256"]
