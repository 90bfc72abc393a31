from typing import cast

from django import forms
from django.db import models

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import Product, ProductVersion, Term
from headend.core import clock
from headend.core.forms import WholeNumberField
from headend.core.ids import parse_id
from headend.core.money import format_amount
from headend.core.numbers import MAX_INT
from headend.crm.models import Account, Location, Opportunity
from headend.inventory.models import Service
from headend.quoting.models import Quote, QuoteLine


class QuoteCreateForm(forms.Form):
    account = forms.ModelChoiceField(queryset=Account.objects.all())
    opportunity = forms.ModelChoiceField(
        queryset=Opportunity.objects.none(),
        required=False,
        help_text="The account's open opportunities; leave empty to open a new one for this quote.",
        error_messages={"invalid_choice": "Choose one of this account's open opportunities."},
    )
    name = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the chosen account's open opportunities are offered, and only they are valid.
        chosen = self.data.get("account") if self.is_bound else self.initial.get("account")
        account_id = parse_id(getattr(chosen, "pk", chosen))
        opportunity = cast(forms.ModelChoiceField, self.fields["opportunity"])
        opportunity.queryset = Opportunity.objects.filter(
            account_id=account_id, stage__in=Opportunity.OPEN_STAGES
        ).order_by("-pk")

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        account, opportunity = cleaned.get("account"), cleaned.get("opportunity")
        if account is not None and opportunity is not None and opportunity.account_id != account.pk:
            self.add_error("opportunity", "The opportunity belongs to another account.")
        return cleaned


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Location) -> str:
        return obj.label


class LocationsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Location) -> str:
        return obj.label


def _term_short(months: int) -> str:
    return f"{months} mo" if months else "month-to-month"


def price_label(version: ProductVersion) -> str:
    """What the picker says of a version: its sales name and its price on every term it is sold
    on, "Fiber 300 · 300 Mbps — $65.00/mo (12 mo), $0.00 install" (prices prefetched)."""
    prices = sorted(version.prices.all(), key=lambda price: price.term_months)
    terms = "; ".join(
        f"{format_amount(price.mrc_amount, price.currency)}/mo ({_term_short(price.term_months)}), "
        f"{format_amount(price.nrc_amount, price.currency)} install"
        for price in prices
    )
    return f"{version.sales_name} — {terms}" if terms else version.sales_name


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProductVersion) -> str:
        return price_label(obj)


def _sellable(account: Account) -> models.QuerySet[ProductVersion]:
    """The versions on sale today to this kind of customer, with their prices, for a picker."""
    versions = catalog_selectors.sellable_versions(on=clock.today(), customer_type=account.kind)
    return (
        ProductVersion.objects.filter(pk__in=[v.pk for v in versions])
        .select_related("product")
        .prefetch_related("prices")
        .order_by("product__kind", "product__name")
    )


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
        cast(forms.ModelChoiceField, self.fields["product_version"]).queryset = _sellable(account)

    def clean_rides_on(self) -> object:
        return self._bases.get(self.cleaned_data.get("rides_on") or "")


class QuoteSitesAddForm(forms.Form):
    """One product to many of the account's sites at once: those ticked, or all of them. Its
    fields are prefixed ("sites-"): the quote page also has the one-line form."""

    prefix = "sites"
    product_version = VersionChoiceField(
        queryset=ProductVersion.objects.none(),
        label="What to add",
        error_messages={"invalid_choice": "Choose a product on sale to this customer."},
    )
    term_months = forms.TypedChoiceField(choices=Term.choices, coerce=int, initial=12, label="Contract length")
    quantity = WholeNumberField(minimum=-MAX_INT, initial=1, label="Units at each site")
    all_sites = forms.BooleanField(required=False, label="Every site of the account")
    # Its labels differ from the one-line form's ("Product", "Term", "Quantity"): one label, one field.
    locations = LocationsField(
        queryset=Location.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Sites",
        error_messages={"invalid_choice": "A site ticked is not one of this account's sites."},
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        cast(forms.ModelChoiceField, self.fields["product_version"]).queryset = _sellable(account)
        cast(forms.ModelMultipleChoiceField, self.fields["locations"]).queryset = account.locations.all()

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("all_sites"):
            cleaned["locations"] = list(self.account.locations.all())
        if "locations" in cleaned and not cleaned["locations"]:
            self.add_error("locations", "Tick at least one site (or every site of the account).")
        return cleaned


class QuoteDecisionForm(forms.Form):
    accepted_by_name = forms.CharField(label="Signed by (customer's name)", max_length=200)
