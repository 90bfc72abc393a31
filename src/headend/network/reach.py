"""How far a site is from our network, and what that means for selling there.

A site is **on our network** when coverage speaks for its address or its H3 res-8 cell; **near
our network** when it has none but our coverage (staff areas, FCC rows, address-list passings
that have coordinates) lies within HEADEND_NEAR_NET_METRES of it: a build is needed, after a
site survey, and quoted as a construction charge; **off our network** when nothing of ours is
that close; and **unknown** when the site has no coordinates (it is not on the map). A provider
that has recorded no coverage at all has reach "not assessed": sites are sold as before.

The distance is great-circle, from the site to the centre of the nearest covered cell, found
among the cells of an H3 grid disk around the site's cell. The arithmetic is pure (first half);
the reads (second half) take many sites at once in a few queries."""

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import h3
from django.conf import settings
from django.db import models

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import Product, ProductVersion
from headend.core import clock
from headend.core.money import CENT, format_amount
from headend.crm.models import AddressPoint, Location
from headend.network.coverage_files import H3_RESOLUTION
from headend.network.models import AddressCoverage, AreaCell, FccAvailability
from headend.network.selectors import FCC_MARKETS, Serviceability, cell_of, coverage_at, offering_check
from headend.network.technologies import NAMES, mbps

ON_NET, NEAR_NET, OFF_NET, UNKNOWN, NOT_ASSESSED = "on_net", "near_net", "off_net", "unknown", "not_assessed"
# Cells in the IN clause of one query (a few thousand sites' disks overlap: usually one query).
CELLS_PER_QUERY = 2000
# Past this a site is more than one cell edge from its cell's centre (res 8: about 530 m on
# average, a little more at the largest cells).
_CELL_EDGE_MARGIN_M = 700
# The smallest step outwards from one ring of res-8 cells to the next, in metres (rings are
# about 800-950 m apart at the centres; the smallest cells bring them closer).
_RING_STEP_M = 500


def near_net_metres() -> int:
    return int(settings.HEADEND_NEAR_NET_METRES)


def disk_radius(metres: int) -> int:
    """How many rings of res-8 cells around a site's cell hold every cell whose centre is within
    `metres` of the site (wherever in its cell the site is)."""
    return max(1, math.ceil((metres + _CELL_EDGE_MARGIN_M) / _RING_STEP_M))


def distance_m(lat: float, lng: float, cell: str) -> int:
    """Great-circle metres from a point to the centre of a cell, to the metre."""
    return round(h3.great_circle_distance((lat, lng), h3.cell_to_latlng(cell), unit="m"))


def nearest_by_technology(
    lat: float, lng: float, covered: Mapping[str, Iterable[str]], *, metres: int
) -> dict[str, tuple[int, str]]:
    """For each technology of the covered cells (cell -> technologies) whose centre is within
    `metres` of the point: (metres to the nearest such cell centre, that cell)."""
    nearest: dict[str, tuple[int, str]] = {}
    for cell, technologies in covered.items():
        away = distance_m(lat, lng, cell)
        if away > metres:
            continue
        for technology in technologies:
            if technology not in nearest or (away, cell) < nearest[technology]:
                nearest[technology] = (away, cell)
    return nearest


def construction_amount(metres: int, *, rate: Decimal | None = None, minimum: Decimal | None = None) -> Decimal:
    """What a build of `metres` costs the customer: the rate per metre times the distance, never
    below the minimum, half-up to the cent (HEADEND_CONSTRUCTION_RATE_PER_METRE, _MINIMUM)."""
    rate = Decimal(settings.HEADEND_CONSTRUCTION_RATE_PER_METRE) if rate is None else rate
    minimum = Decimal(settings.HEADEND_CONSTRUCTION_MINIMUM) if minimum is None else minimum
    return max(minimum, rate * Decimal(metres)).quantize(CENT, rounding=ROUND_HALF_UP)


def about_metres(metres: int) -> str:
    """A distance as people say it: "about 640 m", "about 1.2 km"."""
    if metres >= 1000:
        km = Decimal(metres) / 1000
        return f"about {km.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP).normalize():f} km"
    return f"about {max(10, int(Decimal(metres / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * 10)} m"


def about_money(amount: Decimal) -> str:
    """An estimate in whole units of money: "$19,200"."""
    return format_amount(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)).removesuffix(".00")


def within_words(metres: int) -> str:
    """The reach as people say it: "1 km", "800 m"."""
    if metres % 1000 == 0:
        return f"{metres // 1000} km"
    return f"{metres} m"


