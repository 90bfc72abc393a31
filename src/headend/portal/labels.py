"""The FCC broadband consumer label of a plan (47 CFR 8.1(a)), built from the catalog: the
monthly price on each term with its introductory offer and the price after, one-time fees,
the provider's monthly fees, typical speeds and latency, the data included, the plan's unique
identifier and links to the provider's policies.

The identifier is "F", the provider's FCC Registration Number (FRN, ten digits) and an id the
provider chooses (up to 15 letters or digits): the version's own `fcc_label_id` when staff set
one, else one generated from the product and version, so every published version has one."""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import MrcOffKind, Product, ProductVersion, Promotion
from headend.core import clock
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.core.money import CENT

FRN_DIGITS = 10
NO_FRN = "0" * FRN_DIGITS
# Where a label links for the provider's policies (settings.HEADEND_BROADBAND_POLICIES may name others).
DEFAULT_POLICIES = {
    "Network management": "",
    "Privacy": "",
}


def frn() -> str:
    """The provider's FCC Registration Number (settings.HEADEND_FCC_FRN), zeros until it is set."""
    digits = re.sub(r"\D", "", str(settings.HEADEND_FCC_FRN or ""))
    return digits.zfill(FRN_DIGITS)[-FRN_DIGITS:] if digits else NO_FRN


def plan_identifier(version: ProductVersion) -> str:
    """The label's unique plan identifier: staff's, or F + FRN + P<product>V<version>."""
    if version.fcc_label_id:
        return version.fcc_label_id
    return f"F{frn()}P{version.product_id:05d}V{version.version:03d}"


@dataclass(frozen=True)
class Fee:
    name: str
    amount: Decimal


@dataclass(frozen=True)
class TermOffer:
    """The plan on one contract term: its monthly price, installation and the promotion the
    online order gets (the best current one, as a quote line picks it)."""

    term_months: int
    term_label: str
    mrc_amount: Decimal
    nrc_amount: Decimal
    promotion: str = ""
    intro_mrc_amount: Decimal | None = None
    intro_months: int = 0
    installation_waived: bool = False

    @property
    def installation_amount(self) -> Decimal:
        return Decimal("0.00") if self.installation_waived else self.nrc_amount


@dataclass(frozen=True)
class BroadbandLabel:
    version: ProductVersion
    provider: str
    plan_id: str
    terms: tuple[TermOffer, ...]
    monthly_fees: tuple[Fee, ...]
    typical_download_mbps: int | None
    typical_upload_mbps: int | None
    typical_latency_ms: int | None
    data_cap_gb: int | None
    data_policy: str
    etf: str
    policies: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        return self.version.product.name

    @property
    def is_fixed(self) -> bool:
        return self.version.technology != ProductVersion.Technology.FIXED_WIRELESS

    @property
    def data_included(self) -> str:
        return "Unlimited" if self.data_cap_gb is None else f"{self.data_cap_gb:,} GB a month"

    @property
    def lowest(self) -> TermOffer | None:
        """The term with the lowest monthly price: the headline of the plan card."""
        return min(self.terms, key=lambda offer: (offer.mrc_amount, -offer.term_months), default=None)

    @property
    def missing(self) -> list[str]:
        """What the catalog does not say yet, so the label is incomplete."""
        gaps = []
        if not self.terms:
            gaps.append("monthly price")
        for name, value in (
            ("typical download speed", self.typical_download_mbps),
            ("typical upload speed", self.typical_upload_mbps),
            ("typical latency", self.typical_latency_ms),
        ):
            if not value:
                gaps.append(name)
        if not self.data_policy:
            gaps.append("data policy")
        if self.plan_id[1 : 1 + FRN_DIGITS] == NO_FRN:
            gaps.append("FCC Registration Number")
        return gaps

    @property
    def complete(self) -> bool:
        return not self.missing


def _intro_price(mrc: Decimal, promotion: Promotion) -> Decimal | None:
    if promotion.mrc_off_kind == MrcOffKind.PERCENT:
        price = mrc * (Decimal(100) - promotion.mrc_off_value) / Decimal(100)
    elif promotion.mrc_off_kind == MrcOffKind.AMOUNT:
        price = max(mrc - promotion.mrc_off_value, Decimal(0))
    else:
        return None
    return price.quantize(CENT, rounding=ROUND_HALF_UP)


