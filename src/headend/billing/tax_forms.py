"""The staff forms of the tax table. They only collect input: the use cases in billing/taxes.py
check it (the rate's range and places, the jurisdiction, overlapping dates) and their errors are
shown on the field they name."""

from django import forms

from headend.billing.models import Jurisdiction
from headend.catalog.models import TaxCategory

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TaxRateForm(forms.Form):
    level = forms.ChoiceField(label="Jurisdiction", choices=Jurisdiction.choices, initial=Jurisdiction.STATE)
    name = forms.CharField(
        label="Tax", max_length=120, help_text="As the invoice prints it: Maine sales tax, Portland 911 fee."
    )
    state = forms.CharField(
        max_length=2,
        help_text="Two-letter code, such as ME.",
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    county = forms.CharField(max_length=100, required=False, help_text="County rates only.")
    city = forms.CharField(max_length=100, required=False, help_text="City rates only.")
    category = forms.ChoiceField(label="Charges taxed", choices=TaxCategory.choices)
    rate_percent = forms.CharField(
        label="Rate (%)",
        max_length=20,
        help_text="0 to 100, up to four decimal places: 5.5 or 1.0625.",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    effective_from = forms.DateField(label="First day", widget=DATE)
    effective_to = forms.DateField(
        label="Last day", required=False, widget=DATE, help_text="Empty: until another rate replaces it."
    )


class TaxRateEndForm(forms.Form):
    last_day = forms.DateField(label="Last day", widget=DATE)
