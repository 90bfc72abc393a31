"""A file of sites checked against our network's reach before anything is written: each valid
row's address placed from the provider's address list (offline, as the import then places it)
and its product's reach read for all rows at once (network/reach.py), so a site off our network
is a row error with the reason, and "import the valid rows" quotes the others."""

from typing import Any

from headend.crm import geocoding
from headend.crm.models import Location
from headend.network import reach as network_reach
from headend.quoting.models import Quote


def check_rows_reach(quote: Quote, rows: list[Any]) -> None:
    """Put the reason on `address` for each valid row whose site cannot take its product (off
    our network, or on it without what the product needs); near or unplaced sites pass (their
    lines ask for a survey). Writes nothing; a few queries for the whole file."""
    valid = [row for row in rows if row.valid]
    if not valid:
        return
    known = {location.address_key: location for location in quote.account.locations.all()}
    unknown = {row.parsed["address"].key: row.parsed["address"] for row in valid}
    fresh = [address for key, address in unknown.items() if key not in known]
    matches = geocoding.geocode_many(fresh, online=False) if fresh else {}
    sites: dict[str, Location] = {}
    for key, address in unknown.items():
        if key in known:
            sites[key] = known[key]
            continue
        match = matches.get(key)
        placed = match is not None and match.placed
        sites[key] = Location(
            account=quote.account,
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            state=address.state,
            postal_code=address.postal_code,
            address_key=key,
            latitude=match.latitude if placed and match is not None else None,
            longitude=match.longitude if placed and match is not None else None,
        )
    checks = network_reach.offerings_reach([(sites[row.parsed["address"].key], row.parsed["version"]) for row in valid])
    for row, check in zip(valid, checks, strict=True):
        if not check.eligible:
            row.errors["address"] = check.reason
