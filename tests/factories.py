"""Factory functions that build valid objects through the use cases."""

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction

from headend.catalog import services as catalog_services
from headend.catalog.models import Product, ProductVersion
from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.crm import services as crm_services
from headend.crm.models import Account, Location
from headend.quoting import services as quoting_services
from headend.quoting.models import Quote

_seq = itertools.count(1)


def make_user(*roles: str, username: str | None = None, **extra: Any) -> User:
    user = User.objects.create_user(username=username or f"user{next(_seq)}", password="pw-for-tests-1", **extra)
    for role in roles:
        # get_or_create: a transactional test flushes the groups the data migration made.
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def make_account(kind: str = "business", **overrides: Any) -> Account:
    n = next(_seq)
    if kind == "business":
        values = {"legal_name": f"Cobscook Bay Seafood {n} LLC", "tax_id": "12-3456789", "email": f"ops{n}@example.com"}
    else:
        values = {
            "first_name": "Ada",
            "last_name": f"Lovelace{n}",
            "email": f"ada{n}@example.com",
            "phone": "207-555-0134",
        }
    values.update(overrides)
    return crm_services.account_create(kind=kind, **values)


def make_location(account: Account | None = None, **overrides: Any) -> Location:
    values = {"line1": f"{next(_seq)} Water St", "city": "Eastport", "state": "ME", "postal_code": "04631"}
    values.update(overrides)
    return crm_services.location_create(account=account or make_account(), **values)


def make_product(
    *,
    code: str | None = None,
    customer_type: str = "any",
    kind: str = "internet",
    delivery: str = "on_net",
    prices: dict[int, tuple[str, str]] | None = None,
    publish: bool = True,
    effective_from: dt.date = dt.date(2020, 1, 1),
    tasks: list[TaskSpec] | None = None,
    **version: Any,
) -> ProductVersion:
    """A product with one version (published by default) and an `add` template."""
    n = next(_seq)
    product = catalog_services.product_create(
        code=code or f"fiber-{n}", name=f"Fiber {n}", kind=kind, customer_type=customer_type, delivery=delivery
    )
    pv = catalog_services.version_create(
        product=product,
        effective_from=effective_from,
        prices=prices or {0: ("70.00", "99.00"), 12: ("65.00", "0.00"), 24: ("60.00", "0.00")},
        download_mbps=version.pop("download_mbps", 1000),
        upload_mbps=version.pop("upload_mbps", 1000),
        technology=version.pop("technology", "fiber"),
        **version,
    )
    catalog_services.template_define(
        product=product,
        action="add",
        name=f"Install {product.name}",
        tasks=tasks
        if tasks is not None
        else [
            TaskSpec(name="Schedule", role="provisioning", planned_minutes=15),
            TaskSpec(name="Install", role="provisioning", planned_minutes=120, depends_on=["Schedule"]),
            TaskSpec(name="Activate", role="provisioning", planned_minutes=20, depends_on=["Install"]),
        ],
    )
    define_change_templates(product)
    if publish:
        pv = catalog_services.version_publish(version=pv)
    return pv


def make_half_price_promotion(product: Product, **overrides: Any) -> Any:
    """The catalog promotion the pricing tests share: half the monthly charge for 3 months,
    installation waived, from 2026-01-01."""
    values = {
        "code": "half-3",
        "name": "Half price for 3 months",
        "valid_from": dt.date(2026, 1, 1),
        "mrc_off_kind": "percent",
        "mrc_off_value": "50",
        "mrc_off_months": 3,
        "waives_installation": True,
    }
    values.update(overrides)
    return catalog_services.promotion_create(product=product, **values)


def define_change_templates(product: Product) -> None:
    """A one-task template for every action the product still lacks, as publishing requires."""
    for action in catalog_services.missing_template_actions(product=product):
        catalog_services.template_define(
            product=product, action=action, name=f"{action.title()} {product.name}", tasks=[TaskSpec("Do it")]
        )


