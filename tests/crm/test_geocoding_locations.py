"""Locations placed when they are saved, the address points import, the location page's words,
and a file of sites on a quote placed in one query for the batch."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from headend.core.errors import ValidationError
from headend.crm import address_points, placing
from headend.crm import services as crm_services
from headend.crm.models import AddressPoint, Location
from headend.quoting import services as quoting_services
from tests.conftest import outbox_names
from tests.factories import make_account, make_location, make_product, make_quote, make_user

pytestmark = pytest.mark.django_db

POINTS = (
    "line1,line2,city,state,postal_code,latitude,longitude\n"
    "84 Water Street,,Eastport,ME,04631,44.9065,-66.9891\n"
    "12 Sea St,Suite 2,Eastport,ME,04631,44.9071,-66.9902\n"
)


def import_points(text: str = POINTS) -> address_points.AddressPointImport:
    return address_points.address_points_import(file=io.BytesIO(text.encode()), file_name="passings.csv")


# --- Import ----------------------------------------------------------------------------------


def test_address_points_import_normalises_and_upserts():
    import_points()

    result = import_points(POINTS.replace("44.9065", "44.9066"))

    assert (result.rows_read, result.imported, result.rejected_count) == (2, 2, 0)
    assert list(AddressPoint.objects.values_list("address_key", "latitude")) == [
        ("12 SEA ST|STE 2|EASTPORT|ME|04631", Decimal("44.907100")),
        ("84 WATER ST||EASTPORT|ME|04631", Decimal("44.906600")),
    ]


def test_address_points_import_reports_bad_rows_by_line_and_keeps_the_good():
    text = POINTS + "Water Street,,Eastport,ME,04631,44.9,-66.9\n\n5 Elm St,,Lubec,ME,04652,north,-66.9\n"

    result = import_points(text)

    assert result.rejected == [
        (4, "line1: The street address 'Water Street' could not be understood; enter number and street."),
        (6, "latitude: Not a number."),
    ]
    assert (result.rows_read, result.imported, AddressPoint.objects.count()) == (4, 2, 2)


def test_address_points_import_without_the_columns_writes_nothing():
    with pytest.raises(ValidationError) as error:
        import_points("street,city\n84 Water St,Eastport\n")

    assert error.value.field == "file"
    assert "missing: line1, state, postal_code, latitude, longitude" in error.value.message
    assert AddressPoint.objects.count() == 0


def test_import_address_points_command(tmp_path):
    path = tmp_path / "passings.csv"
    path.write_text(POINTS + "1 Bad Rd,,Nowhere,ZZ,04631,44,-67\n")
    out = io.StringIO()

    call_command("import_address_points", str(path), stdout=out)

    assert "line 4: state: 'ZZ' is not a US state." in out.getvalue()
    assert "3 rows read, 2 address points written, 1 refused." in out.getvalue()
    with pytest.raises(CommandError):
        call_command("import_address_points", str(tmp_path / "missing.csv"))


def test_address_points_page_imports_for_the_network_team_only(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("crm:address_points")
    client.force_login(make_user("sales"))
    assert client.post(url, {"file": SimpleUploadedFile("p.csv", POINTS.encode())}).status_code == 403
    client.force_login(make_user("provisioning"))

    response = client.post(url, {"file": SimpleUploadedFile("p.csv", POINTS.encode(), content_type="text/csv")})

    assert response.status_code == 200
    assert "2 rows read, 2 address points written, 0 refused." in response.content.decode()
    assert AddressPoint.objects.count() == 2


# --- Saving a location -----------------------------------------------------------------------


def test_a_new_location_is_placed_from_the_address_points():
    import_points()

    location = make_location(line1="84 Water St")

    assert (location.latitude, location.longitude, location.geocode_quality, location.geocode_source) == (
        Decimal("44.906500"),
        Decimal("-66.989100"),
        "exact",
        "address_points",
    )


def test_typed_coordinates_stay_as_given():
    import_points()

    location = make_location(line1="84 Water St", latitude="44.9", longitude="-67.0")

    assert (location.latitude, location.geocode_quality, location.geocode_source) == (
        Decimal("44.900000"),
        "entered",
        "entered",
    )


def test_an_address_nothing_places_is_saved_unplaced_and_the_page_asks_for_a_pin(client):
    location = make_location(line1="3 Nowhere Ln")
    client.force_login(make_user("sales"))

    page = client.get(location.get_absolute_url()).content.decode()

    assert (location.pk is not None, location.latitude, location.geocode_quality) == (True, None, "none")
    assert "We could not place this address on the map: drop a pin." in page
    assert reverse("location_map:pin", args=[location.pk]) in page


def test_the_location_page_says_where_the_point_came_from(client):
    import_points()
    location = make_location(line1="84 Water St")
    client.force_login(make_user("sales"))

    page = client.get(location.get_absolute_url()).content.decode()

    assert "Placed from the provider&#x27;s address list (exact)" in page


def test_the_location_page_says_who_pinned_it_and_when():
    location = make_location(line1="3 Nowhere Ln")
    jane = make_user("sales", first_name="Jane", last_name="Hardy")

    placing.location_pin(location=location, latitude="44.9", longitude="-67.0", pinned_by=jane)

    location.refresh_from_db()
    assert placing.location_placement(location=location).text == "Pinned by Jane Hardy on 2 Mar 2026"


def test_a_changed_address_is_placed_again_unless_a_person_placed_it():
    import_points()
    automatic = make_location(line1="3 Nowhere Ln")
    typed = make_location(line1="5 Nowhere Ln", latitude="44.1", longitude="-67.1")
    address = {"city": "Eastport", "state": "ME", "postal_code": "04631"}

    automatic = crm_services.location_update(location=automatic, line1="84 Water St", **address)
    typed = crm_services.location_update(
        location=typed, line1="12 Sea St", line2="Suite 2", latitude="44.1", longitude="-67.1", **address
    )

    assert (automatic.latitude, automatic.geocode_quality) == (Decimal("44.906500"), "exact")
    assert (typed.latitude, typed.geocode_quality) == (Decimal("44.100000"), "entered")


def test_locating_an_unplaceable_address_explicitly_is_an_error_and_changes_nothing():
    location = make_location(line1="3 Nowhere Ln")
    before = outbox_names(subject=location)

    with pytest.raises(ValidationError) as error:
        placing.location_locate(location=location)

    assert error.value.message.startswith("We could not place this address on the map: drop a pin.")
    location.refresh_from_db()
    assert (location.latitude, location.geocode_quality) == (None, "none")
    assert outbox_names(subject=location) == before


def test_the_worker_places_with_the_online_geocoders_what_a_file_left_unplaced(httpserver, settings):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    settings.HEADEND_GEOCODERS = ["address_points", "census"]
    settings.HEADEND_CENSUS_GEOCODER_URL = httpserver.url_for("/")
    location = crm_services.location_create(
        account=make_account(),
        line1="3 Nowhere Ln",
        city="Eastport",
        state="ME",
        postal_code="04631",
        geocoded=placing.geocoding.Match.none("", "not on the provider's address list"),
    )
    httpserver.expect_request("/geocoder/locations/onelineaddress").respond_with_json(
        {"result": {"addressMatches": [{"matchedAddress": "3 NOWHERE LN", "coordinates": {"x": -67.0, "y": 44.9}}]}}
    )

    placing.location_geocode_online(location_id=location.pk)

    location.refresh_from_db()
    assert (location.latitude, location.geocode_quality, location.geocode_source) == (
        Decimal("44.900000"),
        "interpolated",
        "census",
    )


# --- A file of sites on a quote ---------------------------------------------------------------


def site_rows(numbers) -> bytes:
    header = "site_name,address,unit,contact_name,contact_email,contact_phone,product,term,quantity\n"
    rows = [f'Site {n},"{n} Harbor Rd, Machias, ME 04654",,,,,dia-1g,12,1' for n in numbers]
    return (header + "\n".join(rows) + "\n").encode()


def harbor_points(numbers) -> None:
    lines = "".join(f"{n} Harbor Rd,,Machias,ME,04654,44.{7000 + n},-67.4{n:03d}\n" for n in numbers)
    import_points("line1,line2,city,state,postal_code,latitude,longitude\n" + lines)


def import_counting_queries(numbers) -> int:
    quote = make_quote(account=make_account("business"), lines=0)
    with CaptureQueriesContext(connection) as queries:
        quoting_services.quote_sites_import(quote=quote, data=site_rows(numbers))
    return len([q for q in queries.captured_queries if "crm_addresspoint" in q["sql"]])


def test_sites_from_a_file_are_placed_from_the_address_points():
    make_product(code="dia-1g", customer_type="business")
    harbor_points(range(1, 4))
    quote = make_quote(account=make_account("business"), lines=0)

    quoting_services.quote_sites_import(quote=quote, data=site_rows([1, 2, 3, 99]))

    placed = dict(Location.objects.filter(account=quote.account).values_list("line1", "geocode_quality"))
    assert placed == {"1 HARBOR RD": "exact", "2 HARBOR RD": "exact", "3 HARBOR RD": "exact", "99 HARBOR RD": "none"}
    assert Location.objects.get(account=quote.account, line1="2 HARBOR RD").latitude == Decimal("44.700200")


def test_sites_from_a_file_ask_the_address_points_once_whatever_the_rows():
    make_product(code="dia-1g", customer_type="business")
    harbor_points(range(1, 41))

    # One to check the file's reach before anything is written (quoting/site_reach.py), one to
    # place the sites it writes: the same two for 2 rows or 40.
    assert (import_counting_queries(range(1, 3)), import_counting_queries(range(1, 41))) == (2, 2)


def test_a_big_file_places_its_sites_in_the_background_job_in_one_query_per_chunk():
    from django.core.files.uploadedfile import SimpleUploadedFile

    make_product(code="dia-1g", customer_type="business")
    harbor_points(range(1, 41))
    quote = make_quote(account=make_account("business"), lines=0)
    job = quoting_services.site_import_job_create(
        quote=quote, upload=SimpleUploadedFile("big.csv", site_rows(range(1, 41)))
    )

    with CaptureQueriesContext(connection) as queries:
        job = quoting_services.site_import_job_run(job_id=job.pk, chunk=20)

    assert job.status == "completed"
    # One for the whole file's reach check, then one per chunk of 20 to place its sites.
    assert len([q for q in queries.captured_queries if "crm_addresspoint" in q["sql"]]) == 3
    assert set(Location.objects.filter(account=quote.account).values_list("geocode_quality", flat=True)) == {"exact"}


def test_pinning_is_decided_in_the_use_case_for_a_role_that_may_not_edit_accounts():
    from headend.core.errors import Forbidden

    location = make_location(line1="5 Nowhere Ln")
    with pytest.raises(Forbidden):
        placing.location_pin(location=location, latitude="44.9", longitude="-67.0", pinned_by=make_user("finance"))
    with pytest.raises(Forbidden):
        placing.location_locate(location=location, located_by=make_user("finance"))

    location.refresh_from_db()
    assert location.geocode_quality != "pinned"
