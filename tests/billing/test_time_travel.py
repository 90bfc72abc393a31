"""Two years of one residential and one business customer (three sites), billed by the monthly
bill run on the 1st with the clock moved forward: sign-up mid-month, suspension at 23:30 local
and restore, a price revision, a move in the daylight-saving week, an upgrade mid-period, a
cancellation inside the term with its ETF. Every line of every invoice, to the cent."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from headend.billing import invoices as billing_invoices
from headend.billing.models import Invoice
from headend.core import clock
from headend.core.periods import add_months
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import Task
from headend.inventory import services as inventory_services
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.quoting import services as quoting
from tests.factories import (
    TaskSpec,
    make_account,
    make_change_catalog,
    make_location,
    make_product,
    make_quote,
    make_user,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    """An instant given as UTC text: '2026-01-17 19:07'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def finish(order: Order, run_worker) -> None:
    """Every task of the order's work orders done, in order, on the frozen day."""
    while True:
        task = (
            Task.objects.filter(work_order__order_line__order=order, status__in=("ready", "in_progress"))
            .order_by("id")
            .first()
        )
        if task is None:
            break
        fulfillment_services.task_complete(task=task, completed_by=None)
    run_worker()


def accept(quote, run_worker) -> Order:
    quote = quoting.quote_present(quote=quote)
    quoting.quote_accept(quote=quote, accepted_by_name="Pat Customer")
    run_worker()
    return Order.objects.get(quote=quote)


def bill(day: str, run_worker) -> str:
    with clock.frozen(at(f"{day} 12:00")):
        out = io.StringIO()
        call_command("run_billing", as_of=day, stdout=out)
        run_worker()
        return out.getvalue().strip().splitlines()[-1]


def lines_of(account) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for invoice in Invoice.objects.filter(billing_account__account=account).order_by("bill_date"):
        found[str(invoice.bill_date)] = [
            (line.description.replace("\N{EN DASH}", "-"), str(line.amount)) for line in invoice.lines.all()
        ]
    return found


