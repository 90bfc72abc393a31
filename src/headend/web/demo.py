"""The demo provider: Headend Fiber, a fiber ISP in Washington County, Maine.

`manage.py load_demo` builds it through the use cases, so the demo obeys every rule the
product does. Running it again creates nothing twice."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import h3
from django.contrib.auth.models import Group, User
from django.db import transaction

from headend.catalog import selectors as catalog_selectors
from headend.catalog import services as catalog
from headend.catalog.models import Product, ProductVersion
from headend.catalog.services import TaskSpec
from headend.core import clock, events
from headend.crm import services as crm
from headend.crm.models import Account
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment import services as fulfillment
from headend.fulfillment.models import Holiday, Skill, Task, Technician, WorkOrder
from headend.inventory.models import Service
from headend.network import services as network_services
from headend.provisioning import radius
from headend.quoting import services as quoting
from headend.quoting.models import ApprovalRule

DEMO_PASSWORD = "headend-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]
    superuser: bool = False


USERS = [
    DemoUser("admin", "Avery", "Admin", ("admin",), superuser=True),
    DemoUser("sales", "Sam", "Seller", ("sales",)),
    DemoUser("manager", "Morgan", "Manager", ("sales_manager",)),
    DemoUser("provisioning", "Pat", "Provisioner", ("provisioning",)),
    DemoUser("maria", "Maria", "Splicer", ("provisioning",)),
    DemoUser("tom", "Tom", "Installer", ("provisioning",)),
    DemoUser("support", "Sky", "Support", ("support",)),
    DemoUser("billing", "Blair", "Billing", ("billing",)),
    DemoUser("finance", "Frankie", "Finance", ("finance",)),
    DemoUser("director", "Dale", "Director", ("director",)),
    DemoUser("integration", "Ivy", "Integration", ("integration",)),
]

LAUNCH = dt.date(2024, 1, 1)

# Town centres of the demo's sites; the provider's fiber covers their H3 cells (staff areas).
TOWNS = {
    "Machias": ("44.715100", "-67.461400"),
    "Eastport": ("44.906200", "-66.989800"),
    "Lubec": ("44.860900", "-66.983900"),
    "Calais": ("45.183400", "-67.276700"),
}
APPROVAL_RULES = [
    ("Discount above 15%", "discount_above", "15", "sales_manager"),
    ("Priced below the floor", "below_floor", "0", "sales_manager"),
    ("Contract value above $100,000", "contract_value_above", "100000", "director"),
    ("Customer more than 45 days past due", "days_past_due_above", "45", "finance"),
    ("Customer owes more than $500 overdue", "overdue_balance_above", "500", "finance"),
]

SKILLS = [("splicing", "Fiber splicing"), ("install", "Customer installation"), ("voice", "Voice porting")]
# Technicians: username -> (skills, region, working hours)
TECHNICIANS = {
    "provisioning": (["install", "voice"], "Machias", (dt.time(8), dt.time(17))),
    "maria": (["splicing", "install"], "Eastport", (dt.time(7), dt.time(16))),
    "tom": (["install"], "Calais", (dt.time(9), dt.time(18))),
}
# The provider's holidays (US federal, observed) for the next year of scheduling.
HOLIDAYS = [
    (dt.date(2026, 11, 26), "Thanksgiving"),
    (dt.date(2026, 12, 25), "Christmas Day"),
    (dt.date(2027, 1, 1), "New Year's Day"),
    (dt.date(2027, 1, 18), "Martin Luther King Jr. Day"),
    (dt.date(2027, 2, 15), "Presidents' Day"),
    (dt.date(2027, 5, 31), "Memorial Day"),
    (dt.date(2027, 6, 18), "Juneteenth (observed)"),
    (dt.date(2027, 7, 5), "Independence Day (observed)"),
    (dt.date(2027, 9, 6), "Labor Day"),
    (dt.date(2027, 11, 25), "Thanksgiving"),
]

# The network steps every residential internet order takes, with no human touch: an address
# from the pool for the service's town, then the RADIUS subscriber (PPPoE) with the plan's rate.
NETWORK_STEPS = [
    TaskSpec("Assign circuit ID", kind="code", code_action="inventory.assign_circuit_id", planned_minutes=1),
    TaskSpec(
        "Allocate the IPv4 address",
        kind="code",
        code_action="ipam.allocate",
        code_params={"family": "ipv4"},
        planned_minutes=1,
        depends_on=["Assign circuit ID"],
    ),
    TaskSpec(
        "Create the RADIUS subscriber",
        kind="code",
        code_action="radius.provision",
        code_params={"auth": "pppoe"},
        planned_minutes=1,
        depends_on=["Allocate the IPv4 address"],
    ),
]
# Fiber 300 is self-installed on a home already passed and connected: live as soon as ordered.
ZERO_TOUCH_INSTALL = [*NETWORK_STEPS]
RESIDENTIAL_INSTALL = [
    TaskSpec("Schedule installation with the customer", role="provisioning", planned_minutes=15),
    *NETWORK_STEPS,
    TaskSpec(
        "Install ONT and Wi-Fi router",
        role="provisioning",
        skill="install",
        planned_minutes=120,
        needs_appointment=True,
        depends_on=["Schedule installation with the customer"],
        checklist=["ONT light level between -8 and -25 dBm", "Router on the customer's Wi-Fi name"],
        undo="Collect the ONT and router",
    ),
    TaskSpec(
        "Activate and run speed test",
        role="provisioning",
        planned_minutes=20,
        turns_up=True,
        depends_on=["Install ONT and Wi-Fi router", "Create the RADIUS subscriber"],
    ),
]
BUSINESS_INSTALL = [
    TaskSpec("Site survey", role="provisioning", planned_minutes=240),
    TaskSpec(
        "Build fiber lateral",
        role="provisioning",
        skill="splicing",
        planned_minutes=2400,
        depends_on=["Site survey"],
        undo="Remove the fiber drop",
    ),
    TaskSpec("Assign circuit ID", kind="code", code_action="inventory.assign_circuit_id", planned_minutes=1),
    TaskSpec(
        "Install CPE and hand-off",
        role="provisioning",
        skill="install",
        planned_minutes=240,
        needs_appointment=True,
        depends_on=[("Build fiber lateral", 480)],
        checklist=["Hand-off port patched and labelled", "Customer router sees the gateway"],
    ),
    TaskSpec(
        "Turn-up and acceptance test",
        role="provisioning",
        planned_minutes=120,
        turns_up=True,
        depends_on=["Install CPE and hand-off", "Assign circuit ID"],
    ),
    TaskSpec("Customer sign-off", kind="milestone", planned_minutes=0, depends_on=["Turn-up and acceptance test"]),
]
ADDON_INSTALL = [TaskSpec("Configure on the customer's service", role="provisioning", planned_minutes=30)]
STATIC_BLOCK_INSTALL = [
    TaskSpec(
        "Allocate the /29 block",
        kind="code",
        code_action="ipam.allocate",
        code_params={"pool": "Business static /29"},
        planned_minutes=1,
    ),
    TaskSpec(
        "Route the block on the base's RADIUS subscriber",
        kind="code",
        code_action="radius.routes",
        planned_minutes=1,
        depends_on=["Allocate the /29 block"],
    ),
    TaskSpec(
        "Route the block to the customer's router",
        role="provisioning",
        planned_minutes=30,
        depends_on=["Allocate the /29 block"],
    ),
]
VOICE_INSTALL = [
    TaskSpec("Port or assign the phone number", role="provisioning", skill="voice", planned_minutes=60),
    TaskSpec(
        "Configure voice adapter",
        role="provisioning",
        planned_minutes=30,
        depends_on=[("Port or assign the phone number", 960)],
    ),
]
SPEED_CHANGE = [TaskSpec("Change the speed profile", role="provisioning", planned_minutes=15, turns_up=True)]
RADIUS_SPEED_CHANGE = [
    TaskSpec("Change the RADIUS plan", kind="code", code_action="radius.provision", planned_minutes=1, turns_up=True)
]
RADIUS_SUSPEND = [
    TaskSpec("Move to the walled garden", kind="code", code_action="radius.suspend", planned_minutes=1, turns_up=True)
]
RADIUS_RESTORE = [
    TaskSpec("Restore the plan", kind="code", code_action="radius.restore", planned_minutes=1, turns_up=True)
]
RADIUS_DISCONNECT = [
    TaskSpec(
        "Remove the RADIUS subscriber", kind="code", code_action="radius.remove", planned_minutes=1, turns_up=True
    ),
    TaskSpec(
        "Release the IP addresses",
        kind="code",
        code_action="ipam.release",
        planned_minutes=1,
        depends_on=["Remove the RADIUS subscriber"],
    ),
    TaskSpec(
        "Collect the Wi-Fi router",
        role="provisioning",
        skill="install",
        planned_minutes=30,
        depends_on=["Remove the RADIUS subscriber"],
    ),
]
# A move: the new address is installed first, then the network follows the customer there
# (an address from the new town's pool, the RADIUS subscriber kept), then the old drop comes down.
RESIDENTIAL_MOVE = [
    TaskSpec("Schedule the installation at the new address", role="provisioning", planned_minutes=15),
    TaskSpec(
        "Install ONT and Wi-Fi router at the new address",
        role="provisioning",
        skill="install",
        planned_minutes=120,
        needs_appointment=True,
        depends_on=["Schedule the installation at the new address"],
        checklist=["ONT light level between -8 and -25 dBm", "Router on the customer's Wi-Fi name"],
    ),
    TaskSpec(
        "Release the old address",
        kind="code",
        code_action="ipam.release",
        code_params={"family": "ipv4"},
        planned_minutes=1,
        depends_on=["Install ONT and Wi-Fi router at the new address"],
    ),
    TaskSpec(
        "Allocate the IPv4 address at the new address",
        kind="code",
        code_action="ipam.allocate",
        code_params={"family": "ipv4"},
        planned_minutes=1,
        depends_on=["Release the old address"],
    ),
    TaskSpec(
        "Update the RADIUS subscriber",
        kind="code",
        code_action="radius.provision",
        code_params={"auth": "pppoe", "coa": "disconnect"},
        planned_minutes=1,
        depends_on=["Allocate the IPv4 address at the new address"],
        turns_up=True,
    ),
    TaskSpec(
        "Collect the ONT at the old address",
        role="provisioning",
        skill="install",
        planned_minutes=30,
        depends_on=["Update the RADIUS subscriber"],
    ),
]
BUSINESS_MOVE = [
    TaskSpec("Site survey at the new site", role="provisioning", planned_minutes=240),
    TaskSpec(
        "Build fiber lateral to the new site",
        role="provisioning",
        skill="splicing",
        planned_minutes=2400,
        depends_on=["Site survey at the new site"],
        undo="Remove the fiber drop",
    ),
    TaskSpec(
        "Install CPE and hand-off at the new site",
        role="provisioning",
        skill="install",
        planned_minutes=240,
        needs_appointment=True,
        depends_on=[("Build fiber lateral to the new site", 480)],
        checklist=["Hand-off port patched and labelled", "Customer router sees the gateway"],
    ),
    TaskSpec(
        "Cut over and acceptance test",
        role="provisioning",
        planned_minutes=120,
        turns_up=True,
        depends_on=["Install CPE and hand-off at the new site"],
    ),
    TaskSpec(
        "Shut the old hand-off port and recover the CPE",
        role="provisioning",
        skill="install",
        planned_minutes=60,
        depends_on=["Cut over and acceptance test"],
    ),
]
VOICE_CHANGE = [TaskSpec("Change the voice features", role="provisioning", skill="voice", planned_minutes=15)]
VOICE_MOVE = [
    TaskSpec("Update the 911 address", role="provisioning", skill="voice", planned_minutes=30),
    TaskSpec("Move the voice adapter", role="provisioning", planned_minutes=30, depends_on=["Update the 911 address"]),
]
VOICE_SUSPEND = [TaskSpec("Bar outgoing calls", role="provisioning", skill="voice", planned_minutes=10)]
VOICE_RESTORE = [TaskSpec("Lift the call barring", role="provisioning", skill="voice", planned_minutes=10)]
VOICE_DISCONNECT = [
    TaskSpec("Release or port out the number", role="provisioning", skill="voice", planned_minutes=30),
    TaskSpec(
        "Collect the voice adapter",
        role="provisioning",
        planned_minutes=30,
        depends_on=["Release or port out the number"],
    ),
]
# Add-ons ride on a base service: they change, move and go with it.
ADDON_CHANGE = [TaskSpec("Change the add-on on the customer's service", role="provisioning", planned_minutes=15)]
ADDON_MOVE = [TaskSpec("Set the add-on up at the new address", role="provisioning", planned_minutes=30)]
ADDON_DISCONNECT = [TaskSpec("Remove the add-on from the customer's service", role="provisioning", planned_minutes=15)]
STATIC_BLOCK_CHANGE = [
    TaskSpec("Release the old block", kind="code", code_action="ipam.release", planned_minutes=1),
    TaskSpec(
        "Allocate the new block",
        kind="code",
        code_action="ipam.allocate",
        code_params={"pool": "Business static /29"},
        planned_minutes=1,
        depends_on=["Release the old block"],
    ),
    TaskSpec(
        "Route the block on the base's RADIUS subscriber",
        kind="code",
        code_action="radius.routes",
        planned_minutes=1,
        depends_on=["Allocate the new block"],
    ),
    TaskSpec(
        "Route the block to the customer's router",
        role="provisioning",
        planned_minutes=30,
        depends_on=["Allocate the new block"],
    ),
]
STATIC_BLOCK_MOVE = [
    TaskSpec(
        "Route the block on the base's RADIUS subscriber", kind="code", code_action="radius.routes", planned_minutes=1
    ),
    TaskSpec("Route the block to the customer's router at the new address", role="provisioning", planned_minutes=30),
]
STATIC_BLOCK_DISCONNECT = [
    TaskSpec("Release the block", kind="code", code_action="ipam.release", planned_minutes=1),
    TaskSpec(
        "Withdraw the route from the base's RADIUS subscriber",
        kind="code",
        code_action="radius.routes",
        planned_minutes=1,
        depends_on=["Release the block"],
        turns_up=True,
    ),
]
PORT_SHUTDOWN = [TaskSpec("Shut the hand-off port", role="provisioning", planned_minutes=15, turns_up=True)]
PORT_ENABLE = [TaskSpec("Enable the hand-off port", role="provisioning", planned_minutes=15, turns_up=True)]
DISCONNECT = [
    TaskSpec("Remove the subscriber from the network", role="provisioning", planned_minutes=15, turns_up=True),
    TaskSpec(
        "Collect equipment",
        role="provisioning",
        skill="install",
        planned_minutes=60,
        depends_on=["Remove the subscriber from the network"],
    ),
]

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

BUSINESSES = [
    (
        "Cobscook Bay Seafood LLC",
        "01-2345678",
        "ops@cobscookseafood.example",
        "207-555-0110",
        [
            ("Processing plant", "84 Water St", "", "Eastport", "04631"),
            ("Harbor office", "12 Sea St", "Suite 2", "Eastport", "04631"),
        ],
    ),
    (
        "Downeast Community Clinic",
        "01-3456789",
        "it@downeastclinic.example",
        "207-555-0120",
        [("Main clinic", "7 Court St", "", "Machias", "04654")],
    ),
    (
        "Lubec Marine Supply Co.",
        "01-4567890",
        "frontdesk@lubecmarine.example",
        "207-555-0130",
        [("Store", "45 Water St", "", "Lubec", "04652"), ("Warehouse", "3 Industrial Way", "Unit B", "Lubec", "04652")],
    ),
]
RESIDENTS = [
    ("Ada", "Lovelace", "ada@example.com", "207-555-0141", ("18 Elm St", "", "Machias", "04654")),
    ("Grace", "Hopper", "grace@example.com", "207-555-0142", ("220 Main St", "Apt 3", "Calais", "04619")),
    ("Alan", "Turing", "alan@example.com", "207-555-0143", ("9 Pleasant St", "", "Eastport", "04631")),
    ("Katherine", "Johnson", "katherine@example.com", "207-555-0144", ("31 Center St", "", "Machias", "04654")),
    ("Claude", "Shannon", "claude@example.com", "207-555-0145", ("5 Summer St", "", "Lubec", "04652")),
]


def load(*, stdout=None) -> bool:
    """Load the demo provider; False (and no change) when it is already there."""
    if Account.objects.filter(name=BUSINESSES[0][0]).exists():
        return False
    radius.schema_create()  # FreeRADIUS's tables, in their own database, for the code tasks
    with transaction.atomic():
        users = _users()
        _workforce(users)
        _coverage_and_rules()
        _network()
        versions = _catalog()
        _customers(users, versions)
    # The worker would relay the outbox and run code tasks; the demo runs them now so the
    # demo's services are in the state the text promises.
    events.relay()
    _run_ready_code_tasks()
    events.relay()
    return True


def ensure_users() -> None:
    with transaction.atomic():
        _users()


def _users() -> dict[str, User]:
    users = {}
    for spec in USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User.objects.create_user(
                username=spec.username,
                password=DEMO_PASSWORD,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@headend-fiber.example",
                is_staff=spec.superuser,
                is_superuser=spec.superuser,
            )
        user.groups.add(*Group.objects.filter(name__in=spec.roles))
        users[spec.username] = user
    return users


def _coverage_and_rules() -> None:
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
    for name, kind, threshold, role in APPROVAL_RULES:
        ApprovalRule.objects.get_or_create(
            name=name, defaults={"kind": kind, "threshold": Decimal(threshold), "approver_role": role}
        )


def _workforce(users: dict[str, User]) -> None:
    for code, name in SKILLS:
        Skill.objects.get_or_create(code=code, defaults={"name": name})
    for username, (skills, region, (start, end)) in TECHNICIANS.items():
        technician, _ = Technician.objects.get_or_create(
            user=users[username], defaults={"region": region, "day_start": start, "day_end": end}
        )
        technician.skills.set(Skill.objects.filter(code__in=skills))
    for day, name in HOLIDAYS:
        Holiday.objects.get_or_create(date=day, defaults={"name": name})


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


def _catalog() -> dict[str, ProductVersion]:
    versions: dict[str, ProductVersion] = {}
    for code, name, kind, customer_type, (down, up), static_ips, prices, tasks, addon_of in CATALOG:
        product = Product.objects.filter(code=code).first()
        if product is None:
            product = catalog.product_create(
                code=code,
                name=name,
                kind=kind,
                customer_type=customer_type,
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
    circuits (a technician); add-ons change, move and go with their base."""
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


