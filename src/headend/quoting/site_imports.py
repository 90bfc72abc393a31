"""Sites from a CSV onto a draft quote: check every row, then add the sites, their contacts and
lines, at once or, for a large file, in the worker with progress. A file with invalid rows is
kept, so its valid rows can be imported later without a new upload. Reading the file is
`site_import`'s (pure)."""

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import Product, ProductVersion
from headend.core import audit, clock, events, user_files
from headend.core.errors import Conflict, DomainError, ValidationError
from headend.core.phones import normalize_phone
from headend.crm import geocoding, placing
from headend.crm import selectors as crm_selectors
from headend.crm import services as crm_services
from headend.crm.addresses import Address, normalize_address, parse_address_line
from headend.quoting import site_import
from headend.quoting._common import lock_draft, recompute_totals
from headend.quoting.line_checks import check_quantity, check_term
from headend.quoting.lines import NewLine, add_lines
from headend.quoting.models import Quote, QuoteLine, SiteImportJob
from headend.quoting.site_reach import check_rows_reach

logger = logging.getLogger(__name__)


def _sellable_by_code(code: str, today: dt.date, cache: dict[str, ProductVersion | None]) -> ProductVersion | None:
    """The version of a product code on sale today, with its prices loaded (looked up once per file)."""
    if code not in cache:
        product = Product.objects.filter(code=code).first()
        version = catalog_selectors.version_current(product=product, on=today) if product else None
        cache[code] = (
            ProductVersion.objects.select_related("product").prefetch_related("prices", "tiers").get(pk=version.pk)
            if version
            else None
        )
    return cache[code]


def _check_site_row(
    quote: Quote,
    row: site_import.SiteRow,
    seen: set[tuple[str, str]],
    today: dt.date,
    versions: dict[str, ProductVersion | None],
    addresses: dict[tuple[str, str], Address | ValidationError],
) -> None:
    """Fill `row.errors` (by column) or `row.parsed` for one CSV row; writes nothing. A row
    refused as it was read (a NUL character, an over-long cell) keeps that report alone."""
    if row.errors:
        return
    values, parsed = row.values, row.parsed
    try:
        parsed["address"] = _site_address(values.get("address", ""), values.get("unit", ""), addresses)
    except ValidationError as exc:
        row.errors["address"] = exc.message
    code = values.get("product", "")
    version = _sellable_by_code(code, today, versions)
    product = version.product if version else None
    if version is None:
        row.errors["product"] = f"No product on sale with code {code!r}." if code else "The product code is required."
    elif product is not None and product.customer_type not in (Product.CustomerType.ANY, quote.account.kind):
        row.errors["product"] = f"{product} is sold to {product.customer_type} customers only."
    else:
        parsed["version"] = version
    try:
        term = check_term(values.get("term", ""))
        if version is not None:
            catalog_selectors.price_for(version=version, term_months=term)
        parsed["term"] = term
    except ValidationError as exc:
        row.errors["term"] = exc.message
    try:
        parsed["quantity"] = check_quantity(values.get("quantity") or 1)
    except ValidationError as exc:
        row.errors["quantity"] = exc.message
    email, phone = values.get("contact_email", ""), values.get("contact_phone", "")
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            row.errors["contact_email"] = f"Not an email address: {email!r}."
    try:
        parsed["phone"] = normalize_phone(phone)
    except ValidationError as exc:
        row.errors["contact_phone"] = exc.message
    if "address" in parsed and "version" in parsed:
        key = (parsed["address"].key, code)
        if key in seen:
            row.errors["address"] = "The same site and product appear twice in the file."
        seen.add(key)


def _site_address(text: str, unit: str, known: dict[tuple[str, str], Address | ValidationError]) -> Address:
    """A row's site address parsed and normalised (once per file: a site on several rows, one
    per product, is read once). Raises ValidationError."""
    if (text, unit) not in known:
        try:
            parts = parse_address_line(text)
            known[text, unit] = normalize_address(
                line1=parts["line1"],
                line2=unit or parts["line2"],
                city=parts["city"],
                state=parts["state"],
                postal_code=parts["postal_code"],
            )
        except ValidationError as exc:
            known[text, unit] = exc
    found = known[text, unit]
    if isinstance(found, ValidationError):
        raise found
    return found


