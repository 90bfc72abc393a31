"""Reads of coverage: what is available at a location, what can be sold there, and why not."""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import h3
from django.db import models

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import Product, ProductVersion
from headend.core import clock
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.crm import selectors as crm_selectors
from headend.crm.models import Account, Location
from headend.network import eligibility
from headend.network.coverage_files import H3_RESOLUTION
from headend.network.eligibility import Offer
from headend.network.models import (
    AddressCoverage,
    AreaCell,
    CoverageArea,
    CoverageImport,
    FccAvailability,
    Qualification,
    QualificationItem,
)
from headend.network.technologies import NAMES, speed_pair

SOURCES = {"address_list": "Address list", "fcc": "FCC BDC (H3 cell)", "staff": "Staff area (H3 cell)"}
# Which FCC rows speak for an account: business_residential_code R, B or X (both).
FCC_MARKETS: dict[str, tuple[str, ...]] = {Account.Kind.RESIDENTIAL: ("R", "X"), Account.Kind.BUSINESS: ("B", "X")}


@dataclass(frozen=True)
class TechnologyAvailability:
    """One technology at a location: its best speeds and who says so."""

    technology: str
    max_down_mbps: Decimal
    max_up_mbps: Decimal
    offers: tuple[Offer, ...]

    @property
    def name(self) -> str:
        return NAMES.get(self.technology, self.technology)

    @property
    def speeds(self) -> str:
        return speed_pair(self.max_down_mbps, self.max_up_mbps)

    @property
    def sources(self) -> list[str]:
        return sorted({SOURCES[offer.source] for offer in self.offers})

    @property
    def evidence(self) -> list[tuple[str, str, str]]:
        """(source, detail, speeds) per offer, for the panel."""
        return [(SOURCES[offer.source], offer.detail, speed_pair(offer.down, offer.up)) for offer in self.offers]


@dataclass(frozen=True)
class OfferingCheck:
    """Whether one offering can be sold at one location, and why (not)."""

    version: ProductVersion
    eligible: bool
    code: str
    reason: str


@dataclass(frozen=True)
class Serviceability:
    """What a location can have: `known` is False when no source says anything about it, and
    then nothing is offered, rather than everything."""

    location: Location
    h3_cell: str | None
    technologies: tuple[TechnologyAvailability, ...]
    offerings: tuple[OfferingCheck, ...]
    unknown_reason: str = ""
    matched_sources: tuple[str, ...] = field(default=())

    @property
    def known(self) -> bool:
        return bool(self.technologies)

    @property
    def status(self) -> str:
        return "serviceable" if self.known else "unknown"

    @property
    def offers(self) -> list[Offer]:
        return [offer for availability in self.technologies for offer in availability.offers]

    @property
    def sellable(self) -> list[OfferingCheck]:
        return [check for check in self.offerings if check.eligible]

    @property
    def ineligible(self) -> list[OfferingCheck]:
        return [check for check in self.offerings if not check.eligible]


def cell_of(location: Location) -> str | None:
    """The H3 res-8 cell of the location's coordinates, if it has them."""
    if location.latitude is None or location.longitude is None:
        return None
    return h3.latlng_to_cell(float(location.latitude), float(location.longitude), H3_RESOLUTION)


def _offers(location: Location, cell: str | None) -> list[Offer]:
    return _offers_at([location], [cell])[0]


