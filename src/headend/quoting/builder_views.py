"""The quote builder's bulk steps: one product to many sites at once, the sites CSV's template,
and "import the valid rows" of a kept CSV."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.catalog import selectors as catalog_selectors
from headend.core import clock, user_files
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.http import HtmxHttpRequest
from headend.core.permissions import permission_required, staff_required
from headend.quoting import selectors, services, site_import
from headend.quoting.forms import QuoteSitesAddForm
from headend.quoting.models import SiteImportJob
from headend.quoting.views import _detail_context

DETAIL = "quoting/quote_detail.html"


@require_POST
@permission_required("quote.edit")
def quote_sites_add_view(request: HtmxHttpRequest, quote_id: int) -> HttpResponse:
    """Add the chosen product to the ticked sites (or every site): a line per site, all or none."""
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id, with_lines=False)
    form = QuoteSitesAddForm(request.POST, account=quote.account)
    if form.is_valid():
        data = form.cleaned_data
        try:
            lines = services.quote_lines_add_to_sites(
                quote=quote,
                product_version=data["product_version"],
                locations=data["locations"],
                term_months=data["term_months"],
                quantity=data["quantity"],
                added_by=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            count = len(lines)
            messages.success(
                request,
                f"{data['product_version'].sales_name} added to {count} site{'s' if count != 1 else ''}.",
            )
            if not request.htmx:
                return redirect(quote)
            return render(request, f"{DETAIL}#lines", _detail_context(request, quote_id, line_id=lines[0].pk))
    context = _detail_context(request, quote_id, sites_form=form)
    # A form error: HTMX swaps only 2xx answers; a plain POST gets the page back as a 400.
    return render(request, f"{DETAIL}#lines" if request.htmx else DETAIL, context, status=200 if request.htmx else 400)


@staff_required
def quote_sites_template_view(request: HttpRequest, quote_id: int) -> HttpResponseBase:
    """The sites CSV to fill in: its header and one example row, selling a product this customer
    may buy (a download, never shown in the browser)."""
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id, with_lines=False)
    versions = catalog_selectors.sellable_versions(on=clock.today(), customer_type=quote.account.kind)
    code = versions[0].product.code if versions else "PRODUCT-CODE"
    return user_files.download_response(
        site_import.template_csv(product_code=code), filename="sites-template.csv", kind=user_files.SITE_IMPORT
    )


@require_POST
@permission_required("quote.edit")
def site_import_valid_view(request: HttpRequest, quote_id: int, job_id: int) -> HttpResponse:
    """Import the valid rows of a kept CSV: at once (back to the quote) or, for a large file, by
    the worker (its progress page). A second click imports nothing again."""
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id, with_lines=False)
    job = selectors.site_import_job_get(quote=quote, job_id=job_id)
    try:
        job = services.site_import_valid_rows(job=job, imported_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("quoting:site_import_job", quote_id=quote.pk, job_id=job.pk)
    if job.status == SiteImportJob.Status.COMPLETED:
        messages.success(request, f"Imported {job.rows_done} row{'s' if job.rows_done != 1 else ''}.")
        return redirect(quote)
    return redirect("quoting:site_import_job", quote_id=quote.pk, job_id=job.pk)
