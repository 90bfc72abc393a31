"""What every staff form shares: domain errors shown on the field they name, and number fields
read by the shared parsers (core/numbers.py) instead of Django's, which take `٣` for 3 and
any integer the database cannot hold."""

from decimal import Decimal
from typing import Any

from django import forms

from headend.core import numbers, user_files
from headend.core.errors import DomainError, ValidationError


def add_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Put a use case's error on the field it names, or above the form when no field matches."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


class SharedPageForm(forms.Form):
    """A form drawn on a page beside others with the same fields (an invoice's credit note, void
    and write-off all ask a reason): its ids start with `ids`, so each <label for> names its own
    field, not the first form's field of that name."""

    ids = ""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("auto_id", f"{self.ids}_%s")
        super().__init__(*args, **kwargs)


class DecimalNumberField(forms.Field):
    """A finite number that fits DecimalField(max_digits, decimal_places), within [minimum, maximum]."""

    def __init__(
        self,
        *,
        max_digits: int,
        decimal_places: int,
        minimum: Decimal | int | None = None,
        maximum: Decimal | int | None = None,
        **kwargs: Any,
    ):
        self.max_digits, self.decimal_places = max_digits, decimal_places
        self.minimum, self.maximum = minimum, maximum
        attrs = {"step": str(Decimal(1).scaleb(-decimal_places)), "inputmode": "decimal"}
        attrs |= {"min": str(minimum)} if minimum is not None else {}
        attrs |= {"max": str(maximum)} if maximum is not None else {}
        kwargs.setdefault("widget", forms.NumberInput(attrs=attrs))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        try:
            return numbers.parse_decimal(
                value,
                field=None,
                max_digits=self.max_digits,
                decimal_places=self.decimal_places,
                minimum=self.minimum,
                maximum=self.maximum,
            )
        except ValidationError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None


class AmountField(DecimalNumberField):
    """An amount of money to the cent, not negative unless `minimum` says so."""

    def __init__(self, *, minimum: Decimal | int | None = 0, **kwargs: Any):
        super().__init__(
            max_digits=numbers.AMOUNT_DIGITS, decimal_places=numbers.AMOUNT_PLACES, minimum=minimum, **kwargs
        )


class PercentField(DecimalNumberField):
    """A percentage, 0 to 100, with at most two decimal places."""

    def __init__(self, *, minimum: Decimal | int = 0, maximum: Decimal | int = 100, **kwargs: Any):
        super().__init__(
            max_digits=numbers.PERCENT_DIGITS,
            decimal_places=numbers.PERCENT_PLACES,
            minimum=minimum,
            maximum=maximum,
            **kwargs,
        )


class WholeNumberField(forms.Field):
    """A whole number in ASCII digits from `minimum` to `maximum` (the column's range at most)."""

    def __init__(self, *, minimum: int = 0, maximum: int = numbers.MAX_INT, **kwargs: Any):
        self.minimum, self.maximum = minimum, maximum
        kwargs.setdefault("widget", forms.NumberInput(attrs={"min": str(minimum), "max": str(maximum), "step": "1"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        try:
            return numbers.parse_int(value, field=None, minimum=self.minimum, maximum=self.maximum)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None


class CheckedFileField(forms.FileField):
    """An upload checked by its bytes and size for its `kind` (core/user_files.py), whatever the
    browser said it was: the reason on the field."""

    def __init__(self, *, kind: user_files.FileKind, **kwargs: Any):
        self.kind = kind
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload:
            try:
                user_files.check_upload(upload, kind=self.kind, field="file")
            except ValidationError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from exc
        return upload
