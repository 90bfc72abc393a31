"""Reading a CSV of sites for a multi-location quote: one row per site and product.

Columns (header row, any order): site_name, address, unit, contact_name, contact_email,
contact_phone, product (catalog code), term (0, 12, 24 or 36), quantity (default 1)."""

import csv
import io
from dataclasses import dataclass, field
from typing import Any

REQUIRED = ("address", "product", "term")
KNOWN = {
    "site_name",
    "address",
    "unit",
    "contact_name",
    "contact_email",
    "contact_phone",
    "product",
    "term",
    "quantity",
}
MAX_ROWS = 2000  # checked and imported while the user waits
MAX_BACKGROUND_ROWS = 100_000  # checked and imported by the worker


class SiteFileError(Exception):
    """The file as a whole cannot be read (encoding, header)."""


@dataclass
class SiteRow:
    line: int
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    parsed: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def read_rows(data: bytes, *, max_rows: int = MAX_ROWS) -> list[SiteRow]:
    """The file's rows with their line numbers (the header is line 1); raises SiteFileError."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SiteFileError(
            f"The file is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' and upload it again."
        ) from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise SiteFileError(
            f"The header lacks the column(s): {', '.join(missing)}. Expected: {', '.join(sorted(KNOWN))}."
        )
    unknown = [name for name in header if name not in KNOWN]
    if unknown:
        raise SiteFileError(f"Unknown column(s): {', '.join(unknown)}. Expected: {', '.join(sorted(KNOWN))}.")
    rows = []
    for values in reader:
        line = reader.line_num
        clean = {k.strip().lower(): (v or "").strip() for k, v in values.items() if k is not None}
        if not any(clean.values()):
            continue
        rows.append(SiteRow(line=line, values=clean))
        if len(rows) > max_rows:
            raise SiteFileError(f"At most {max_rows:,} rows per file; split the list.")
    if not rows:
        raise SiteFileError("The file has no rows under its header.")
    return rows
