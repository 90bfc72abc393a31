"""The staff forms of voice rating: a rate deck upload, a call record import (its format, the
zone its times are in, the columns of a mapped CSV). They only collect input: billing/rate_decks.py
and billing/cdrs.py check it, and their errors are shown on the field they name."""

from django import forms

from headend.billing.cdrs import MAPPED_FIELDS, MAPPED_REQUIRED, ZONES
from headend.billing.models import CdrImport
from headend.core import user_files
from headend.core.forms import CheckedFileField

MB = user_files.MB
RATE_DECK = user_files.FileKind(
    name="rate_deck", types={"text/csv": (".csv", ".txt")}, described="a CSV file", default_max_bytes=25 * MB
)
# A night of a busy switch: a million calls is about 150 MB of Master.csv.
CALL_RECORDS = user_files.FileKind(
    name="call_records", types={"text/csv": (".csv", ".txt")}, described="a CSV file", default_max_bytes=300 * MB
)


class RateDeckForm(forms.Form):
    name = forms.CharField(
        max_length=200, required=False, help_text="As the deck list shows it; empty: the file's name."
    )
    file = CheckedFileField(
        kind=RATE_DECK,
        label="CSV file",
        help_text="Columns prefix, description, rate_per_minute, minimum_seconds, increment_seconds, effective_from;"
        " optionally band and in_bundle.",
    )


class CdrImportForm(forms.Form):
    file = CheckedFileField(kind=CALL_RECORDS, label="CSV file")
    format = forms.ChoiceField(choices=CdrImport.Format.choices, initial=CdrImport.Format.ASTERISK)
    time_zone = forms.ChoiceField(
        label="Times without an offset are in",
        choices=list(ZONES.items()),
        initial="provider",
        help_text="Asterisk writes local time unless cdr.conf says usegmtime=yes.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in MAPPED_FIELDS.items():
            required = " (required)" if key in MAPPED_REQUIRED else ""
            self.fields[key] = forms.CharField(
                label=f"{label} column", max_length=60, required=False,
                help_text=f"The header's name for it{required}; mapped CSV only.",
            )  # fmt: skip

    def mapping(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(key) or "" for key in MAPPED_FIELDS}
