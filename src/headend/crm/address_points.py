"""The provider's address list with coordinates (its passings, from its GIS), imported from a CSV:
line1, line2, city, state, postal_code, latitude, longitude. Each address is normalised as
locations are, so a location finds its point whatever the spelling; a second import of the same
address moves its point (the last row of a key wins)."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.db import models, transaction

from headend.core import clock
from headend.core.errors import ValidationError
from headend.crm.addresses import normalize_address, parse_coordinate
from headend.crm.models import AddressPoint

COLUMNS = ("line1", "line2", "city", "state", "postal_code", "latitude", "longitude")
REQUIRED = ("line1", "city", "state", "postal_code", "latitude", "longitude")
BATCH_SIZE = 2000
SHOWN_REJECTIONS = 200


@dataclass
class AddressPointImport:
    """What an import did: rows read, points written, and the rows refused by line number
    (the first SHOWN_REJECTIONS of them; `rejected_count` counts all)."""

    file_name: str
    rows_read: int = 0
    imported: int = 0
    rejected_count: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < SHOWN_REJECTIONS:
            self.rejected.append((line, reason))


def _point(values: dict[str, str], at: Any) -> AddressPoint:
    """One row as an AddressPoint. Raises ValidationError naming the column at fault."""
    address = normalize_address(
        line1=values.get("line1", ""),
        line2=values.get("line2", ""),
        city=values.get("city", ""),
        state=values.get("state", ""),
        postal_code=values.get("postal_code", ""),
    )
    latitude = parse_coordinate(values.get("latitude", ""), field="latitude", limit=90)
    longitude = parse_coordinate(values.get("longitude", ""), field="longitude", limit=180)
    if latitude is None or longitude is None:
        raise ValidationError("This part is required.", field="latitude" if latitude is None else "longitude")
    return AddressPoint(
        address_key=address.key,
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        state=address.state,
        postal_code=address.postal_code,
        latitude=latitude,
        longitude=longitude,
        imported_at=at,
    )


def _flush(batch: dict[str, AddressPoint]) -> int:
    if not batch:
        return 0
    with transaction.atomic():
        AddressPoint.objects.bulk_create(
            list(batch.values()),
            update_conflicts=True,
            unique_fields=["address_key"],
            update_fields=["line1", "line2", "city", "state", "postal_code", "latitude", "longitude", "imported_at"],
        )
    written = len(batch)
    batch.clear()
    return written


def address_points_import(
    *,
    file: IO[bytes],
    file_name: str,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[AddressPointImport], None] | None = None,
) -> AddressPointImport:
    """Import the provider's address points from a CSV (any size: it is read as a stream and
    written in batches, each its own transaction). Rows that are not an address with a
    latitude and longitude are refused by line number; the others are written.

    Raises ValidationError (field `file`) when the file is not CSV text with the columns, and
    then nothing is written."""
    result = AddressPointImport(file_name=file_name[:255])
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValidationError("The file is not CSV text (UTF-8).", field="file", code="bad_file") from exc
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ValidationError(
            f"The file's first line must name the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}.",
            field="file",
            code="bad_file",
        )
    at, batch = clock.now(), dict[str, AddressPoint]()
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            result.rows_read += 1
            try:
                point = _point(dict(zip(header, cells, strict=False)), at)
            except ValidationError as exc:
                result.reject(line, f"{exc.field or 'row'}: {exc.message}")
                continue
            batch[point.address_key] = point  # one statement never writes a key twice
            if len(batch) >= batch_size:
                result.imported += _flush(batch)
                if progress is not None:
                    progress(result)
    except (UnicodeDecodeError, csv.Error) as exc:
        result.reject(reader.line_num + 1, f"the file is not CSV text (UTF-8) from here on ({exc}); stopped")
    result.imported += _flush(batch)
    return result


def address_points_bounds() -> tuple[Decimal, Decimal, Decimal, Decimal] | None:
    """The box around every address point (min_lat, min_lon, max_lat, max_lon), or None when there are none."""
    box = AddressPoint.objects.aggregate(
        min_lat=models.Min("latitude"),
        min_lon=models.Min("longitude"),
        max_lat=models.Max("latitude"),
        max_lon=models.Max("longitude"),
    )
    if box["min_lat"] is None:
        return None
    return box["min_lat"], box["min_lon"], box["max_lat"], box["max_lon"]
