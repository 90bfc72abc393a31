"""The two coverage file formats, row by row: plain values in, field values or a reason out.

- FCC BDC fixed availability (the public "Fixed Broadband Availability Data" CSV, spec v2.4.2
  section 3.1.1): frn, provider_id, brand_name, location_id, technology,
  max_advertised_download_speed, max_advertised_upload_speed, low_latency,
  business_residential_code, state_usps, block_geoid, h3_res8_id.
- A provider's address list: address, unit, city, state, zip, technology, max_down, max_up.

Columns may come in any order; a missing or unknown column refuses the whole file.
"""

from collections.abc import Sequence
from typing import Any, NamedTuple

import h3

from headend.core.errors import ValidationError
from headend.core.numbers import MAX_BIGINT, MAX_INT, parse_int
from headend.crm.addresses import normalize_address
from headend.network.technologies import (
    FCC_CODES,
    FCC_SKIPPED,
    FCC_TECHNOLOGIES,
    BadValue,
    parse_speed,
    technology_of,
)

FCC_COLUMNS = (
    "frn",
    "provider_id",
    "brand_name",
    "location_id",
    "technology",
    "max_advertised_download_speed",
    "max_advertised_upload_speed",
    "low_latency",
    "business_residential_code",
    "state_usps",
    "block_geoid",
    "h3_res8_id",
)
ADDRESS_COLUMNS = ("address", "unit", "city", "state", "zip", "technology", "max_down", "max_up")
H3_RESOLUTION = 8
MARKETS = frozenset("RBX")
ADDRESS_FIELDS = {"line1": "address", "line2": "unit", "city": "city", "state": "state", "postal_code": "zip"}


class Skip(NamedTuple):
    """A well-formed row we do not keep (satellite, another provider); counted by reason."""

    reason: str


def header_problem(header: Sequence[str] | None, columns: Sequence[str], *, what: str) -> str | None:
    """Why a header line is not `columns` (in any order), naming what is missing and unexpected."""
    if not header:
        return f"The file is empty: an {what} file starts with the header line {','.join(columns)}."
    names = [name.strip().lower() for name in header]
    missing = [column for column in columns if column not in names]
    unexpected = [name or "(blank)" for name in names if name not in columns]
    repeated = sorted({name for name in names if names.count(name) > 1 and name in columns})
    problems = []
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected column{'s' if len(unexpected) > 1 else ''} {', '.join(unexpected)}")
    if repeated:
        problems.append(f"repeated column{'s' if len(repeated) > 1 else ''} {', '.join(repeated)}")
    if not problems:
        return None
    return f"Not an {what} file: {'; '.join(problems)}. The header must name these columns: {', '.join(columns)}."


def positions(header: Sequence[str], columns: Sequence[str]) -> tuple[int, ...]:
    """Where each of `columns` is in a header that `header_problem` accepted."""
    names = [name.strip().lower() for name in header]
    return tuple(names.index(column) for column in columns)


