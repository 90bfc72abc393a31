"""Write use cases for coverage: file imports, staff-entered areas, and qualifications."""

import contextlib
import csv
import functools
import io
import operator
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db import DatabaseError, models, transaction

from headend.catalog.models import ProductVersion
from headend.core import clock, events
from headend.core.errors import ValidationError
from headend.crm.models import Account, Location
from headend.network import areas, coverage_files, coverage_upsert, selectors
from headend.network.models import (
    AddressCoverage,
    AreaCell,
    CoverageArea,
    CoverageImport,
    FccAvailability,
    Qualification,
    QualificationItem,
    RejectedRow,
)
from headend.network.technologies import BadValue, parse_speed, technology_of

BATCH_SIZE = 10_000  # rows per upsert and per progress update (a few batches are held at once)
MAX_REJECTED_KEPT = 1000  # rejected rows kept with their line and reason; all are counted
MAX_ALTERNATES = 3

Progress = Callable[[CoverageImport], None]
# A row's check, made for the header's column positions: the row's values, or Skip.
Check = Callable[[list[str]], tuple[Any, ...] | coverage_files.Skip]


# Coverage files


def coverage_import_fcc(
    *,
    file: IO[bytes],
    file_name: str,
    created_by: Any = None,
    provider_id: int | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> CoverageImport:
    """Import an FCC BDC fixed availability file (CSV, UTF-8, read as bytes), streamed in batches.

    Rows are upserted on (provider, FCC location, FCC technology code), so importing a file
    again changes nothing and a newer filing updates speeds in place; rows the file no longer
    lists stay. With `provider_id`, other providers' rows are skipped (the public files list
    every provider in the state). Satellite and "other" rows are skipped (see technologies.py).
    Returns the import record: `refused` for a wrong header (nothing read), else counts and the
    rejected rows' lines."""
    return _import_file(
        kind=CoverageImport.Kind.FCC,
        file=file,
        file_name=file_name,
        created_by=created_by,
        provider_id=provider_id,
        columns=coverage_files.FCC_COLUMNS,
        what="FCC BDC availability",
        checker=lambda at: coverage_files.fcc_checker(at, provider_id=provider_id),
        model=FccAvailability,
        fields=coverage_files.FCC_FIELDS,
        key=("provider_id", "location_id", "technology_code"),
        batch_size=batch_size,
        progress=progress,
    )


def coverage_import_addresses(
    *,
    file: IO[bytes],
    file_name: str,
    created_by: Any = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> CoverageImport:
    """Import a provider's address list (address, unit, city, state, zip, technology, max_down,
    max_up), each address normalised as crm normalises locations, so a location matches its row
    whatever the spelling. Upserted on (address, technology); returns the import record."""
    return _import_file(
        kind=CoverageImport.Kind.ADDRESSES,
        file=file,
        file_name=file_name,
        created_by=created_by,
        provider_id=None,
        columns=coverage_files.ADDRESS_COLUMNS,
        what="address list",
        checker=lambda at: functools.partial(coverage_files.address_values, at=at),
        model=AddressCoverage,
        fields=coverage_files.ADDRESS_FIELDS,
        key=("address_key", "technology"),
        batch_size=batch_size,
        progress=progress,
    )


def _import_file(
    *,
    kind: str,
    file: IO[bytes],
    file_name: str,
    created_by: Any,
    provider_id: int | None,
    columns: Sequence[str],
    what: str,
    checker: Callable[[tuple[int, ...]], Check],
    model: type[models.Model],
    fields: Sequence[str],
    key: Sequence[str],
    batch_size: int,
    progress: Progress | None,
) -> CoverageImport:
    # Not one transaction: each batch commits with the import's counts, so the page shows
    # progress while it runs, and a file of millions of rows never holds one huge transaction.
    # A crash leaves the batches before it; importing the file again completes it (upserts).
    record = CoverageImport.objects.create(
        kind=kind,
        file_name=file_name[:255],
        provider_id=provider_id,
        created_by=created_by,
        started_at=clock.now(),
    )
    # Bytes that are not UTF-8 stay in the text as lone surrogates, so they reject their own
    # row (with its line number) instead of stopping the file wherever the decoder reads ahead.
    text = io.TextIOWrapper(file, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        reader = csv.reader(text)
        header: list[str] | None = None
        try:
            header = next(reader, None)
            problem = coverage_files.header_problem(header, columns, what=what)
        except csv.Error as exc:
            problem = f"Not a CSV file ({exc})."
        if problem or header is None:
            return _finish(record, status=CoverageImport.Status.REFUSED, error=problem or "No header line.")
        check = checker(coverage_files.positions(header, columns))
        row_key = operator.itemgetter(*(fields.index(name) for name in key))
        with coverage_upsert.Upsert(model, fields=fields, key=key) as upsert:
            return _read_rows(record, reader, check, row_key, upsert, max(batch_size, 1), progress)
    finally:
        text.detach()  # the caller's file stays open: it is theirs to close


@dataclass
class _Batch:
    """Rows read since the last batch, and the file's counts so far."""

    # Values by key: the last row of a key wins, and one statement never touches a row twice
    # (PostgreSQL refuses to).
    rows: dict[Any, tuple[Any, ...]]
    rejected: list[tuple[int, str]]  # (line, reason), of the file's first MAX_REJECTED_KEPT
    read: int
    imported: int
    rejected_count: int
    skipped: dict[str, int]  # reason -> rows
    line: int  # the last line read
    last: bool = False


def _read_rows(
    record: CoverageImport,
    reader: Any,
    check: Check,
    row_key: Callable[[tuple[Any, ...]], Any],
    upsert: coverage_upsert.Upsert,
    batch_size: int,
    progress: Progress | None,
) -> CoverageImport:
    changed, line = 0, 0  # the last line written
    batches = _batches(reader, check, row_key, batch_size)
    if upsert.postgresql:  # the server writes in its own process: read the next batch meanwhile
        batches = _read_ahead(batches)
    with contextlib.closing(batches):
        try:
            for batch in batches:
                if batch.read > record.rows_read:  # else the file ended with the last batch
                    changed += _flush(record, batch, upsert)
                    line = batch.line
                if progress is not None and not batch.last:
                    progress(record)
        except Exception:
            with contextlib.suppress(DatabaseError):
                done = f"the rows up to line {line} are imported" if line else "no row is imported"
                error = f"Stopped by an internal error; {done}."
                _finish(record, status=CoverageImport.Status.FAILED, error=error)
            raise
    record = _finish(record, status=CoverageImport.Status.COMPLETED, changed=changed)
    if progress is not None:
        progress(record)
    return record


def _batches(
    reader: Any, check: Check, row_key: Callable[[tuple[Any, ...]], Any], batch_size: int
) -> Generator[_Batch, None, None]:
    """The file read and checked, a batch every `batch_size` rows and one at the end."""
    # The loop runs once per row of files of millions: everything it touches is a local.
    rows: dict[Any, tuple[Any, ...]] = {}
    rejected: list[tuple[int, str]] = []
    skipped: dict[str, int] = {}
    read = imported = rejected_count = 0
    flush_at = batch_size
    line = reader.line_num
    for row in _csv_rows(reader):
        start = line + 1  # a quoted field may span lines: a row is numbered by its first
        line = reader.line_num
        if not row:
            continue  # a blank line is no row
        read += 1
        try:
            if isinstance(row, csv.Error):
                raise BadValue(f"not a CSV row ({row})")
            values = check(row)
        except BadValue as exc:
            rejected_count += 1
            if rejected_count <= MAX_REJECTED_KEPT:
                rejected.append((start, str(exc)[:300]))
        else:
            if isinstance(values, coverage_files.Skip):
                skipped[values.reason] = skipped.get(values.reason, 0) + 1
            else:
                imported += 1
                rows[row_key(values)] = values
        if read >= flush_at:
            flush_at = read + batch_size
            yield _Batch(rows, rejected, read, imported, rejected_count, dict(skipped), line)
            rows, rejected = {}, []
    yield _Batch(rows, rejected, read, imported, rejected_count, skipped, line, last=True)


def _csv_rows(reader: Any) -> Iterator[list[str] | csv.Error]:
    """The reader's rows, and in place of a row that is not CSV its error: reading goes on."""
    while True:
        try:
            yield from reader
        except csv.Error as exc:
            yield exc
        else:
            return


def _read_ahead(items: Iterator[_Batch]) -> Generator[_Batch, None, None]:
    """`items`, made one ahead in a thread: the database driver lets go of the interpreter while
    it waits for the server, so the next batch is read and checked while this one is written
    (on SQLite, which writes in this process, the two would only take turns). The thread
    touches no database; closing this generator stops it after its current batch."""
    ready: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def make() -> None:
        try:
            for item in items:
                ready.put(("item", item))
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the caller, raised there
            ready.put(("error", exc))
        else:
            ready.put(("end", None))

    thread = threading.Thread(target=make, name="coverage-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = ready.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while thread.is_alive():  # free its place in the queue so a waiting put returns
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.05)
        thread.join()


def _flush(record: CoverageImport, batch: _Batch, upsert: coverage_upsert.Upsert) -> int:
    """Upsert the batch and write the counts in one transaction: what the page shows is written.
    Returns how many rows were inserted or changed."""
    record.rows_read, record.rows_imported, record.rows_rejected = batch.read, batch.imported, batch.rejected_count
    record.skipped_reasons, record.rows_skipped = batch.skipped, sum(batch.skipped.values())
    with transaction.atomic():
        changed = upsert.write(batch.rows.values())
        if batch.rejected:
            RejectedRow.objects.bulk_create(
                RejectedRow(coverage_import=record, line=line, reason=reason) for line, reason in batch.rejected
            )
        record.save(update_fields=["rows_read", "rows_imported", "rows_rejected", "rows_skipped", "skipped_reasons"])
    return changed


@transaction.atomic
def _finish(record: CoverageImport, *, status: str, error: str = "", changed: int = 0) -> CoverageImport:
    record.status, record.error, record.finished_at = status, error, clock.now()
    record.save(update_fields=["status", "error", "finished_at"])
    if status == CoverageImport.Status.COMPLETED:
        events.emit(
            "coverage.imported",
            subject=record,
            data={
                "kind": record.kind,
                "rows_imported": record.rows_imported,
                "rows_rejected": record.rows_rejected,
                # Rows inserted or updated: 0 when the file changed nothing (an import again).
                "rows_changed": changed,
            },
        )
    return record


# Coverage entered by staff


def _speed(value: Any, field: str) -> Decimal:
    try:
        return Decimal(parse_speed(str(value), column="speed"))
    except BadValue as exc:
        raise ValidationError(str(exc).replace("speed ", "", 1).capitalize() + ".", field=field) from None


@transaction.atomic
def coverage_area_create(
    *,
    name: str,
    technology: str,
    max_down_mbps: Any,
    max_up_mbps: Any,
    created_by: Any,
    cells: str = "",
    polygon: str = "",
) -> CoverageArea:
    """Record coverage staff know of (a new build, a tower): a list of H3 cells or a polygon,
    both kept as res-8 cells. Raises ValidationError naming the field at fault."""
    name = name.strip()
    if not name:
        raise ValidationError("Name the area.", field="name", code="required")
    try:
        technology = technology_of(technology)
    except BadValue as exc:
        raise ValidationError(f"{str(exc).capitalize()}.", field="technology") from None
    down, up = _speed(max_down_mbps, "max_down_mbps"), _speed(max_up_mbps, "max_up_mbps")
    if bool(cells.strip()) == bool(polygon.strip()):
        raise ValidationError("Give either a list of H3 cells or a polygon.", field="cells", code="cells_or_polygon")
    points: list[areas.Point] = []
    field = "cells" if cells.strip() else "polygon"
    try:
        if field == "cells":
            cell_list = areas.cells_from_list(cells)
        else:
            points = areas.parse_polygon(polygon)
            cell_list = areas.cells_from_polygon(points)
    except BadValue as exc:
        message = str(exc)
        raise ValidationError(message[0].upper() + message[1:] + ".", field=field) from None
    area = CoverageArea(
        name=name,
        technology=technology,
        max_down_mbps=down,
        max_up_mbps=up,
        polygon=[[lat, lng] for lat, lng in points],
        cell_count=len(cell_list),
        created_by=created_by,
        created_at=clock.now(),
    )
    area.full_clean()
    area.save()
    AreaCell.objects.bulk_create([AreaCell(area=area, h3_res8=cell) for cell in cell_list], batch_size=BATCH_SIZE)
    events.emit("coverage_area.created", subject=area, data={"cells": len(cell_list), "technology": technology})
    return area


@transaction.atomic
def coverage_area_delete(*, area: CoverageArea, deleted_by: Any) -> None:
    """Withdraw coverage staff entered; qualifications already answered keep their answer."""
    area = CoverageArea.objects.select_for_update().get(pk=area.pk)
    events.emit(
        "coverage_area.deleted",
        subject=area,
        data={"name": area.name, "deleted_by": getattr(deleted_by, "pk", None)},
    )
    area.delete()


# Qualification (TMF679)


@dataclass(frozen=True)
class QualificationAsk:
    """One offering to qualify at one location."""

    location: Location
    product_version: ProductVersion


@transaction.atomic
def qualification_create(
    *,
    created_by: Any,
    location: Location | None = None,
    asks: Sequence[QualificationAsk] = (),
    account: Account | None = None,
    description: str = "",
    provide_alternative: bool = False,
    provide_only_available: bool = False,
    provide_unavailability_reason: bool = True,
) -> Qualification:
    """Qualify offerings at an account's locations and keep the answer.

    With no `asks`, every offering on sale to the account is qualified at `location` (only the
    qualified ones with `provide_only_available`). Each answer is qualified or unqualified with
    its reason; with `provide_alternative`, an unqualified one lists up to three offerings of
    the same kind that fit (result "alternate"). Where coverage is unknown, nothing qualifies
    and the qualification is `terminated`.

    Raises ValidationError (field `location`, or `asks[i].location`) when a location is not the
    account's, or when there is neither a location nor anything to qualify."""
    if location is None and not asks:
        raise ValidationError("Name the site to qualify.", field="location", code="place_required")
    places: list[tuple[str, Location]] = [("location", location)] if location is not None else []
    places += [(f"asks[{index}].location", ask.location) for index, ask in enumerate(asks)]
    account = account or places[0][1].account  # without a customer named, the first site's
    for field, place in places:
        if place.account_id != account.pk:
            raise ValidationError("The site belongs to another customer.", field=field, code="foreign_location")
    now = clock.now()
    on = clock.local_date(now)
    coverage: dict[int, selectors.Serviceability] = {}

    def serviceability(place: Location) -> selectors.Serviceability:
        if place.pk not in coverage:
            coverage[place.pk] = selectors.serviceability_for(location=place, on=on)
        return coverage[place.pk]

    if asks:
        wanted = list(asks)
    else:
        assert location is not None
        here = serviceability(location)
        wanted = [
            QualificationAsk(location=location, product_version=check.version)
            for check in here.offerings
            if check.eligible or not provide_only_available
        ]
    unknown = [place for _, place in places if not serviceability(place).known]
    note = ""
    if location is not None and not serviceability(location).known:
        note = serviceability(location).unknown_reason
    qualification = Qualification(
        account=account,
        location=location,
        description=description.strip()[:200],
        status=Qualification.Status.TERMINATED if unknown else Qualification.Status.DONE,
        provide_alternative=provide_alternative,
        provide_only_available=provide_only_available,
        provide_unavailability_reason=provide_unavailability_reason,
        note=note[:300],
        created_by=created_by,
        created_at=now,
    )
    qualification.save()
    for position, ask in enumerate(wanted, start=1):
        here = serviceability(ask.location)
        check = selectors.offering_check(ask.location, ask.product_version, on=on, serviceability=here)
        alternates: list[ProductVersion] = []
        if not check.eligible and provide_alternative and here.known:
            alternates = _alternates(ask.product_version, here)
        item = QualificationItem.objects.create(
            qualification=qualification,
            position=position,
            location=ask.location,
            product_version=ask.product_version,
            result=(
                QualificationItem.Result.QUALIFIED
                if check.eligible
                else QualificationItem.Result.ALTERNATE
                if alternates
                else QualificationItem.Result.UNQUALIFIED
            ),
            coverage_known=here.known,
            reason_code="" if check.eligible else check.code,
            reason="" if check.eligible else check.reason[:300],
        )
        if alternates:
            item.alternates.set(alternates)
    events.emit("qualification.created", subject=qualification, data={"items": len(wanted)})
    return qualification


def _alternates(version: ProductVersion, here: "selectors.Serviceability") -> list[ProductVersion]:
    """Offerings of the same kind that fit, the fastest first: what to offer instead."""
    fitting = [
        check.version
        for check in here.offerings
        if check.eligible and check.version.product.kind == version.product.kind and check.version.pk != version.pk
    ]
    fitting.sort(key=lambda alternate: (-(alternate.download_mbps or 0), -(alternate.upload_mbps or 0), alternate.pk))
    return fitting[:MAX_ALTERNATES]