# IP pools (CGNAT-free public space from the documentation ranges) and the BNG sessions come from.
IP_POOLS = [
    ("Residential IPv4", "198.51.100.0/24", 32, "fiber", "198.51.100.1"),
    ("Residential IPv6 delegated /56", "2001:db8:4400::/40", 56, "fiber", ""),
    ("Business static /29", "203.0.113.0/24", 29, "fiber", ""),
]
NAS_DEVICES = [("bng-machias-1", "10.20.0.1", "mikrotik")]


def _network() -> None:
    from headend.ipam import services as ipam
    from headend.ipam.models import IPPool
    from headend.provisioning.models import Nas

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


def _customers(users: dict[str, User], versions: dict[str, ProductVersion]) -> None:
    sales, tech = users["sales"], users["provisioning"]
    business_accounts = []
    for name, ein, email, phone, sites in BUSINESSES:
        account = crm.account_create(
            kind="business", legal_name=name, tax_id=ein, email=email, phone=phone, owner=sales
        )
        crm.contact_create(
            account=account, first_name="Jordan", last_name=name.split()[0], email=email, phone=phone, role="technical"
        )
        locations = [
            crm.location_create(
                account=account,
                name=site,
                line1=line1,
                line2=line2,
                city=city,
                state="ME",
                postal_code=postal,
                latitude=TOWNS[city][0],
                longitude=TOWNS[city][1],
            )
            for site, line1, line2, city, postal in sites
        ]
        business_accounts.append((account, locations))
    residents = []
    for first, last, email, phone, (line1, line2, city, postal) in RESIDENTS:
        account = crm.account_create(
            kind="residential", first_name=first, last_name=last, email=email, phone=phone, owner=sales
        )
        location = crm.location_create(
            account=account,
            line1=line1,
            line2=line2,
            city=city,
            state="ME",
            postal_code=postal,
            latitude=TOWNS[city][0],
            longitude=TOWNS[city][1],
        )
        residents.append((account, location))

    # Active services: three residents and the clinic are live.
    for (account, location), code in zip(residents[:3], ["res-fiber-1g", "res-fiber-300", "res-fiber-2g"], strict=True):
        _sell(account, [(location, versions[code], 12, 1)], sales, finish_by=tech)
    clinic, clinic_sites = business_accounts[1]
    _sell(
        clinic,
        [(clinic_sites[0], versions["biz-dia-1g"], 36, 1), (clinic_sites[0], versions["static-ip-29"], 36, 1)],
        sales,
        finish_by=tech,
    )

    # An order in fulfilment: the seafood plant's two sites, survey done at one.
    seafood, seafood_sites = business_accounts[0]
    quote = _sell(
        seafood,
        [
            (seafood_sites[0], versions["biz-dia-10g"], 36, 1),
            (seafood_sites[1], versions["biz-dia-1g"], 36, 1),
            (seafood_sites[1], versions["voice-line"], 36, 4),
        ],
        sales,
    )
    first_work_order = WorkOrder.objects.filter(order_line__order__quote=quote).order_by("order_line__position").first()
    assert first_work_order is not None
    fulfillment.task_complete(
        task=first_work_order.tasks.get(name="Site survey"),
        completed_by=tech,
        notes="Conduit available from the pole on Water St.",
    )
    install = first_work_order.tasks.get(name="Install CPE and hand-off")
    slots = fulfillment_selectors.appointment_slots(task=install)
    if slots:
        fulfillment.appointment_book(task=install, start=slots[0].start, booked_by=sales)

    # An open quote: the marine supply store, presented and awaiting signature.
    marine, marine_sites = business_accounts[2]
    _sell(
        marine,
        [
            (marine_sites[0], versions["biz-dia-1g"], 24, 1),
            (marine_sites[0], versions["managed-wifi"], 24, 1),
            (marine_sites[1], versions["biz-dia-1g"], 24, 1),
        ],
        sales,
        accept=False,
    )
    # The store pays late: approvals will ask finance when the quote is revised.
    crm.account_standing_record(account=marine, days_past_due=60, overdue_balance_amount="1240.00")

    # A draft change quote: Ada moves up from 1 Gig to 2 Gig, with managed Wi-Fi added.
    ada, ada_home = residents[0]
    ada_service = Service.objects.get(account=ada)
    upgrade = quoting.quote_create(account=ada, created_by=sales, name="Upgrade to 2 Gig")
    quoting.quote_line_change(
        quote=upgrade,
        service=ada_service,
        action="upgrade",
        product_version=versions["res-fiber-2g"],
        term_months=24,
        added_by=sales,
    )
    quoting.quote_line_add(
        quote=upgrade, location=ada_home, product_version=versions["managed-wifi"], term_months=24, added_by=sales
    )
    crm.opportunity_create(
        account=ada,
        name="Managed Wi-Fi for Ada",
        close_date=clock.today() + dt.timedelta(days=14),
        amount="15.00",
        owner=sales,
    )


