"""Upgrade opportunities: when coverage grows (a coverage file imported, an area staff entered),
customers on slower plans where it grew get an opportunity with a draft change quote, for sales.

A service qualifies when it is active, its plan names a technology and a speed, the coverage the
import brought (address-list rows for an address list, FCC rows for an FCC file, the area's own
cells for an area) is faster there than the plan (a faster technology or more download), and the
catalog has an upgrade path from its product to one whose version on sale fits the location's
coverage (network's own check, `offering_check`) and is faster than the plan: more download, or
the same download over a faster technology. Of several such plans the fastest is offered.

Each account gets one opportunity per run ("Upgrade to Fiber 1 Gig at 12 Main St"), owned by the
account's owner (unassigned without one), with a draft quote holding one upgrade line per service,
priced by the engine as staff's own change lines are (`quote_line_change`).

Coverage rows do not say which import last wrote them, so a run looks at every location the kind
of coverage reaches; what was offered is never offered twice: a service has at most one open offer
(its opportunity open), and a plan once offered on a service, taken or declined, is not offered on
it again. Candidates are found a few thousand services at a time, a few queries per batch."""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models.functions import Coalesce

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import Product, ProductRelation, ProductVersion
from headend.core import clock, events
from headend.core.errors import DomainError
from headend.core.ids import parse_id
from headend.core.models import OutboxEvent
from headend.crm import selectors as crm_selectors
from headend.crm import services as crm_services
from headend.crm.models import Account, Opportunity
from headend.inventory.models import Service
from headend.network import selectors as network_selectors
from headend.network.models import CoverageArea, CoverageImport
from headend.network.technologies import CABLE, DSL, FIBER, FIXED_WIRELESS
from headend.quoting.changes import quote_line_change
from headend.quoting.models import QuoteLine, UpgradeOffer
from headend.quoting.quotes import quote_create

logger = logging.getLogger(__name__)

# Which technology is faster, for a plan of the same download speed (and for coverage).
TECHNOLOGY_SPEED = {DSL: 1, FIXED_WIRELESS: 2, CABLE: 3, FIBER: 4}
BATCH = 2000  # services looked at per batch: one query for them, a few for their coverage
CLOSE_DAYS = 30  # the opportunity's expected close date, from today


@dataclass(frozen=True)
class Candidate:
    """A service to offer a faster plan on."""

    service: Service
    target: ProductVersion


@dataclass(frozen=True)
class _Trigger:
    """The coverage a run looks at: offers of these sources (an area: in these cells only)."""

    sources: frozenset[str]
    cells: frozenset[str] | None = None


def _rank(technology: str) -> int:
    return TECHNOLOGY_SPEED.get(technology, 0)


def is_faster(version: ProductVersion, than: ProductVersion) -> bool:
    """More download, or the same download over a faster technology."""
    down, current = version.download_mbps or 0, than.download_mbps or 0
    return down > current or (down == current and _rank(version.technology) > _rank(than.technology))


def _trigger(coverage_import: CoverageImport | None, coverage_area: CoverageArea | None) -> _Trigger:
    if coverage_area is not None:
        return _Trigger(frozenset({"staff"}), frozenset(coverage_area.cells.values_list("h3_res8", flat=True)))
    if coverage_import is not None and coverage_import.kind == CoverageImport.Kind.FCC:
        return _Trigger(frozenset({"fcc"}))
    return _Trigger(frozenset({"address_list"}))


def _grew(here: network_selectors.Serviceability, plan: ProductVersion, trigger: _Trigger) -> bool:
    """Whether the coverage the run looks at is faster at the location than the plan."""
    if trigger.cells is not None and here.h3_cell not in trigger.cells:
        return False
    return any(
        offer.source in trigger.sources
        and (_rank(offer.technology) > _rank(plan.technology) or offer.down > (plan.download_mbps or 0))
        for offer in here.offers
    )


