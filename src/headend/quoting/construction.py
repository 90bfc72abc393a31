"""What a site's reach asks of a quote (network/reach.py): near our network or not on the map, a
site survey (one per site per opportunity, asked of fulfillment through the outbox); near it,
a construction charge as a one-time line, once per site; and Present held until every such site
is surveyed as buildable or a manager waived it.

The lines and checks only; the survey's own use cases (waive, outcome) are `surveys`."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import models
from simple_history.utils import bulk_create_with_history

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import Product, ProductVersion
from headend.core import clock, events
from headend.core.errors import Conflict
from headend.core.money import format_amount
from headend.crm.models import Location
from headend.network import reach as network_reach
from headend.quoting.line_prices import PriceBook, price_new_lines
from headend.quoting.models import Quote, QuoteLine, SiteSurvey

CONSTRUCTION = Product.Kind.CONSTRUCTION


def _site_lines(quote: Quote) -> models.QuerySet[QuoteLine]:
    """The quote's new services (not its construction charges)."""
    return quote.lines.filter(action=QuoteLine.Action.ADD).exclude(product_version__product__kind=CONSTRUCTION)


def note_site_reach(
    quote: Quote, *, location: Location, check: network_reach.ReachCheck, requested_by: Any = None
) -> SiteSurvey | None:
    """A line was added at `location` with this verdict: near our network or not on the map, ask
    for a site survey (once per site per opportunity: a revised quote, or a second product at the
    site, asks nothing more). The construction charge follows when the totals are made
    (`settle_construction_lines`). Returns the survey, or None when none is needed."""
    return note_sites_reach(quote, sites=[(location, check)], requested_by=requested_by)[0]


def note_sites_reach(
    quote: Quote, *, sites: Sequence[tuple[Location, network_reach.ReachCheck]], requested_by: Any = None
) -> list[SiteSurvey | None]:
    """`note_site_reach` for many lines added at once (a file of sites): the surveys asked for
    in one insert, one `site_survey.requested` event each; per site given, its survey or None."""
    needing = {location.pk: (location, check) for location, check in sites if check.needs_survey}
    if not needing:
        return [None] * len(sites)
    surveys = {
        survey.location_id: survey
        for survey in SiteSurvey.objects.filter(opportunity_id=quote.opportunity_id, location_id__in=list(needing))
    }
    at = clock.now()
    new = [
        SiteSurvey(
            opportunity_id=quote.opportunity_id,
            quote=quote,
            location=location,
            reach=check.reach,
            distance_m=check.distance_m,
            estimate_amount=check.construction_amount,
            currency=quote.currency,
            requested_at=at,
            requested_by=requested_by if getattr(requested_by, "pk", None) is not None else None,
        )
        for pk, (location, check) in needing.items()
        if pk not in surveys
    ]
    if new:
        bulk_create_with_history(new, SiteSurvey)
        events.emit_many(
            "site_survey.requested",
            subjects=list(new),
            data=[
                {"quote_id": quote.pk, "location_id": s.location_id, "reach": s.reach, "distance_m": s.distance_m}
                for s in new
            ],
        )
        surveys.update({survey.location_id: survey for survey in new})
    return [surveys.get(location.pk) if check.needs_survey else None for location, check in sites]


def construction_note(survey: SiteSurvey) -> str:
    if survey.revised_amount is not None:
        return f"Construction: as surveyed, {network_reach.about_metres(survey.distance_m or 0)} from our network"
    return f"Construction: {network_reach.about_metres(survey.distance_m or 0)} from our network"


def _construction_term(version: ProductVersion, wanted: int) -> int:
    terms = sorted(price.term_months for price in version.prices.all())
    return wanted if wanted in terms else terms[0]


def settle_construction_lines(quote: Quote, *, on: dt.date | None = None) -> None:
    """On a locked draft, before its totals: each near-net site with lines and a survey that has not
    found it unbuildable carries one construction line, priced at the survey's amount (as revised,
    else as estimated from the distance); a construction line whose site has no other line left
    goes. Writes nothing when the lines already agree (one or two queries); the lines it adds
    are priced and stored at once."""
    construction = quote.lines.filter(product_version__product__kind=CONSTRUCTION)
    sites = set(_site_lines(quote).values_list("location_id", flat=True))
    orphans = [line.pk for line in construction.only("pk", "location_id") if line.location_id not in sites]
    if orphans:
        QuoteLine.objects.filter(pk__in=orphans).delete()
    surveys = list(
        SiteSurvey.objects.filter(
            opportunity_id=quote.opportunity_id, reach=SiteSurvey.Reach.NEAR_NET, location_id__in=sites
        )
        .exclude(status=SiteSurvey.Status.DONE_NOT_FEASIBLE)
        .exclude(location_id__in=construction.values("location_id"))
        .select_related("location")
        .order_by("location_id")
    )
    if not surveys:
        return
    on = on or clock.today()
    version = catalog_selectors.construction_version(on=on)
    if version is None:
        raise Conflict(
            "This site needs a construction charge, but the catalog sells no construction product: "
            "ask a catalog manager to publish one.",
            field="product_version",
            code="no_construction_product",
        )
    terms = dict(_site_lines(quote).values_list("location_id", "term_months"))
    position = quote.lines.aggregate(last=models.Max("position"))["last"] or 0
    lines = [
        QuoteLine(
            quote=quote,
            position=position,
            location=survey.location,
            product_version=version,
            term_months=_construction_term(version, terms.get(survey.location_id, 0)),
            quantity=1,
            nrc_set_amount=survey.construction_amount,
            note=construction_note(survey),
        )
        for position, survey in enumerate(surveys, start=position + 1)
    ]
    price_new_lines(lines, books=PriceBook(), on=on, pick_promotion=False)
    bulk_create_with_history(lines, QuoteLine)


def survey_blockers(quote: Quote) -> list[str]:
    """Why the quote's sites hold it back, one sentence per site (empty: none do): a survey not
    done yet, or one that found the site cannot be built."""
    sites = set(_site_lines(quote).values_list("location_id", flat=True))
    surveys = (
        SiteSurvey.objects.filter(opportunity_id=quote.opportunity_id, location_id__in=sites)
        .exclude(status__in=SiteSurvey.CLEARED)
        .select_related("location")
        .order_by("location__line1", "pk")
    )
    reasons = []
    for survey in surveys:
        site = survey.location.label
        if survey.status == SiteSurvey.Status.DONE_NOT_FEASIBLE:
            reasons.append(f"{site}: the survey found it cannot be built; take its lines off the quote.")
            continue
        why = (
            f"near our network ({network_reach.about_metres(survey.distance_m or 0)} away, "
            f"construction {format_amount(survey.construction_amount)})"
            if survey.reach == SiteSurvey.Reach.NEAR_NET
            else "we don't know where it is"
        )
        work = f" (work order {survey.work_order_number})" if survey.work_order_number else ""
        reasons.append(f"{site}: {why}; its site survey is not done yet{work} and no manager has waived it.")
    return reasons


def check_surveys(quote: Quote) -> None:
    """Raise Conflict (`surveys`) while a site of the quote waits for its survey or was found not
    buildable, naming each site and why."""
    reasons = survey_blockers(quote)
    if reasons:
        raise Conflict(
            "A site survey holds this quote back. " + " ".join(reasons), field="surveys", code="survey_needed"
        )
