"""The portal's bill-pay forms. They only collect input; the payments use cases check it again
(methods.payment_method_add refuses a card number too) and their errors are shown on the field
they name. No form has a card or account number field: the gateway's secure form turns the
card into a token, and the token is all that is typed here."""

import re
import uuid
from decimal import Decimal
from typing import Any, cast

from django import forms

from headend.billing.models import BillingAccount, Invoice
from headend.core.forms import AmountField
from headend.core.money import ZERO
from headend.core.templatetags.headend import money
from headend.payments import methods
from headend.payments.models import PaymentMethod

NEW = "new"  # the method choice "a new card or bank account" (a token typed)
_KEY = re.compile(r"portal-[0-9a-f-]{36}")


def _new_key() -> str:
    return f"portal-{uuid.uuid4()}"


def refuse_card_number(value: str) -> None:
    """A value that looks like a card or bank account number is refused before it goes anywhere."""
    if methods.looks_like_card_number(value):
        raise forms.ValidationError(
            "That looks like a card or account number. Never type it here: enter your card in the "
            "secure card form, which gives the token to paste here.",
            code="card_number",
        )


def token_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label="Card or bank token",
        max_length=80,
        required=required,
        validators=[refuse_card_number],
        help_text="The token the secure card form gives you (it starts pm_), never the card number.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off", "autocapitalize": "off"}),
    )


def method_label(method: PaymentMethod) -> str:
    expiry = f" · expires {method.exp_month:02d}/{method.exp_year}" if method.exp_month and method.exp_year else ""
    return f"{method.brand or method.get_kind_display()} ending {method.last4}{expiry}"


class InvoiceChoiceField(forms.ModelMultipleChoiceField):
    """Open invoices, each with its due date and what is left to pay."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_number} · due {obj.due_date:%b %-d, %Y} · {money(obj.amount_due, obj.currency)}"


class PayForm(forms.Form):
    """Pay now: the invoices ticked (all that is due, oldest first, unless changed) or an amount
    typed, which may be more than is owed (the rest is credit), with a stored method or a new
    token. The hidden key is the form's: sent twice, it charges once."""

    invoices = InvoiceChoiceField(
        label="Invoices to pay",
        queryset=Invoice.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    amount = AmountField(
        minimum=Decimal("0.01"),
        required=False,
        help_text="Empty: what the ticked invoices owe. More than you owe is kept as credit for your next invoices.",
    )
    method = forms.ChoiceField(label="Pay with", widget=forms.RadioSelect)
    token = token_field(required=False)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64, initial=_new_key)

    def __init__(self, *args: Any, payer: BillingAccount, methods: Any, open_invoices: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.payer = payer
        self.stored = {str(method.pk): method for method in methods}
        invoices = cast(forms.ModelMultipleChoiceField, self.fields["invoices"])
        invoices.queryset = open_invoices
        choices = [(pk, method_label(method)) for pk, method in self.stored.items()]
        cast(forms.ChoiceField, self.fields["method"]).choices = [*choices, (NEW, "A new card or bank account")]
        if not self.is_bound:
            self.initial.setdefault("invoices", [invoice.pk for invoice in open_invoices])
            self.initial.setdefault("method", next(iter(self.stored), NEW))

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if not _KEY.fullmatch(key):
            raise forms.ValidationError("This form is out of date: open Pay now again.", code="invalid")
        return key

    def clean(self) -> dict[str, Any]:
        data = self.cleaned_data
        invoices = data.get("invoices") or []
        if data.get("amount") is None and "amount" not in self.errors:
            owed = sum((invoice.amount_due for invoice in invoices), ZERO)
            if owed <= 0:
                self.add_error("amount", "Tick the invoices to pay or type an amount.")
            data["amount"] = owed
        choice = data.get("method")
        data["payment_method"] = self.stored.get(choice or "")
        if choice == NEW and not data.get("token") and "token" not in self.errors:
            self.add_error("token", "Paste the token the secure card form gave you.")
        return data


class MethodAddForm(forms.Form):
    """Store a card or bank account by the token the gateway's secure form gave."""

    token = token_field(required=True)
    autopay = forms.BooleanField(label="Use it for autopay (charged on each invoice's due date)", required=False)

    def __init__(self, *args: Any, payers: list[BillingAccount], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.payers = {str(payer.pk): payer for payer in payers}
        if len(payers) > 1:
            self.fields["payer"] = forms.ChoiceField(
                label="For the bills of", choices=[(pk, str(payer)) for pk, payer in self.payers.items()]
            )

    def clean(self) -> dict[str, Any]:
        data = self.cleaned_data
        data["billing_account"] = self.payers.get(data.get("payer") or next(iter(self.payers), ""))
        return data
