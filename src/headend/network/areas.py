"""Coverage staff draw or list: H3 cells and polygons turned into H3 resolution-8 cells.

A cell list may mix resolutions: a coarser cell stands for its res-8 children, a finer one for
its res-8 parent. A polygon is a list of "lat, lng" lines (or a GeoJSON Polygon, whose
coordinates are [lng, lat]); its cells are those whose centre lies inside it, or, for a
polygon smaller than one cell (about 0.74 km²), the cells of its corners.
"""

import json
import math
import re
from typing import Any

import h3

from headend.network.coverage_files import H3_RESOLUTION
from headend.network.technologies import BadValue

MAX_CELLS = 50_000  # about 37,000 km²: more is a state, which belongs in an FCC file
CELL_KM2 = h3.average_hexagon_area(H3_RESOLUTION, unit="km^2")

Point = tuple[float, float]  # (lat, lng)


def cells_from_list(text: str) -> list[str]:
    """The res-8 cells a list of H3 cells (separated by spaces, commas or lines) stands for."""
    cells: set[str] = set()
    for token in re.split(r"[\s,;]+", text.strip()):
        if not token:
            continue
        cell = token.lower()
        try:
            valid = h3.is_valid_cell(cell)
        except (ValueError, OverflowError):
            valid = False
        if not valid:
            raise BadValue(f"{token!r} is not an H3 cell")
        resolution = h3.get_resolution(cell)
        if resolution < H3_RESOLUTION:
            if h3.cell_to_children_size(cell, H3_RESOLUTION) + len(cells) > MAX_CELLS:
                raise BadValue(f"{token!r} (resolution {resolution}) covers more than {MAX_CELLS:,} res-8 cells")
            cells.update(h3.cell_to_children(cell, H3_RESOLUTION))
        elif resolution > H3_RESOLUTION:
            cells.add(h3.cell_to_parent(cell, H3_RESOLUTION))
        else:
            cells.add(cell)
        if len(cells) > MAX_CELLS:
            raise BadValue(f"more than {MAX_CELLS:,} cells")
    if not cells:
        raise BadValue("give at least one H3 cell")
    return sorted(cells)


def _point(lat: Any, lng: Any, where: str) -> Point:
    try:
        point = (float(lat), float(lng))
    except (TypeError, ValueError):
        raise BadValue(f"{where}: not a latitude and longitude") from None
    if not all(math.isfinite(value) for value in point) or abs(point[0]) > 90 or abs(point[1]) > 180:
        raise BadValue(f"{where}: latitude must be within ±90 and longitude within ±180")
    return point


def parse_polygon(text: str) -> list[Point]:
    """The outer ring, as (lat, lng) points, of "lat, lng" lines or a GeoJSON Polygon/Feature."""
    text = text.strip()
    if text.startswith("{"):
        try:
            geo = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadValue(f"not valid GeoJSON: {exc.msg}") from None
        if isinstance(geo, dict) and geo.get("type") == "Feature":
            geo = geo.get("geometry") or {}
        if not isinstance(geo, dict) or geo.get("type") != "Polygon" or not geo.get("coordinates"):
            raise BadValue("give one GeoJSON Polygon (or a Feature whose geometry is one)")
        ring = geo["coordinates"][0]
        if not isinstance(ring, list):
            raise BadValue("a GeoJSON Polygon's coordinates are rings of [longitude, latitude] pairs")
        points = []
        for index, pair in enumerate(ring, start=1):
            if not isinstance(pair, list) or len(pair) < 2:
                raise BadValue(f"position {index}: not a [longitude, latitude] pair")
            points.append(_point(pair[1], pair[0], f"position {index}"))
    else:
        points = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part for part in re.split(r"[\s,;]+", line.strip()) if part]
            if len(parts) != 2:
                raise BadValue(f"line {number}: write one point per line as 'latitude, longitude'")
            points.append(_point(parts[0], parts[1], f"line {number}"))
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()  # a closed ring repeats its first point
    if len(set(points)) < 3:
        raise BadValue("a polygon needs at least 3 distinct points")
    return points


def area_km2(points: list[Point]) -> float:
    """About how large the polygon is (shoelace on a local flat projection; enough for a limit)."""
    mean_lat = math.radians(sum(lat for lat, _ in points) / len(points))
    xy = [(lng * 111.32 * math.cos(mean_lat), lat * 110.57) for lat, lng in points]
    twice = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(xy, xy[1:] + xy[:1], strict=True))
    return abs(twice) / 2


def cells_from_polygon(points: list[Point]) -> list[str]:
    """The res-8 cells whose centres lie inside the polygon (its corners' cells if none do)."""
    if area_km2(points) / CELL_KM2 > MAX_CELLS:
        raise BadValue(f"the polygon covers about {area_km2(points):,.0f} km², more than {MAX_CELLS:,} res-8 cells")
    try:
        cells = set(h3.polygon_to_cells(h3.LatLngPoly(points), H3_RESOLUTION))
    except h3.H3BaseException as exc:
        raise BadValue(f"H3 cannot fill this polygon ({exc})") from None
    if not cells:
        cells = {h3.latlng_to_cell(lat, lng, H3_RESOLUTION) for lat, lng in points}
    return sorted(cells)
