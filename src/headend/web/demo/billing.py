"""The demo provider's billing: how each product is billed, Maine's tax table, a billing account
for every customer, and three months of history: a credit union whose branches were turned up
before the demo's last three bill dates, billed on each of them by a bill run at that date (the
clock frozen there), so invoices, ledger entries and recognised revenue are there to look at.

What was paid on those invoices, and who is late, is demo/payments.py's: the credit union pays
by cheque and bank transfer."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User

from headend.billing import accounts as billing_accounts
from headend.billing import ledger, runs, taxes
from headend.billing.models import BillingAccount, TaxRate
from headend.catalog.models import BillingTiming, Product, ProductVersion, Proration, SuspendedCharge, TaxCategory
from headend.core import clock, events
from headend.core.periods import add_months
from headend.crm import services as crm
from headend.crm.models import Account, Contact
from headend.web.demo.customers import _sell
from headend.web.demo.network import TOWNS

# How each product is billed: in advance, by the day for a first or last partial period, and
# what it costs while suspended (a residential plan keeps a seasonal hold rate, as Maine's summer
# residents ask; a business circuit or its addresses cost their price, the line and port stay
# reserved; Wi-Fi and voice cost nothing). Internet access, addresses included, is its own tax
# category; managed Wi-Fi is rented equipment.
# code: (tax category, while suspended, hold rate)
PRODUCT_BILLING = {
    "res-fiber-300": (TaxCategory.INTERNET, SuspendedCharge.HOLD, "10.00"),
    "res-fiber-1g": (TaxCategory.INTERNET, SuspendedCharge.HOLD, "10.00"),
    "res-fiber-2g": (TaxCategory.INTERNET, SuspendedCharge.HOLD, "10.00"),
    "biz-dia-1g": (TaxCategory.INTERNET, SuspendedCharge.FULL, None),
    "biz-dia-10g": (TaxCategory.INTERNET, SuspendedCharge.FULL, None),
    "partner-100": (TaxCategory.INTERNET, SuspendedCharge.FULL, None),  # the partner bills us anyway
    "static-ip-29": (TaxCategory.INTERNET, SuspendedCharge.FULL, None),
    "static-ip-28": (TaxCategory.INTERNET, SuspendedCharge.FULL, None),
    "managed-wifi": (TaxCategory.EQUIPMENT, SuspendedCharge.NO_CHARGE, None),
    "voice-line": (TaxCategory.VOICE, SuspendedCharge.NO_CHARGE, None),
}

# Maine's taxes on what the demo sells. Source: Maine Revenue Services, Sales, Use & Service
# Provider Tax (https://www.maine.gov/revenue), and Title 36 of the Maine statutes: the sales
# tax, 5.5% (36 M.R.S. section 1811), on the rental of equipment such as managed Wi-Fi; the
# service provider tax, 6% (36 M.R.S. section 2552), on telecommunications services such as a
# voice line. Internet access is not taxed: the federal Internet Tax Freedom Act bars it, so
# the table simply has no rate for the internet category. Rates change: check them with Maine
# Revenue Services (and any federal USF or E911 charges) before billing real customers.
MAINE_TAXES = [
    ("Maine sales tax", TaxCategory.EQUIPMENT, "5.5"),
    ("Maine service provider tax", TaxCategory.VOICE, "6"),
]
TAXES_FROM = dt.date(2024, 1, 1)

# The customer with history: a business whose branches each have their own billing account,
# all paid by the head office's (one invoice a month for the lot).
CREDIT_UNION = (
    "Quoddy Bay Credit Union",
    "01-5678901",
    "it@quoddybaycu.example",
    "207-555-0150",
)
# site, street, town, ZIP, (product code, term, quantity)..., how many of the bill dates come before its turn-up
BRANCHES = [
    ("Main office", "10 Main St", "Calais", "04619", [("biz-dia-1g", 36, 1), ("voice-line", 36, 4)], 0),
    ("Eastport branch", "55 Water St", "Eastport", "04631", [("biz-dia-1g", 36, 1), ("managed-wifi", 36, 1)], 0),
    ("Machias branch", "2 Court St", "Machias", "04654", [("biz-dia-1g", 36, 1), ("voice-line", 36, 2)], 1),
]
BILL_DAY = 1
HISTORY_BILLS = 3


def bill_dates(today: dt.date) -> list[dt.date]:
    """The demo's last `HISTORY_BILLS` bill dates up to `today`, oldest first."""
    latest = today.replace(day=BILL_DAY) if today.day >= BILL_DAY else add_months(today.replace(day=BILL_DAY), -1)
    return [add_months(latest, -n) for n in range(HISTORY_BILLS - 1, -1, -1)]


