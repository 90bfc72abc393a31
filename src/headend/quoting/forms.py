from typing import cast

from django import forms

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import ProductVersion, Term
from headend.core import clock
from headend.crm.models import Account, Location, Opportunity


class QuoteCreateForm(forms.Form):
    account = forms.ModelChoiceField(queryset=Account.objects.all())
    opportunity = forms.ModelChoiceField(
        queryset=Opportunity.objects.filter(stage__in=Opportunity.OPEN_STAGES),
        required=False,
        help_text="Leave empty to open a new opportunity for this quote.",
    )
    name = forms.CharField(max_length=200, required=False)


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Location) -> str:
        return obj.label


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProductVersion) -> str:
        speed = f" · {obj.speed_label}" if obj.speed_label else ""
        return f"{obj.product.name}{speed} (v{obj.version})"


class QuoteLineForm(forms.Form):
    location = LocationChoiceField(queryset=Location.objects.none())
    product_version = VersionChoiceField(queryset=ProductVersion.objects.none(), label="Product")
    term_months = forms.TypedChoiceField(choices=Term.choices, coerce=int, initial=12, label="Term")
    quantity = forms.IntegerField(initial=1)

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        location = cast(forms.ModelChoiceField, self.fields["location"])
        location.queryset = account.locations.all()
        versions = catalog_selectors.sellable_versions(on=clock.today(), customer_type=account.kind)
        product_version = cast(forms.ModelChoiceField, self.fields["product_version"])
        product_version.queryset = ProductVersion.objects.filter(pk__in=[v.pk for v in versions]).select_related(
            "product"
        )


class QuoteDecisionForm(forms.Form):
    accepted_by_name = forms.CharField(label="Signed by (customer's name)", max_length=200)
