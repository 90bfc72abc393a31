"""Phone numbers parsed and validated with libphonenumber, stored as E.164."""

import phonenumbers

from headend.core.errors import ValidationError


def normalize_phone(raw: str, *, field: str = "phone", region: str = "US") -> str:
    """`(207) 555-0134` -> `+12075550134`; blank stays blank; anything else is a ValidationError."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"Not a phone number: {raw!r}.", field=field, code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"Not a valid phone number: {raw!r}.", field=field, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    if number.country_code == 1:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
