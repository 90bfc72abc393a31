"""Billing's staff forms (the tax table's are in tax_forms.py). They only collect input: the use
cases in accounts.py, invoices.py and runs.py check it, and their errors are shown on the field
they name (core/forms.add_domain_error)."""

from typing import Any, cast

from django import forms

from headend.billing.models import BillingAccount, ChargeKind, Cycle, Delivery, Subscription
from headend.catalog.models import Proration
from headend.core.forms import AmountField, SharedPageForm, WholeNumberField
from headend.crm.models import Account, Contact

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BillingAccountForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, help_text="Empty: the customer's name.")
    currency = forms.CharField(
        max_length=3, help_text="ISO 4217 code, such as USD.", widget=forms.TextInput(attrs={"spellcheck": "false"})
    )
    cycle = forms.ChoiceField(label="Bill cycle", choices=Cycle.choices)
    bill_day = WholeNumberField(minimum=1, maximum=28, help_text="Day of the month, 1 to 28.")
    payment_terms_days = WholeNumberField(label="Payment terms (net days)", minimum=0, maximum=120)
    delivery = forms.ChoiceField(label="Invoice delivery", choices=Delivery.choices)
    tax_exempt = forms.BooleanField(required=False)
    tax_exempt_certificate = forms.CharField(label="Exemption certificate", max_length=60, required=False)
    parent = forms.ModelChoiceField(
        label="Paid by",
        queryset=BillingAccount.objects.none(),
        required=False,
        empty_label="Nobody: it pays for itself",
    )
    contact = forms.ModelChoiceField(label="Billing contact", queryset=Contact.objects.none(), required=False)
    proration = forms.ChoiceField(
        label="Proration", choices=[("", "Each product's own"), *Proration.choices], required=False
    )
    is_default = forms.BooleanField(label="Default for new services", required=False)

    def __init__(self, *args: Any, account: Account, editing: BillingAccount | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        parents = BillingAccount.objects.filter(account=account, parent=None, status=BillingAccount.Status.ACTIVE)
        if editing is not None:
            parents = parents.exclude(pk=editing.pk)
        cast(forms.ModelChoiceField, self.fields["parent"]).queryset = parents
        cast(forms.ModelChoiceField, self.fields["contact"]).queryset = Contact.objects.filter(account=account)


class ServiceChoiceField(forms.ModelChoiceField):
    """A service billed to the billing account, chosen by its number (its Subscription row)."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.service.number} {obj.service.product_version.product.name}"


class ChargeForm(SharedPageForm):
    """A one-time charge, or a credit when the amount is negative, billed on the next invoice."""

    ids = "charge"  # on the billing account, beside taking a payment

    kind = forms.ChoiceField(choices=ChargeKind.choices, initial=ChargeKind.CHARGE)
    description = forms.CharField(max_length=200)
    amount = AmountField(minimum=None, help_text="Negative for a credit.")
    service = ServiceChoiceField(
        queryset=Subscription.objects.none(), required=False, empty_label="Not for one service"
    )

    def __init__(self, *args: Any, billing_account: BillingAccount, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["service"])
        subscriptions = Subscription.objects.filter(billing_account=billing_account)
        field.queryset = subscriptions.select_related("service__product_version__product")


class CreditNoteForm(SharedPageForm):
    ids = "credit_note"  # on the invoice, beside void and write-off
    reason = forms.CharField(max_length=200)
    amount = AmountField(help_text="Before tax: the invoice's taxes are credited in proportion.")


class VoidForm(SharedPageForm):
    ids = "void"
    reason = forms.CharField(max_length=200)


class BillRunForm(forms.Form):
    as_of = forms.DateField(label="As of", widget=DATE, help_text="Bills every account due on or before this day.")
