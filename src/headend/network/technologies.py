"""Access technologies: the FCC's codes, ours, and speeds as the files and the staff write them.

FCC Broadband Data Collection technology codes (BDC data specification, "technology"):

| FCC code | FCC name | ours |
|---|---|---|
| 10 | Copper wire | `dsl` |
| 40 | Coaxial cable / HFC | `cable` |
| 50 | Optical carrier / fiber to the premises | `fiber` |
| 70, 71, 72 | Unlicensed / licensed / licensed-by-rule terrestrial fixed wireless | `fixed_wireless` |
| 60, 61 | Geostationary / non-geostationary satellite | skipped |
| 0 | Other | skipped |

Satellite rows are skipped, not kept: we sell no satellite product, and a satellite
provider reports nearly every location in the country, so keeping them would make
technology-free products (add-ons, voice) look sellable everywhere and grow the table by
an order of magnitude. "Other" names no technology we can sell. Skipped rows are counted
per reason on the import; any other code is a rejected row.
"""

from decimal import Decimal, InvalidOperation

from headend.core.numbers import DECIMAL_TEXT

FIBER, CABLE, FIXED_WIRELESS, DSL = "fiber", "cable", "fixed_wireless", "dsl"

FCC_TECHNOLOGIES: dict[str, str] = {
    "10": DSL,
    "40": CABLE,
    "50": FIBER,
    "70": FIXED_WIRELESS,
    "71": FIXED_WIRELESS,
    "72": FIXED_WIRELESS,
}
FCC_SKIPPED: dict[str, str] = {
    "0": "other technology (code 0)",
    "60": "geostationary satellite (code 60)",
    "61": "non-geostationary satellite (code 61)",
}
FCC_CODES = ", ".join(sorted([*FCC_TECHNOLOGIES, *FCC_SKIPPED], key=int))

# How the technology reads in a sentence: "1000 Mbps fiber".
NAMES: dict[str, str] = {FIBER: "fiber", CABLE: "cable", FIXED_WIRELESS: "fixed wireless", DSL: "DSL"}

# What an address list or a staff form may call a technology.
ALIASES: dict[str, str] = {
    **{name.lower(): technology for technology, name in NAMES.items()},
    **{technology: technology for technology in NAMES},
    **FCC_TECHNOLOGIES,
    "fttp": FIBER,
    "ftth": FIBER,
    "coax": CABLE,
    "hfc": CABLE,
    "docsis": CABLE,
    "fixed-wireless": FIXED_WIRELESS,
    "wireless": FIXED_WIRELESS,
    "fwa": FIXED_WIRELESS,
    "copper": DSL,
    "adsl": DSL,
    "vdsl": DSL,
}

MAX_MBPS = 100_000  # 100 Gbps: anything above is a typo, not a service


class BadValue(ValueError):
    """A value a coverage file or form cannot use; the message says why, for people."""


def technology_of(value: str) -> str:
    """Our technology for what an address list or form names ('Fiber', 'fttp', '50', ...)."""
    technology = ALIASES.get(value.strip().lower())
    if technology is None:
        raise BadValue(f"unknown technology {value!r} (use fiber, cable, fixed_wireless or dsl)")
    return technology


def parse_speed(value: str, *, column: str) -> int | Decimal:
    """Mbps as written: integers (the FCC's rule) and decimals (its 0.2 Mbps tier), 0..100,000."""
    speed: int | Decimal
    if not DECIMAL_TEXT.fullmatch(value.strip()):  # ASCII digits only: not `٣`, `1_000` or `NaN`
        raise BadValue(f"{column} {value[:40]!r} is not a number")
    try:
        speed = int(value)
    except ValueError:
        try:
            speed = Decimal(value.strip())
        except InvalidOperation:
            raise BadValue(f"{column} {value!r} is not a number") from None
        if not speed.is_finite():
            raise BadValue(f"{column} {value!r} is not a number") from None
        _in_range(speed, value, column)  # first: quantize fails on huge numbers
        if speed != speed.quantize(Decimal("0.001")):
            raise BadValue(f"{column} {value!r} has more than 3 decimal places") from None
    return _in_range(speed, value, column)


def _in_range(speed: int | Decimal, value: str, column: str) -> int | Decimal:
    if speed < 0 or speed > MAX_MBPS:
        raise BadValue(f"{column} {value!r} is out of range (0 to {MAX_MBPS:,} Mbps)")
    return speed


def mbps(speed: int | Decimal | None) -> str:
    """`1000`, `0.2`: a speed without trailing zeros, for sentences and tables."""
    if speed is None:
        return "?"
    number = Decimal(speed)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def speed_pair(down: int | Decimal, up: int | Decimal) -> str:
    """`1000 Mbps` when symmetric, else `1000/35 Mbps`."""
    return f"{mbps(down)} Mbps" if Decimal(down) == Decimal(up) else f"{mbps(down)}/{mbps(up)} Mbps"
