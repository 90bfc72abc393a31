"""The payments staff forms. They only collect input: the use cases in payments.py, methods.py
and dunning.py check it, and their errors are shown on the field they name
(core/forms.add_domain_error)."""

import uuid
from decimal import Decimal
from typing import Any, cast

from django import forms

from headend.billing.models import BillingAccount, Invoice
from headend.core.forms import AmountField, PercentField, SharedPageForm, WholeNumberField
from headend.core.money import CENT
from headend.core.templatetags.headend import money

from . import views
from .models import MANUAL_MEANS, PaymentMethod

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The "means" of a payment charged to a stored card or bank account.
STORED = "stored"


def amount_text(amount: Decimal) -> str | None:
    """An amount as a form's first value, cents shown ("200.00", a database sum may say "200");
    None for nothing."""
    return str(amount.quantize(CENT)) if amount else None


class InvoiceChoiceField(forms.ModelMultipleChoiceField):
    """Open invoices, each shown with its due date and what is left to pay."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_number} · due {obj.due_date:%b %-d, %Y} · {money(obj.amount_due, obj.currency)}"


class MethodChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.brand or obj.get_kind_display()} •••• {obj.last4}" + (" (autopay)" if obj.autopay else "")


def _new_key() -> str:
    return f"form-{uuid.uuid4()}"


class PaymentForm(forms.Form):
    """Money received by hand (cheque, bank transfer, cash) or charged now to a stored method;
    the invoices it pays: those ticked, then the oldest open."""

    means = forms.ChoiceField(label="How", choices=[(means.value, means.label) for means in MANUAL_MEANS])
    payment_method = MethodChoiceField(
        label="Stored method", queryset=PaymentMethod.objects.none(), required=False, empty_label="—"
    )
    amount = AmountField()
    reference = forms.CharField(max_length=80, required=False, help_text="Cheque number, bank reference, receipt.")
    received_on = forms.DateField(label="Received on", widget=DATE, required=False, help_text="Empty: today.")
    # One key per form shown: sent twice (a double click, a resent request) it records and
    # charges once.
    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64, initial=_new_key)
    invoices = InvoiceChoiceField(
        label="Invoices to pay",
        queryset=Invoice.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: the oldest open invoices first; what is left is credit.",
    )

    def __init__(self, *args: Any, payer: BillingAccount, gateway: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        methods = views.methods_of(payer)
        cast(forms.ModelChoiceField, self.fields["payment_method"]).queryset = methods
        cast(forms.ModelMultipleChoiceField, self.fields["invoices"]).queryset = views.open_invoices_of(payer)
        if gateway and methods.exists():
            manual = [(means.value, means.label) for means in MANUAL_MEANS]
            cast(forms.ChoiceField, self.fields["means"]).choices = [*manual, (STORED, "Stored card or bank account")]
        else:
            del self.fields["payment_method"]


class RefundForm(forms.Form):
    amount = AmountField()
    reason = forms.CharField(max_length=200)


class ReverseForm(SharedPageForm):
    ids = "reverse"  # beside the refund form
    reason = forms.CharField(max_length=200, help_text="A bounced cheque, a chargeback, a returned debit.")


class WriteOffForm(SharedPageForm):
    ids = "write_off"  # on the invoice, beside its credit note and void
    amount = AmountField(required=False, help_text="Empty: all that is still due.")
    reason = forms.CharField(max_length=200)


class PaymentMethodForm(forms.Form):
    token = forms.CharField(
        label="Gateway token",
        max_length=80,
        help_text="The token the gateway gave for the card or bank account (pm_...), never its number.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    autopay = forms.BooleanField(label="Charge it on each invoice's due date (autopay)", required=False)


class PromiseForm(SharedPageForm):
    ids = "promise"  # on the billing account, beside taking a payment
    until = forms.DateField(label="Pays by", widget=DATE)
    amount = AmountField()
    note = forms.CharField(max_length=200, required=False)


class DunningPolicyForm(forms.Form):
    """One customer type's dunning; reminder days as a list such as "3, 10, 20"."""

    grace_days = WholeNumberField(minimum=0, maximum=365, help_text="No late fee or suspension before this day.")
    minimum_overdue_amount = AmountField(label="Minimum overdue", help_text="Less than this overdue is left alone.")
    reminder_days = forms.CharField(
        max_length=100, required=False, help_text="Days after the due date to send a reminder, such as 3, 10, 20."
    )
    late_fee_amount = AmountField(label="Late fee")
    late_fee_percent = PercentField(label="Late fee percent", help_text="Of the overdue amount, added to the fee.")
    suspend_after_days = WholeNumberField(
        label="Suspend after (days)", minimum=1, maximum=365, required=False, help_text="Empty: never suspend."
    )
    waive_late_fee_on_payment = forms.BooleanField(
        label="Credit the late fee back when everything overdue is paid", required=False
    )

    def clean_reminder_days(self) -> list[int]:
        text = self.cleaned_data["reminder_days"].replace(";", ",")
        days = []
        for part in filter(None, (piece.strip() for piece in text.split(","))):
            if not part.isascii() or not part.isdigit() or not 1 <= int(part) <= 365:
                raise forms.ValidationError(f"{part!r} is not a day from 1 to 365.")
            days.append(int(part))
        return sorted(set(days))
