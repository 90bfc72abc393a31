"""US service addresses normalised to USPS Publication 28 style (usaddress-scourgify)."""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import usaddress  # scourgify's own parser
from scourgify import normalize_address_record
from scourgify.exceptions import AddressNormalizationError

from headend.core.errors import ValidationError

US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "VI",
        "GU",
        "AS",
        "MP",
    ]
)
ZIP_RE = re.compile(r"^\d{5}(-\d{4})?$")


@dataclass(frozen=True)
class Address:
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str

    @property
    def key(self) -> str:
        """What makes two spellings of one address the same location."""
        return "|".join([self.line1, self.line2, self.city, self.state, self.postal_code[:5]])


def normalize_address(*, line1: str, line2: str = "", city: str, state: str, postal_code: str) -> Address:
    """Parse and normalise one address; ValidationError names the part that is wrong."""
    line1, line2, city = (line1 or "").strip(), (line2 or "").strip(), (city or "").strip()
    state, postal_code = (state or "").strip().upper(), (postal_code or "").strip()
    for field, value in (("line1", line1), ("city", city), ("state", state), ("postal_code", postal_code)):
        if not value:
            raise ValidationError("This part of the address is required.", field=field, code="required")
    if not ZIP_RE.match(postal_code):
        raise ValidationError(
            f"{postal_code!r} is not a ZIP code (12345 or 12345-6789).",
            field="postal_code",
            code="invalid_address",
        )
    try:
        record = normalize_address_record(
            {
                "address_line_1": line1,
                "address_line_2": line2 or None,
                "city": city,
                "state": state,
                "postal_code": postal_code,
            }
        )
    except AddressNormalizationError as exc:
        raise ValidationError(
            f"The street address {line1!r} could not be understood; enter number and street.",
            field="line1",
            code="invalid_address",
        ) from exc
    if record["state"] not in US_STATES:
        raise ValidationError(f"{state!r} is not a US state.", field="state", code="invalid_address")
    street = record["address_line_1"] or ""
    if not re.match(r"^\d", street) and not street.startswith("PO BOX"):
        raise ValidationError("A service address starts with a house number.", field="line1", code="invalid_address")
    address = Address(
        line1=street,
        line2=record["address_line_2"] or "",
        city=record["city"] or city.upper(),
        state=record["state"],
        postal_code=record["postal_code"] or postal_code,
    )
    # Normalising can lengthen text ("ß" becomes "SS"): what is stored must still fit.
    for field, most in (("line1", 200), ("line2", 100), ("city", 100)):
        if len(getattr(address, field)) > most:
            raise ValidationError(f"At most {most} characters.", field=field, code="too_long")
    return address


def parse_coordinate(value: object, *, field: str, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationError("Not a number.", field=field, code="invalid_coordinate") from exc
    if not number.is_finite() or abs(number) > limit:
        raise ValidationError(f"Must be between -{limit} and {limit}.", field=field, code="invalid_coordinate")
    return number.quantize(Decimal("0.000001"))


@dataclass(frozen=True)
class StreetParts:
    """A normalised street line split the way TMF673 GeographicAddress names its parts."""

    number: str = ""
    name: str = ""
    street_type: str = ""
    suffix: str = ""


def street_parts(line1: str) -> StreetParts:
    """`12 WATER ST` -> number 12, name WATER, type ST; a line usaddress cannot split exactly
    (a PO box, an unusual street) comes back whole as the name."""
    try:
        tagged, kind = usaddress.tag(line1)
    except usaddress.RepeatedLabelError:
        return StreetParts(name=line1)
    if kind != "Street Address":
        return StreetParts(name=line1)
    number = " ".join(filter(None, [tagged.get("AddressNumber"), tagged.get("AddressNumberSuffix")]))
    street_type, suffix = tagged.get("StreetNamePostType", ""), tagged.get("StreetNamePostDirectional", "")
    middle = [
        value
        for label, value in tagged.items()
        if label not in {"AddressNumber", "AddressNumberSuffix", "StreetNamePostType", "StreetNamePostDirectional"}
    ]
    parts = StreetParts(number=number, name=" ".join(middle), street_type=street_type, suffix=suffix)
    if " ".join(filter(None, [parts.number, parts.name, parts.street_type, parts.suffix])) != line1:
        return StreetParts(name=line1)
    return parts


def parse_address_line(text: str, *, field: str = "address") -> dict[str, str]:
    """'12 Water St, Eastport, ME 04631' -> its parts, for lists that give an address on one line."""
    text = (text or "").strip()
    if not text:
        raise ValidationError("The address is required.", field=field, code="required")
    try:
        record = normalize_address_record(text)
    except AddressNormalizationError as exc:
        raise ValidationError(
            f"{text!r} is not an address like '12 Water St, Eastport, ME 04631'.", field=field, code="invalid_address"
        ) from exc
    if not record.get("city") or not record.get("state") or not record.get("postal_code"):
        raise ValidationError(f"{text!r} needs a city, a state and a ZIP code.", field=field, code="invalid_address")
    return {
        "line1": record["address_line_1"] or "",
        "line2": record["address_line_2"] or "",
        "city": record["city"],
        "state": record["state"],
        "postal_code": record["postal_code"],
    }
