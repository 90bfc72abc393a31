"""Staff pages of voice rating: the rate decks and their per-line reports, the call record
imports and theirs, and the queue of unrated calls with its re-rate. Billing staff upload and
re-rate ("rating.manage"); the other billing readers see the pages."""

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.billing import cdrs, rate_decks
from headend.billing.models import CallRecord, Rate
from headend.billing.rating_forms import CdrImportForm, RateDeckForm
from headend.billing.usage_files import FileRejected, LineError
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.pagination import paginate
from headend.core.permissions import permission_required

ERRORS_SHOWN = 200


def _calls(count: int) -> str:
    return f"{count:,} call{'s' if count != 1 else ''}"


def _refused(form: RateDeckForm | CdrImportForm, exc: DomainError) -> tuple[list[LineError], int]:
    """Put a use case's error on the form; a refused file's faults by line for the page."""
    if isinstance(exc, FileRejected):
        form.add_error("file", exc.message)
        return exc.errors[:ERRORS_SHOWN], exc.count
    add_domain_error(form, exc)
    return [], 0


@permission_required("billing.read")
def rate_deck_list_view(request: HttpRequest) -> HttpResponse:
    context = {
        **paginate(request, rate_decks.rate_deck_list()),
        "rates": Rate.objects.count(),
        "unrated": CallRecord.objects.filter(status=CallRecord.Status.UNRATED).count(),
    }
    return render(request, "billing/voice/rate_deck_list.html", context)


@permission_required("rating.manage")
def rate_deck_upload_view(request: HttpRequest) -> HttpResponse:
    """Upload a rate deck while the page waits: all of it, or nothing and every fault by line."""
    form = RateDeckForm(request.POST or None, request.FILES or None)
    errors: list[LineError] = []
    error_count = 0
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            deck = rate_decks.rate_deck_upload(
                data=upload.read(), file_name=upload.name, name=form.cleaned_data["name"], uploaded_by=request.user
            )
        except DomainError as exc:
            errors, error_count = _refused(form, exc)
        else:
            messages.success(request, f"{deck.name}: {deck.added:,} rates added, {deck.unchanged:,} unchanged.")
            return redirect(deck)
    context = {"form": form, "errors": errors, "error_count": error_count, "columns": rate_decks.COLUMNS}
    return render(request, "billing/voice/rate_deck_upload.html", context)


@permission_required("billing.read")
def rate_deck_detail_view(request: HttpRequest, deck_id: int) -> HttpResponse:
    deck = rate_decks.rate_deck_get(deck_id=deck_id)
    return render(
        request, "billing/voice/rate_deck_detail.html", {"deck": deck, **paginate(request, deck.report, per_page=100)}
    )


@permission_required("billing.read")
def cdr_import_list_view(request: HttpRequest) -> HttpResponse:
    context = {
        **paginate(request, cdrs.cdr_import_list()),
        "unrated": CallRecord.objects.filter(status=CallRecord.Status.UNRATED).count(),
    }
    return render(request, "billing/voice/cdr_import_list.html", context)


@permission_required("rating.manage")
def cdr_import_view(request: HttpRequest) -> HttpResponse:
    """Import a file of call records while the page waits: all of it, or nothing and every fault
    by line."""
    form = CdrImportForm(request.POST or None, request.FILES or None, initial=cdrs.last_mapping())
    errors: list[LineError] = []
    error_count = 0
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = cdrs.cdr_import(
                data=upload.read(),
                file_name=upload.name,
                format=form.cleaned_data["format"],
                mapping=form.mapping(),
                time_zone=form.cleaned_data["time_zone"],
                imported_by=request.user,
            )
        except DomainError as exc:
            errors, error_count = _refused(form, exc)
        else:
            messages.success(
                request,
                f"{batch.file_name}: {_calls(batch.added)} added ({batch.rated:,} rated, {batch.unrated:,} unrated, "
                f"{batch.not_charged:,} not charged), {batch.duplicates:,} already known.",
            )
            return redirect(batch)
    context = {
        "form": form,
        "errors": errors,
        "error_count": error_count,
        "mapped_fields": [form[key] for key in cdrs.MAPPED_FIELDS],
        "asterisk_columns": cdrs.ASTERISK_COLUMNS,
    }
    return render(request, "billing/voice/cdr_import_form.html", context)


@permission_required("billing.read")
def cdr_import_detail_view(request: HttpRequest, import_id: int) -> HttpResponse:
    batch = cdrs.cdr_import_get(import_id=import_id)
    return render(
        request,
        "billing/voice/cdr_import_detail.html",
        {"batch": batch, **paginate(request, batch.report, per_page=100)},
    )


@permission_required("billing.read")
def unrated_calls_view(request: HttpRequest) -> HttpResponse:
    calls = cdrs.unrated_calls()
    reasons = (
        CallRecord.objects.filter(status=CallRecord.Status.UNRATED)
        .values("reason")
        .annotate(calls=Count("id"))
        .order_by("-calls", "reason")[:10]
    )
    return render(
        request, "billing/voice/unrated_calls.html", {"reasons": reasons, **paginate(request, calls, per_page=50)}
    )


@require_POST
@permission_required("rating.manage")
def calls_rerate_view(request: HttpRequest) -> HttpResponse:
    """Rate every unrated call again, after the rate deck or a service's numbers were fixed."""
    try:
        done = cdrs.calls_rerate(rerated_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{_calls(done.rated)} rated, {done.not_charged:,} not charged; {done.unrated:,} still unrated.",
        )
    return redirect("billing:unrated_calls")
