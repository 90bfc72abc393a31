"""From address to place: geocoders behind one port, asked in the order HEADEND_GEOCODERS names.

- `address_points` (the default): the provider's own passings from its GIS (AddressPoint,
  imported from a CSV), matched exactly on the normalised address key; offline.
- `census`: the U.S. Census Bureau's one-line address geocoder (TIGER street ranges, so its
  points are interpolated along the street).
- `nominatim`: an OpenStreetMap Nominatim at HEADEND_NOMINATIM_URL (one request a second, with
  a User-Agent, as its usage policy asks).

The online ones are off unless listed. Their calls go through `core.outbound` (public addresses
only, unless HEADEND_OUTBOUND_ALLOW lets a self-hosted one through) with a timeout; an error, a
timeout or an answer that is not what the service documents is no match, with the reason,
never an exception."""

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import httpx
from django.conf import settings

from headend.core import outbound
from headend.crm.addresses import Address
from headend.crm.models import AddressPoint, GeocodeQuality

logger = logging.getLogger(__name__)

MICRO = Decimal("0.000001")
SOURCES = {
    "address_points": "the provider's address list",
    "census": "Census geocoder",
    "nominatim": "OpenStreetMap (Nominatim)",
    "entered": "typed in",
    "pin": "a pin on the map",
}


@dataclass(frozen=True)
class Match:
    """Where a geocoder put an address: coordinates and how good the match is, or no match
    (`quality` "none", no coordinates) with the reason."""

    latitude: Decimal | None
    longitude: Decimal | None
    quality: str
    source: str
    matched_address: str = ""
    reason: str = ""

    @property
    def placed(self) -> bool:
        return self.quality != GeocodeQuality.NONE and self.latitude is not None

    @classmethod
    def none(cls, source: str, reason: str) -> "Match":
        return cls(None, None, GeocodeQuality.NONE, source, reason=reason)


class Geocoder(Protocol):
    """One way to place an address."""

    name: str
    online: bool

    def geocode(self, address: Address) -> Match: ...


