"""Coverage staff enter: H3 cell lists and polygons, kept as resolution-8 cells."""

import json
from decimal import Decimal

import h3
import pytest

from headend.core.errors import ValidationError
from headend.network import areas, services
from headend.network.models import AreaCell, CoverageArea
from headend.network.technologies import BadValue
from tests.conftest import outbox_names
from tests.factories import make_user

SQUARE = [(44.700, -67.470), (44.720, -67.470), (44.720, -67.440), (44.700, -67.440)]


def test_cells_from_list_turns_other_resolutions_into_res8_cells():
    res7 = "872b1c6a9ffffff"
    res9 = "892b1c6a903ffff"

    cells = areas.cells_from_list(f"882B1C6AD7FFFFF, {res9}\n{res7} 882b1c6ad7fffff")

    assert cells == sorted({"882b1c6ad7fffff", "882b1c6a91fffff", *h3.cell_to_children(res7, 8)})
    assert len(cells) == 8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("882b1c6a91fffff nonsense", "'nonsense' is not an H3 cell"),
        ("  ", "give at least one H3 cell"),
        ("822b1ffffffffff", "'822b1ffffffffff' (resolution 2) covers more than 50,000 res-8 cells"),
    ],
)
def test_cells_from_list_refuses(text, message):
    with pytest.raises(BadValue) as error:
        areas.cells_from_list(text)

    assert str(error.value) == message


def test_polygon_cells_are_those_whose_centres_lie_inside():
    points = areas.parse_polygon("\n".join(f"{lat}, {lng}" for lat, lng in SQUARE))

    cells = areas.cells_from_polygon(points)

    assert cells == sorted(h3.polygon_to_cells(h3.LatLngPoly(SQUARE), 8))
    assert len(cells) == 7
    assert all(h3.cell_to_latlng(cell)[0] > 44.700 for cell in cells)


def test_parse_polygon_reads_geojson_longitude_first_and_drops_the_closing_point():
    ring = [[lng, lat] for lat, lng in [*SQUARE, SQUARE[0]]]
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}}

    points = areas.parse_polygon(json.dumps(feature))

    assert points == SQUARE


def test_a_polygon_smaller_than_a_cell_covers_its_corners_cells():
    tiny = [(44.7101, -67.4501), (44.7102, -67.4501), (44.7102, -67.4500)]

    assert areas.cells_from_polygon(tiny) == [h3.latlng_to_cell(44.7101, -67.4501, 8)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("44.7, -67.4\n44.8, -67.4", "a polygon needs at least 3 distinct points"),
        ("44.7, -67.4\n95, -67.4\n44.8, -67.3", "line 2: latitude must be within ±90 and longitude within ±180"),
        ("44.7 -67.4 3\n44.8, -67.4\n44.8, -67.3", "line 1: write one point per line as 'latitude, longitude'"),
        ('{"type": "Point", "coordinates": [1, 2]}', "give one GeoJSON Polygon (or a Feature whose geometry is one)"),
    ],
)
def test_parse_polygon_refuses(text, message):
    with pytest.raises(BadValue) as error:
        areas.parse_polygon(text)

    assert str(error.value) == message


def test_a_polygon_over_the_cell_limit_is_refused_before_filling_it():
    maine = [(43.0, -71.0), (47.5, -71.0), (47.5, -67.0), (43.0, -67.0)]

    with pytest.raises(BadValue) as error:
        areas.cells_from_polygon(maine)

    assert str(error.value) == "the polygon covers about 155,979 km², more than 50,000 res-8 cells"


@pytest.mark.django_db
def test_coverage_area_create_from_a_polygon_keeps_its_cells():
    user = make_user("provisioning")

    area = services.coverage_area_create(
        name="Machias Phase 2",
        technology="Fiber",
        max_down_mbps="2000",
        max_up_mbps="1000",
        created_by=user,
        polygon="\n".join(f"{lat}, {lng}" for lat, lng in SQUARE),
    )

    assert (area.technology, area.max_down_mbps, area.max_up_mbps, area.cell_count, area.created_by) == (
        "fiber",
        Decimal("2000"),
        Decimal("1000"),
        7,
        user,
    )
    assert area.polygon == [list(point) for point in SQUARE]
    assert sorted(area.cells.values_list("h3_res8", flat=True)) == sorted(h3.polygon_to_cells(h3.LatLngPoly(SQUARE), 8))
    assert outbox_names(subject=area) == ["coverage_area.created"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"cells": "882b1c6a91fffff", "polygon": "44.7, -67.4"},
            "cells",
            "Give either a list of H3 cells or a polygon.",
        ),
        ({"cells": ""}, "cells", "Give either a list of H3 cells or a polygon."),
        ({"cells": "882b1c6a91fffff bad"}, "cells", "'bad' is not an H3 cell."),
        ({"cells": "", "polygon": "44.7, -67.4"}, "polygon", "A polygon needs at least 3 distinct points."),
        ({"technology": "satellite"}, "technology", None),
        ({"max_down_mbps": "fast"}, "max_down_mbps", "'fast' is not a number."),
        ({"name": " "}, "name", "Name the area."),
    ],
)
def test_coverage_area_create_names_the_field_at_fault_and_writes_nothing(changes, field, message):
    values = {
        "name": "Tower 7",
        "technology": "fixed_wireless",
        "max_down_mbps": "100",
        "max_up_mbps": "20",
        "cells": "882b1c6a91fffff",
        "created_by": None,
        **changes,
    }

    with pytest.raises(ValidationError) as error:
        services.coverage_area_create(**values)

    assert error.value.field == field
    if message:
        assert error.value.message == message
    assert not CoverageArea.objects.exists()
    assert not AreaCell.objects.exists()


@pytest.mark.django_db
def test_coverage_area_delete_withdraws_its_cells():
    area = services.coverage_area_create(
        name="Tower 7",
        technology="fixed_wireless",
        max_down_mbps="100",
        max_up_mbps="20",
        created_by=None,
        cells="882b1c6a91fffff",
    )

    services.coverage_area_delete(area=area, deleted_by=None)

    assert not CoverageArea.objects.exists()
    assert not AreaCell.objects.exists()
