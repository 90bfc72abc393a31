"""What the rate deck and call record imports share: the file as text, its faults by line, and
the error that refuses a file whole (nothing written) listing them."""

import csv
import io
from dataclasses import dataclass
from typing import Any

from headend.core.errors import ValidationError

ERRORS_KEPT = 1000  # a refused file reports this many faults at most (the count says the rest)


@dataclass(frozen=True)
class LineError:
    """One fault of a file: its line (the header is line 1), the column at fault ("" for the line
    as a whole) and what to do about it."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}{f' ({self.column})' if self.column else ''}: {self.message}"


class FileRejected(ValidationError):
    """The file was refused and nothing was written; `errors` lists its faults by line (the first
    ERRORS_KEPT of `count`)."""

    def __init__(self, errors: list[LineError], *, what: str = "file"):
        count = len(errors)
        first = sorted(errors, key=lambda error: error.line)[0] if errors else None
        super().__init__(
            f"{count:,} error{'s' if count != 1 else ''} in the {what}; nothing was imported"
            + (f" ({first})." if first else "."),
            field="file",
            code="invalid_rows",
        )
        self.count = count
        self.errors = sorted(errors, key=lambda error: error.line)[:ERRORS_KEPT]


def text_of(data: bytes) -> str:
    """The file's text (UTF-8, a byte-order mark dropped). Raises ValidationError (`file`)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"The file is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' and upload it again.",
            field="file",
            code="bad_file",
        ) from exc


def reader(text: str) -> Any:
    """A csv.reader of the text (its `line_num` names the line a row ends on)."""
    return csv.reader(io.StringIO(text, newline=""))


def cell_error(line: int, column: str, value: str, width: int) -> LineError | None:
    """A cell no column could hold: a NUL character (PostgreSQL refuses it) or too long."""
    if "\x00" in value:
        return LineError(line, column, "The cell contains a NUL character (\\0); remove it.")
    if len(value) > width:
        return LineError(line, column, f"The cell is {len(value):,} characters long; at most {width}.")
    return None
