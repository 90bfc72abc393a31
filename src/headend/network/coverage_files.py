"""The two coverage file formats, row by row: plain values in, field values or a reason out.

- FCC BDC fixed availability (the public "Fixed Broadband Availability Data" CSV, spec v2.4.2
  section 3.1.1): frn, provider_id, brand_name, location_id, technology,
  max_advertised_download_speed, max_advertised_upload_speed, low_latency,
  business_residential_code, state_usps, block_geoid, h3_res8_id.
- A provider's address list: address, unit, city, state, zip, technology, max_down, max_up.

Columns may come in any order; a missing or unknown column refuses the whole file.
"""

import operator
from collections.abc import Callable, Sequence
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
# The model fields a checked row gives values for, in the order of the values.
FCC_FIELDS = (
    "provider_id",
    "frn",
    "brand_name",
    "location_id",
    "technology_code",
    "technology",
    "max_down_mbps",
    "max_up_mbps",
    "low_latency",
    "business_residential_code",
    "state_usps",
    "block_geoid",
    "h3_res8",
)
ADDRESS_FIELDS = (
    "address_key",
    "line1",
    "line2",
    "city",
    "state",
    "postal_code",
    "technology",
    "max_down_mbps",
    "max_up_mbps",
)
H3_RESOLUTION = 8
MARKETS = frozenset("RBX")
COLUMN_OF_PART = {"line1": "address", "line2": "unit", "city": "city", "state": "state", "postal_code": "zip"}
ADDRESS_KEY_LENGTH = 400  # AddressCoverage.address_key
MEMO, MEMO_TEXT = 4096, 64  # distinct texts remembered per column, and their longest (see _Checked)


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


class _Checked(dict[str, Any]):
    """One column's checked values by their text. A file repeats its providers, speeds, blocks
    and cells on row after row, so each distinct text is checked once. Memory stays bounded
    whatever the file: at most MEMO texts are kept (then all are forgotten), none longer than
    MEMO_TEXT. A value that fails its check is not kept: it raises BadValue on every row."""

    def __init__(self, check: Callable[[str], Any]) -> None:
        super().__init__()
        self.check = check

    def __missing__(self, text: str) -> Any:
        value = self.check(text)
        if len(text) <= MEMO_TEXT:
            if len(self) >= MEMO:
                self.clear()
            self[text] = value
        return value


def fcc_checker(
    at: Sequence[int], *, provider_id: int | None = None
) -> Callable[[Sequence[str]], tuple[Any, ...] | Skip]:
    """The check of FCC rows one after another, for a header's column positions `at`: it gives
    a row's values in FCC_FIELDS order, or Skip; BadValue says what is wrong (see fcc_row).

    It remembers each column's checked values (see _Checked), so a row costs little more than
    a few dictionary lookups; the checks still run in fcc_row's order, so a row with two faults
    is rejected for the first, whatever rows came before it."""
    pick = operator.itemgetter(*at)
    count = len(FCC_COLUMNS)
    skip = Skip

    def provider_of(text: str) -> int | Skip:
        number = _positive_int(text, "provider_id", maximum=MAX_INT)
        if provider_id is not None and number != provider_id:
            return Skip(f"another provider than {provider_id}")
        return number

    technologies, providers = _Checked(_fcc_technology), _Checked(provider_of)
    markets, blocks, states = _Checked(_market), _Checked(_block), _Checked(_state)
    frns, brands = _Checked(lambda text: _text(text, "frn")), _Checked(lambda text: _text(text, "brand_name"))
    downs = _Checked(lambda text: parse_speed(text, column="max_advertised_download_speed"))
    ups = _Checked(lambda text: parse_speed(text, column="max_advertised_upload_speed"))
    cells = _Checked(h3_cell)

    def check(row: Sequence[str]) -> tuple[Any, ...] | Skip:
        if len(row) != count:
            raise BadValue(f"expected {count} fields, found {len(row)}")
        frn, provider, brand, location, code, down, up, low_latency, market, state, block, cell = pick(row)
        technology = technologies[code]
        if technology.__class__ is skip:
            return technology
        provider_number = providers[provider]
        if provider_number.__class__ is skip:
            return provider_number
        if low_latency == "1":
            low = True
        elif low_latency == "0":
            low = False
        else:
            raise BadValue(f"low_latency {low_latency!r} is not 0 or 1")
        market, block, state = markets[market], blocks[block], states[state]
        frn, brand = frns[frn], brands[brand]
        if len(frn) > 10:
            raise BadValue(f"frn {frn!r} is longer than 10 characters")
        if len(brand) > 200:
            raise BadValue("brand_name is longer than 200 characters")
        # Each row has its own location: ASCII digits are read at once, anything else the slow way.
        if location.isdigit() and location.isascii() and len(location) < 20:
            location_id = int(location)
            if not 0 < location_id <= MAX_BIGINT:
                location_id = _positive_int(location, "location_id")  # raises: out of range
        else:
            location_id = _positive_int(location, "location_id")
        code_number, technology_name = technology
        return (
            provider_number,
            frn,
            brand,
            location_id,
            code_number,
            technology_name,
            downs[down],
            ups[up],
            low,
            market,
            state,
            block,
            cells[cell],
        )

    return check


