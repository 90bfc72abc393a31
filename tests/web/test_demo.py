import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from beancount import loader

from headend.billing import ledger
from headend.billing.models import BillingAccount, Invoice, JournalEntry, TaxRate
from headend.commissions.models import Earning
from headend.core import clock
from headend.crm.hooks import Standing, standing_of
from headend.crm.models import Account
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.payments import allocation
from headend.payments.models import PromiseToPay
from headend.web import demo
from tests.module_records import kept_for_the_module
from tests.radius_fixtures import empty_radius_tables

pytestmark = pytest.mark.django_db(databases=["default", "radius"])


@pytest.fixture(scope="module")
def demo_provider(radius_schema, django_db_blocker) -> Iterator[None]:
    """The demo provider, loaded once for the tests of this module on a worker (a load is ~7 s;
    tests/module_records.py). tests/web/test_demo_topology.py loads it into an empty database."""
    with kept_for_the_module(django_db_blocker, ["default", "radius"]):
        empty_radius_tables()
        demo.load()
        yield


def test_the_demo_residents_are_provisioned_in_radius_with_an_address(demo_provider):
    from headend.provisioning import radius
    from headend.provisioning.models import Subscriber

    residential = Service.objects.filter(account__kind="residential", status="active")
    assert residential.count() == 3
    for service in residential:
        subscriber = Subscriber.objects.get(service=service)
        assert service.identifiers["radius_username"] == subscriber.username
        assert service.identifiers["ipv4_address"].startswith("198.51.100.")
        entry = radius.user_get(subscriber.username)
        assert entry is not None
        assert entry.groups == [(subscriber.plan_group, 1)]
        assert entry.reply == [("Framed-IP-Address", ":=", service.identifiers["ipv4_address"])]


def test_every_demo_product_has_a_template_for_every_action_and_terms_etf(demo_provider):
    from headend.catalog.models import Product, ProductVersion
    from headend.catalog.services import missing_template_actions

    for product in Product.objects.all():
        assert missing_template_actions(product=product) == [], product
    for version in ProductVersion.objects.filter(status="published"):
        assert (version.etf_kind, version.etf_percent, version.etf_cap_months) == ("percent_of_remaining", 100, 6)
        assert version.floor_mrc_amount is not None


def test_demo_change_quotes_are_accepted_without_surprises(demo_provider):
    """Every change the issue found refused at the signature is quoted, presented and accepted."""
    from headend.catalog.models import ProductVersion
    from headend.fulfillment.models import WorkOrder
    from headend.quoting import services as quoting

    clinic = Account.objects.get(name="Downeast Community Clinic")
    dia = Service.objects.get(account=clinic, product_version__product__code="biz-dia-1g")
    block = Service.objects.get(account=clinic, product_version__product__code="static-ip-29")
    assert block.base_service == dia
    grace = Service.objects.get(account__email="grace@example.com")
    slash_28 = ProductVersion.objects.get(product__code="static-ip-28", status="published")

    upgrade = quoting.quote_create(account=clinic, name="More addresses")
    quoting.quote_line_change(quote=upgrade, service=block, action="replace", product_version=slash_28, term_months=36)
    quoting.quote_accept(quote=quoting.quote_present(quote=upgrade), accepted_by_name="Clinic")
    assert WorkOrder.objects.get(order_line__order__quote=upgrade).action == "modify"

    re_term = quoting.quote_create(account=grace.account, name="Two more years")
    quoting.quote_line_change(quote=re_term, service=grace, action="re_term", term_months=24)
    quoting.quote_accept(quote=quoting.quote_present(quote=re_term), accepted_by_name="Grace")
    assert not WorkOrder.objects.filter(order_line__order__quote=re_term).exists()
    grace.refresh_from_db()
    assert grace.term_months == 24

    re_rate = quoting.quote_create(account=clinic, name="Loyalty price")
    quoting.quote_line_change(quote=re_rate, service=dia, action="re_rate", negotiated_mrc_amount="300.00")
    assert re_rate.lines.get().floor_breached is True  # under the demo's floor: a manager approves it


