from typing import cast

from django import forms

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import Product, ProductVersion, Term
from headend.core import clock
from headend.core.forms import WholeNumberField
from headend.core.numbers import MAX_INT
from headend.crm.models import Account, Location, Opportunity
from headend.inventory.models import Service
from headend.quoting.models import Quote, QuoteLine


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


# The bases an add-on can be pointed at in the form; a longer quote names its base in the API or CSV.
MAX_BASE_CHOICES = 200


class QuoteLineForm(forms.Form):
    location = LocationChoiceField(queryset=Location.objects.none())
    product_version = VersionChoiceField(queryset=ProductVersion.objects.none(), label="Product")
    term_months = forms.TypedChoiceField(choices=Term.choices, coerce=int, initial=12, label="Term")
    quantity = WholeNumberField(minimum=-MAX_INT, initial=1)  # its range is check_quantity's to say
    rides_on = forms.ChoiceField(
        required=False,
        label="Add-on rides on",
        help_text="For an add-on: the service or line it goes on (empty: the only one at its site).",
    )

    def __init__(self, *args, account: Account, quote: Quote | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._bases: dict[str, object] = {}
        choices: list[tuple[str, str]] = [("", "—")]
        if quote is not None:
            lines = (
                quote.lines.filter(action=QuoteLine.Action.ADD)
                .exclude(product_version__product__kind=Product.Kind.ADDON)
                .select_related("product_version__product", "location")
                .order_by("position")[:MAX_BASE_CHOICES]
            )
            for line in lines:
                key = f"line:{line.pk}"
                self._bases[key] = line
                choices.append((key, f"Line {line.position} · {line.product_version.product.name}"))
        services = (
            Service.objects.filter(account=account, status__in=[Service.Status.ACTIVE, Service.Status.SUSPENDED])
            .exclude(product_version__product__kind=Product.Kind.ADDON)
            .select_related("product_version__product", "location")
            .order_by("pk")[:MAX_BASE_CHOICES]
        )
        for service in services:
            key = f"service:{service.pk}"
            self._bases[key] = service
            choices.append((key, f"{service.number} · {service.product_version.product.name}"))
        cast(forms.ChoiceField, self.fields["rides_on"]).choices = choices
        location = cast(forms.ModelChoiceField, self.fields["location"])
        location.queryset = account.locations.all()
        versions = catalog_selectors.sellable_versions(on=clock.today(), customer_type=account.kind)
        product_version = cast(forms.ModelChoiceField, self.fields["product_version"])
        product_version.queryset = ProductVersion.objects.filter(pk__in=[v.pk for v in versions]).select_related(
            "product"
        )

    def clean_rides_on(self) -> object:
        return self._bases.get(self.cleaned_data.get("rides_on") or "")


class QuoteDecisionForm(forms.Form):
    accepted_by_name = forms.CharField(label="Signed by (customer's name)", max_length=200)