def _text(value: str, column: str) -> str:
    """Free text as UTF-8; bytes that were not UTF-8 arrive as lone surrogates and fail here, as
    does a NUL character (PostgreSQL stores none)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadValue(f"{column} is not UTF-8 text (save the file as UTF-8)") from None
    if "\x00" in value:
        raise BadValue(f"{column} contains a NUL character") from None
    return value.strip()


def _positive_int(value: str, column: str, maximum: int = MAX_BIGINT) -> int:
    """1 to `maximum` (the column's range), in ASCII digits."""
    try:
        number = parse_int(value, field=column, minimum=None, maximum=None)
    except ValidationError:
        raise BadValue(f"{column} {value[:40]!r} is not a whole number") from None
    if not 1 <= number <= maximum:
        raise BadValue(f"{column} {value!r} is out of range")
    return number


def h3_cell(value: str, column: str = "h3_res8_id") -> str:
    """A valid H3 cell at resolution 8, lower-case as H3 writes it."""
    cell = value.strip().lower()
    try:
        valid = h3.is_valid_cell(cell)
    except (ValueError, OverflowError):
        valid = False
    if not valid:
        raise BadValue(f"{column} {value!r} is not an H3 cell")
    if h3.get_resolution(cell) != H3_RESOLUTION:
        raise BadValue(f"{column} {value!r} is an H3 cell at resolution {h3.get_resolution(cell)}, not 8")
    return cell


def fcc_row(row: Sequence[str], at: Sequence[int], *, provider_id: int | None = None) -> dict[str, Any] | Skip:
    """FccAvailability field values for one row, or Skip; BadValue says what is wrong."""
    if len(row) != len(FCC_COLUMNS):
        raise BadValue(f"expected {len(FCC_COLUMNS)} fields, found {len(row)}")
    frn, provider, brand, location, code, down, up, low_latency, market, state, block, cell = (row[i] for i in at)
    code = code.strip()
    technology = FCC_TECHNOLOGIES.get(code)
    if technology is None:
        if code in FCC_SKIPPED:
            return Skip(FCC_SKIPPED[code])
        raise BadValue(f"unknown technology code {code!r} (FCC codes are {FCC_CODES})")
    provider_number = _positive_int(provider, "provider_id", maximum=MAX_INT)
    if provider_id is not None and provider_number != provider_id:
        return Skip(f"another provider than {provider_id}")
    if low_latency not in ("0", "1"):
        raise BadValue(f"low_latency {low_latency!r} is not 0 or 1")
    market = market.strip().upper()
    if market not in MARKETS:
        raise BadValue(f"business_residential_code {market!r} is not R, B or X")
    block = block.strip()
    if len(block) != 15 or not block.isdigit():
        raise BadValue(f"block_geoid {block!r} is not a 15-digit census block GEOID")
    state = state.strip().upper()
    if len(state) != 2 or not state.isalpha():
        raise BadValue(f"state_usps {state!r} is not a two-letter state")
    frn, brand = _text(frn, "frn"), _text(brand, "brand_name")
    if len(frn) > 10:
        raise BadValue(f"frn {frn!r} is longer than 10 characters")
    if len(brand) > 200:
        raise BadValue("brand_name is longer than 200 characters")
    return {
        "provider_id": provider_number,
        "frn": frn,
        "brand_name": brand,
        "location_id": _positive_int(location, "location_id"),
        "technology_code": int(code),
        "technology": technology,
        "max_down_mbps": parse_speed(down, column="max_advertised_download_speed"),
        "max_up_mbps": parse_speed(up, column="max_advertised_upload_speed"),
        "low_latency": low_latency == "1",
        "business_residential_code": market,
        "state_usps": state,
        "block_geoid": block,
        "h3_res8": h3_cell(cell),
    }


def address_row(row: Sequence[str], at: Sequence[int]) -> dict[str, Any]:
    """AddressCoverage field values for one row of an address list; BadValue says what is wrong."""
    if len(row) != len(ADDRESS_COLUMNS):
        raise BadValue(f"expected {len(ADDRESS_COLUMNS)} fields, found {len(row)}")
    address, unit, city, state, postal_code, technology, down, up = (row[i] for i in at)
    address, unit, city = _text(address, "address"), _text(unit, "unit"), _text(city, "city")
    try:
        normal = normalize_address(line1=address, line2=unit, city=city, state=state, postal_code=postal_code)
    except ValidationError as exc:
        raise BadValue(f"{ADDRESS_FIELDS.get(exc.field or '', exc.field)}: {exc.message}") from None
    return {
        "address_key": normal.key,
        "line1": normal.line1,
        "line2": normal.line2,
        "city": normal.city,
        "state": normal.state,
        "postal_code": normal.postal_code,
        "technology": technology_of(technology),
        "max_down_mbps": parse_speed(down, column="max_down"),
        "max_up_mbps": parse_speed(up, column="max_up"),
    }