def _services(trigger: _Trigger) -> Iterator[list[Service]]:
    """Active services on a plan with a technology and speed, whose product has an upgrade path
    and that have no open offer, a batch at a time (keyset by id: one query per batch)."""
    open_offer = UpgradeOffer.objects.filter(
        service=models.OuterRef("pk"), opportunity__stage__in=Opportunity.OPEN_STAGES
    )
    path = ProductRelation.objects.filter(
        product=models.OuterRef("product_version__product"), kind=ProductRelation.Kind.UPGRADE
    )
    services = (
        Service.objects.filter(
            status=Service.Status.ACTIVE,
            product_version__product__kind=Product.Kind.INTERNET,
            product_version__download_mbps__isnull=False,
        )
        .exclude(product_version__technology="")
        .filter(models.Exists(path))
        .exclude(models.Exists(open_offer))
        .select_related("account", "location__account", "product_version__product")
        .order_by("pk")
    )
    if "address_list" not in trigger.sources:  # FCC rows and areas reach a location by its coordinates
        services = services.filter(location__latitude__isnull=False, location__longitude__isnull=False)
    last = 0
    while True:
        batch = list(services.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def upgrade_candidates(
    *, coverage_import: CoverageImport | None = None, coverage_area: CoverageArea | None = None
) -> list[Candidate]:
    """The services to offer a faster plan on after this import (or area), and the plan each."""
    on = clock.today()
    trigger = _trigger(coverage_import, coverage_area)
    paths: dict[int, list[int]] = defaultdict(list)
    for product_id, target_id in ProductRelation.objects.filter(kind=ProductRelation.Kind.UPGRADE).values_list(
        "product_id", "target_id"
    ):
        paths[product_id].append(target_id)
    on_sale: dict[str, dict[int, ProductVersion]] = {}
    candidates = []
    for batch in _services(trigger):
        offered = set(
            UpgradeOffer.objects.filter(service__in=[service.pk for service in batch]).values_list(
                "service_id", "product_version_id"
            )
        )
        coverage = network_selectors.coverage_at(locations=[service.location for service in batch])
        for service, here in zip(batch, coverage, strict=True):
            plan = service.product_version
            if not here.known or not _grew(here, plan, trigger):
                continue
            kind = service.location.account.kind
            if kind not in on_sale:
                versions = catalog_selectors.sellable_versions(on=on, customer_type=kind)
                on_sale[kind] = {version.product_id: version for version in versions}
            targets = [
                version
                for version in (on_sale[kind].get(target_id) for target_id in paths[plan.product_id])
                if version is not None
                and (service.pk, version.pk) not in offered
                and version.technology
                and is_faster(version, plan)
                and network_selectors.offering_check(service.location, version, on=on, serviceability=here).eligible
            ]
            if targets:
                best = max(
                    targets, key=lambda v: (v.download_mbps or 0, v.upload_mbps or 0, _rank(v.technology), -v.pk)
                )
                candidates.append(Candidate(service=service, target=best))
    return candidates


def upgrade_offers_find(
    *, coverage_import: CoverageImport | None = None, coverage_area: CoverageArea | None = None
) -> list[UpgradeOffer]:
    """After coverage grew: for each account with services to upgrade, one opportunity and a draft
    change quote (`upgrade_offer_create`, one transaction per account). Safe to run any number of
    times; returns the offers made."""
    upgrade_offers_close_decided()
    by_account: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in upgrade_candidates(coverage_import=coverage_import, coverage_area=coverage_area):
        by_account[candidate.service.account_id].append(candidate)
    made: list[UpgradeOffer] = []
    for candidates in by_account.values():
        try:
            made += upgrade_offer_create(
                account=candidates[0].service.account,
                candidates=candidates,
                coverage_import=coverage_import,
                coverage_area=coverage_area,
            )
        except IntegrityError:  # another run offered on one of these services meanwhile
            logger.warning("upgrade offers for account %s made by another run", candidates[0].service.account_id)
    return made


class _NothingOffered(Exception):
    """No service took its upgrade line: nothing of the account's offer is kept."""


def upgrade_offer_create(
    *,
    account: Account,
    candidates: Sequence[Candidate],
    coverage_import: CoverageImport | None = None,
    coverage_area: CoverageArea | None = None,
) -> list[UpgradeOffer]:
    """One open opportunity for the account, owned by its owner, with a draft quote holding an
    upgrade line per service, priced by the engine; the offers that link them. A service the
    quote refuses (a change already in flight on an order) is left out; when none is left,
    nothing is written and [] is returned."""
    try:
        return _offer(account, candidates, coverage_import, coverage_area)
    except _NothingOffered:
        return []


@transaction.atomic
def _offer(
    account: Account,
    candidates: Sequence[Candidate],
    coverage_import: CoverageImport | None,
    coverage_area: CoverageArea | None,
) -> list[UpgradeOffer]:
    account = Account.objects.select_for_update().get(pk=account.pk)  # one run at a time per account
    ids = [candidate.service.pk for candidate in candidates]
    busy = set(
        UpgradeOffer.objects.filter(service__in=ids, opportunity__stage__in=Opportunity.OPEN_STAGES).values_list(
            "service_id", flat=True
        )
    )
    offered = set(UpgradeOffer.objects.filter(service__in=ids).values_list("service_id", "product_version_id"))
    wanted = [
        candidate
        for candidate in candidates
        if candidate.service.pk not in busy and (candidate.service.pk, candidate.target.pk) not in offered
    ]
    if not wanted:
        raise _NothingOffered
    now = clock.now()
    name = _name(wanted)
    opportunity = crm_services.opportunity_create(
        account=account,
        name=name,
        owner=account.owner,
        close_date=clock.local_date(now) + dt.timedelta(days=CLOSE_DAYS),
        stage=Opportunity.Stage.PROSPECTING,
    )
    quote = quote_create(account=account, opportunity=opportunity, name=name)
    offers = []
    for candidate in wanted:
        try:
            with transaction.atomic():
                quote_line_change(
                    quote=quote,
                    service=candidate.service,
                    action=QuoteLine.Action.UPGRADE,
                    product_version=candidate.target,
                )
        except DomainError as exc:
            logger.info("no upgrade offered on %s: %s", candidate.service.number, exc.message)
            continue
        offers.append(
            UpgradeOffer(
                service=candidate.service,
                product_version=candidate.target,
                opportunity=opportunity,
                quote=quote,
                coverage_import=coverage_import,
                coverage_area=coverage_area,
                created_at=now,
            )
        )
    if not offers:
        raise _NothingOffered
    UpgradeOffer.objects.bulk_create(offers)
    events.emit_many(
        "upgrade_offer.created",
        subjects=list(offers),
        data=[
            {
                "service_id": offer.service_id,
                "product_version_id": offer.product_version_id,
                "opportunity_id": opportunity.pk,
                "quote_id": quote.pk,
            }
            for offer in offers
        ],
    )
    return offers


def _name(candidates: Sequence[Candidate]) -> str:
    """ "Upgrade to Fiber 1 Gig at 12 Main St" (and how many more sites)."""
    first = candidates[0]
    sites = {candidate.service.location_id for candidate in candidates}
    products = {candidate.target.product_id for candidate in candidates}
    name = (
        f"Upgrade to {first.target.product.name} at {first.service.location.street}"
        if len(products) == 1
        else f"Upgrades at {first.service.location.street}"
    )
    if len(sites) > 1:
        name += f" and {len(sites) - 1} more site{'s' if len(sites) > 2 else ''}"
    return name[:200]


def upgrade_offers_close_decided(*, opportunity_id: int | None = None) -> int:
    """Close the open offers whose opportunity has been won or lost (as of its closing); returns
    how many closed."""
    offers = UpgradeOffer.objects.filter(closed_at__isnull=True).exclude(opportunity__stage__in=Opportunity.OPEN_STAGES)
    if opportunity_id is not None:
        offers = offers.filter(opportunity_id=opportunity_id)
    closed_at = Opportunity.objects.filter(pk=models.OuterRef("opportunity_id")).values("closed_at")[:1]
    return offers.update(closed_at=Coalesce(models.Subquery(closed_at), models.Value(clock.now())))


# Outbox consumers


@events.subscribe("coverage.imported")
def on_coverage_imported(event: OutboxEvent) -> None:
    """A completed coverage file: look for upgrades after this relay commits (a large file's
    services are many; the worker runs it as a task, one transaction per account)."""
    from headend.quoting.tasks import find_upgrade_offers

    import_id = int(event.subject_id)
    transaction.on_commit(lambda: find_upgrade_offers.enqueue(coverage_import_id=import_id))


@events.subscribe("coverage_area.created")
def on_coverage_area_created(event: OutboxEvent) -> None:
    from headend.quoting.tasks import find_upgrade_offers

    area_id = int(event.subject_id)
    transaction.on_commit(lambda: find_upgrade_offers.enqueue(coverage_area_id=area_id))


@events.subscribe("opportunity.won")
@events.subscribe("opportunity.lost")
def on_opportunity_decided(event: OutboxEvent) -> None:
    upgrade_offers_close_decided(opportunity_id=int(event.subject_id))


def upgrade_offers_find_for(*, coverage_import_id: int | None = None, coverage_area_id: int | None = None) -> int:
    """The task's body: the run for a coverage import or area by id (gone: nothing); how many offers."""
    coverage_import = CoverageImport.objects.filter(pk=coverage_import_id).first() if coverage_import_id else None
    coverage_area = CoverageArea.objects.filter(pk=coverage_area_id).first() if coverage_area_id else None
    if coverage_import is None and coverage_area is None:
        return 0
    if coverage_import is not None and (
        coverage_import.status != CoverageImport.Status.COMPLETED or not coverage_import.rows_imported
    ):
        return 0
    return len(upgrade_offers_find(coverage_import=coverage_import, coverage_area=coverage_area))


# Reads, for sales' list


def upgrade_offer_list(*, user: Any, coverage_import_id: Any = None, open_only: bool = True) -> models.QuerySet:
    """The offers on accounts `user` may see, newest first, with the service, plans, account,
    location and quote loaded, and its line's monthly charge before and after and the change
    (`mrc_before`, `mrc_after`, `mrc_change`; None if sales took the line off the quote)."""
    line = QuoteLine.objects.filter(quote=models.OuterRef("quote"), target_service=models.OuterRef("service"))
    offers = (
        UpgradeOffer.objects.filter(service__account__in=crm_selectors.account_scope(user=user))
        .select_related(
            "service__account",
            "service__location",
            "service__product_version__product",
            "product_version__product",
            "opportunity__owner",
            "quote",
            "coverage_import",
            "coverage_area",
        )
        .annotate(
            mrc_before=models.Subquery(line.values("mrc_before_amount")[:1]),
            mrc_after=models.Subquery(line.values("mrc_amount")[:1]),
        )
        .annotate(
            mrc_change=models.ExpressionWrapper(
                models.F("mrc_after") - models.F("mrc_before"),
                output_field=models.DecimalField(max_digits=12, decimal_places=2),
            )
        )
        .order_by("-created_at", "-id")
    )
    if coverage_import_id not in (None, ""):
        offers = offers.filter(coverage_import_id=parse_id(coverage_import_id))
    if open_only:
        offers = offers.filter(opportunity__stage__in=Opportunity.OPEN_STAGES)
    return offers


def upgrade_offer_imports() -> models.QuerySet[CoverageImport]:
    """The coverage imports that made offers, newest first (the list's filter)."""
    return network_selectors.coverage_import_list().filter(upgrade_offers__isnull=False).distinct()