def _technology_words(technology: str) -> str:
    return {"fiber": "fiber", "cable": "cable network", "fixed_wireless": "wireless", "dsl": "DSL lines"}.get(
        technology, "network"
    )


@dataclass(frozen=True)
class Reach:
    """Where a site stands against our network: `status` (on_net, near_net, off_net, unknown,
    not_assessed) and, near it, the metres to our nearest coverage per technology."""

    status: str
    nearby: Mapping[str, int] = field(default_factory=dict)  # technology -> metres
    nearest_cell: str | None = None

    @property
    def distance_m(self) -> int | None:
        """Metres to our nearest coverage of any technology (None: none within reach)."""
        return min(self.nearby.values()) if self.nearby else None

    @property
    def nearest_technology(self) -> str:
        if not self.nearby:
            return ""
        return min(self.nearby.items(), key=lambda item: (item[1], item[0]))[0]

    def distance_for(self, technology: str) -> int | None:
        """Metres to our nearest coverage of `technology` ("": of any)."""
        return self.distance_m if not technology else self.nearby.get(technology)


@dataclass(frozen=True)
class ReachCheck:
    """Whether an offering can be quoted at a site, and on what condition: `eligible` lines may
    be added; `needs_survey` (near or unknown) lines hold Present until the site is surveyed or
    a manager waives it; `distance_m` (near) prices the construction charge."""

    version: ProductVersion
    eligible: bool
    code: str  # "fits", "near_net", "off_net", "unknown", "wholesale", "not_assessed", or offering_check's
    reach: str
    reason: str
    distance_m: int | None = None

    @property
    def needs_survey(self) -> bool:
        return self.eligible and self.reach in (NEAR_NET, UNKNOWN) and self.code in (NEAR_NET, UNKNOWN)

    @property
    def construction_amount(self) -> Decimal | None:
        if self.code != NEAR_NET or self.distance_m is None:
            return None
        return construction_amount(self.distance_m)


# Reads


def coverage_recorded() -> bool:
    """Whether the provider has recorded any coverage (an address list, FCC rows, a staff area)."""
    return AreaCell.objects.exists() or FccAvailability.objects.exists() or AddressCoverage.objects.exists()


def _chunks(cells: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(cells), CELLS_PER_QUERY):
        yield cells[start : start + CELLS_PER_QUERY]


def _covered_cells(
    wanted: dict[tuple[str, ...], set[str]], points: Sequence[tuple[float, float]], metres: int
) -> dict[tuple[str, ...], dict[str, set[str]]]:
    """Which of the wanted cells (per FCC market) our coverage covers, with its technologies:
    staff areas and FCC rows by cell, address-list passings with coordinates (the provider's
    address points and the sites already placed) by the cell of their point, looked for inside
    the box around `points`."""
    every = sorted({cell for cells in wanted.values() for cell in cells})
    common: dict[str, set[str]] = defaultdict(set)
    for chunk in _chunks(every):
        for cell, technology in (
            AreaCell.objects.filter(h3_res8__in=chunk).values_list("h3_res8", "area__technology").distinct()
        ):
            common[cell].add(technology)
    if points:
        margin = (metres + _CELL_EDGE_MARGIN_M * 2) / 111_000  # degrees of latitude
        south, north = min(lat for lat, _ in points) - margin, max(lat for lat, _ in points) + margin
        widest = max(abs(south), abs(north), 0.0)
        lng_margin = margin / max(math.cos(math.radians(min(widest, 89.0))), 0.01)
        west, east = min(lng for _, lng in points) - lng_margin, max(lng for _, lng in points) + lng_margin
        box = {
            "latitude__gte": Decimal(f"{south:.6f}"),
            "latitude__lte": Decimal(f"{north:.6f}"),
            "longitude__gte": Decimal(f"{west:.6f}"),
            "longitude__lte": Decimal(f"{east:.6f}"),
        }
        listed = AddressCoverage.objects.values("address_key")
        passings: dict[str, tuple[Decimal, Decimal]] = {}
        for model in (AddressPoint, Location):
            for key, lat, lng in (
                model.objects.filter(address_key__in=models.Subquery(listed), **box)
                .values_list("address_key", "latitude", "longitude")
                .order_by()
            ):
                if lat is not None and lng is not None:
                    passings.setdefault(key, (lat, lng))
        if passings:
            technologies: dict[str, set[str]] = defaultdict(set)
            for key, technology in AddressCoverage.objects.filter(address_key__in=list(passings)).values_list(
                "address_key", "technology"
            ):
                technologies[key].add(technology)
            wanted_cells = set(every)
            for key, (lat, lng) in passings.items():
                cell = h3.latlng_to_cell(float(lat), float(lng), H3_RESOLUTION)
                if cell in wanted_cells:
                    common[cell] |= technologies[key]
    by_market: dict[tuple[str, ...], dict[str, set[str]]] = {}
    for market, cells in wanted.items():
        covered = {cell: set(common[cell]) for cell in cells if cell in common}
        ordered = sorted(cells)
        for chunk in _chunks(ordered):
            for cell, technology in (
                FccAvailability.objects.filter(h3_res8__in=chunk, business_residential_code__in=market)
                .values_list("h3_res8", "technology")
                .distinct()
                .order_by()
            ):
                covered.setdefault(cell, set()).add(technology)
        by_market[market] = covered
    return by_market