def test_demo_move_of_a_business_circuit_carries_its_static_block(demo_provider):
    from headend.crm import services as crm_services
    from headend.quoting import services as quoting

    clinic = Account.objects.get(name="Downeast Community Clinic")
    dia = Service.objects.get(account=clinic, product_version__product__code="biz-dia-1g")
    new_site = crm_services.location_create(
        account=clinic, name="New clinic", line1="2 Free St", city="Machias", state="ME", postal_code="04654"
    )
    quote = quoting.quote_create(account=clinic, name="Moving the clinic")

    quoting.quote_line_change(quote=quote, service=dia, action="move", location=new_site)
    quoting.quote_accept(quote=quoting.quote_present(quote=quote), accepted_by_name="Clinic")

    assert sorted(quote.lines.values_list("action", "target_service__product_version__product__code")) == [
        ("move", "biz-dia-1g"),
        ("move", "static-ip-29"),
    ]
    assert Order.objects.get(quote=quote).lines.count() == 2


def test_the_demo_has_three_months_of_billing_under_maines_taxes(demo_provider):
    from headend.web.demo.billing import bill_dates

    today = clock.today()

    # Every customer has a default billing account on the demo's terms.
    assert not Account.objects.filter(billing_accounts=None).exists()
    for account in Account.objects.all():
        default = BillingAccount.objects.get(account=account, is_default=True)
        terms = (default.cycle, default.bill_day, default.payment_terms_days, default.parent)
        assert terms == ("calendar", 1, 15, None)
    # The credit union's branches each have a billing account that the head office pays.
    union = Account.objects.get(name="Quoddy Bay Credit Union")
    head_office = BillingAccount.objects.get(account=union, is_default=True)
    branches = BillingAccount.objects.filter(account=union, parent=head_office)
    assert sorted(branches.values_list("name", flat=True)) == ["Eastport branch", "Machias branch", "Main office"]

    # Maine: sales tax on equipment, service provider tax on voice, no rate at all on Internet access.
    maine = {(rate.category, rate.rate_percent) for rate in TaxRate.objects.filter(state="ME")}
    assert maine == {("equipment", Decimal("5.5")), ("voice", Decimal("6"))}
    assert not TaxRate.objects.filter(category="internet").exists()

    # One invoice for each of the last three bill dates, to the head office, for every branch.
    dates = bill_dates(today)
    assert dates[-1] <= today < dates[-1] + dt.timedelta(days=31)
    assert [d.day for d in dates] == [1, 1, 1]
    invoices = list(Invoice.objects.filter(billing_account=head_office).order_by("bill_date"))
    assert [(invoice.bill_date, invoice.billing_account) for invoice in invoices] == [(d, head_office) for d in dates]
    for invoice in invoices:
        assert (invoice.status, invoice.amount_due) == ("settled", 0)  # a cheque and a transfer paid them
        assert invoice.total_amount == invoice.subtotal_amount + invoice.tax_amount > 0
        assert invoice.journal.filter(kind="invoice").count() == 1
    assert allocation.credit_balance(head_office) == Decimal("200.00")  # the transfer paid more
    # The marine store pays late (approvals see it); the clinic promised to pay.
    marine = Account.objects.get(name="Lubec Marine Supply Co.")
    assert standing_of(marine.pk, today) == Standing(60, Decimal("1240.00"), Decimal("1240.00"))
    assert PromiseToPay.objects.filter(billing_account__account__name="Downeast Community Clinic").exists()
    first, second, third = invoices
    # The first bill: the first two branches from their turn-up (a partial period) and the month ahead.
    first_services = {line.subscription.billing_account.name for line in first.lines.filter(kind="recurring")}
    assert first_services == {"Main office", "Eastport branch"}
    assert first.lines.filter(kind="recurring", fraction__lt=1).count() == 4  # two services at each branch
    # The Machias branch was turned up between the first two bills: its partial month comes on the second.
    machias = second.lines.filter(kind="recurring", subscription__billing_account__name="Machias branch")
    assert machias.filter(fraction__lt=1).count() == 2
    assert third.lines.filter(kind="recurring", fraction__lt=1).count() == 0
    # Taxes: voice and Wi-Fi taxed, the Internet circuits not.
    taxes = {line.jurisdiction for line in third.lines.filter(kind="tax")}
    assert taxes == {"Maine sales tax (ME)", "Maine service provider tax (ME)"}
    internet = third.lines.filter(kind="recurring", tax_category="internet")
    assert internet.exists()
    taxed_base = sum(line.taxable_amount for line in third.lines.filter(kind="tax"))
    not_internet = third.lines.filter(kind="recurring").exclude(tax_category="internet")
    assert taxed_base == sum(line.amount for line in not_internet)

    # What is past due today: the marine store's balance and the clinic's make-ready charges.
    overdue = Invoice.objects.filter(due_date__lt=today, amount_due__gt=0)
    assert sorted(overdue.values_list("billing_account__account__name", flat=True)) == [
        "Downeast Community Clinic",
        "Lubec Marine Supply Co.",
    ]

    # Revenue is recognised as the billed days pass, and the ledger's export balances.
    assert JournalEntry.objects.filter(kind="recognition").count() >= 2
    out = io.StringIO()
    written = ledger.export(date_from=dates[0] - dt.timedelta(days=60), date_to=today, format="beancount", out=out)
    assert written == JournalEntry.objects.count()
    entries, errors, _ = loader.load_string(out.getvalue())
    assert errors == []
    assert len([entry for entry in entries if type(entry).__name__ == "Transaction"]) == written


