"""What the pin map draws and checks: the provider's own coverage as GeoJSON (staff areas' polygons,
and the H3 cells of coverage near the site) and the provider's region, where a pin may go.

The region is HEADEND_SERVICE_REGION ("min_lat,min_lon,max_lat,max_lon") when set; otherwise the
box around what the provider covers (its address points, the H3 cells of its staff areas and
FCC rows, the corners of its polygons) widened by REGION_MARGIN degrees on every side (about
22 km north-south): a new build just past today's edge can still be pinned, the next state
cannot. With no coverage recorded at all there is no region and any real coordinate is taken."""

import logging
from decimal import Decimal
from typing import Any

import h3
from django.conf import settings

from headend.crm.address_points import address_points_bounds
from headend.crm.geocoding import Region
from headend.crm.models import Location
from headend.network.coverage_files import H3_RESOLUTION
from headend.network.models import AreaCell, CoverageArea, FccAvailability
from headend.network.technologies import NAMES

logger = logging.getLogger(__name__)

REGION_MARGIN = Decimal("0.2")
NEAR_RINGS = 12  # H3 res-8 rings around the site drawn on the map: about 5 km each way


def _coverage_points() -> list[tuple[float, float]]:
    cells = set(AreaCell.objects.order_by().values_list("h3_res8", flat=True).distinct())
    cells |= set(FccAvailability.objects.order_by().values_list("h3_res8", flat=True).distinct())
    points = [h3.cell_to_latlng(cell) for cell in cells if h3.is_valid_cell(cell)]
    for polygon in CoverageArea.objects.exclude(polygon=[]).values_list("polygon", flat=True):
        points += [(float(lat), float(lng)) for lat, lng in polygon]
    return points


def service_region() -> Region | None:
    """Where the provider works: the setting, else its coverage's box with a margin; None when unknown."""
    configured = settings.HEADEND_SERVICE_REGION
    if configured:
        try:
            return Region.parse(configured)
        except ValueError as exc:
            logger.error("HEADEND_SERVICE_REGION %r is not a region (%s); using the coverage's box", configured, exc)
    points = [(Decimal(str(lat)), Decimal(str(lng))) for lat, lng in _coverage_points()]
    box = address_points_bounds()
    if box is not None:
        points += [(box[0], box[1]), (box[2], box[3])]
    if not points:
        return None
    micro = Decimal("0.000001")
    return Region(
        max(min(lat for lat, _ in points) - REGION_MARGIN, Decimal(-90)).quantize(micro),
        max(min(lng for _, lng in points) - REGION_MARGIN, Decimal(-180)).quantize(micro),
        min(max(lat for lat, _ in points) + REGION_MARGIN, Decimal(90)).quantize(micro),
        min(max(lng for _, lng in points) + REGION_MARGIN, Decimal(180)).quantize(micro),
    )


def _ring(points: list[tuple[float, float]]) -> list[list[float]]:
    """A closed GeoJSON ring ([longitude, latitude] pairs) of (lat, lng) points."""
    ring = [[round(lng, 6), round(lat, 6)] for lat, lng in points]
    return ring + ring[:1] if ring and ring[0] != ring[-1] else ring


def coverage_geojson(*, near: tuple[float, float] | None) -> dict[str, Any]:
    """A FeatureCollection of the provider's coverage: every staff area drawn as a polygon, and
    the covered H3 cells within NEAR_RINGS of `near` (latitude, longitude), with the technologies."""
    features: list[dict[str, Any]] = []
    for area in CoverageArea.objects.exclude(polygon=[]).order_by("name", "id"):
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [_ring([(float(a), float(b)) for a, b in area.polygon])],
                },
                "properties": {"kind": "area", "name": area.name, "technology": NAMES.get(area.technology, "")},
            }
        )
    if near is not None:
        disk = set(h3.grid_disk(h3.latlng_to_cell(near[0], near[1], H3_RESOLUTION), NEAR_RINGS))
        technologies: dict[str, set[str]] = {}
        for cell, technology in AreaCell.objects.filter(h3_res8__in=disk).values_list("h3_res8", "area__technology"):
            technologies.setdefault(cell, set()).add(technology)
        fcc = FccAvailability.objects.filter(h3_res8__in=disk).order_by().values_list("h3_res8", "technology")
        for cell, technology in fcc.distinct():
            technologies.setdefault(cell, set()).add(technology)
        for cell in sorted(technologies):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [_ring(list(h3.cell_to_boundary(cell)))]},
                    "properties": {
                        "kind": "cell",
                        "cell": cell,
                        "technology": ", ".join(sorted(NAMES.get(t, t) for t in technologies[cell])),
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


def map_centre(*, location: Location, region: Region | None) -> tuple[float, float] | None:
    """Where the map opens: the site's point, else the middle of the region, else nowhere known."""
    if location.latitude is not None and location.longitude is not None:
        return float(location.latitude), float(location.longitude)
    if region is not None:
        return float((region.min_lat + region.max_lat) / 2), float((region.min_lon + region.max_lon) / 2)
    return None