def reach_for(
    *, locations: Sequence[Location], serviceabilities: Sequence[Serviceability] | None = None
) -> list[Reach]:
    """The reach of each site, in the order given, for many at once in a few queries (each
    location's account loaded). `serviceabilities` (from `coverage_at`) saves reading the
    coverage at the sites again."""
    if serviceabilities is None:
        serviceabilities = coverage_at(locations=locations)
    if not coverage_recorded():
        return [Reach(NOT_ASSESSED) for _ in locations]
    metres = near_net_metres()
    radius = disk_radius(metres)
    markets = [FCC_MARKETS.get(location.account.kind, ("R", "B", "X")) for location in locations]
    wanted: dict[tuple[str, ...], set[str]] = defaultdict(set)
    points = []
    for location, service, market in zip(locations, serviceabilities, markets, strict=True):
        if location.latitude is None or location.longitude is None:
            continue
        points.append((float(location.latitude), float(location.longitude)))
        cell = service.h3_cell or cell_of(location)
        if cell is not None:
            wanted[market] |= set(h3.grid_disk(cell, radius))
    covered = _covered_cells(wanted, points, metres) if wanted else {}
    answers = []
    for location, service, market in zip(locations, serviceabilities, markets, strict=True):
        lat, lng = location.latitude, location.longitude
        if lat is None or lng is None:
            answers.append(Reach(ON_NET) if service.offers else Reach(UNKNOWN))
            continue
        nearest = nearest_by_technology(float(lat), float(lng), covered.get(market, {}), metres=metres)
        nearby = {technology: away for technology, (away, _) in nearest.items()}
        closest = min(nearest.values())[1] if nearest else None
        if service.offers:
            answers.append(Reach(ON_NET, nearby, closest))
        elif nearby:
            answers.append(Reach(NEAR_NET, nearby, closest))
        else:
            answers.append(Reach(OFF_NET))
    return answers


def location_reach(*, location: Location, serviceability: Serviceability | None = None) -> Reach:
    """One site's reach (`reach_for` for one)."""
    return reach_for(locations=[location], serviceabilities=[serviceability] if serviceability else None)[0]


def _wholesale_hint(location: Location, on: dt.date) -> str:
    offers = catalog_selectors.wholesale_versions(on=on, customer_type=location.account.kind)
    if not offers:
        return ""
    names = ", ".join(version.sales_name for version in offers[:3])
    return f" Our wholesale partner can serve it: quote {names} instead."


