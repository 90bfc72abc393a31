from django import forms

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import ProductVersion, Term
from headend.core import clock
from headend.crm.models import Account, Location, Opportunity


class QuoteCreateForm(forms.Form):
    account = forms.ModelChoiceField(queryset=Account.objects.all())
    opportunity = forms.ModelChoiceField(
        queryset=Opportunity.objects.filter(stage__in=Opportunity.OPEN_STAGES), required=False,
        help_text="Leave empty to open a new opportunity for this quote.",
    )
    name = forms.CharField(max_length=200, required=False)


class QuoteLineForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    product_version = forms.ModelChoiceField(queryset=ProductVersion.objects.none(), label="Product")
    term_months = forms.TypedChoiceField(choices=Term.choices, coerce=int, initial=12, label="Term")
    quantity = forms.IntegerField(initial=1)

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = account.locations.all()
        self.fields["location"].label_from_instance = lambda location: location.label
        versions = catalog_selectors.sellable_versions(on=clock.today(), customer_type=account.kind)
        self.fields["product_version"].queryset = ProductVersion.objects.filter(pk__in=[v.pk for v in versions]).select_related("product")
        self.fields["product_version"].label_from_instance = _version_label


def _version_label(version: ProductVersion) -> str:
    speed = f" · {version.speed_label}" if version.speed_label else ""
    return f"{version.product.name}{speed} (v{version.version})"


class QuoteDecisionForm(forms.Form):
    accepted_by_name = forms.CharField(label="Signed by (customer's name)", max_length=200)
