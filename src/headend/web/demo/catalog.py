"""The demo provider's catalog: its products with their speeds, prices and terms, the work
templates of each, and the upgrade paths between them."""

import datetime as dt
from decimal import Decimal
from typing import Any

from headend.catalog import selectors as catalog_selectors
from headend.catalog import services as catalog
from headend.catalog.models import Product, ProductVersion
from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.web.demo.tasks import (
    ADDON_CHANGE,
    ADDON_DISCONNECT,
    ADDON_INSTALL,
    ADDON_MOVE,
    BUSINESS_INSTALL,
    BUSINESS_MOVE,
    DISCONNECT,
    PORT_ENABLE,
    PORT_SHUTDOWN,
    RADIUS_DISCONNECT,
    RADIUS_RESTORE,
    RADIUS_SPEED_CHANGE,
    RADIUS_SUSPEND,
    RESIDENTIAL_INSTALL,
    RESIDENTIAL_MOVE,
    SPEED_CHANGE,
    STATIC_BLOCK_CHANGE,
    STATIC_BLOCK_DISCONNECT,
    STATIC_BLOCK_INSTALL,
    STATIC_BLOCK_MOVE,
    VOICE_CHANGE,
    VOICE_DISCONNECT,
    VOICE_INSTALL,
    VOICE_MOVE,
    VOICE_RESTORE,
    VOICE_SUSPEND,
    WHOLESALE_CHANGE,
    WHOLESALE_DISCONNECT,
    WHOLESALE_INSTALL,
    WHOLESALE_MOVE,
    WHOLESALE_RESTORE,
    WHOLESALE_SUSPEND,
    ZERO_TOUCH_INSTALL,
)

LAUNCH = dt.date(2024, 1, 1)

# code, name, kind, customer type, (down, up), static IPs, {term: (monthly, one-time)}, template, add-on of
CATALOG = [
    (
        "res-fiber-300",
        "Fiber 300",
        "internet",
        "residential",
        (300, 300),
        0,
        {0: ("55.00", "99.00"), 12: ("50.00", "0.00"), 24: ("45.00", "0.00")},
        ZERO_TOUCH_INSTALL,
        [],
    ),
    (
        "res-fiber-1g",
        "Fiber 1 Gig",
        "internet",
        "residential",
        (1000, 1000),
        0,
        {0: ("75.00", "99.00"), 12: ("70.00", "0.00"), 24: ("65.00", "0.00")},
        RESIDENTIAL_INSTALL,
        [],
    ),
    (
        "res-fiber-2g",
        "Fiber 2 Gig",
        "internet",
        "residential",
        (2000, 2000),
        0,
        {0: ("105.00", "99.00"), 12: ("100.00", "0.00"), 24: ("95.00", "0.00")},
        RESIDENTIAL_INSTALL,
        [],
    ),
    (
        "biz-dia-1g",
        "Dedicated Internet 1 Gbps",
        "internet",
        "business",
        (1000, 1000),
        1,
        {12: ("650.00", "1500.00"), 24: ("550.00", "750.00"), 36: ("475.00", "0.00")},
        BUSINESS_INSTALL,
        [],
    ),
    (
        "biz-dia-10g",
        "Dedicated Internet 10 Gbps",
        "internet",
        "business",
        (10000, 10000),
        1,
        {12: ("2400.00", "3000.00"), 24: ("2000.00", "1500.00"), 36: ("1750.00", "0.00")},
        BUSINESS_INSTALL,
        [],
    ),
    (
        "partner-100",
        "Partner Fiber 100 (wholesale)",
        "internet",
        "business",
        (100, 100),
        0,
        {12: ("299.00", "750.00"), 24: ("275.00", "375.00"), 36: ("249.00", "0.00")},
        WHOLESALE_INSTALL,
        [],
    ),
    (
        "static-ip-29",
        "Static IP block /29 (5 usable)",
        "addon",
        "any",
        (None, None),
        5,
        {0: ("25.00", "0.00"), 12: ("20.00", "0.00"), 24: ("20.00", "0.00"), 36: ("15.00", "0.00")},
        STATIC_BLOCK_INSTALL,
        ["res-fiber-1g", "res-fiber-2g", "biz-dia-1g", "biz-dia-10g"],
    ),
    (
        "static-ip-28",
        "Static IP block /28 (13 usable)",
        "addon",
        "business",
        (None, None),
        13,
        {12: ("45.00", "0.00"), 24: ("40.00", "0.00"), 36: ("35.00", "0.00")},
        ADDON_INSTALL,
        ["biz-dia-1g", "biz-dia-10g"],
    ),
    (
        "managed-wifi",
        "Managed Wi-Fi",
        "addon",
        "any",
        (None, None),
        0,
        {0: ("15.00", "49.00"), 12: ("12.00", "0.00"), 24: ("10.00", "0.00"), 36: ("10.00", "0.00")},
        ADDON_INSTALL,
        ["res-fiber-300", "res-fiber-1g", "res-fiber-2g", "biz-dia-1g", "biz-dia-10g"],
    ),
    (
        "voice-line",
        "Voice line",
        "voice",
        "any",
        (None, None),
        0,
        {0: ("25.00", "25.00"), 12: ("20.00", "0.00"), 24: ("20.00", "0.00"), 36: ("18.00", "0.00")},
        VOICE_INSTALL,
        [],
    ),
]

