from typing import cast

from django import forms
from django.contrib.auth import get_user_model

from headend.core.forms import AmountField
from headend.crm.models import Account, Contact, Opportunity


class AccountForm(forms.Form):
    kind = forms.ChoiceField(choices=Account.Kind.choices, widget=forms.RadioSelect, initial=Account.Kind.BUSINESS)
    legal_name = forms.CharField(label="Legal name (business)", required=False, max_length=200)
    name = forms.CharField(label="Trading name (if different)", required=False, max_length=200)
    tax_id = forms.CharField(label="Tax ID (EIN)", required=False, max_length=20)
    parent = forms.ModelChoiceField(
        queryset=Account.objects.filter(kind=Account.Kind.BUSINESS), required=False, label="Parent account"
    )
    first_name = forms.CharField(label="First name (residential)", required=False, max_length=100)
    last_name = forms.CharField(label="Last name (residential)", required=False, max_length=100)
    email = forms.CharField(required=False, max_length=254)
    phone = forms.CharField(required=False, max_length=30)
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True), required=False)

    def __init__(self, *args, editing: Account | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if editing is not None:
            del self.fields["kind"]
            parent = cast(forms.ModelChoiceField, self.fields["parent"])
            parent.queryset = Account.objects.filter(kind=Account.Kind.BUSINESS).exclude(pk=editing.pk)
            if not editing.is_business:
                for name in ("legal_name", "name", "tax_id", "parent"):
                    del self.fields[name]
            else:
                for name in ("first_name", "last_name"):
                    del self.fields[name]


class ContactForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    role = forms.ChoiceField(choices=Contact.Role.choices)
    email = forms.CharField(required=False, max_length=254)
    phone = forms.CharField(required=False, max_length=30)


class LocationForm(forms.Form):
    name = forms.CharField(label="Site name", required=False, max_length=120)
    line1 = forms.CharField(label="Street address", max_length=200)
    line2 = forms.CharField(label="Unit / suite", required=False, max_length=100)
    city = forms.CharField(max_length=100)
    state = forms.CharField(max_length=2, initial="ME")
    postal_code = forms.CharField(label="ZIP code", max_length=10)
    latitude = forms.CharField(
        required=False, max_length=20, help_text="Leave both empty to place the site from its address."
    )
    longitude = forms.CharField(required=False, max_length=20)


class LocationEditForm(LocationForm):
    """A location's address and, for the technician, who meets them there and how to get in."""

    site_contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label="Site contact",
        empty_label="None named",
        help_text="Who meets the technician: one of the account's contacts.",
        error_messages={"invalid_choice": "Pick one of this account's contacts."},
    )
    access_notes = forms.CharField(
        label="Access notes",
        required=False,
        max_length=1000,
        help_text="How to get in: gate code, keys, parking, dogs, the desk to ask for.",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        contacts = cast(forms.ModelChoiceField, self.fields["site_contact"])
        contacts.queryset = Contact.objects.filter(account=account).order_by("last_name", "first_name", "pk")


class OpportunityForm(forms.Form):
    name = forms.CharField(max_length=200)
    stage = forms.ChoiceField(
        choices=[(s.value, s.label) for s in Opportunity.Stage if s.value in Opportunity.OPEN_STAGES]
    )
    amount = AmountField(label="Expected MRR", initial=0)
    close_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True), required=False)


class AccountNoteForm(forms.Form):
    body = forms.CharField(label="Note", max_length=5000, widget=forms.Textarea(attrs={"rows": 3, "maxlength": 5000}))
    pinned = forms.BooleanField(label="Pin to the top", required=False)