def _read_site_file(data: bytes, *, max_rows: int) -> list[site_import.SiteRow]:
    try:
        return site_import.read_rows(data, max_rows=max_rows)
    except site_import.SiteFileError as exc:
        raise ValidationError(str(exc), field="file", code="bad_file") from exc


def _check_site_rows(quote: Quote, rows: list[site_import.SiteRow], progress: Any = None) -> None:
    """Check every row (no writes); `progress(done)` is told every 500 rows."""
    today, seen, versions = clock.today(), set[tuple[str, str]](), dict[str, ProductVersion | None]()
    addresses: dict[tuple[str, str], Address | ValidationError] = {}
    for done, row in enumerate(rows, start=1):
        _check_site_row(quote, row, seen, today, versions, addresses)
        if progress is not None and done % 500 == 0:
            progress(done)
    check_rows_reach(quote, rows)  # off our network: the row says why (network/reach.py)


def _import_site_rows(quote: Quote, rows: list[site_import.SiteRow]) -> list[QuoteLine]:
    """Create the sites, contacts and lines of checked, valid rows on a locked draft, each kind
    in one insert (`add_lines`: every line by the single line's rules, priced at once)."""
    valid = [row for row in rows if row.valid]
    keys = {row.parsed["address"].key for row in valid}
    locations = {location.address_key: location for location in quote.account.locations.filter(address_key__in=keys)}
    # The new sites placed from the provider's address list in one query; the online geocoders
    # (network calls) try the rest in the worker after commit.
    new_sites: dict[str, site_import.SiteRow] = {}
    for row in valid:
        key = row.parsed["address"].key
        if key not in locations and key not in new_sites:
            new_sites[key] = row
    matches = geocoding.geocode_many([row.parsed["address"] for row in new_sites.values()], online=False)
    created = crm_services.locations_create(
        account=quote.account,
        sites=[
            crm_services.NewLocation(
                name=row.values.get("site_name", ""),
                line1=row.parsed["address"].line1,
                line2=row.parsed["address"].line2,
                city=row.parsed["address"].city,
                state=row.parsed["address"].state,
                postal_code=row.parsed["address"].postal_code,
                normalized=row.parsed["address"],
                geocoded=matches[key],
            )
            for key, row in new_sites.items()
        ],
    )
    locations.update({location.address_key: location for location in created})
    # A site's contact, unless the account knows the email or phone already (or an earlier row).
    emails, phones = crm_selectors.contacts_known(account_id=quote.account_id)
    people = []
    for row in valid:
        values = row.values
        email, phone = values.get("contact_email", "").lower(), row.parsed["phone"]
        wanted = bool(values.get("contact_name") and (email or phone))
        if wanted and not ((email and email in emails) or (phone and phone in phones)):
            first, _, last = values["contact_name"].partition(" ")
            people.append(
                crm_services.NewContact(
                    first_name=first,
                    last_name=last or "(site)",
                    email=values.get("contact_email", ""),
                    phone=phone,
                    role="site",
                )
            )
            emails.add(email)
            phones.add(phone)
    crm_services.contacts_create(account=quote.account, people=people)
    lines = add_lines(
        quote,
        [
            NewLine(
                location=locations[row.parsed["address"].key],
                product_version=row.parsed["version"],
                term_months=row.parsed["term"],
                quantity=row.parsed["quantity"],
            )
            for row in valid
        ],
    )
    placing.locations_geocode_later(locations=created)
    return lines


@transaction.atomic
def quote_sites_import(
    *, quote: Quote, data: bytes, import_valid_rows: bool = False, imported_by: Any = None
) -> list[site_import.SiteRow]:
    """Add many sites and their lines to a draft quote from a CSV. Every row is checked first;
    nothing is imported while a row is invalid unless `import_valid_rows` is asked for.
    Returns the rows with their errors (by column) so the user sees a per-row report.

    Raises ValidationError (field `file`) when the file itself cannot be read."""
    quote = lock_draft(quote)
    rows = _read_site_file(data, max_rows=site_import.MAX_ROWS)
    _check_site_rows(quote, rows)
    if any(not row.valid for row in rows) and not import_valid_rows:
        return rows
    lines = _import_site_rows(quote, rows)
    recompute_totals(quote, edited_by=imported_by)
    events.emit("quote.sites_imported", subject=quote, data=_imported(lines))
    return rows