def fcc_row(row: Sequence[str], at: Sequence[int], *, provider_id: int | None = None) -> dict[str, Any] | Skip:
    """FccAvailability field values for one row, or Skip; BadValue says what is wrong.

    The checks, in order: 12 fields; a technology code we keep (satellite and "other" are
    skipped); provider_id a whole number (another provider's row is skipped when `provider_id`
    is given); low_latency 0 or 1; business_residential_code R, B or X; block_geoid 15 digits;
    state_usps two letters; frn and brand_name UTF-8 text without NUL, at most 10 and 200
    characters; location_id a whole number; the speeds 0 to 100,000 Mbps; h3_res8_id an H3
    cell at resolution 8. An import checks its rows with one fcc_checker, which remembers values."""
    values = fcc_checker(at, provider_id=provider_id)(row)
    return values if isinstance(values, Skip) else dict(zip(FCC_FIELDS, values, strict=True))


def _fcc_technology(text: str) -> tuple[int, str] | Skip:
    code = text.strip()
    technology = FCC_TECHNOLOGIES.get(code)
    if technology is None:
        if code in FCC_SKIPPED:
            return Skip(FCC_SKIPPED[code])
        raise BadValue(f"unknown technology code {code!r} (FCC codes are {FCC_CODES})")
    return int(code), technology


def _market(text: str) -> str:
    market = text.strip().upper()
    if market not in MARKETS:
        raise BadValue(f"business_residential_code {market!r} is not R, B or X")
    return market


def _block(text: str) -> str:
    block = text.strip()
    if len(block) != 15 or not (block.isdigit() and block.isascii()):
        raise BadValue(f"block_geoid {block!r} is not a 15-digit census block GEOID")
    return block


def _state(text: str) -> str:
    state = text.strip().upper()
    if len(state) != 2 or not (state.isalpha() and state.isascii()):
        raise BadValue(f"state_usps {state!r} is not a two-letter state")
    return state


def address_values(row: Sequence[str], at: Sequence[int]) -> tuple[Any, ...]:
    """AddressCoverage values (in ADDRESS_FIELDS order) for one row of an address list; BadValue
    says what is wrong."""
    if len(row) != len(ADDRESS_COLUMNS):
        raise BadValue(f"expected {len(ADDRESS_COLUMNS)} fields, found {len(row)}")
    address, unit, city, state, postal_code, technology, down, up = (row[i] for i in at)
    address, unit, city = _text(address, "address"), _text(unit, "unit"), _text(city, "city")
    try:
        normal = normalize_address(line1=address, line2=unit, city=city, state=state, postal_code=postal_code)
    except ValidationError as exc:
        raise BadValue(f"{COLUMN_OF_PART.get(exc.field or '', exc.field)}: {exc.message}") from None
    if len(normal.key) > ADDRESS_KEY_LENGTH:  # each part fits its column; all of them may not
        raise BadValue(f"address, unit and city are longer than {ADDRESS_KEY_LENGTH} characters together")
    return (
        normal.key,
        normal.line1,
        normal.line2,
        normal.city,
        normal.state,
        normal.postal_code,
        technology_of(technology),
        parse_speed(down, column="max_down"),
        parse_speed(up, column="max_up"),
    )


def address_row(row: Sequence[str], at: Sequence[int]) -> dict[str, Any]:
    """AddressCoverage field values for one row of an address list; BadValue says what is wrong."""
    return dict(zip(ADDRESS_FIELDS, address_values(row, at), strict=True))