def _offers_at(locations: Sequence[Location], cells: Sequence[str | None]) -> list[list[Offer]]:
    """The offers at each location (its address on address lists, then FCC rows and staff areas
    in its H3 cell), in three queries for all of them (four when both kinds of account are
    asked about); `cells[i]` is the cell of `locations[i]`."""
    by_address: dict[str, list[Offer]] = defaultdict(list)
    for row in AddressCoverage.objects.filter(address_key__in={location.address_key for location in locations}):
        by_address[row.address_key].append(
            Offer(row.technology, row.max_down_mbps, row.max_up_mbps, "address_list", "on the provider's address list")
        )
    markets = [FCC_MARKETS.get(location.account.kind, ("R", "B", "X")) for location in locations]
    by_cell: dict[tuple[tuple[str, ...], str], list[Offer]] = defaultdict(list)
    for wanted in set(markets):
        in_cells = {cell for cell, market in zip(cells, markets, strict=True) if cell is not None and market == wanted}
        if not in_cells:
            continue
        fcc = (
            FccAvailability.objects.filter(h3_res8__in=in_cells, business_residential_code__in=wanted)
            .values("h3_res8", "technology", "brand_name", "provider_id", "max_down_mbps", "max_up_mbps")
            .annotate(locations=models.Count("location_id", distinct=True))
            .order_by("h3_res8", "technology", "-max_down_mbps", "-max_up_mbps", "brand_name")
        )
        for fcc_row in fcc:
            by_cell[(wanted, fcc_row["h3_res8"])].append(
                Offer(
                    fcc_row["technology"],
                    fcc_row["max_down_mbps"],
                    fcc_row["max_up_mbps"],
                    "fcc",
                    f"{fcc_row['brand_name'] or 'provider ' + str(fcc_row['provider_id'])}: "
                    f"{fcc_row['locations']} FCC location{'s' if fcc_row['locations'] != 1 else ''} in this cell",
                )
            )
    by_area: dict[str, list[Offer]] = defaultdict(list)
    known_cells = {cell for cell in cells if cell is not None}
    if known_cells:
        area_cells = (
            AreaCell.objects.filter(h3_res8__in=known_cells).select_related("area").order_by("area__name", "area__id")
        )
        for area_cell in area_cells:
            area = area_cell.area
            by_area[area_cell.h3_res8].append(
                Offer(area.technology, area.max_down_mbps, area.max_up_mbps, "staff", area.name)
            )
    return [
        [*by_address[location.address_key], *(by_cell[(market, cell)] + by_area[cell] if cell is not None else [])]
        for location, cell, market in zip(locations, cells, markets, strict=True)
    ]


def _technologies(offers: list[Offer]) -> tuple[TechnologyAvailability, ...]:
    result = []
    for technology in eligibility.technologies_of(offers):
        same = tuple(offer for offer in offers if offer.technology == technology)
        result.append(
            TechnologyAvailability(
                technology=technology,
                max_down_mbps=max(offer.down for offer in same),
                max_up_mbps=max(offer.up for offer in same),
                offers=same,
            )
        )
    return tuple(result)


def _unknown_reason(location: Location, cell: str | None) -> str:
    if cell is None:
        return (
            "Coverage here is unknown: the address is on no address list and the location has no "
            "coordinates to look up its H3 cell."
        )
    return f"Coverage here is unknown: no address list, FCC row or staff area covers the address or H3 cell {cell}."


def offering_check(
    location: Location,
    product_version: ProductVersion,
    *,
    on: dt.date | None = None,
    serviceability: Serviceability | None = None,
) -> OfferingCheck:
    """Can this offering be sold at this location: on sale, to this kind of account, over a
    technology available there at its speeds? The reason says why not, in the provider's words."""
    on = on or clock.today()
    product = product_version.product
    name = product.name
    if not product_version.is_sellable_on(on):
        state = product_version.get_status_display().lower()
        if product_version.status == ProductVersion.Status.PUBLISHED:
            state = f"in force from {product_version.effective_from.isoformat()}"
        return OfferingCheck(product_version, False, "not_on_sale", f"{product_version} is not on sale ({state}).")
    kind = location.account.kind
    if product.customer_type not in (kind, Product.CustomerType.ANY):
        return OfferingCheck(
            product_version,
            False,
            "customer_type",
            f"{name} is sold to {product.get_customer_type_display().lower()} customers; "
            f"this is a {Account.Kind(kind).label.lower()} account.",
        )
    if serviceability is None:
        cell = cell_of(location)
        offers = _offers(location, cell)
        unknown_reason = _unknown_reason(location, cell)
    else:
        offers, unknown_reason = serviceability.offers, serviceability.unknown_reason
    if not offers:
        return OfferingCheck(product_version, False, "coverage_unknown", unknown_reason)
    verdict = eligibility.check(
        name=name,
        technology=product_version.technology,
        down=product_version.download_mbps,
        up=product_version.upload_mbps,
        offers=offers,
    )
    return OfferingCheck(product_version, verdict.eligible, verdict.code, verdict.reason)


def offering_eligibility(
    location: Location, product_version: ProductVersion, *, on: dt.date | None = None
) -> tuple[bool, str]:
    """(True, why it fits) or (False, why not) for selling `product_version` at `location`,
    e.g. (False, "Fiber 2 Gig needs 2000 Mbps; the location has 1000 Mbps fiber.")."""
    check = offering_check(location, product_version, on=on)
    return check.eligible, check.reason


