"""FreeRADIUS's rows for one subscriber, as data: the plan group and its rate limit per vendor,
the walled garden, a user's check/reply/group rows, framed IPs and routes. Pure, no database;
`radius_store` writes them and `radius` (the code actions) decides which."""

import ipaddress
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from headend.core.errors import ValidationError

VENDORS = ("mikrotik", "wispr")
WALLED_GARDEN_MBPS = 1  # enough for the captive portal and the payment page
WISPR_MAX_BPS = 2**32 - 1  # WISPr bandwidths are 32-bit integers

Row = tuple[str, str, str]  # attribute, op, value


@dataclass(frozen=True)
class Plan:
    code: str
    download_mbps: int
    upload_mbps: int

    @property
    def group(self) -> str:
        return f"plan-{self.code}-{self.download_mbps}m-{self.upload_mbps}m"


def plan_of(*, code: str, name: str, download_mbps: int | None, upload_mbps: int | None) -> Plan:
    """The rate plan of a product version (its product's code and name, its speeds);
    ValidationError if it has no speeds."""
    if not download_mbps or not upload_mbps:
        raise ValidationError(
            f"{name} has no download and upload speeds: RADIUS cannot rate-limit it.",
            field="product_version",
            code="no_speeds",
        )
    return Plan(code=code, download_mbps=download_mbps, upload_mbps=upload_mbps)


def _vendor(vendor: str | None = None) -> str:
    vendor = vendor or settings.HEADEND_RADIUS_VENDOR
    if vendor not in VENDORS:
        raise ValidationError(
            f"Unknown RADIUS vendor {vendor!r}; HEADEND_RADIUS_VENDOR is one of {', '.join(VENDORS)}.",
            field="vendor",
            code="invalid_choice",
        )
    return vendor


def _rate(download_mbps: int, upload_mbps: int, vendor: str) -> list[Row]:
    if _vendor(vendor) == "mikrotik":
        # RouterOS reads rx-rate/tx-rate from the router's side: it receives the upload.
        return [("Mikrotik-Rate-Limit", ":=", f"{upload_mbps}M/{download_mbps}M")]
    return [
        ("WISPr-Bandwidth-Max-Up", ":=", str(min(upload_mbps * 1_000_000, WISPR_MAX_BPS))),
        ("WISPr-Bandwidth-Max-Down", ":=", str(min(download_mbps * 1_000_000, WISPR_MAX_BPS))),
    ]


def rate_reply(plan: Plan, vendor: str | None = None) -> list[Row]:
    """The reply attributes that carry a plan's rate limit for a vendor (default: the settings')."""
    return _rate(plan.download_mbps, plan.upload_mbps, _vendor(vendor))


def walled_garden_reply(vendor: str | None = None) -> list[Row]:
    """What a suspended subscriber gets: a small rate and the walled-garden filter."""
    vendor = _vendor(vendor)
    group = settings.HEADEND_RADIUS_WALLED_GARDEN_GROUP
    tag = ("Mikrotik-Address-List", ":=", group) if vendor == "mikrotik" else ("Filter-Id", ":=", group)
    return [tag, *_rate(WALLED_GARDEN_MBPS, WALLED_GARDEN_MBPS, vendor)]


@dataclass(frozen=True)
class UserEntry:
    username: str
    check: list[Row]
    reply: list[Row]
    groups: list[tuple[str, int]]  # group name, priority


def user_entry(
    *,
    username: str,
    auth_type: str,
    password: str,
    group: str,
    framed_ip: str | None = None,
    framed_routes: list[str] | None = None,
) -> UserEntry:
    check = [("Cleartext-Password", ":=", password)] if auth_type == "pppoe" else [("Auth-Type", ":=", "Accept")]
    reply = [("Framed-IP-Address", ":=", framed_ip)] if framed_ip else []
    reply += [("Framed-Route", "+=", route) for route in framed_routes or []]
    return UserEntry(username=username, check=check, reply=reply, groups=[(group, 1)])


def framed_route_of(value: Any) -> str | None:
    """The Framed-Route (RFC 2865: "<prefix> <gateway> <metric>", gateway 0.0.0.0 being the
    subscriber's own address) for a routed block recorded as "a.b.c.d/nn"; None for a single
    address or anything that is no IPv4 block."""
    try:
        network = ipaddress.ip_interface(str(value)).network
    except ValueError:
        return None
    if not isinstance(network, ipaddress.IPv4Network) or network.prefixlen >= 32:
        return None
    return f"{network} 0.0.0.0 1"


def framed_ip_of(value: Any) -> str | None:
    """The IPv4 address to pin a subscriber to, from identifier `ipv4_address` ("a.b.c.d" or
    "a.b.c.d/nn"); ValidationError if it is not one."""
    if value in (None, ""):
        return None
    try:
        address = ipaddress.ip_interface(str(value)).ip
    except ValueError:
        address = None
    if not isinstance(address, ipaddress.IPv4Address):
        raise ValidationError(
            f"Identifier ipv4_address {value!r} is not an IPv4 address.", field="ipv4_address", code="invalid"
        )
    return str(address)
