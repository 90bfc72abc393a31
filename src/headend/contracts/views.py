"""The customer's signing pages (public: the token is the key) and the staff's document routes."""

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from headend.contracts import documents, presenting, selectors, services
from headend.contracts.forms import AcceptForm, DeclineForm, PresentForm
from headend.contracts.models import QuoteDocument, Signature, SigningLink
from headend.contracts.selectors import LinkClosed, LinkInvalid
from headend.core import clock, user_files
from headend.core.errors import Conflict, DomainError
from headend.core.forms import add_domain_error
from headend.core.http import HtmxHttpRequest
from headend.core.pagination import paginate
from headend.core.permissions import permission_required, staff_required
from headend.quoting import selectors as quoting_selectors
from headend.quoting.models import Quote

# --- The customer's side (no login) ------------------------------------------------------------


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR is what the server saw; a proxy in front must set it (as gunicorn does with
    # --forwarded-allow-ips), since a client can write any X-Forwarded-For it likes.
    return request.META.get("REMOTE_ADDR") or None


def _closed(
    request: HttpRequest, error: DomainError, *, link: SigningLink | None = None, token: str = ""
) -> HttpResponse:
    signature = selectors.signature_of(link) if link else None
    context = {
        "error": error,
        "title": "This link is not valid" if isinstance(error, LinkInvalid) else "This link can no longer be used",
        "quote": link.quote if link else None,
        "signature": signature,
        "signed_copy_url": _signed_copy_url(link, token) if signature and signature.signed_file else "",
    }
    return render(request, "contracts/sign_closed.html", context, status=error.status)


def _signed_copy_url(link: SigningLink | None, token: str) -> str:
    return reverse("contracts:sign_pdf", args=[link.document_id, token]) if link else ""


SIGN_PAGE_LINES = 100  # the summary pages a long quote's lines; the PDF has them all


def _page(request: HttpRequest, link: SigningLink, token: str, accept: AcceptForm, decline: DeclineForm) -> dict:
    quote, document = link.quote, link.document
    assert document is not None  # the token named it
    lines = quote.lines.select_related("location", "product_version__product").order_by("position")
    listing = paginate(request, lines, per_page=SIGN_PAGE_LINES)
    return {
        "link": link,
        "quote": quote,
        "document": document,
        **listing,
        "lines": listing["items"],
        "line_count": listing["page_obj"].paginator.count,
        "sites": quote.lines.values("location_id").distinct().count(),
        "has_changes": quote.lines.exclude(action="add").exists(),
        "valid_until": quote.valid_until,
        "pdf_url": reverse("contracts:sign_pdf", args=[document.pk, token]),
        "accept_form": accept,
        "decline_form": decline,
        "open_decline": decline.is_bound,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def sign_view(request: HttpRequest, document_id: int, token: str) -> HttpResponse:
    """The page behind the emailed link: the quote's summary, its PDF, accept or decline."""
    try:
        link = selectors.signing_link_get(document_id=document_id, token=token)
    except LinkInvalid as exc:
        return _closed(request, exc)
    try:
        selectors.signing_link_check(link=link, at=clock.now())
    except LinkClosed as exc:
        return _closed(request, exc, link=link, token=token)
    consent_label = services.consent_text(link)
    accept, decline = AcceptForm(consent_label=consent_label), DeclineForm()
    if request.method == "GET":
        if "page" not in request.GET:  # another page of a long summary is not another opening
            services.signing_link_open(link=link)
        return render(request, "contracts/sign.html", _page(request, link, token, accept, decline))

    deciding = request.POST.get("decision")
    form: forms.Form
    if deciding == "accept":
        accept = form = AcceptForm(request.POST, consent_label=consent_label)
    elif deciding == "decline":
        decline = form = DeclineForm(request.POST)
    else:
        return _closed(request, LinkInvalid("Choose to accept or decline the quote."), link=link, token=token)
    if form.is_valid():
        data = form.cleaned_data
        meta = {"ip_address": _client_ip(request), "user_agent": request.META.get("HTTP_USER_AGENT", "")}
        try:
            if deciding == "accept":
                services.signature_accept(link=link, signer_name=data["signer_name"], consent=data["consent"], **meta)
            else:
                services.signature_decline(link=link, signer_name=data["signer_name"], reason=data["reason"], **meta)
        except LinkClosed as exc:
            return _closed(request, exc, link=link, token=token)
        except Conflict as exc:  # e.g. accepted by the provider's staff a moment ago
            return _closed(request, LinkClosed(exc.message, code=exc.code), link=link, token=token)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("contracts:sign_done", document_id=link.document_id, token=token)
    return render(request, "contracts/sign.html", _page(request, link, token, accept, decline), status=400)


@never_cache
def sign_done_view(request: HttpRequest, document_id: int, token: str) -> HttpResponse:
    """What the signer sees right after deciding: the outcome, the order, the signed copy."""
    try:
        link = selectors.signing_link_get(document_id=document_id, token=token)
    except LinkInvalid as exc:
        return _closed(request, exc)
    signature = selectors.signature_of(link)
    if signature is None:
        return redirect("contracts:sign", document_id=link.document_id, token=token)
    quote = link.quote
    context = {
        "quote": quote,
        "signature": signature,
        "order": getattr(quote, "order", None) if signature.decision == Signature.Decision.ACCEPTED else None,
        "signed_copy_url": _signed_copy_url(link, token) if signature.signed_file else "",
    }
    return render(request, "contracts/sign_done.html", context)


@never_cache
def sign_pdf_view(request: HttpRequest, document_id: int, token: str) -> HttpResponseBase:
    """The quote's PDF for the signer; once they accepted, the signed copy."""
    try:
        link = selectors.signing_link_get(document_id=document_id, token=token)
    except LinkInvalid as exc:
        return _closed(request, exc)
    assert link.document is not None  # the token named it
    signature = selectors.signature_of(link)
    if signature is not None and signature.signed_file:
        return _pdf_response(link.document, signed=signature)
    try:
        content = selectors.signing_link_check(link=link, at=clock.now())
    except LinkClosed as exc:
        return _closed(request, exc, link=link, token=token)
    return user_files.download_response(content, filename=link.document.filename, kind=user_files.DOCUMENT)


# --- The staff's side ---------------------------------------------------------------------------


def _pdf_response(document: QuoteDocument, *, signed: Signature | None = None) -> FileResponse:
    """The stored PDF, or its signed copy, as a download (core/user_files.py)."""
    if signed is not None:
        name = document.filename.replace(".pdf", "-signed.pdf")
        return user_files.download_response(signed.signed_file.open("rb"), filename=name, kind=user_files.DOCUMENT)
    return user_files.download_response(document.file.open("rb"), filename=document.filename, kind=user_files.DOCUMENT)


@staff_required
def quote_pdf_view(request: HttpRequest, quote_id: int) -> HttpResponseBase:
    """Download the quote's PDF as it stands: the stored file when this content was rendered
    before; a small quote's rendered now; a larger one's by the worker, behind a progress page."""
    quote = quoting_selectors.quote_get_for(user=request.user, quote_id=quote_id, with_lines=False)
    document = selectors.current_document(quote=quote)
    if document is None and quote.lines.count() <= services.RENDER_NOW_LINES:
        document = services.quote_document_render(quote=quote, rendered_by=request.user)
    if document is not None:
        return _pdf_response(document)
    job = services.quote_document_prepare(quote=quote, requested_by=request.user)
    return redirect("contracts:document_job", quote_id=quote.pk, job_id=job.pk)


@staff_required
def quote_document_job_view(request: HtmxHttpRequest, quote_id: int, job_id: int) -> HttpResponse:
    """The PDF being prepared by the worker: the page polls itself until it is ready, then
    offers the download."""
    quote = quoting_selectors.quote_get_for(user=request.user, quote_id=quote_id, with_lines=False)
    job = selectors.quote_document_job_get(quote=quote, job_id=job_id)
    if job is None:
        raise Http404("No such document.")
    context = {"quote": quote, "job": job, "elapsed": selectors.job_elapsed(job=job, at=clock.now())}
    page = "contracts/document_job.html"
    return render(request, f"{page}#progress" if request.htmx else page, context)


@staff_required
def quote_document_screen_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    """The same document on screen (the PDF's template with its screen styles)."""
    quote = quoting_selectors.quote_get_for(user=request.user, quote_id=quote_id)
    toolbar = format_html(
        '<a href="{}">← Quote {}</a><a href="{}">Download PDF</a>',
        quote.get_absolute_url(),
        quote.number,
        reverse("contracts:quote_pdf", args=[quote.pk]),
    )
    return _document_html(request, quote, toolbar)


@staff_required
def quote_document_file_view(
    request: HttpRequest, quote_id: int, document_id: int, signed: bool = False
) -> HttpResponseBase:
    """A stored document of the quote, or its signed copy."""
    quote = quoting_selectors.quote_get_for(user=request.user, quote_id=quote_id)
    document = selectors.quote_document_get(quote=quote, document_id=document_id)
    if document is None:
        raise Http404("No such document.")
    if signed:
        signature = Signature.objects.filter(document=document).exclude(signed_file="").first()
        if signature is None:
            raise Http404("This document was not signed.")
        return _pdf_response(document, signed=signature)
    return _pdf_response(document)


def _document_html(request: HttpRequest, quote: Quote, toolbar: str) -> HttpResponse:
    lines = documents.lines_of(quote)
    terms = selectors.terms_for_quote(quote=quote)
    _, contact = selectors.addressee(account=quote.account)
    html = documents.render_html(
        {
            **documents.context(quote=quote, lines=lines, terms=terms, contact=contact),
            "toolbar": toolbar,
            "csp_nonce": str(request.csp_nonce),  # type: ignore[attr-defined]  # csp.middleware.CSPMiddleware
        },
        screen=True,
    )
    return HttpResponse(html)


@staff_required
def quote_preview_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    """The document exactly as the customer will receive it: a draft shows as it will read once
    presented today (no draft mark), before staff choose who receives it."""
    quote = quoting_selectors.quote_get_for(user=request.user, quote_id=quote_id, with_lines=False)
    preview = presenting.preview_quote(quote, at=clock.now())
    toolbar = format_html(
        '<a href="{}">← Quote {}</a><strong>Preview: what the customer receives</strong>'
        '<a href="{}">Choose recipients and send →</a>',
        quote.get_absolute_url(),
        quote.number,
        reverse("contracts:quote_present", args=[quote.pk]),
    )
    return _document_html(request, preview, toolbar)


@permission_required("quote.send")
def quote_present_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    """Present the quote: after the preview, choose the account's contacts who receive it (the
    primary, else the billing contact, by default), write a message, and send. On a presented
    quote: send it to more contacts."""
    quote = quoting_selectors.quote_get_for(user=request.user, quote_id=quote_id, with_lines=False)
    recipients = selectors.present_recipients(account=quote.account)
    default = selectors.default_recipient(account=quote.account, recipients=recipients)
    live = set(quote.signing_links.filter(revoked_at__isnull=True).values_list("sent_to", flat=True))
    if quote.status not in (Quote.Status.DRAFT, Quote.Status.PRESENTED):
        state = quote.get_status_display().lower()
        messages.error(request, f"Quote {quote.number} is {state}: there is nothing to send.")
        return redirect(quote)
    form = PresentForm(
        request.POST or None,
        recipients=recipients,
        initial={"recipients": [default.key] if default and default.email not in live else []},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                links = presenting.quote_send(
                    quote=quote,
                    recipients=form.cleaned_data["recipients"],
                    message=form.cleaned_data["message"],
                    sent_by=request.user,
                    site=request.build_absolute_uri("/"),
                )
            except DomainError as exc:
                if exc.field in form.fields:
                    add_domain_error(form, exc)
                else:
                    messages.error(request, exc.message)
                    return redirect(quote)
            else:
                _say_sent(request, quote, links)
                return redirect(quote)
    context = {
        "quote": quote,
        "form": form,
        "recipients": recipients,
        "live": live,
        "has_default": default is not None,
        "held": presenting.present_held(quote),
    }
    return render(request, "contracts/quote_present.html", context, status=status)


def _say_sent(request: HttpRequest, quote: Quote, links: list[SigningLink]) -> None:
    if not links:
        messages.info(request, "Everyone chosen has a live link already: resend it from the list instead.")
        return
    who = ", ".join(link.sent_to for link in links)
    if any(link.document_id is None for link in links):
        messages.info(
            request, f"Quote {quote.number} is presented; its PDF is being prepared and goes to {who} when ready."
        )
    else:
        messages.success(request, f"Quote {quote.number} sent to {who}.")


@require_POST
@permission_required("quote.send")
def signing_link_resend_view(request: HttpRequest, quote_id: int, link_id: int) -> HttpResponse:
    """Email one recipient's link again (the same link)."""
    quote = quoting_selectors.quote_get_for(user=request.user, quote_id=quote_id, with_lines=False)
    link = selectors.signing_link_get_for(quote=quote, link_id=link_id)
    try:
        presenting.signing_link_resend(link=link, sent_by=request.user, site=request.build_absolute_uri("/"))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Signing link sent again to {link.sent_to}.")
    return redirect(quote)


@require_POST
@permission_required("quote.send")
def signing_link_revoke_view(request: HttpRequest, quote_id: int, link_id: int) -> HttpResponse:
    """Withdraw one recipient's link: it no longer opens the quote."""
    quote = quoting_selectors.quote_get_for(user=request.user, quote_id=quote_id, with_lines=False)
    link = selectors.signing_link_get_for(quote=quote, link_id=link_id)
    try:
        presenting.signing_link_revoke(link=link, revoked_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        who = link.sent_to or "nobody"
        messages.success(request, f"The link sent to {who} is revoked: it no longer opens the quote.")
    return redirect(quote)
