"""The staff forms of commissions. They only collect input: the use cases (plans.py, splits.py)
check it (percentages up to 100, amounts not negative, months in range, overlapping plans,
shares adding up to 100 %) and their errors are shown on the field they name."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from headend.catalog.models import Product

from .models import Basis
from .splits import MAX_REPS, split_list

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NUMBER = forms.TextInput(attrs={"inputmode": "decimal"})


class PlanForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="As statements name it: Fiber 2026, Voice add-on.")
    product_kind = forms.ChoiceField(
        label="Product kind",
        choices=[("", "Every kind"), *Product.Kind.choices],
        required=False,
        help_text="A plan for every product of this kind.",
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.order_by("name"),
        required=False,
        empty_label="Every product (of the kind)",
        help_text="Or a plan for one product (it comes before its kind's plan).",
    )
    booking_basis = forms.ChoiceField(label="On booking", choices=Basis.choices, initial=Basis.NONE)
    booking_value = forms.CharField(label="Booking: % of MRR or amount", required=False, max_length=20, widget=NUMBER)
    turn_up_basis = forms.ChoiceField(label="On turn-up", choices=Basis.choices, initial=Basis.NONE)
    turn_up_value = forms.CharField(label="Turn-up: % of MRR or amount", required=False, max_length=20, widget=NUMBER)
    recurring_percent = forms.CharField(
        label="Recurring share of MRR (%)", required=False, max_length=20, widget=NUMBER, help_text="0 to 100."
    )
    recurring_months = forms.CharField(
        label="Recurring for (months)",
        required=False,
        max_length=10,
        widget=NUMBER,
        help_text="From the turn-up month.",
    )
    clawback_months = forms.CharField(
        label="Clawback within (months)",
        required=False,
        max_length=10,
        widget=NUMBER,
        help_text="The customer leaving within this many months of turn-up gives it all back; 0: never.",
    )
    effective_from = forms.DateField(label="First day", widget=DATE, help_text="Sales booked from this day.")
    effective_to = forms.DateField(
        label="Last day", required=False, widget=DATE, help_text="Empty: until another plan replaces it."
    )


class SplitForm(forms.Form):
    """Up to MAX_REPS rows of a rep and their share; empty rows are left out."""

    rows = MAX_REPS

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username")
        for index in range(self.rows):
            self.fields[f"rep_{index}"] = forms.ModelChoiceField(
                queryset=users, required=False, label=f"Rep {index + 1}"
            )
            self.fields[f"share_{index}"] = forms.CharField(
                label="Share (%)", required=False, max_length=20, widget=NUMBER
            )
            # One row of a table whose headings name the columns: each control says its row.
            self.fields[f"rep_{index}"].widget.attrs["aria-label"] = f"Rep {index + 1}"
            self.fields[f"share_{index}"].widget.attrs["aria-label"] = f"Share of rep {index + 1} (%)"

    def row_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"rep_{index}"], self[f"share_{index}"]) for index in range(self.rows)]

    def shares(self) -> tuple[list[tuple[Any, Any]], list[int]]:
        """(rep, share) of each row that says something, and the form row each one came from."""
        shares, rows = [], []
        for index in range(self.rows):
            rep, share = self.cleaned_data.get(f"rep_{index}"), (self.cleaned_data.get(f"share_{index}") or "").strip()
            if rep is None and not share:
                continue
            shares.append((rep, share))
            rows.append(index)
        return shares, rows


def split_initial(opportunity: Any) -> dict[str, Any]:
    """The split form's rows as the opportunity's splits stand."""
    initial: dict[str, Any] = {}
    for index, split in enumerate(split_list(opportunity=opportunity)):
        initial[f"rep_{index}"], initial[f"share_{index}"] = split.rep, f"{split.share_percent:.2f}"
    return initial


class AccrueForm(forms.Form):
    month = forms.CharField(
        max_length=7, widget=forms.TextInput(attrs={"type": "month"}), help_text="A month that has ended."
    )
