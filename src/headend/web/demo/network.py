"""The demo provider's network: fiber coverage around its towns, the IP pools and the BNG."""

import h3

from headend.ipam import services as ipam
from headend.ipam.models import IPPool
from headend.network import services as network_services
from headend.provisioning.models import Nas

# Town centres of the demo's sites; the provider's fiber covers their H3 cells (staff areas).
TOWNS = {
    "Machias": ("44.715100", "-67.461400"),
    "Eastport": ("44.906200", "-66.989800"),
    "Lubec": ("44.860900", "-66.983900"),
    "Calais": ("45.183400", "-67.276700"),
}


def coverage() -> None:
    for town, (lat, lng) in TOWNS.items():
        cell = h3.latlng_to_cell(float(lat), float(lng), 8)
        network_services.coverage_area_create(
            name=f"{town} FTTH build",
            technology="fiber",
            max_down_mbps=10000,
            max_up_mbps=10000,
            created_by=None,
            cells=cell,
        )


# IP pools (CGNAT-free public space from the documentation ranges) and the BNG sessions come from.
IP_POOLS = [
    ("Residential IPv4", "198.51.100.0/24", 32, "fiber", "198.51.100.1"),
    ("Residential IPv6 delegated /56", "2001:db8:4400::/40", 56, "fiber", ""),
    ("Business static /29", "203.0.113.0/24", 29, "fiber", ""),
]
NAS_DEVICES = [("bng-machias-1", "10.20.0.1", "mikrotik")]


def pools_and_nas() -> None:
    for name, prefix, length, technology, gateway in IP_POOLS:
        if not IPPool.objects.filter(name=name).exists():
            ipam.pool_create(
                name=name,
                prefix=prefix,
                allocation_length=length,
                technology=technology,
                gateway=gateway,
                created_by=None,
            )
    for name, address, vendor in NAS_DEVICES:
        Nas.objects.get_or_create(ip_address=address, defaults={"name": name, "vendor": vendor, "secret_name": "NAS"})