def serviceability_for(*, location: Location, on: dt.date | None = None) -> Serviceability:
    """The technologies and best speeds at a location, from its address on an address list and
    its H3 res-8 cell in FCC rows and staff areas, with every offering on sale to its account
    and whether it fits. Unknown coverage lists no offering."""
    on = on or clock.today()
    cell = cell_of(location)
    offers = _offers(location, cell)
    technologies = _technologies(offers)
    unknown_reason = "" if offers else _unknown_reason(location, cell)
    service = Serviceability(
        location=location,
        h3_cell=cell,
        technologies=technologies,
        offerings=(),
        unknown_reason=unknown_reason,
        matched_sources=tuple(label for source, label in SOURCES.items() if any(o.source == source for o in offers)),
    )
    if not offers:
        return service
    versions = catalog_selectors.sellable_versions(on=on, customer_type=location.account.kind)
    checks = tuple(offering_check(location, version, on=on, serviceability=service) for version in versions)
    return Serviceability(
        location=location,
        h3_cell=cell,
        technologies=technologies,
        offerings=checks,
        matched_sources=service.matched_sources,
    )


def coverage_at(*, locations: Sequence[Location]) -> list[Serviceability]:
    """What `serviceability_for` finds at each location, for many at once in a few queries (pass
    a few thousand at a time; each location's account loaded): technologies, best speeds and
    offers, in the order given. The offerings are not checked (empty): check those wanted with
    `offering_check(location, version, serviceability=...)`, which then reads nothing."""
    cells = [cell_of(location) for location in locations]
    answers = []
    for location, cell, offers in zip(locations, cells, _offers_at(locations, cells), strict=True):
        sources = {offer.source for offer in offers}
        answers.append(
            Serviceability(
                location=location,
                h3_cell=cell,
                technologies=_technologies(offers),
                offerings=(),
                unknown_reason="" if offers else _unknown_reason(location, cell),
                matched_sources=tuple(label for source, label in SOURCES.items() if source in sources),
            )
        )
    return answers


# Imports and areas, for the staff pages


def coverage_import_list() -> models.QuerySet[CoverageImport]:
    return CoverageImport.objects.select_related("created_by").order_by("-started_at", "-id")


def coverage_import_get(*, import_id: Any) -> CoverageImport:
    record = CoverageImport.objects.select_related("created_by").filter(pk=parse_id(import_id)).first()
    if record is None:
        raise NotFound("No such coverage import.", field="id")
    return record


def coverage_area_list() -> models.QuerySet[CoverageArea]:
    return CoverageArea.objects.select_related("created_by").order_by("name", "id")


def coverage_area_get(*, area_id: Any) -> CoverageArea:
    area = CoverageArea.objects.filter(pk=parse_id(area_id)).first()
    if area is None:
        raise NotFound("No such coverage area.", field="id")
    return area


@dataclass(frozen=True)
class CoverageTotals:
    fcc_rows_by_technology: dict[str, int]
    address_rows: int
    areas: int
    area_cells: int

    @property
    def fcc_rows(self) -> int:
        return sum(self.fcc_rows_by_technology.values())


def coverage_totals() -> CoverageTotals:
    """How much coverage is recorded, per source (FCC rows per technology)."""
    by_technology = dict(
        FccAvailability.objects.order_by()
        .values_list("technology")
        .annotate(rows=models.Count("id"))
        .values_list("technology", "rows")
    )
    return CoverageTotals(
        fcc_rows_by_technology={NAMES.get(key, key): by_technology[key] for key in NAMES if key in by_technology},
        address_rows=AddressCoverage.objects.count(),
        areas=CoverageArea.objects.count(),
        area_cells=AreaCell.objects.count(),
    )


# Qualifications (TMF679)


def qualification_list(*, user: Any) -> models.QuerySet[Qualification]:
    """The qualifications of the accounts `user` may see, newest first, with their items."""
    return (
        Qualification.objects.filter(account__in=crm_selectors.account_scope(user=user))
        .select_related("account", "location__account")
        .prefetch_related(
            models.Prefetch(
                "items",
                queryset=QualificationItem.objects.select_related(
                    "location__account", "product_version__product"
                ).prefetch_related("alternates__product"),
            )
        )
        .order_by("-created_at", "-id")
    )


def qualification_get_for(*, user: Any, qualification_id: Any) -> Qualification:
    """The qualification if `user` may see its account; NotFound otherwise."""
    qualification = qualification_list(user=user).filter(pk=parse_id(qualification_id)).first()
    if qualification is None:
        raise NotFound("No such product offering qualification.", field="id")
    return qualification