def test_the_demo_customers_sign_in_to_the_portal(demo_provider, client):
    from django.urls import reverse

    for email in ("ada@example.com", "office@quoddybaycu.example"):
        response = client.post(reverse("portal:login"), {"email": email, "password": demo.DEMO_PASSWORD})
        assert (response.status_code, response["Location"]) == (302, reverse("portal:dashboard"))
        assert client.get(reverse("portal:dashboard")).status_code == 200
        client.post(reverse("portal:logout"))


def test_the_demo_support_desk_has_cases_with_running_clocks(demo_provider):
    from headend.support.models import Case

    cases = {case.subject: case for case in Case.objects.select_related("account", "queue")}
    assert sorted(cases) == [
        "Processing plant offline since 6 am",
        "Question about the installation charge",
        "Slow in the evenings",
    ]
    slow = cases["Slow in the evenings"]
    assert (slow.account.name, slow.status, slow.first_response_at is not None) == ("Ada Lovelace", "waiting", True)
    plant = cases["Processing plant offline since 6 am"]
    assert (plant.queue.name, plant.service.account_id, plant.priority) == (
        "Network operations",
        plant.account_id,
        "p2",
    )
    assert cases["Question about the installation charge"].queue.name == "Billing"


def test_an_off_net_business_site_in_the_demo_is_offered_the_wholesale_partner_product(demo_provider):
    from headend.catalog import selectors as catalog_selectors
    from headend.crm import services as crm
    from headend.network import reach

    seafood = Account.objects.get(name="Cobscook Bay Seafood LLC")
    bangor = crm.location_create(  # an hour and a half west of the demo's fiber
        account=seafood,
        name="Bangor office",
        line1="1 Main St",
        city="Bangor",
        state="ME",
        postal_code="04401",
        latitude="44.801200",
        longitude="-68.777800",
    )
    today = clock.today()
    on_sale = {version.product.code: version for version in catalog_selectors.sellable_versions(on=today)}
    dia, partner = on_sale["biz-dia-1g"], on_sale["partner-100"]

    refused, offered = reach.offering_reach(bangor, dia), reach.offering_reach(bangor, partner)

    assert (refused.eligible, refused.code) == (False, "off_net")
    assert refused.reason.endswith(f"Our wholesale partner can serve it: quote {partner.sales_name} instead.")
    assert partner.sales_name.startswith("Partner Fiber 100 (wholesale)")
    assert (offered.eligible, offered.code, offered.reach) == (True, "wholesale", "off_net")
    assert [v.product.code for v in catalog_selectors.wholesale_versions(on=today, customer_type="residential")] == []


def test_the_demo_pays_its_seller_commission_on_the_orders_it_books(demo_provider):
    kinds = set(Earning.objects.filter(rep__username="sales").values_list("kind", flat=True))
    assert kinds == {"booking", "turn_up"}
