"""Prefix arithmetic for IP pools, on plain values (no ORM).

A pool's prefix is cut into units of one size, the allocation length: /32 units are single
IPv4 addresses, /29 units IPv4 blocks of eight, /56 or /64 units IPv6 prefixes delegated to a
customer's router. Unit n is the n-th such unit from the start of the prefix (its "index")."""

import ipaddress
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# The index is a BIGINT: a pool may hold at most 2**40 units (an IPv6 /16 in /56s, say).
MAX_UNIT_BITS = 40


class BadPrefix(ValueError):
    """The text is not what a pool needs; the message says why, for staff."""


def parse_prefix(text: str) -> Network:
    """An IPv4 or IPv6 network in CIDR notation, with no host bits set ("100.64.0.0/24")."""
    text = (text or "").strip()
    if not text:
        raise BadPrefix("Give the pool's prefix in CIDR notation, such as 100.64.0.0/22 or 2001:db8:100::/40.")
    if "/" not in text:
        raise BadPrefix(f"{text} has no prefix length: write it as a network, such as {text}/24.")
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise BadPrefix(f"{text} is not an IPv4 or IPv6 network in CIDR notation.") from None
        raise BadPrefix(f"{text} has host bits set: the network is {loose}.") from None


def family_of(network: Network) -> str:
    return "ipv4" if network.version == 4 else "ipv6"


@dataclass(frozen=True)
class Layout:
    """How a pool's prefix is handed out: which unit indexes may be allocated, and their text."""

    network: Network
    allocation_length: int
    gateway_index: int | None = None

    @property
    def unit_bits(self) -> int:
        return self.allocation_length - self.network.prefixlen

    @property
    def units(self) -> int:
        return 1 << self.unit_bits

    @property
    def singles(self) -> bool:
        """Single IPv4 addresses, where a subnet's network and broadcast addresses exist."""
        return self.network.version == 4 and self.allocation_length == 32

    @property
    def first(self) -> int:
        # In an IPv4 subnet of /30 or larger the network address is not a host's.
        return 1 if self.singles and self.network.prefixlen <= 30 else 0

    @property
    def last(self) -> int:
        # ... and neither is the broadcast address.
        return self.units - 2 if self.singles and self.network.prefixlen <= 30 else self.units - 1

    @property
    def capacity(self) -> int:
        """How many units may be handed out."""
        reserved = 1 if self.gateway_index is not None and self.first <= self.gateway_index <= self.last else 0
        return self.last - self.first + 1 - reserved

    def allocatable(self, index: int) -> bool:
        return self.first <= index <= self.last and index != self.gateway_index

    def unit(self, index: int) -> str:
        """The text of unit `index`: "100.64.0.5" for a single address, else the block in CIDR."""
        start = self.network.network_address + (index << (self.network.max_prefixlen - self.allocation_length))
        if self.singles:
            return str(start)
        return f"{start}/{self.allocation_length}"

    def index_of(self, address: str) -> int:
        """The index of the unit holding `address` (which must lie inside the prefix)."""
        ip = ipaddress.ip_address(address)
        if ip.version != self.network.version or ip not in self.network:
            raise BadPrefix(f"{address} is not inside {self.network}.")
        offset = int(ip) - int(self.network.network_address)
        return offset >> (self.network.max_prefixlen - self.allocation_length)


def layout(*, prefix: str, allocation_length: int, gateway: str = "") -> Layout:
    """Check a pool's prefix, unit size and gateway together; BadPrefix names what is wrong
    (the message starts with the field at fault: "prefix: ...", "allocation_length: ...",
    "gateway: ...")."""
    try:
        network = parse_prefix(prefix)
    except BadPrefix as exc:
        raise BadPrefix(f"prefix: {exc}") from None
    if not network.prefixlen <= allocation_length <= network.max_prefixlen:
        raise BadPrefix(
            f"allocation_length: Each allocation must be /{network.prefixlen} to /{network.max_prefixlen} "
            f"inside {network}."
        )
    if allocation_length - network.prefixlen > MAX_UNIT_BITS:
        raise BadPrefix(
            f"allocation_length: {network} in /{allocation_length} units is 2^{allocation_length - network.prefixlen} "
            f"allocations; a pool may hold at most 2^{MAX_UNIT_BITS}: split the prefix."
        )
    gateway_index = None
    if gateway.strip():
        try:
            gateway_index = Layout(network, allocation_length).index_of(gateway.strip())
        except ValueError as exc:
            raise BadPrefix(f"gateway: {exc}") from None
    result = Layout(network, allocation_length, gateway_index)
    if result.capacity < 1:
        raise BadPrefix(f"prefix: {network} leaves no address to hand out.")
    return result