def _imported(lines: list[QuoteLine], **data: Any) -> dict[str, Any]:
    """What the one `quote.sites_imported` event of an import says: how many rows, the lines'
    ids (many lines, one event)."""
    return {"rows": len(lines), **data, "line_ids": [line.pk for line in lines]}


@transaction.atomic
def site_import_job_create(
    *, quote: Quote, upload: Any, import_valid_rows: bool = False, created_by: Any = None
) -> SiteImportJob:
    """Queue a large CSV of sites to be checked and priced in the background (the worker),
    with progress the quote page shows; the file is kept under a random name.

    Raises ValidationError (`file`) for a file too large or not CSV text."""
    checked = user_files.check_upload(upload, kind=user_files.SITE_IMPORT, field="file")
    quote = lock_draft(quote)
    job = SiteImportJob.objects.create(
        quote=quote,
        file=upload,
        file_name=checked.name,
        import_valid_rows=import_valid_rows,
        created_by=created_by,
        created_at=clock.now(),
    )
    from headend.quoting.tasks import run_site_import

    transaction.on_commit(lambda: run_site_import.enqueue(job.pk))
    return job


REPORT_ROWS = 200  # invalid rows a kept file's report lists


def _report(rows: list[site_import.SiteRow]) -> list[dict[str, Any]]:
    return [{"line": row.line, "errors": row.errors} for row in rows if not row.valid][:REPORT_ROWS]


@transaction.atomic
def site_import_keep(
    *, quote: Quote, upload: Any, rows: list[site_import.SiteRow], created_by: Any = None
) -> SiteImportJob:
    """Keep a checked file with invalid rows (stored privately under a random name, like every
    file people hand us) and its report, so the valid rows can be imported from it later
    without uploading it again (`site_import_valid_rows`).

    Raises ValidationError (`file`) for a file too large or not CSV text."""
    checked = user_files.check_upload(upload, kind=user_files.SITE_IMPORT, field="file")
    quote = lock_draft(quote)
    invalid = sum(1 for row in rows if not row.valid)
    return SiteImportJob.objects.create(
        quote=quote,
        file=upload,
        file_name=checked.name,
        status=SiteImportJob.Status.CHECKED,
        rows_total=len(rows),
        rows_checked=len(rows),
        invalid_rows=invalid,
        report=_report(rows),
        error=f"{invalid} rows are invalid; nothing imported yet.",
        created_by=created_by,
        created_at=clock.now(),
        finished_at=clock.now(),
    )


@transaction.atomic
def site_import_valid_rows(*, job: SiteImportJob, imported_by: Any = None) -> SiteImportJob:
    """Import the valid rows of a kept file (a checked job): its rows are read and checked again
    (the catalog or the account may have moved since), the valid ones imported at once, or by
    the worker for a file past `BACKGROUND_ROWS`. Only a checked job imports: a second click finds it
    completed (or queued) and is a Conflict (`already_imported`) that writes nothing, so nothing
    is imported twice."""
    quote = lock_draft(job.quote)
    job = SiteImportJob.objects.select_for_update().get(pk=job.pk, quote=quote)
    if job.status != SiteImportJob.Status.CHECKED:
        state = "imported already" if job.import_valid_rows else "not waiting for that"
        raise Conflict(
            f"{job.file_name} is {state} ({job.get_status_display().lower()}): nothing was imported again.",
            field="job",
            code="already_imported",
        )
    job.import_valid_rows = True
    if job.rows_total > site_import.BACKGROUND_ROWS:
        job.status, job.rows_checked, job.error, job.finished_at = SiteImportJob.Status.QUEUED, 0, "", None
        job.save(update_fields=["import_valid_rows", "status", "rows_checked", "error", "finished_at"])
        from headend.quoting.tasks import run_site_import

        transaction.on_commit(lambda: run_site_import.enqueue(job.pk))
        return job
    with job.file.open("rb") as handle:
        rows = _read_site_file(handle.read(), max_rows=site_import.MAX_ROWS)
    _check_site_rows(quote, rows)
    valid = [row for row in rows if row.valid]
    lines = _import_site_rows(quote, valid)
    recompute_totals(quote, edited_by=imported_by)
    events.emit("quote.sites_imported", subject=quote, data=_imported(lines, job_id=job.pk))
    job.status, job.finished_at, job.error = SiteImportJob.Status.COMPLETED, clock.now(), ""
    job.rows_total, job.rows_checked, job.rows_done = len(rows), len(rows), len(valid)
    job.invalid_rows, job.report = len(rows) - len(valid), _report(rows)
    job.save()
    return job