# How a product reaches the site when not over the demo's own fiber: the business circuit it buys
# from a wholesale partner, sold where its fiber does not reach (network/reach.py).
DELIVERY: dict[str, str] = {"partner-100": Product.Delivery.WHOLESALE}

# The early-termination fee the standard terms (section 8) promise: the monthly charge times the
# months left in the term, counting at most six.
TERMS_ETF: dict[str, Any] = {"etf_kind": "percent_of_remaining", "etf_percent": "100", "etf_cap_months": 6}
# Each product's lowest monthly price a discount may reach without a sales manager's approval.
FLOOR_SHARE = Decimal("0.80")
# Where a customer on one product can go: (from, to, kind).
PATHS = [
    ("res-fiber-300", "res-fiber-1g", "upgrade"),
    ("res-fiber-1g", "res-fiber-2g", "upgrade"),
    ("biz-dia-1g", "biz-dia-10g", "upgrade"),
    ("static-ip-29", "static-ip-28", "replaced_by"),  # a business outgrowing its /29
]


# The FCC broadband label of each internet plan: typical speeds and latency measured on the
# demo network, the data policy, and the label's identifier (F + the demo FRN + the plan's id).
DEMO_FRN = "0031415926"
UNLIMITED = "Unlimited data: no cap, no overage charge, no slowing down."
LABELS: dict[str, dict[str, Any]] = {
    "res-fiber-300": {"typical_download_mbps": 310, "typical_upload_mbps": 305, "typical_latency_ms": 9},
    "res-fiber-1g": {"typical_download_mbps": 940, "typical_upload_mbps": 935, "typical_latency_ms": 8},
    "res-fiber-2g": {"typical_download_mbps": 1880, "typical_upload_mbps": 1870, "typical_latency_ms": 7},
    "biz-dia-1g": {"typical_download_mbps": 990, "typical_upload_mbps": 990, "typical_latency_ms": 4},
    "biz-dia-10g": {"typical_download_mbps": 9800, "typical_upload_mbps": 9800, "typical_latency_ms": 3},
    "partner-100": {"typical_download_mbps": 95, "typical_upload_mbps": 95, "typical_latency_ms": 14},
}


