"""Rate decks: a CSV of destination prefixes and their prices per minute, checked whole and then
added to the rate table that calls are rated from (billing/rating.py says how a call takes a
rate; billing/cdrs.py rates them).

The file: a header line naming the columns prefix, description, rate_per_minute,
minimum_seconds, increment_seconds, effective_from and, optionally, band and in_bundle, in any
order; then one rate per line. Nothing is written unless every line is right: a cell that is
not a number or a date, a band that cannot be read, two lines for one prefix at one effective
date whose bands overlap (two lines without a band overlap everywhere), bands that leave times
of the week without a rate, or a prefix and date the table prices already at another price each
refuse the file with the lines named. A line the table holds already, the same, is reported
unchanged; uploading the same file again returns the deck it made."""

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from headend.billing import rating
from headend.billing.models import Rate, RateDeck
from headend.billing.usage_files import FileRejected, LineError, cell_error, reader, text_of
from headend.core import clock
from headend.core.errors import NotFound, ValidationError
from headend.core.money import default_currency
from headend.core.numbers import parse_decimal, parse_int
from headend.core.permissions import require

COLUMNS = (
    "prefix",
    "description",
    "rate_per_minute",
    "minimum_seconds",
    "increment_seconds",
    "effective_from",
    "band",
    "in_bundle",
)
REQUIRED = COLUMNS[:6]
MAX_LINES = 500_000
MAX_SECONDS = 3600
WIDTHS = {"prefix": 20, "description": 200, "band": 60}
YES = {"", "yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
CHUNK = 2000


@dataclass(frozen=True)
class DeckLine:
    """A rate deck line, read and checked on its own."""

    line: int
    prefix: str
    description: str
    rate: Decimal
    minimum: int
    increment: int
    effective_from: dt.date
    band: rating.Band | None
    in_bundle: bool

    @property
    def same_as(self) -> tuple:
        """What makes two lines the same rate."""
        return (self.prefix, self.effective_from, self.band.text if self.band else "", self.rate, self.minimum,
                self.increment, self.description, self.in_bundle)  # fmt: skip


def _header(cells: list[str] | None) -> dict[str, int]:
    columns = [cell.strip().lower() for cell in cells or []]
    if not any(columns):
        raise FileRejected(
            [LineError(1, "", f"The file is empty: it needs a header line naming {', '.join(REQUIRED)}.")]
        )
    errors = []
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        errors.append(
            LineError(1, "", f"The header lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}.")
        )
    for position, column in enumerate(columns):
        if column not in COLUMNS:
            errors.append(
                LineError(
                    1, column[:40], f"Column {position + 1} ({column[:40]!r}) is not one of {', '.join(COLUMNS)}."
                )
            )
        elif columns.index(column) != position:
            errors.append(LineError(1, column, f"The header names {column} twice."))
    if errors:
        raise FileRejected(errors, what="header")
    return {column: position for position, column in enumerate(columns)}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"Not a date: {text[:40]!r}; write it as 2026-03-01.", field="effective_from") from exc


def _line(line: int, values: dict[str, str]) -> tuple[DeckLine | None, list[LineError]]:
    errors: list[LineError] = []
    for column, width in WIDTHS.items():
        if (fault := cell_error(line, column, values.get(column, ""), width)) is not None:
            errors.append(fault)
    if errors:
        return None, errors
    parsed: dict[str, Any] = {}
    prefix = values["prefix"]
    if not prefix:
        errors.append(LineError(line, "prefix", "The prefix is required: the digits numbers start with, such as 44."))
    elif not (prefix.isascii() and prefix.isdigit()):
        errors.append(LineError(line, "prefix", f"{prefix!r} is not a prefix: digits only, without + or 011."))
    if not values["description"]:
        errors.append(LineError(line, "description", "The description is required (as the bill shows it)."))
    checks = {
        "rate_per_minute": lambda text: parse_decimal(
            text, field="rate_per_minute", max_digits=12, decimal_places=5, minimum=0, example="0.0125"
        ),
        "minimum_seconds": lambda text: parse_int(text, field="minimum_seconds", minimum=0, maximum=MAX_SECONDS),
        "increment_seconds": lambda text: parse_int(text, field="increment_seconds", minimum=1, maximum=MAX_SECONDS),
        "effective_from": _date,
    }
    for column, check in checks.items():
        try:
            parsed[column] = check(values[column])
        except ValidationError as exc:
            errors.append(LineError(line, column, exc.message))
    band = None
    if values.get("band"):
        try:
            band = rating.parse_band(values["band"])
        except rating.BadBand as exc:
            errors.append(LineError(line, "band", str(exc)))
    in_bundle = values.get("in_bundle", "").lower()
    if in_bundle not in YES | NO:
        errors.append(LineError(line, "in_bundle", f"{in_bundle[:20]!r}: write yes or no (empty: yes)."))
    if errors:
        return None, errors
    return (
        DeckLine(
            line=line,
            prefix=prefix,
            description=values["description"],
            rate=parsed["rate_per_minute"],
            minimum=parsed["minimum_seconds"],
            increment=parsed["increment_seconds"],
            effective_from=parsed["effective_from"],
            band=band,
            in_bundle=in_bundle in YES,
        ),
        [],
    )


