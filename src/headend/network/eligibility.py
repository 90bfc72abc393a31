"""Whether a product fits the coverage at a location: plain values in, a verdict and its reason out.

A location's coverage is a list of offers: one technology at one pair of maximum speeds, from
one source. A product with a technology fits when one offer of that technology reaches both
its download and upload speeds; a product without one (an add-on, voice) fits wherever any
technology is available.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from headend.network.technologies import NAMES, mbps, speed_pair


@dataclass(frozen=True)
class Offer:
    """One technology at one pair of maximum speeds, and where we learned it."""

    technology: str
    down: Decimal
    up: Decimal
    source: str  # "address_list", "fcc", "staff"
    detail: str  # for people: "Pioneer Broadband, 165 FCC locations in this cell"


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    code: str  # stable, for programs: "fits", "technology_unavailable", "download_exceeds_coverage", ...
    reason: str  # for people


def _names(technologies: Sequence[str]) -> str:
    names = [NAMES.get(technology, technology) for technology in technologies]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def technologies_of(offers: Sequence[Offer]) -> list[str]:
    """The technologies offered, in a stable order (the order of NAMES)."""
    present = {offer.technology for offer in offers}
    return [technology for technology in NAMES if technology in present]


def check(*, name: str, technology: str, down: int | None, up: int | None, offers: Sequence[Offer]) -> Verdict:
    """Does product `name` (technology, download/upload Mbps) fit these offers? `offers` is not empty."""
    available = technologies_of(offers)
    if not technology:
        return Verdict(True, "fits", f"{name} is sold wherever we have service; the location has {_names(available)}.")
    same = [offer for offer in offers if offer.technology == technology]
    label = NAMES.get(technology, technology)
    if not same:
        return Verdict(
            False,
            "technology_unavailable",
            f"{name} needs {label}; the location has {_names(available)} only.",
        )
    need_down, need_up = Decimal(down or 0), Decimal(up or 0)
    fast_enough = [offer for offer in same if offer.down >= need_down]
    if not fast_enough:
        best = max(offer.down for offer in same)
        return Verdict(
            False,
            "download_exceeds_coverage",
            f"{name} needs {mbps(need_down)} Mbps; the location has {mbps(best)} Mbps {label}.",
        )
    fits = [offer for offer in fast_enough if offer.up >= need_up]
    if not fits:
        best_up = max(offer.up for offer in fast_enough)
        return Verdict(
            False,
            "upload_exceeds_coverage",
            f"{name} needs {mbps(need_up)} Mbps up; the location has {mbps(best_up)} Mbps up on {label}.",
        )
    best_fit = max(fits, key=lambda offer: (offer.down, offer.up))
    return Verdict(True, "fits", f"{name} fits: the location has {speed_pair(best_fit.down, best_fit.up)} {label}.")