# What a unit costs the demo provider a month (transit and backhaul, wholesale voice, the
# equipment's depreciation): a case shows the customer's profit as MRR minus this.
MONTHLY_COSTS: dict[str, str] = {
    "res-fiber-300": "18.00",
    "res-fiber-1g": "24.00",
    "res-fiber-2g": "32.00",
    "biz-dia-1g": "180.00",
    "biz-dia-10g": "650.00",
    "partner-100": "190.00",  # the partner's wholesale rate
    "static-ip-29": "2.00",
    "static-ip-28": "4.00",
    "managed-wifi": "6.00",
    "voice-line": "5.50",
}
# The business circuits' SLA: 99.9 % a month, and a credit of the month's charge below it.
DIA_SLA: dict[str, Any] = {
    "availability_target": Decimal("99.9"),
    "availability_credits": [
        {"below": "99.9", "credit_percent": "10"},
        {"below": "99.5", "credit_percent": "25"},
        {"below": "99.0", "credit_percent": "50"},
    ],
}
SLAS: dict[str, dict[str, Any]] = {"biz-dia-1g": DIA_SLA, "biz-dia-10g": DIA_SLA}


def _cost_and_sla(code: str, version: ProductVersion) -> None:
    """Give a version its monthly cost and, for the business circuits, the availability promised
    with its credit table (once: a version that has a cost is left as staff keep it)."""
    if version.monthly_cost_amount is not None or code not in MONTHLY_COSTS:
        return
    version.monthly_cost_amount = Decimal(MONTHLY_COSTS[code])
    for name, value in SLAS.get(code, {}).items():
        setattr(version, name, value)
    version.full_clean()  # ProductVersion.clean checks the credit table
    version.save()


def _label(code: str, version: ProductVersion) -> None:
    """Give an internet plan's version its broadband label facts (once: a version already
    labelled is left as staff keep it)."""
    facts = LABELS.get(code)
    if facts is None or version.typical_download_mbps is not None:
        return
    for name, value in facts.items():
        setattr(version, name, value)
    version.data_cap_gb, version.data_policy = None, UNLIMITED
    version.fcc_label_id = f"F{DEMO_FRN}{code.replace('-', '').upper()}V{version.version}"
    version.full_clean()
    version.save()


def products() -> dict[str, ProductVersion]:
    versions: dict[str, ProductVersion] = {}
    for code, name, kind, customer_type, (down, up), static_ips, prices, tasks, addon_of in CATALOG:
        product = Product.objects.filter(code=code).first()
        if product is None:
            product = catalog.product_create(
                code=code,
                name=name,
                kind=kind,
                customer_type=customer_type,
                delivery=DELIVERY.get(code, Product.Delivery.ON_NET),
                addon_of=list(Product.objects.filter(code__in=addon_of)),
            )
            lowest = min(Decimal(monthly) for monthly, _ in prices.values())
            version = catalog.version_create(
                product=product,
                effective_from=LAUNCH,
                prices=prices,
                download_mbps=down,
                upload_mbps=up,
                technology="fiber" if kind == "internet" else "",
                static_ips=static_ips,
                floor_mrc=(lowest * FLOOR_SHARE).quantize(Decimal("0.01")),
                move_fee="150.00" if customer_type == "business" and kind == "internet" else "0",
                **TERMS_ETF,
            )
            catalog.template_define(product=product, action="add", name=f"Install {name}", tasks=tasks)
            for action, (title, action_tasks) in _change_templates(code, kind, name, customer_type).items():
                catalog.template_define(product=product, action=action, name=title, tasks=action_tasks)
            catalog.version_publish(version=version)
        current = catalog_selectors.version_current(product=product, on=clock.today())
        assert current is not None
        _label(code, current)
        _cost_and_sla(code, current)
        versions[code] = current
    for low, high, kind in PATHS:
        if not catalog_selectors.path_between(product=versions[low].product, target=versions[high].product):
            catalog.product_relate(product=versions[low].product, target=versions[high].product, kind=kind)
            if kind == "upgrade":
                catalog.product_relate(product=versions[high].product, target=versions[low].product, kind="downgrade")
    return versions


