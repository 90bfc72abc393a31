"""The forms of the portal's self-service changes. A choice is read as plain text and checked by
the use case against what it offers (portal/changes.py), so a tampered choice gets the use
case's own message on the form."""

from django import forms

from .signup_forms import AddressForm


class PlanForm(forms.Form):
    plan = forms.CharField(label="New plan", error_messages={"required": "Choose a plan."})


class AddonForm(forms.Form):
    addon = forms.CharField(label="Add-on", error_messages={"required": "Choose an add-on."})


class MoveForm(AddressForm):
    """The new address: the sign-up's address fields, the kind of customer being the account's."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        del self.fields["kind"]


class VisitForm(forms.Form):
    start = forms.CharField(label="New time", error_messages={"required": "Choose a time."})