def site_import_job_run(*, job_id: int, chunk: int = 500) -> SiteImportJob:
    """Check every row, then import in chunks of `chunk` rows, each its own transaction, keeping
    `rows_done` current; the totals are recomputed once at the end. Safe to run twice: a job
    that is no longer queued is left as it is. A job never stays checking or importing: what
    stops it (a bug included, which is logged) marks it failed, with the reason."""
    updated = SiteImportJob.objects.filter(pk=job_id, status=SiteImportJob.Status.QUEUED).update(
        status=SiteImportJob.Status.CHECKING
    )
    job = SiteImportJob.objects.select_related("quote__account", "created_by").get(pk=job_id)
    if not updated:
        return job
    try:
        # The lines and sites it writes are recorded as added by whoever uploaded the file.
        with audit.acting_for(job.created_by):
            return _site_import_job_steps(job, chunk=chunk)
    except Exception:
        logger.exception("Site import job %s stopped", job.pk)
        rows = SiteImportJob.objects.filter(pk=job.pk).values_list("rows_checked", "rows_done").get()
        where = f"after {rows[1]:,} rows were saved" if rows[1] else f"after checking {rows[0]:,} rows"
        error = f"Stopped by an internal error {where}; it is logged. Nothing more was imported."
        return _site_import_job_finish(job, SiteImportJob.Status.FAILED, error=error)


def _site_import_job_finish(job: SiteImportJob, status: str, **fields: Any) -> SiteImportJob:
    SiteImportJob.objects.filter(pk=job.pk).update(status=status, finished_at=clock.now(), **fields)
    job.refresh_from_db()
    return job


def _site_import_job_steps(job: SiteImportJob, *, chunk: int) -> SiteImportJob:
    def finish(status: str, **fields: Any) -> SiteImportJob:
        return _site_import_job_finish(job, status, **fields)

    try:
        with job.file.open("rb") as handle:
            rows = _read_site_file(handle.read(), max_rows=site_import.MAX_BACKGROUND_ROWS)
    except ValidationError as exc:
        return finish(SiteImportJob.Status.REFUSED, error=exc.message)
    SiteImportJob.objects.filter(pk=job.pk).update(rows_total=len(rows))
    _check_site_rows(
        job.quote, rows, progress=lambda done: SiteImportJob.objects.filter(pk=job.pk).update(rows_checked=done)
    )
    invalid = [row for row in rows if not row.valid]
    report = _report(rows)
    SiteImportJob.objects.filter(pk=job.pk).update(rows_checked=len(rows), invalid_rows=len(invalid), report=report)
    if invalid and not job.import_valid_rows:
        # The file is kept: "import the valid rows" (`site_import_valid_rows`) needs no new upload.
        return finish(SiteImportJob.Status.CHECKED, error=f"{len(invalid)} rows are invalid; nothing imported yet.")
    SiteImportJob.objects.filter(pk=job.pk).update(status=SiteImportJob.Status.IMPORTING)
    valid = [row for row in rows if row.valid]
    lines: list[QuoteLine] = []
    try:
        for start in range(0, len(valid), chunk):
            with transaction.atomic():
                quote = lock_draft(job.quote)
                lines += _import_site_rows(quote, valid[start : start + chunk])
                SiteImportJob.objects.filter(pk=job.pk).update(rows_done=min(start + chunk, len(valid)))
        with transaction.atomic():
            quote = lock_draft(job.quote)
            recompute_totals(quote, edited_by=job.created_by)
            events.emit("quote.sites_imported", subject=quote, data=_imported(lines, job_id=job.pk))
    except DomainError as exc:
        return finish(SiteImportJob.Status.FAILED, error=exc.message)
    return finish(SiteImportJob.Status.COMPLETED)