def _change_templates(code: str, kind: str, name: str, customer_type: str) -> dict[str, tuple[str, list[TaskSpec]]]:
    """Every action a quote or the service page can ask of the product, as work: through RADIUS
    for residential plans (code tasks, CoA to the NAS), at the hand-off port for business
    circuits (a technician), ordered from the partner for a wholesale one; add-ons change, move
    and go with their base."""
    if DELIVERY.get(code) == Product.Delivery.WHOLESALE:
        return {
            "modify": (f"Change {name}", WHOLESALE_CHANGE),
            "move": (f"Move {name}", WHOLESALE_MOVE),
            "suspend": (f"Suspend {name}", WHOLESALE_SUSPEND),
            "restore": (f"Restore {name}", WHOLESALE_RESTORE),
            "delete": (f"Disconnect {name}", WHOLESALE_DISCONNECT),
        }
    if kind == "internet":
        radius_plan = customer_type == "residential"
        return {
            "modify": (f"Change {name}", RADIUS_SPEED_CHANGE if radius_plan else SPEED_CHANGE),
            "move": (f"Move {name}", RESIDENTIAL_MOVE if radius_plan else BUSINESS_MOVE),
            "suspend": (f"Suspend {name}", RADIUS_SUSPEND if radius_plan else PORT_SHUTDOWN),
            "restore": (f"Restore {name}", RADIUS_RESTORE if radius_plan else PORT_ENABLE),
            "delete": (f"Disconnect {name}", RADIUS_DISCONNECT if radius_plan else DISCONNECT),
        }
    if kind == "voice":
        return {
            "modify": (f"Change {name}", VOICE_CHANGE),
            "move": (f"Move {name}", VOICE_MOVE),
            "suspend": (f"Suspend {name}", VOICE_SUSPEND),
            "restore": (f"Restore {name}", VOICE_RESTORE),
            "delete": (f"Disconnect {name}", VOICE_DISCONNECT),
        }
    if code == "static-ip-29":
        return {
            "modify": (f"Change {name}", STATIC_BLOCK_CHANGE),
            "move": (f"Move {name}", STATIC_BLOCK_MOVE),
            "delete": (f"Disconnect {name}", STATIC_BLOCK_DISCONNECT),
        }
    return {
        "modify": (f"Change {name}", ADDON_CHANGE),
        "move": (f"Move {name}", ADDON_MOVE),
        "delete": (f"Disconnect {name}", ADDON_DISCONNECT),
    }


# Reach (issue 17): the build to a site near the network, quoted by distance, after a survey.
SITE_SURVEY = [
    TaskSpec("Check the route on the plant map", role="provisioning", planned_minutes=60),
    TaskSpec(
        "Walk the route and the site",
        role="provisioning",
        planned_minutes=180,
        depends_on=["Check the route on the plant map"],
        needs_appointment=True,
    ),
    TaskSpec("Record the outcome", role="provisioning", planned_minutes=15, depends_on=["Walk the route and the site"]),
]
CONSTRUCTION_BUILD = [
    TaskSpec("File the permits", role="provisioning", planned_minutes=120),
    TaskSpec("Lay the drop fiber", role="provisioning", planned_minutes=960, depends_on=[("File the permits", 2400)]),
    TaskSpec(
        "Splice and test to the site", role="provisioning", planned_minutes=120, depends_on=["Lay the drop fiber"]
    ),
]


def construction() -> ProductVersion:
    """The construction charge (its amount set by distance on the quote, so its catalog price is
    nil) with the site survey that comes before it and the build it becomes."""
    product = Product.objects.filter(code="fiber-construction").first()
    if product is None:
        product = catalog.product_create(
            code="fiber-construction",
            name="Fiber construction",
            kind=Product.Kind.CONSTRUCTION,
            customer_type=Product.CustomerType.ANY,
        )
        version = catalog.version_create(
            product=product,
            effective_from=LAUNCH,
            prices={term: ("0.00", "0.00") for term in (0, 12, 24, 36)},
            technology="",
            floor_mrc=Decimal("0.00"),
            **TERMS_ETF,
        )
        catalog.template_define(product=product, action="survey", name="Site survey", tasks=SITE_SURVEY)
        catalog.template_define(product=product, action="add", name="Build to the site", tasks=CONSTRUCTION_BUILD)
        catalog.version_publish(version=version)
    current = catalog_selectors.version_current(product=product, on=clock.today())
    assert current is not None
    return current