def test_two_years_of_a_residential_and_a_business_customer_to_the_cent(run_worker):
    catalog = make_change_catalog()  # business: 1 Gbps 100.00 (ETF 50% of what remains, move 150.00), 2 Gbps 150.00
    fiber = make_product(code="res-fiber", tasks=[TaskSpec("Install")])
    for version, name in ((fiber, "Fiber 300"), (catalog["gig"], "1 Gbps"), (catalog["two_gig"], "2 Gbps")):
        version.product.name = name
        version.product.save()
    billing_user = make_user("billing")

    # Residential: signed up 17 January, turned up at 14:07 Maine time (EST).
    home = make_account("residential")
    with clock.frozen(at("2026-01-17 19:07")):
        order = Order.objects.get(quote=make_quote(account=home, version=fiber, term_months=12, status="accepted"))
        finish(order, run_worker)
    residential = Service.objects.get(account=home)

    # Business: three sites on one quote; they turn up on 5 January, 20 January and 3 February.
    shop = make_account("business")
    quote = make_quote(account=shop, lines=0)
    sites = [make_location(shop, line1=f"{n} Main St") for n in (1, 2, 3)]
    for site in sites:
        quoting.quote_line_add(quote=quote, location=site, product_version=catalog["gig"], term_months=12)
    with clock.frozen(at("2026-01-05 15:00")):
        order = accept(quote, run_worker)
    work = {line.location_id: line.work_order for line in order.lines.all()}
    for site, day in zip(sites, ("2026-01-05", "2026-01-20", "2026-02-03"), strict=True):
        with clock.frozen(at(f"{day} 16:00")):
            fulfillment_services.task_complete(task=work[site.pk].tasks.get(), completed_by=None)
            run_worker()
    one, two, three = (Service.objects.get(location=site) for site in sites)

    assert bill("2026-02-01", run_worker) == "2 invoices created"

    # Suspended at 23:30 on 9 February in Maine (04:30 UTC on the 10th): the 9th is not charged.
    with clock.frozen(at("2026-02-10 04:30")):
        inventory_services.service_suspend(service=residential, reason="customer away")
        run_worker()
    with clock.frozen(at("2026-02-20 15:00")):
        inventory_services.service_resume(service=residential)
        run_worker()

    assert bill("2026-03-01", run_worker) == "2 invoices created"
    assert bill("2026-03-01", run_worker) == "0 invoices created"  # a rerun creates nothing

    # Site 2 moves in the daylight-saving week (clocks went forward on 8 March), at 23:30 EDT on
    # the 10th: the move fee is charged, the price does not change.
    new_site = make_location(shop, line1="9 Harbor Rd")
    with clock.frozen(at("2026-03-09 15:00")):
        move = make_quote(account=shop, lines=0)
        quoting.quote_line_change(quote=move, service=two, action="move", location=new_site)
        move_order = accept(move, run_worker)
    with clock.frozen(at("2026-03-11 03:30")):
        finish(move_order, run_worker)

    # A price revision on 15 March for the residential plan: 70.00 from the next period.
    with clock.frozen(at("2026-03-15 15:00")):
        billing_invoices.price_revise(
            service=residential,
            revised_by=billing_user,
            mrc_amount="70.00",
            effective="next_period",
            reason="2026 prices",
        )
        run_worker()

    assert bill("2026-04-01", run_worker) == "2 invoices created"

    # Site 1 upgrades to 2 Gbps on 16 April: 15 of April's 30 days credited at 100.00, charged at 150.00.
    with clock.frozen(at("2026-04-14 15:00")):
        upgrade = make_quote(account=shop, lines=0)
        quoting.quote_line_change(quote=upgrade, service=one, action="upgrade", product_version=catalog["two_gig"])
        upgrade_order = accept(upgrade, run_worker)
    with clock.frozen(at("2026-04-16 15:00")):
        finish(upgrade_order, run_worker)

    for month in range(5, 10):
        assert bill(f"2026-{month:02d}-01", run_worker) == "2 invoices created"

    # Site 3 cancels on 2 September, inside its term: ETF 50% of what remains of 100.00 a month.
    with clock.frozen(at("2026-09-02 15:00")):
        cancel = make_quote(account=shop, lines=0)
        etf = quoting.quote_line_change(quote=cancel, service=three, action="cancel").etf_amount
        cancel_order = accept(cancel, run_worker)
        finish(cancel_order, run_worker)
    assert etf == Decimal("300.00")  # the quote counts 6 months left (to February 2027)

    day = dt.date(2026, 9, 1)
    while day < dt.date(2028, 1, 1):
        day = add_months(day, 1)
        assert bill(str(day), run_worker) == "2 invoices created"

    home_lines = lines_of(home)
    assert len(home_lines) == 24
    assert home_lines["2026-02-01"] == [
        ("Fiber 300 · 17 Jan-31 Jan 2026", "31.45"),  # 15 of 31 days of 65.00
        ("Fiber 300 · 1 Feb-28 Feb 2026", "65.00"),
    ]
    assert home_lines["2026-03-01"] == [
        ("Credit: Fiber 300 · 9 Feb-19 Feb 2026", "-25.54"),  # 11 of 28 days off: 65.00 x 17/28 = 39.46 kept
        ("Fiber 300 · 1 Mar-31 Mar 2026", "65.00"),
    ]
    assert home_lines["2026-04-01"] == [("Fiber 300 · 1 Apr-30 Apr 2026", "70.00")]
    for month in [*(f"2026-{m:02d}" for m in range(5, 13)), *(f"2027-{m:02d}" for m in range(1, 13))]:
        (only,) = home_lines[f"{month}-01"]
        assert only[1] == "70.00", month

    shop_lines = lines_of(shop)
    assert len(shop_lines) == 24
    assert shop_lines["2026-02-01"] == [
        ("1 Gbps · 5 Jan-31 Jan 2026", "87.10"),  # 27 of 31 days of 100.00
        ("1 Gbps · 1 Feb-28 Feb 2026", "100.00"),
        ("1 Gbps · 20 Jan-31 Jan 2026", "38.71"),  # 12 of 31
        ("1 Gbps · 1 Feb-28 Feb 2026", "100.00"),
        ("1 Gbps · 3 Feb-28 Feb 2026", "92.86"),  # 26 of 28
    ]
    assert shop_lines["2026-03-01"] == [("1 Gbps · 1 Mar-31 Mar 2026", "100.00")] * 3
    assert shop_lines["2026-04-01"][:3] == [("1 Gbps · 1 Apr-30 Apr 2026", "100.00")] * 3
    assert shop_lines["2026-04-01"][3][1] == "150.00"  # the move fee
    assert shop_lines["2026-05-01"] == [
        ("Credit: 1 Gbps · 16 Apr-30 Apr 2026", "-50.00"),
        ("2 Gbps · 16 Apr-30 Apr 2026", "75.00"),
        ("2 Gbps · 1 May-31 May 2026", "150.00"),
        ("1 Gbps · 1 May-31 May 2026", "100.00"),
        ("1 Gbps · 1 May-31 May 2026", "100.00"),
    ]
    assert shop_lines["2026-10-01"] == [
        ("2 Gbps · 1 Oct-31 Oct 2026", "150.00"),
        ("1 Gbps · 1 Oct-31 Oct 2026", "100.00"),
        ("Credit: 1 Gbps · 2 Sep-30 Sep 2026", "-96.67"),  # off from the 2nd: 29 of 30 days of 100.00
        (shop_lines["2026-10-01"][3][0], "300.00"),  # the ETF
    ]
    assert shop_lines["2027-12-01"] == [
        ("2 Gbps · 1 Dec-31 Dec 2027", "150.00"),
        ("1 Gbps · 1 Dec-31 Dec 2027", "100.00"),
    ]
