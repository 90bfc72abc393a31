"""Reading a CSV of sites for a multi-location quote: one row per site and product.

Columns (header row, any order): site_name, address, unit, contact_name, contact_email,
contact_phone, product (catalog code), term (0, 12, 24 or 36), quantity (default 1). One product
goes to many sites as many rows with its code; `template_csv` is the file to fill in.

A cell with a NUL character or longer than its column's width (WIDTHS: what the site, contact
and line it becomes can hold) fails its row, by column, as does a row the csv module cannot
read (a cell past its 131,072-character limit): the report names them and the rest of the file
is still checked."""

import csv
import io
from dataclasses import dataclass, field
from typing import Any

REQUIRED = ("address", "product", "term")
# In the template's order.
COLUMNS = (
    "site_name",
    "address",
    "unit",
    "contact_name",
    "contact_email",
    "contact_phone",
    "product",
    "term",
    "quantity",
)
KNOWN = set(COLUMNS)
MAX_ROWS = 2000  # checked and imported while the user waits
BACKGROUND_ROWS = 500  # past this many lines, the upload page hands the file to the worker
MAX_BACKGROUND_ROWS = 100_000  # checked and imported by the worker
# Characters a cell of each column may have: the site's name and unit, its street address (the
# normalised street is no longer), the contact's name (first and last) and email.
WIDTHS = {
    "site_name": 120,
    "address": 200,
    "unit": 100,
    "contact_name": 100,
    "contact_email": 254,
    "contact_phone": 40,
    "product": 60,
    "term": 20,
    "quantity": 20,
}


def template_csv(*, product_code: str) -> bytes:
    """The file to fill in: the header and one example row selling `product_code` (a product on
    one row per site: many rows of the same code add it to many sites)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(
        [
            "Main office",
            "84 Water St, Eastport, ME 04631",
            "Suite 2",
            "Jo Plant",
            "jo@example.com",
            "207-555-0134",
            product_code,
            "12",
            "1",
        ]
    )
    return out.getvalue().encode()


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
    lines = _Lines(io.StringIO(text))
    reader = csv.DictReader(lines)
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise SiteFileError(f"The header line cannot be read as CSV ({exc}).") from exc
    header = [name.strip().lower() for name in (fieldnames or [])]
    if any("\x00" in name or len(name) > 40 for name in header):
        raise SiteFileError("The header line has a NUL character or an over-long name; it names the columns only.")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise SiteFileError(
            f"The header lacks the column(s): {', '.join(missing)}. Expected: {', '.join(sorted(KNOWN))}."
        )
    unknown = [name for name in header if name not in KNOWN]
    if unknown:
        raise SiteFileError(f"Unknown column(s): {', '.join(unknown)}. Expected: {', '.join(sorted(KNOWN))}.")
    rows = []
    while True:
        lines.row.clear()
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            column = _column_of_long_cell("".join(lines.row), header)
            error = f"This row cannot be read as CSV ({exc})."
            # DictReader counts lines only for rows it returns: ask its reader.
            rows.append(SiteRow(line=reader.reader.line_num, values={}, errors={column: error}))
        else:
            clean = {k.strip().lower(): _cell(v) for k, v in values.items() if k is not None}
            if not any(clean.values()):
                continue
            rows.append(SiteRow(line=reader.line_num, values=clean, errors=_cell_errors(clean)))
        if len(rows) > max_rows:
            raise SiteFileError(f"At most {max_rows:,} rows per file; split the list.")
    if not rows:
        raise SiteFileError("The file has no rows under its header.")
    return rows


class _Lines:
    """The file's lines for the csv reader, keeping those of the row being read (for the report
    on a row the reader refuses)."""

    def __init__(self, source: io.StringIO):
        self.source = source
        self.row: list[str] = []

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        line = next(self.source)
        self.row.append(line)
        return line


def _cell(value: str | list[str] | None) -> str:
    # A row with more cells than the header gives the extras as a list under the None key (left
    # out above); a short row gives None.
    return value.strip() if isinstance(value, str) else ""


def _cell_errors(values: dict[str, str]) -> dict[str, str]:
    """Cells no column may hold: a NUL character (PostgreSQL cannot store it), or too long."""
    errors = {}
    for column, value in values.items():
        if "\x00" in value:
            errors[column] = "The cell contains a NUL character (\\0); remove it and upload the file again."
        elif len(value) > WIDTHS[column]:
            errors[column] = f"The cell is {len(value):,} characters long; at most {WIDTHS[column]:,}."
    return errors


def _column_of_long_cell(raw: str, header: list[str]) -> str:
    """The column of the first cell too long for the csv reader in one raw row (quotes respected)."""
    index = length = 0
    quoted = False
    limit = csv.field_size_limit()
    for char in raw:
        if char == '"':
            quoted = not quoted  # a doubled quote inside a quoted cell flips twice
        elif char == "," and not quoted:
            index, length = index + 1, 0
        else:
            length += 1
            if length > limit:
                break
    return header[index] if index < len(header) else f"column {index + 1}"