def _best(mrc: Decimal, nrc: Decimal, promotions: list[Promotion]) -> Promotion | None:
    """The promotion that saves the most over a year (what a new quote line is given)."""

    def saving(promotion: Promotion) -> Decimal:
        intro = _intro_price(mrc, promotion)
        monthly = (mrc - intro) * min(promotion.mrc_off_months, 12) if intro is not None else Decimal(0)
        return monthly + (nrc if promotion.waives_installation else Decimal(0))

    return max(promotions, key=saving, default=None)


def term_offers(version: ProductVersion, *, on: dt.date) -> tuple[TermOffer, ...]:
    """Each term the version is sold on, with the promotion an order placed on `on` gets."""
    offers = []
    for price in sorted(version.prices.all(), key=lambda p: p.term_months):
        promotion = _best(
            price.mrc_amount,
            price.nrc_amount,
            catalog_selectors.promotions_for(version=version, term_months=price.term_months, on=on),
        )
        intro = _intro_price(price.mrc_amount, promotion) if promotion else None
        offers.append(
            TermOffer(
                term_months=price.term_months,
                term_label=price.get_term_months_display(),
                mrc_amount=price.mrc_amount,
                nrc_amount=price.nrc_amount,
                promotion=promotion.name if promotion else "",
                intro_mrc_amount=intro,
                intro_months=promotion.mrc_off_months if intro is not None and promotion else 0,
                installation_waived=bool(promotion and promotion.waives_installation),
            )
        )
    return tuple(offers)


def _fees(raw: Any) -> tuple[Fee, ...]:
    fees = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and item.get("name"):
            fees.append(Fee(name=str(item["name"]), amount=Decimal(str(item.get("amount") or "0")).quantize(CENT)))
    return tuple(fees)


def _etf(version: ProductVersion) -> str:
    """The early-termination fee in words, for the contract-term line of the label."""
    if version.etf_kind == "percent_of_remaining" and version.etf_percent is not None:
        cap = f", at most {version.etf_cap_months} months" if version.etf_cap_months else ""
        return f"{version.etf_percent.normalize():f}% of the monthly charges left in the term{cap}"
    if version.etf_kind == "flat":
        return f"${version.etf_amount} flat"
    if version.etf_kind == "per_remaining_month":
        return f"${version.etf_amount} for each month left in the term"
    return "None"


def _policies() -> tuple[tuple[str, str], ...]:
    configured = settings.HEADEND_BROADBAND_POLICIES or DEFAULT_POLICIES
    return tuple((str(name), str(url)) for name, url in configured.items())


def label_for(*, version: ProductVersion, on: dt.date | None = None) -> BroadbandLabel:
    """The broadband label of `version` as it would be sold on `on` (today by default)."""
    on = on or clock.today()
    return BroadbandLabel(
        version=version,
        provider=settings.HEADEND_PROVIDER_NAME,
        plan_id=plan_identifier(version),
        terms=term_offers(version, on=on),
        monthly_fees=_fees(version.monthly_fees),
        typical_download_mbps=version.typical_download_mbps,
        typical_upload_mbps=version.typical_upload_mbps,
        typical_latency_ms=version.typical_latency_ms,
        data_cap_gb=version.data_cap_gb,
        data_policy=version.data_policy,
        etf=_etf(version),
        policies=_policies(),
    )


def label_get(*, version_id: Any) -> BroadbandLabel:
    """The label of a published (or retired: labels stay findable) internet plan; NotFound for
    a draft, an add-on or an unknown id."""
    version = (
        ProductVersion.objects.select_related("product")
        .prefetch_related("prices")
        .filter(
            pk=parse_id(version_id),
            product__kind=Product.Kind.INTERNET,
            status__in=[ProductVersion.Status.PUBLISHED, ProductVersion.Status.RETIRED],
        )
        .first()
    )
    if version is None:
        raise NotFound("No such plan.", field="plan")
    return label_for(version=version)