def coordinate(value: Any, *, limit: int) -> Decimal:
    """A latitude (limit 90) or longitude (180) from a service's number or text, to the micro-degree.
    Raises ValueError when it is not one."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{value!r} is not a coordinate") from exc
    if not number.is_finite() or abs(number) > limit:
        raise ValueError(f"{value!r} is not a coordinate")
    return number.quantize(MICRO)


def one_line(address: Address) -> str:
    """The address as online geocoders read it: the street without the unit (a unit only
    confuses them; it sits at the building's point anyway)."""
    return f"{address.line1}, {address.city}, {address.state} {address.postal_code}"


def building_key(address: Address) -> str:
    """The key of the address without its unit: a passing listed once per building."""
    return "|".join([address.line1, "", address.city, address.state, address.postal_code[:5]])


# --- The provider's address list -------------------------------------------------------------


class AddressPointGeocoder:
    """The provider's passings: the address itself, else its building (same street address
    without the unit); exact either way."""

    name, online = "address_points", False

    def geocode(self, address: Address) -> Match:
        return self.geocode_many([address])[address.key]

    def geocode_many(self, addresses: Iterable[Address]) -> dict[str, Match]:
        """Each address's match by its key, in one query for them all."""
        addresses = list(addresses)
        keys = {address.key for address in addresses} | {building_key(address) for address in addresses}
        points = {point.address_key: point for point in AddressPoint.objects.filter(address_key__in=keys)}
        found: dict[str, Match] = {}
        for address in addresses:
            point = points.get(address.key) or points.get(building_key(address))
            if point is None:
                found[address.key] = Match.none(self.name, "not on the provider's address list")
            else:
                found[address.key] = Match(
                    point.latitude, point.longitude, GeocodeQuality.EXACT, self.name, matched_address=str(point)
                )
        return found


# --- Online geocoders ------------------------------------------------------------------------


class OnlineGeocoder:
    """What the online adapters share: one GET through the outbound policy, read as JSON; any
    failure is no match with the reason."""

    name, online = "online", True
    label = "The geocoder"

    def __init__(self, *, base_url: str, timeout: float | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = settings.HEADEND_GEOCODER_TIMEOUT if timeout is None else timeout

    def _get_json(self, path: str, params: dict[str, str], headers: dict[str, str] | None = None) -> Any:
        """The answer's JSON. Raises LookupError with the reason a person reads."""
        try:
            with outbound.client(timeout=self.timeout) as client:
                response = client.get(f"{self.base_url}{path}", params=params, headers=headers or {})
                body = response.content
        except httpx.TimeoutException as exc:
            raise LookupError(f"{self.label} did not answer within {self.timeout:g} seconds") from exc
        except outbound.Refused as exc:
            raise LookupError(f"{self.label} may not be called: {exc}") from exc
        except outbound.TooLarge as exc:
            raise LookupError(f"{self.label}'s answer was too long") from exc
        except httpx.HTTPError as exc:
            raise LookupError(f"{self.label} could not be reached ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise LookupError(f"{self.label} answered HTTP {response.status_code}")
        try:
            return response.json() if body else None
        except ValueError as exc:
            raise LookupError(f"{self.label}'s answer was not JSON") from exc

    def geocode(self, address: Address) -> Match:
        try:
            return self._lookup(address)
        except LookupError as exc:
            logger.info("%s: no match for %s: %s", self.name, address.key, exc)
            return Match.none(self.name, str(exc))

    def _lookup(self, address: Address) -> Match:
        raise NotImplementedError


class CensusGeocoder(OnlineGeocoder):
    """The Census Bureau's `locations/onelineaddress` (benchmark Public_AR_Current): the first of
    `result.addressMatches`, whose `coordinates` are x (longitude) and y (latitude)."""

    name = "census"
    label = "The Census geocoder"
    PATH = "/geocoder/locations/onelineaddress"

    def _lookup(self, address: Address) -> Match:
        answer = self._get_json(
            self.PATH, {"address": one_line(address), "benchmark": "Public_AR_Current", "format": "json"}
        )
        try:
            matches = answer["result"]["addressMatches"]
            if not isinstance(matches, list):
                raise TypeError("addressMatches is not a list")
            if not matches:
                return Match.none(self.name, "the Census geocoder does not know this address")
            first = matches[0]
            latitude = coordinate(first["coordinates"]["y"], limit=90)
            longitude = coordinate(first["coordinates"]["x"], limit=180)
            matched = str(first.get("matchedAddress") or "")[:300]
        except (KeyError, TypeError, ValueError) as exc:
            raise LookupError(f"the Census geocoder's answer was not as documented ({exc})") from exc
        # Its points lie along TIGER street segments, placed by the segment's range of numbers.
        return Match(latitude, longitude, GeocodeQuality.INTERPOLATED, self.name, matched_address=matched)


class NominatimGeocoder(OnlineGeocoder):
    """Nominatim's `/search?format=jsonv2`: the first result. A house (place rank 30) is exact,
    or interpolated when Nominatim estimated it along an interpolation line (class "place"); a
    street is approximate; a town or wider is no match (useless for a service address)."""

    name = "nominatim"
    label = "Nominatim"
    USER_AGENT = "Headend/1 (broadband provider's lead-to-cash; geocoding service addresses)"
    _lock = threading.Lock()
    _last_call = 0.0
    # The clock and the wait, replaceable in tests (which then assert the waits, not the time).
    _monotonic = staticmethod(time.monotonic)
    _sleep = staticmethod(time.sleep)

    def __init__(self, *, base_url: str, timeout: float | None = None, min_interval: float = 1.0):
        super().__init__(base_url=base_url, timeout=timeout)
        self.min_interval = min_interval

    def _wait_turn(self) -> None:
        """At most one request a second from this process (the public service's policy)."""
        with NominatimGeocoder._lock:
            wait = NominatimGeocoder._last_call + self.min_interval - self._monotonic()
            if wait > 0:
                self._sleep(wait)
            NominatimGeocoder._last_call = self._monotonic()

    def _lookup(self, address: Address) -> Match:
        self._wait_turn()
        answer = self._get_json(
            "/search",
            {"format": "jsonv2", "q": one_line(address), "limit": "1", "countrycodes": "us", "addressdetails": "0"},
            headers={"User-Agent": self.USER_AGENT},
        )
        try:
            if not isinstance(answer, list):
                raise TypeError("the answer is not a list of places")
            if not answer:
                return Match.none(self.name, "Nominatim does not know this address")
            first = answer[0]
            latitude, longitude = coordinate(first["lat"], limit=90), coordinate(first["lon"], limit=180)
            rank = int(first.get("place_rank", 0))
            category = str(first.get("category") or first.get("class") or "")
            matched = str(first.get("display_name") or "")[:300]
        except (KeyError, TypeError, ValueError) as exc:
            raise LookupError(f"Nominatim's answer was not as documented ({exc})") from exc
        if rank >= 30:
            quality = GeocodeQuality.INTERPOLATED if category == "place" else GeocodeQuality.EXACT
        elif rank >= 26:
            quality = GeocodeQuality.APPROXIMATE
        else:
            return Match.none(self.name, "Nominatim found only the town, not the street")
        return Match(latitude, longitude, quality, self.name, matched_address=matched)


# --- The chain -------------------------------------------------------------------------------


def geocoders() -> list[Geocoder]:
    """The geocoders HEADEND_GEOCODERS names, in its order (an unknown name is logged and skipped)."""
    configured = settings.HEADEND_GEOCODERS
    names = configured.split(",") if isinstance(configured, str) else configured
    chain: list[Geocoder] = []
    for name in (item.strip() for item in names):
        if name == "address_points":
            chain.append(AddressPointGeocoder())
        elif name == "census":
            chain.append(CensusGeocoder(base_url=settings.HEADEND_CENSUS_GEOCODER_URL))
        elif name == "nominatim" and settings.HEADEND_NOMINATIM_URL:
            chain.append(NominatimGeocoder(base_url=settings.HEADEND_NOMINATIM_URL))
        elif name:
            logger.warning("HEADEND_GEOCODERS names %r, which is not a geocoder here (or has no URL)", name)
    return chain


def online_configured() -> bool:
    return any(geocoder.online for geocoder in geocoders())


def geocode(address: Address, *, online: bool = True) -> Match:
    """The first match of the chain (online geocoders only when `online`), or no match with
    every geocoder's reason."""
    return geocode_many([address], online=online)[address.key]


def geocode_many(addresses: Sequence[Address], *, online: bool = True) -> dict[str, Match]:
    """Each address's match by its key: the address list in one query for them all, then the
    online geocoders (when `online`) one address at a time for those still unplaced."""
    pending = {address.key: address for address in addresses}
    found: dict[str, Match] = {}
    reasons: dict[str, list[str]] = {key: [] for key in pending}
    for geocoder in geocoders():
        if not pending:
            break
        if geocoder.online and not online:
            continue
        if isinstance(geocoder, AddressPointGeocoder):
            matches = geocoder.geocode_many(pending.values())
        else:
            matches = {key: geocoder.geocode(address) for key, address in pending.items()}
        for key, match in matches.items():
            if match.placed:
                found[key] = match
                del pending[key]
            else:
                reasons[key].append(match.reason)
    for key in pending:
        found[key] = Match.none("", "; ".join(reasons[key]) or "no geocoder is configured")
    return found


# --- The provider's region (where a pin may go) -----------------------------------------------


@dataclass(frozen=True)
class Region:
    """A box of latitudes and longitudes: where the provider works."""

    min_lat: Decimal
    min_lon: Decimal
    max_lat: Decimal
    max_lon: Decimal

    def contains(self, latitude: Decimal, longitude: Decimal) -> bool:
        return self.min_lat <= latitude <= self.max_lat and self.min_lon <= longitude <= self.max_lon

    @property
    def text(self) -> str:
        return f"{self.min_lat}, {self.min_lon} to {self.max_lat}, {self.max_lon}"

    @classmethod
    def parse(cls, text: str) -> "Region":
        """From "min_lat,min_lon,max_lat,max_lon". Raises ValueError."""
        parts = [part.strip() for part in text.split(",")]
        if len(parts) != 4:
            raise ValueError("give min_lat,min_lon,max_lat,max_lon")
        min_lat, max_lat = coordinate(parts[0], limit=90), coordinate(parts[2], limit=90)
        min_lon, max_lon = coordinate(parts[1], limit=180), coordinate(parts[3], limit=180)
        if min_lat >= max_lat or min_lon >= max_lon:
            raise ValueError("the minimums must be below the maximums")
        return cls(min_lat, min_lon, max_lat, max_lon)