def _at(day: dt.date, hour: int) -> dt.datetime:
    """`hour` o'clock on `day` where the provider is."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clock.provider_zone())


def products(versions: dict[str, ProductVersion]) -> None:
    """Each product's billing behaviour (the catalog has no use case for it yet: checked, saved)."""
    for code, (category, while_suspended, hold) in PRODUCT_BILLING.items():
        product = Product.objects.get(pk=versions[code].product_id)
        product.billing_timing, product.proration = BillingTiming.ADVANCE, Proration.DAILY
        product.tax_category, product.while_suspended = category, while_suspended
        product.hold_mrc_amount = Decimal(hold) if hold else None
        product.full_clean()
        product.save(
            update_fields=["billing_timing", "proration", "tax_category", "while_suspended", "hold_mrc_amount"]
        )


def tax_table(billing: User) -> None:
    """Maine's rates on what the demo sells (none on Internet access)."""
    for name, category, percent in MAINE_TAXES:
        if not TaxRate.objects.filter(state="ME", level="state", category=category).exists():
            taxes.tax_rate_create(
                created_by=billing,
                level="state",
                name=name,
                state="ME",
                category=category,
                rate_percent=percent,
                effective_from=TAXES_FROM,
            )


def history(users: dict[str, User], versions: dict[str, ProductVersion]) -> list[dt.date]:
    """The credit union, sold and turned up before the first of the last three bill dates (one
    branch between the first two), and a bill run at each of those dates; returns the dates."""
    billing, sales = users["billing"], users["sales"]
    dates = bill_dates(clock.today())
    opened = add_months(dates[0], -1) + dt.timedelta(days=9)  # the 10th of the month before
    with clock.frozen(_at(opened, 9)):
        name, ein, email, phone = CREDIT_UNION
        account = crm.account_create(
            kind="business", legal_name=name, tax_id=ein, email=email, phone=phone, owner=sales
        )
        contact = crm.contact_create(
            account=account, first_name="Robin", last_name="Leavitt", email=email, phone=phone, role="billing"
        )
        head_office = billing_accounts.billing_account_create(
            account=account, created_by=billing, name=f"{name} (head office)", contact=contact
        )
    for index, bill_date in enumerate(dates):
        for site, line1, town, postal, lines, bills_before in BRANCHES:
            if bills_before == index:
                day = opened if index == 0 else dates[index - 1] + dt.timedelta(days=13)
                products = [(versions[code], term, quantity) for code, term, quantity in lines]
                with clock.frozen(_at(day, 10)):
                    _turn_up_branch(account, head_office, contact, users, site=site, line1=line1, town=town,
                                    postal=postal, products=products)  # fmt: skip
        with clock.frozen(min(_at(bill_date, 6), clock.now())):  # early on a bill day: the run is now
            run = runs.bill_run_start(as_of=bill_date, started_by=billing)
            runs.work(run)
            ledger.recognise(bill_date)
    return dates


def _turn_up_branch(account: Account, head_office: BillingAccount, contact: Contact, users: dict[str, User], *,
                    site: str, line1: str, town: str, postal: str, products: list) -> None:  # fmt: skip
    """A branch sold and turned up now: its own billing account, paid by the head office, is the
    customer's default while its services turn up (so they bill to it), then the head office's is."""
    location = crm.location_create(
        account=account, name=site, line1=line1, city=town, state="ME", postal_code=postal,
        latitude=TOWNS[town][0], longitude=TOWNS[town][1],
    )  # fmt: skip
    billing_accounts.billing_account_create(
        account=account, created_by=users["billing"], name=site, parent=head_office, contact=contact, is_default=True
    )
    _sell(account, [(location, *product) for product in products], users["sales"], finish_by=users["provisioning"])
    events.relay()  # billing learns of the turn-ups (rates, charges) as the worker would
    billing_accounts.billing_account_update(billing_account=head_office, updated_by=users["billing"], is_default=True)


def accounts(users: dict[str, User]) -> None:
    """A billing account for every customer without one: calendar month on the 1st, net 15,
    invoices by email to its first contact."""
    for account in Account.objects.filter(billing_accounts=None).order_by("pk"):
        billing_accounts.billing_account_create(
            account=account, created_by=users["billing"], contact=account.contacts.order_by("pk").first()
        )


def recognise_to_date() -> None:
    """Revenue recognised up to today, as the daily job would have."""
    ledger.recognise(clock.today())
