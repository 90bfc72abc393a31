"""Where a location is: coordinates from the geocoders when it is saved (services.py asks
`placement_*` here), a pin a person drops on the map, a second try from the address, and the
online geocoders' turn in the worker for sites a file brought in.

The rules:
- Coordinates typed in stay as given ("entered"); a pin dropped on the map is "pinned".
- Saved without coordinates, the address goes through the geocoders (crm/geocoding.py). One no
  geocoder can place is saved all the same, unplaced ("none"): a rep must be able to quote it,
  and the location page asks for a pin.
- A changed address is placed again unless a person placed it (typed or pinned): a corrected
  spelling does not move the house.
- Asked for explicitly ("Find from the address"), an address that cannot be placed is an error
  and nothing changes."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from headend.core import clock, events
from headend.core.errors import ValidationError
from headend.core.permissions import require
from headend.crm import geocoding
from headend.crm.addresses import Address, parse_coordinate
from headend.crm.geocoding import Match, Region
from headend.crm.models import GeocodeQuality, Location

BY_PERSON = (GeocodeQuality.ENTERED, GeocodeQuality.PINNED)
UNPLACED_MESSAGE = "We could not place this address on the map: drop a pin."


def address_of(values: Any) -> Address:
    """The normalised address of a location (or of a location's values, as a dict)."""
    parts = values if isinstance(values, dict) else vars(values)
    return Address(
        line1=parts["line1"],
        line2=parts["line2"],
        city=parts["city"],
        state=parts["state"],
        postal_code=parts["postal_code"],
    )


def _from_match(match: Match, at: dt.datetime) -> dict[str, Any]:
    return {
        "latitude": match.latitude,
        "longitude": match.longitude,
        "geocode_quality": match.quality,
        "geocode_source": match.source,
        "geocoded_at": at,
    }


def _entered(at: dt.datetime) -> dict[str, Any]:
    return {"geocode_quality": GeocodeQuality.ENTERED, "geocode_source": "entered", "geocoded_at": at}


def placement_for_new(values: dict[str, Any], *, geocoded: Match | None, at: dt.datetime) -> dict[str, Any]:
    """The coordinate fields of a new location: as typed, the match a caller found, or the
    geocoders' (network I/O when online ones are configured: call before the write transaction)."""
    if values["latitude"] is not None:
        return _entered(at)
    return _from_match(geocoded or geocoding.geocode(address_of(values)), at)


def placement_for_update(location: Location, values: dict[str, Any], *, at: dt.datetime) -> dict[str, Any]:
    """The coordinate fields that change when `location` is saved with `values` (empty: none do)."""
    typed = values["latitude"] is not None
    same_point = (values["latitude"], values["longitude"]) == (location.latitude, location.longitude)
    moved_address = values["address_key"] != location.address_key
    if typed and not same_point:
        return _entered(at)
    if typed and (not moved_address or location.geocode_quality in BY_PERSON):
        return {}
    if not typed and not moved_address and location.latitude is None:
        return {}  # still unplaced, and nothing new to look up
    return _from_match(geocoding.geocode(address_of(values)), at)


def _write(location: Location, fields: dict[str, Any], *, by: Any) -> Location:
    """Save the coordinate fields on the locked row and say which changed."""
    changed = sorted(key for key, value in fields.items() if getattr(location, key) != value)
    for key, value in fields.items():
        setattr(location, key, value)
    if by is not None:
        location._history_user = by  # type: ignore[attr-defined]  # who placed it, in the history row
    location.save(update_fields=list(fields))
    shown = [key for key in changed if key != "geocoded_at"]
    events.emit("location.updated", subject=location, data={"account_id": location.account_id, "fields": shown})
    return location


@transaction.atomic
def location_pin(
    *, location: Location, latitude: object, longitude: object, pinned_by: Any, region: Region | None = None
) -> Location:
    """A person drops the location's pin on the map: these coordinates, "pinned".

    Raises ValidationError (latitude or longitude) for a missing or impossible coordinate, or
    one outside `region` (the provider's); nothing is written then. Forbidden without
    "account.edit"."""
    require(pinned_by, "account.edit")
    lat = parse_coordinate(latitude, field="latitude", limit=90)
    lon = parse_coordinate(longitude, field="longitude", limit=180)
    if lat is None:
        raise ValidationError("Drop the pin on the map, or give a latitude.", field="latitude", code="required")
    if lon is None:
        raise ValidationError("Give a longitude with the latitude.", field="longitude", code="required")
    if region is not None and not region.contains(lat, lon):
        raise ValidationError(
            f"{lat}, {lon} is outside the provider's region ({region.text}): drop the pin where the site is.",
            field="latitude",
            code="outside_region",
        )
    location = Location.objects.select_for_update().get(pk=location.pk)
    fields = {
        "latitude": lat,
        "longitude": lon,
        "geocode_quality": GeocodeQuality.PINNED,
        "geocode_source": "pin",
        "geocoded_at": clock.now(),
    }
    return _write(location, fields, by=pinned_by)


def location_locate(*, location: Location, located_by: Any = None) -> Location:
    """Place the location from its address again, with the geocoders (asked for by a person).

    Raises ValidationError when none can place it; the location keeps what it had; Forbidden
    when a person without "account.edit" asks (None: the system)."""
    if located_by is not None:
        require(located_by, "account.edit")
    match = geocoding.geocode(address_of(location))  # before the transaction: it may call out
    if not match.placed:
        raise ValidationError(f"{UNPLACED_MESSAGE} ({match.reason})", code="not_placed")
    with transaction.atomic():
        locked = Location.objects.select_for_update().get(pk=location.pk)
        if locked.address_key != location.address_key:
            raise ValidationError("The address changed meanwhile; look it up again.", code="stale")
        return _write(locked, _from_match(match, clock.now()), by=located_by)


def locations_geocode_later(*, locations: list[Location]) -> None:
    """Have the worker ask the online geocoders about these unplaced locations after commit
    (a file of sites: the address list placed what it could, in one query, inside the import)."""
    ids = [location.pk for location in locations if location.latitude is None]
    if not ids or not geocoding.online_configured():
        return
    from headend.crm.tasks import geocode_locations

    transaction.on_commit(lambda: geocode_locations.enqueue(ids))


def location_geocode_online(*, location_id: int) -> Location | None:
    """In the worker: place a location still unplaced, the online geocoders included (their
    calls outside any transaction). A location placed or changed meanwhile is left alone."""
    location = Location.objects.filter(pk=location_id).first()
    if location is None or location.latitude is not None:
        return location
    match = geocoding.geocode(address_of(location))
    if not match.placed:
        return location
    with transaction.atomic():
        locked = Location.objects.select_for_update().get(pk=location.pk)
        if locked.latitude is not None or locked.address_key != location.address_key:
            return locked
        return _write(locked, _from_match(match, clock.now()), by=None)


# --- In words, for the location page --------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """How the location was placed, in a sentence, and whether it still needs a pin."""

    text: str
    needs_pin: bool
    latitude: Decimal | None = None
    longitude: Decimal | None = None


def location_placement(*, location: Location) -> Placement:
    """ "Placed from the provider's address list (exact)", "Census geocoder (interpolated)",
    "Pinned by Jane on 3 Mar 2026"; or why it is not placed."""
    quality = location.geocode_quality
    if location.latitude is None or quality == GeocodeQuality.NONE:
        return Placement(UNPLACED_MESSAGE, needs_pin=True)
    point = {"latitude": location.latitude, "longitude": location.longitude}
    if quality == GeocodeQuality.PINNED:
        row = location.history.filter(geocode_quality=GeocodeQuality.PINNED).order_by("-history_date").first()
        who = row.history_user if row is not None else None
        name = (who.get_full_name() or who.get_username()) if who is not None else "staff"
        when = location.geocoded_at or (row.history_date if row is not None else None)
        on = f" on {when.astimezone(clock.provider_zone()):%-d %b %Y}" if when else ""
        return Placement(f"Pinned by {name}{on}", needs_pin=False, **point)
    if quality == GeocodeQuality.ENTERED:
        return Placement("Coordinates typed in by staff", needs_pin=False, **point)
    source = geocoding.SOURCES.get(location.geocode_source, location.geocode_source or "a geocoder")
    label = GeocodeQuality(quality).label.lower()
    if location.geocode_source == "address_points":
        return Placement(f"Placed from {source} ({label})", needs_pin=False, **point)
    return Placement(f"{source[0].upper()}{source[1:]} ({label})", needs_pin=False, **point)