def make_quote(
    *,
    account: Account | None = None,
    lines: int = 1,
    status: str = "draft",
    version: ProductVersion | None = None,
    term_months: int = 12,
    quantity: int = 1,
) -> Quote:
    account = account or make_account()
    version = version or make_product()
    quote = quoting_services.quote_create(account=account, name="Test quote")
    for _ in range(lines):
        quoting_services.quote_line_add(
            quote=quote,
            location=make_location(account),
            product_version=version,
            term_months=term_months,
            quantity=quantity,
        )
    if status in ("presented", "accepted"):
        quote = quoting_services.quote_present(quote=quote)
    if status == "accepted":
        quote = quoting_services.quote_accept(quote=quote, accepted_by_name="Pat Customer")
    quote.refresh_from_db()
    return quote


def product_of(version: ProductVersion) -> Product:
    return version.product


def make_change_catalog() -> dict[str, ProductVersion]:
    """Business fiber to change services on: 1 Gbps (ETF 50% of the remaining months, move fee
    150.00) with an upgrade path to 2 Gbps, each with modify, move and delete templates."""

    gig = make_product(
        code="gig",
        customer_type="business",
        tasks=[TaskSpec("Turn up")],
        prices={12: ("100.00", "0.00"), 24: ("90.00", "0.00")},
    )
    two_gig = make_product(
        code="two-gig",
        customer_type="business",
        tasks=[TaskSpec("Turn up")],
        prices={12: ("150.00", "0.00"), 24: ("140.00", "0.00")},
    )
    gig = catalog_services.version_publish(
        version=catalog_services.version_create(
            product=gig.product,
            effective_from=dt.date(2020, 1, 1),
            prices={12: ("100.00", "0.00"), 24: ("90.00", "0.00")},
            etf_kind="percent_of_remaining",
            etf_percent="50",
            move_fee="150.00",
        )
    )
    catalog_services.product_relate(product=gig.product, target=two_gig.product, kind="upgrade")
    for version in (gig, two_gig):
        for action in ("modify", "move", "delete"):
            catalog_services.template_define(
                product=version.product, action=action, name=action, tasks=[TaskSpec("Do it")]
            )
    return {"gig": gig, "two_gig": two_gig}


def make_live_service(account: Account, version: ProductVersion, *, term: int = 12) -> Any:
    """An active service: a quote accepted and its one task done (on the frozen day)."""
    from headend.fulfillment import services as fulfillment_services
    from headend.inventory.models import Service
    from headend.orders.models import Order

    order = Order.objects.get(quote=make_quote(account=account, version=version, term_months=term, status="accepted"))
    fulfillment_services.task_complete(task=order.lines.get().work_order.tasks.get(), completed_by=None)
    return Service.objects.get(order_line__order=order)


def make_live_service_with_actions(account: Account | None = None) -> Any:
    """An active service whose product has suspend, restore and delete templates, each one code
    task (the circuit-id action: any action that succeeds)."""
    version = make_product(tasks=[TaskSpec("Install")])
    for action in ("suspend", "restore", "delete"):
        catalog_services.template_define(
            product=version.product,
            action=action,
            name=f"{action.title()} internet",
            tasks=[TaskSpec("Change the network", kind="code", code_action="inventory.assign_circuit_id")],
        )
    return make_live_service(account or make_account(), version)


def make_long_quote(lines: int, *, account: Account | None = None, status: str = "draft") -> Quote:
    """A quote of `lines` lines, each at its own site ("Site 1", "Site 2"...), bulk-inserted with
    its totals (the rows a CSV import writes, without pricing each one: fast for 10,000)."""
    from decimal import Decimal

    from django.db import transaction

    from headend.core import clock
    from headend.quoting.models import QuoteLine

    account = account or make_account(legal_name=f"Fleet {next(_seq)} LLC")
    version = make_product(prices={36: ("475.00", "0.00")})
    quote = quoting_services.quote_create(account=account, name=f"{lines} sites")
    now = clock.now()
    with transaction.atomic():
        locations = Location.objects.bulk_create(
            Location(
                account=account,
                name=f"Site {n}",
                line1=f"{n} Court St",
                city="Calais",
                state="ME",
                postal_code="04619",
                address_key=f"{n} COURT ST||CALAIS|ME|04619",
                created_at=now,
            )
            for n in range(1, lines + 1)
        )
        QuoteLine.objects.bulk_create(
            QuoteLine(
                quote=quote,
                position=n,
                location=location,
                product_version=version,
                term_months=36,
                quantity=1,
                mrc_unit_amount=Decimal("475.00"),
                nrc_unit_amount=Decimal("0.00"),
                mrc_amount=Decimal("475.00"),
                nrc_amount=Decimal("0.00"),
                contract_value_amount=Decimal("17100.00"),
            )
            for n, location in enumerate(locations, start=1)
        )
        Quote.objects.filter(pk=quote.pk).update(
            mrr_amount=Decimal("475.00") * lines, contract_value_amount=Decimal("17100.00") * lines
        )
    if status == "presented":
        Quote.objects.filter(pk=quote.pk).update(
            status="presented", presented_at=now, valid_until=clock.local_date(now) + dt.timedelta(days=30)
        )
    quote.refresh_from_db()
    return quote