def offering_reach(
    location: Location,
    version: ProductVersion,
    *,
    on: dt.date | None = None,
    serviceability: Serviceability | None = None,
    reach: Reach | None = None,
) -> ReachCheck:
    """Can this offering be quoted at this site, and on what condition, in sales' words: on our
    network as today's coverage check says; near it with a survey and a construction charge;
    off it, refused (a wholesale partner's offering suggested when the catalog has one);
    unknown, allowed with a survey. A wholesale partner's offering needs no coverage of ours.
    `serviceability` and `reach` (from the batch reads) save reading them again."""
    on = on or clock.today()
    if serviceability is None:
        serviceability = coverage_at(locations=[location])[0]
    check = offering_check(location, version, on=on, serviceability=serviceability)
    if check.code in ("not_on_sale", "customer_type"):
        return ReachCheck(version, False, check.code, "", check.reason)
    reach = reach or location_reach(location=location, serviceability=serviceability)
    name = version.product.name
    if version.product.delivery == Product.Delivery.WHOLESALE:
        return ReachCheck(version, True, "wholesale", reach.status, f"{name} comes through our wholesale partner.")
    if reach.status == NOT_ASSESSED:
        return ReachCheck(version, True, NOT_ASSESSED, NOT_ASSESSED, check.reason)
    technology = version.technology
    away = reach.distance_for(technology)
    if check.eligible:
        return ReachCheck(version, True, check.code, ON_NET, check.reason)
    if serviceability.offers and not (check.code == "technology_unavailable" and away is not None):
        return ReachCheck(version, False, check.code, ON_NET, check.reason)
    if reach.status == UNKNOWN:
        return ReachCheck(
            version,
            True,
            UNKNOWN,
            UNKNOWN,
            "We don't know where this site is: a site survey is needed before the quote is presented "
            "(or place it on the map).",
        )
    if away is not None:
        ours = _technology_words(technology or reach.nearest_technology)
        return ReachCheck(
            version,
            True,
            NEAR_NET,
            NEAR_NET,
            f"Near our network: {about_metres(away)} from our {ours}; "
            f"a site survey and a construction charge (about {about_money(construction_amount(away))}) are needed.",
            away,
        )
    label = NAMES.get(technology, technology) if technology else ""
    what = f"no {label} of ours" if label and reach.nearby else "nothing of ours"
    return ReachCheck(
        version,
        False,
        OFF_NET,
        OFF_NET,
        f"Off our network: {what} within {within_words(near_net_metres())} of this site, so {name} "
        f"cannot be sold here.{_wholesale_hint(location, on)}",
    )


def offerings_reach(pairs: Sequence[tuple[Location, ProductVersion]], *, on: dt.date | None = None) -> list[ReachCheck]:
    """`offering_reach` for many (site, offering) pairs at once: the coverage and the reach of
    the distinct sites read in a few queries."""
    on = on or clock.today()
    # By the object, not its key: a file's sites are checked before they are saved.
    sites = list({id(location): location for location, _ in pairs}.values())
    services = coverage_at(locations=sites)
    reaches = reach_for(locations=sites, serviceabilities=services)
    by_site = {id(site): (service, reach) for site, service, reach in zip(sites, services, reaches, strict=True)}
    checks = []
    for location, version in pairs:
        service, reach = by_site[id(location)]
        checks.append(offering_reach(location, version, on=on, serviceability=service, reach=reach))
    return checks


def best_speed_words(serviceability: Serviceability) -> str:
    """ "Fiber up to 1 Gig" for the fastest technology at a site (plain words for the page)."""
    if not serviceability.technologies:
        return ""
    best = max(serviceability.technologies, key=lambda t: (t.max_down_mbps, t.max_up_mbps))
    down = best.max_down_mbps
    speed = f"{mbps(down / 1000)} Gig" if down >= 1000 else f"{mbps(down)} Mbps"
    return f"{NAMES.get(best.technology, best.technology).split(' (')[0]} up to {speed}"


@dataclass(frozen=True)
class SiteWords:
    """What the location page says of a site's reach, in a rep's words (no cell ids, no FCC rows)."""

    status: str
    headline: str  # "On our network", "Near our network", ...
    detail: str  # "Fiber up to 1 Gig is sellable now", ...

    @property
    def sentence(self) -> str:
        return f"{self.headline}: {self.detail}"


def site_words(serviceability: Serviceability, reach: Reach) -> SiteWords:
    """The site's reach as the location page says it."""
    if reach.status == ON_NET:
        best = best_speed_words(serviceability)
        if serviceability.offerings and not serviceability.sellable:
            return SiteWords(ON_NET, "On our network", f"{best}, but no offering on sale to this customer fits it")
        return SiteWords(ON_NET, "On our network", f"{best} is sellable now")
    if reach.status == NEAR_NET:
        away = reach.distance_m or 0
        return SiteWords(
            NEAR_NET,
            "Near our network",
            f"{about_metres(away)} from our {_technology_words(reach.nearest_technology)}; a survey and a "
            f"construction charge (about {about_money(construction_amount(away))}) are needed",
        )
    if reach.status == OFF_NET:
        return SiteWords(OFF_NET, "Off our network", f"nothing of ours within {within_words(near_net_metres())}")
    if reach.status == UNKNOWN:
        return SiteWords(UNKNOWN, "We don't know where this is", "place it on the map")
    return SiteWords(
        NOT_ASSESSED, "Coverage is not set up", "no coverage is recorded yet, so sites are not checked against it"
    )
