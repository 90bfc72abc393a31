"""The demo provider's customers: business and residential accounts with their sites, the
quotes sold to them, and each order taken as far as the demo's story goes (live, in
fulfilment, awaiting signature, a draft change)."""

import datetime as dt

from django.contrib.auth.models import User

from headend.catalog.models import ProductVersion
from headend.core import clock
from headend.crm import services as crm
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment import services as fulfillment
from headend.fulfillment.models import Task, WorkOrder
from headend.inventory.models import Service
from headend.quoting import services as quoting
from headend.web.demo.network import TOWNS

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


def accounts_and_orders(users: dict[str, User], versions: dict[str, ProductVersion]) -> None:
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
        run_ready_code_tasks()
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


def run_ready_code_tasks() -> None:
    for task_id in Task.objects.filter(status=Task.Status.READY, kind="code").values_list("pk", flat=True):
        fulfillment.task_run_code(task_id=task_id)