def read_deck(data: bytes) -> list[DeckLine]:
    """Every line of a rate deck file, each checked on its own. Raises FileRejected with every
    fault by line, or ValidationError (`file`) when the file cannot be read at all."""
    rows = reader(text_of(data))
    try:
        index = _header(next(rows, None))
    except Exception as exc:
        if isinstance(exc, FileRejected):
            raise
        raise ValidationError(f"The header line cannot be read as CSV ({exc}).", field="file", code="bad_file") from exc
    lines: list[DeckLine] = []
    errors: list[LineError] = []
    while True:
        number = rows.line_num + 1
        try:
            cells = next(rows)
        except StopIteration:
            break
        except Exception as exc:  # csv.Error: a quote left open, a field too large
            errors.append(LineError(number, "", f"This line cannot be read as CSV ({exc})."))
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(lines) + len(errors) >= MAX_LINES:
            raise ValidationError(f"At most {MAX_LINES:,} rates per file; split it.", field="file", code="too_many")
        if len(cells) > len(index):
            errors.append(LineError(number, "", f"The line has {len(cells)} cells; the header names {len(index)}."))
            continue
        values = {
            column: (cells[position].strip() if position < len(cells) else "") for column, position in index.items()
        }
        parsed, faults = _line(number, values)
        if parsed is None:
            errors.extend(faults)
        else:
            lines.append(parsed)
    if errors:
        raise FileRejected(errors, what="rate deck")
    if not lines:
        raise ValidationError("The file has no rates under its header.", field="file", code="empty")
    return lines


def _stored(prefixes: Iterable[str]) -> dict[tuple[str, dt.date], list[Rate]]:
    found: dict[tuple[str, dt.date], list[Rate]] = defaultdict(list)
    wanted = sorted(set(prefixes))
    for start in range(0, len(wanted), CHUNK):
        for rate in Rate.objects.filter(prefix__in=wanted[start : start + CHUNK]).select_related("deck"):
            found[(rate.prefix, rate.effective_from)].append(rate)
    return found


def _same_as(rate: Rate) -> tuple:
    return (rate.prefix, rate.effective_from, rate.band, rate.rate_per_minute, rate.minimum_seconds,
            rate.increment_seconds, rate.description, rate.in_bundle)  # fmt: skip


def check_groups(
    lines: list[DeckLine], stored: dict[tuple[str, dt.date], list[Rate]]
) -> tuple[list[LineError], dict[int, Rate]]:
    """The faults between lines: a prefix and date twice with overlapping bands, bands leaving
    times without a rate, a prefix and date the table prices otherwise; and the lines the table
    holds already, the same (line -> the stored rate)."""
    groups: dict[tuple[str, dt.date], list[DeckLine]] = defaultdict(list)
    for line in lines:
        groups[(line.prefix, line.effective_from)].append(line)
    errors: list[LineError] = []
    unchanged: dict[int, Rate] = {}
    for (prefix, day), group in groups.items():
        what = f"Prefix {prefix} from {day}"
        covered, whole_line = 0, None
        seen: list[DeckLine] = []
        for line in group:
            if line.band is None:
                if whole_line is not None:
                    errors.append(
                        LineError(
                            line.line, "prefix", f"{what} is also on line {whole_line.line} (both without a band)."
                        )
                    )
                whole_line = whole_line or line
            else:
                overlap = covered & line.band.minutes
                if overlap:
                    other = next(earlier for earlier in seen if earlier.band and earlier.band.minutes & overlap)
                    at = rating.minute_text(rating.first_minute(overlap & other.band.minutes))  # type: ignore[union-attr]
                    errors.append(
                        LineError(
                            line.line, "band", f"{what}: the band overlaps line {other.line}'s (both cover {at})."
                        )
                    )
                covered |= line.band.minutes
            seen.append(line)
        if whole_line is None and covered != rating.WHOLE_WEEK:
            gap = rating.minute_text(rating.first_minute(rating.WHOLE_WEEK & ~covered))
            errors.append(
                LineError(
                    group[0].line,
                    "band",
                    f"{what}: no rate for {gap}; add a line without a band for the times the bands leave out.",
                )
            )
        known = {_same_as(rate): rate for rate in stored.get((prefix, day), [])}
        for line in group:
            if known and line.same_as in known:
                unchanged[line.line] = known[line.same_as]
            elif known:
                rate = next(iter(known.values()))
                errors.append(
                    LineError(
                        line.line,
                        "effective_from",
                        f"{what} is priced already (deck {rate.deck.name!r}, line {rate.line}): a new price needs "
                        "a new effective date.",
                    )
                )
    return errors, unchanged


