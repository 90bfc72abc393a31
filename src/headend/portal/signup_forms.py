"""The sign-up pages' forms: the shape of what each step asks. The rules (address, coverage,
email, password, terms) are the use cases' in portal/signup.py, whose errors the views put on
these forms' fields."""

from typing import Any

from django import forms

KIND_CHOICES = [("residential", "Home"), ("business", "Business")]


class AddressForm(forms.Form):
    kind = forms.ChoiceField(label="Service for", choices=KIND_CHOICES, widget=forms.RadioSelect, initial="residential")
    line1 = forms.CharField(
        label="Street address", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "address-line1"})
    )
    line2 = forms.CharField(
        label="Apartment or suite (optional)",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        label="City", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    state = forms.CharField(
        label="State", max_length=2, widget=forms.TextInput(attrs={"autocomplete": "address-level1", "size": 3})
    )
    postal_code = forms.CharField(
        label="ZIP code",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    latitude = forms.CharField(label="Latitude", required=False, max_length=20)
    longitude = forms.CharField(label="Longitude", required=False, max_length=20)


class PlanForm(forms.Form):
    """One radio per plan and term: "<version id>:<term months>"."""

    choice = forms.CharField(label="Plan and term", error_messages={"required": "Choose a plan and a term."})

    def chosen(self) -> tuple[str, str]:
        version_id, _, term = str(self.cleaned_data.get("choice") or "").partition(":")
        return version_id, term


class LeadForm(forms.Form):
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(label="First name", required=False, max_length=100)
    last_name = forms.CharField(label="Last name", required=False, max_length=100)
    company_name = forms.CharField(label="Company name", required=False, max_length=200)


class AddonsForm(forms.Form):
    addons = forms.MultipleChoiceField(label="Add-ons", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["addons"].choices = choices  # type: ignore[attr-defined]


class ContactForm(forms.Form):
    company_name = forms.CharField(label="Company legal name", required=False, max_length=200)
    tax_id = forms.CharField(label="Tax ID (EIN)", required=False, max_length=20, help_text="As 12-3456789.")
    first_name = forms.CharField(
        label="First name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label="Last name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(
        label="Phone",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    password = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )


class TermsForm(forms.Form):
    accepted_by_name = forms.CharField(label="Your full name", max_length=200)
    accept = forms.BooleanField(
        label="I accept these terms", error_messages={"required": "Tick the box to accept the terms."}
    )


class PaymentForm(forms.Form):
    token = forms.CharField(
        label="Payment token",
        max_length=80,
        help_text="From the payment provider's secure form (pm_...). Never a card number.",
    )


class VisitForm(forms.Form):
    start = forms.ChoiceField(label="Installation visit", widget=forms.RadioSelect)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start"].choices = choices  # type: ignore[attr-defined]