def make_billing_account(account: Account | None = None, **values: Any) -> Any:
    """A billing account (the customer's default) of `account` or of a new residential customer."""
    from headend.billing import accounts

    return accounts.billing_account_create(
        account=account or make_account("residential"), created_by=make_user("billing"), **values
    )


def make_invoice(
    billing_account: Any, amount: str = "100.00", *, bill_date: dt.date | None = None, due_in: int | None = None
) -> Any:
    """A final invoice of one one-time charge of `amount`, billed on `bill_date` (default today),
    due after the billing account's terms (or `due_in` days), posted to the ledger as a bill run
    posts."""
    from headend.billing import invoicing
    from headend.billing.models import ChargeKind, Invoice, InvoiceLine, LineKind, OneTimeCharge

    bill_date = bill_date or clock.today()
    charge = OneTimeCharge.objects.create(
        billing_account=billing_account,
        kind=ChargeKind.CHARGE,
        description="Charge",
        amount=Decimal(amount),
        incurred_on=bill_date,
        source_key=f"test-charge-{next(_seq)}",
        created_at=clock.now(),
    )
    line = InvoiceLine(
        position=1,
        kind=LineKind.ONE_TIME,
        description="Charge",
        unit_amount=Decimal(amount),
        amount=Decimal(amount),
        revenue_account="Income:Other",
    )
    draft = invoicing.Draft(payer=billing_account, bill_date=bill_date, lines=[line], charges=[charge])
    with transaction.atomic():
        (invoice,) = invoicing.write([draft], run_key=False)
    if due_in is not None:
        Invoice.objects.filter(pk=invoice.pk).update(due_date=bill_date + dt.timedelta(days=due_in))
        invoice.refresh_from_db()
    return invoice


def make_overdue(account: Account, amount: str, days: int) -> Any:
    """An invoice of `account` for `amount`, due `days` days ago and unpaid."""
    billing_account = account.billing_accounts.filter(is_default=True).first() or make_billing_account(account)
    return make_invoice(billing_account, amount, bill_date=clock.today() - dt.timedelta(days=days), due_in=0)


def make_construction_product(*, survey_tasks: list[TaskSpec] | None = None) -> ProductVersion:
    """The catalog's construction charge (nil catalog price: the quote prices it by distance) with
    its "Site survey" template (two tasks by default, the second recording the outcome) and its
    build ("add") template, published."""
    n = next(_seq)
    product = catalog_services.product_create(
        code=f"construction-{n}", name=f"Construction {n}", kind="construction", customer_type="any"
    )
    version = catalog_services.version_create(
        product=product, effective_from=dt.date(2020, 1, 1), prices={term: ("0.00", "0.00") for term in (0, 12, 24)}
    )
    catalog_services.template_define(
        product=product,
        action="survey",
        name="Site survey",
        tasks=survey_tasks
        if survey_tasks is not None
        else [
            TaskSpec(name="Walk the route", role="provisioning", planned_minutes=120),
            TaskSpec(name="Record the outcome", role="provisioning", planned_minutes=15, depends_on=["Walk the route"]),
        ],
    )
    catalog_services.template_define(
        product=product, action="add", name="Build to the site", tasks=[TaskSpec("Lay the fiber", role="provisioning")]
    )
    return catalog_services.version_publish(version=version)