def _reported(line: DeckLine, known: Rate | None) -> list[Any]:
    """The deck's report line: [line, prefix, effective_from, outcome, what]."""
    if known is not None:
        what = f"Already in the rate table (deck {known.deck.name}, line {known.line})."
    else:
        what = f"{line.description}: {rate_text(line.rate)} a minute" + (f", {line.band.text}" if line.band else "")
    return [line.line, line.prefix, line.effective_from.isoformat(), "unchanged" if known else "added", what]


@transaction.atomic
def rate_deck_upload(*, data: bytes, file_name: str, name: str = "", uploaded_by: Any = None) -> RateDeck:
    """Add a rate deck's rates to the rate table, all or nothing, with a report line per line of
    the file. The same file again returns the deck it made. Raises FileRejected (every fault by
    line) or ValidationError (`file`)."""
    if uploaded_by is not None:
        require(uploaded_by, "rating.manage")
    digest = hashlib.sha256(data).hexdigest()
    found = RateDeck.objects.filter(digest=digest).first()
    if found is not None:
        return found
    lines = read_deck(data)
    errors, unchanged = check_groups(lines, _stored(line.prefix for line in lines))
    if errors:
        raise FileRejected(errors, what="rate deck")
    deck = RateDeck.objects.create(
        name=(name or file_name or "Rate deck").strip()[:200],
        file_name=file_name[:200],
        digest=digest,
        currency=default_currency(),
        lines=len(lines),
        added=len(lines) - len(unchanged),
        unchanged=len(unchanged),
        report=[_reported(line, unchanged.get(line.line)) for line in lines],
        uploaded_by=uploaded_by if getattr(uploaded_by, "pk", None) else None,
        uploaded_at=clock.now(),
    )
    Rate.objects.bulk_create(
        (
            Rate(
                deck=deck,
                line=line.line,
                prefix=line.prefix,
                description=line.description,
                rate_per_minute=line.rate,
                minimum_seconds=line.minimum,
                increment_seconds=line.increment,
                effective_from=line.effective_from,
                band=line.band.text if line.band else "",
                in_bundle=line.in_bundle,
            )
            for line in lines
            if line.line not in unchanged
        ),
        batch_size=CHUNK,
    )
    return deck


def rate_text(rate: Decimal) -> str:
    """A rate a minute as people write it: at least to the cent, no trailing zeros past it."""
    exponent = rate.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{rate:.{places}f}"


def tariff_of(rate: Rate) -> rating.Tariff:
    return rating.Tariff(
        prefix=rate.prefix,
        description=rate.description,
        rate=rate.rate_per_minute,
        minimum=rate.minimum_seconds,
        increment=rate.increment_seconds,
        effective_from=rate.effective_from,
        band=rating.parse_band(rate.band) if rate.band else None,
        in_bundle=rate.in_bundle,
        key=rate.pk,
    )


def rate_table() -> rating.RateTable:
    """The whole rate table, indexed for rating (one query)."""
    return rating.RateTable(tariff_of(rate) for rate in Rate.objects.order_by("pk"))


def rate_deck_list() -> QuerySet[RateDeck]:
    return RateDeck.objects.select_related("uploaded_by").order_by("-uploaded_at", "-id")


def rate_deck_get(*, deck_id: int) -> RateDeck:
    """The deck; NotFound otherwise."""
    deck = RateDeck.objects.select_related("uploaded_by").filter(pk=deck_id).first()
    if deck is None:
        raise NotFound("No such rate deck.", field="id")
    return deck