def _sell(account, lines, sales, *, accept: bool = True, finish_by: User | None = None):
    quote = quoting.quote_create(account=account, created_by=sales, name=f"Fiber for {account.name}")
    for location, version, term, quantity in lines:
        quoting.quote_line_add(
            quote=quote, location=location, product_version=version, term_months=term, quantity=quantity, added_by=sales
        )
    quote = quoting.quote_present(quote=quote, presented_by=sales)
    if not accept:
        return quote
    quote = quoting.quote_accept(quote=quote, accepted_by=sales, accepted_by_name=f"{account.name} (signed)")
    if finish_by is not None:
        _finish_all(quote, finish_by)
    return quote


def _finish_all(quote, tech: User) -> None:
    """Complete every task of the quote's work orders in dependency order, as a technician would."""
    while True:
        _run_ready_code_tasks()
        ready = list(
            Task.objects.filter(work_order__order_line__order__quote=quote, status=Task.Status.READY)
            .exclude(kind=Task.Kind.CODE)
            .order_by("work_order_id", "position")
        )
        if not ready:
            return
        for task in ready:
            fulfillment.task_complete(
                task=task,
                completed_by=tech,
                checklist=[item["item"] for item in task.checklist],
                notes="Done during the demo set-up.",
            )


def _run_ready_code_tasks() -> None:
    for task_id in Task.objects.filter(status=Task.Status.READY, kind="code").values_list("pk", flat=True):
        fulfillment.task_run_code(task_id=task_id)
