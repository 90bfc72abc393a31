"""The CPQ walk the issue asks for, end to end through the use cases and the signing link:
FCC coverage import, serviceability, a 3-site business quote that adds 2 services, upgrades 1,
re-terms 1 and cancels 1 inside its term (ETF), approvals for the discount and the customer's
overdue balance, presented, PDF rendered, signed online, ordered as add/modify/delete lines."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import h3
import pytest

from headend.catalog import services as catalog_services
from headend.catalog.services import TaskSpec
from headend.contracts.models import QuoteDocument, Signature
from headend.crm import services as crm_services
from headend.crm.models import Opportunity
from headend.fulfillment import services as fulfillment_services
from headend.inventory.models import Service
from headend.network import selectors as network_selectors
from headend.network import services as network_services
from headend.orders.models import Order
from headend.quoting import services as quoting
from headend.quoting.models import ApprovalRule
from tests.contracts.conftest import link_from_outbox
from tests.factories import define_change_templates, make_location, make_overdue, make_quote, make_user

pytestmark = pytest.mark.django_db

FCC_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "fcc-bdc" / "bdc_23029_fiber_fixed_broadband_J23_sample.csv"
CELL = "882b181339fffff"  # an H3 res-8 cell where the sample has business fiber at 1000/1000


def fiber(code: str, down: int, prices: dict) -> object:
    product = catalog_services.product_create(code=code, name=code, kind="internet", customer_type="business")
    for action in ("add", "modify", "delete"):
        catalog_services.template_define(
            product=product, action=action, name=f"{action} {code}", tasks=[TaskSpec("Do it")]
        )
    define_change_templates(product)
    version = catalog_services.version_publish(
        version=catalog_services.version_create(
            product=product,
            effective_from=dt.date(2020, 1, 1),
            prices=prices,
            download_mbps=down,
            upload_mbps=down,
            technology="fiber",
            floor_mrc="500.00",
            etf_kind="percent_of_remaining",
            etf_percent="50",
        )
    )
    return version


def test_cpq_walk(client, run_worker):
    with FCC_SAMPLE.open("rb") as handle:
        imported = network_services.coverage_import_fcc(file=handle, file_name=FCC_SAMPLE.name)
    assert imported.rows_rejected == 0
    dia = fiber("dia-500", 500, {12: ("600.00", "500.00"), 36: ("550.00", "0.00")})
    dia_1g = fiber("dia-1g", 1000, {12: ("900.00", "500.00"), 36: ("800.00", "0.00")})
    catalog_services.product_relate(product=dia.product, target=dia_1g.product, kind="upgrade")
    ApprovalRule.objects.create(
        name="Discount", kind="discount_above", threshold=Decimal("10"), approver_role="sales_manager"
    )
    ApprovalRule.objects.create(
        name="Overdue", kind="overdue_balance_above", threshold=Decimal("100"), approver_role="finance"
    )

    # A business with three sites in the covered cell and three services it already buys.
    lat, lng = h3.cell_to_latlng(CELL)
    account = crm_services.account_create(kind="business", legal_name="Quoddy Ferries Inc", email="ops@quoddy.example")
    crm_services.contact_create(  # who receives the quote (never the general mailbox unless chosen)
        account=account, first_name="Pat", last_name="Quoddy", email="pat@quoddy.example", role="primary"
    )
    sites = [
        make_location(account, line1=f"{n} Water St", latitude=f"{lat:.6f}", longitude=f"{lng:.6f}")
        for n in (10, 20, 30)
    ]
    serviceability = network_selectors.serviceability_for(location=sites[0])
    assert [(t.technology, t.max_down_mbps) for t in serviceability.technologies] == [("fiber", 1000)]
    existing = []
    for site in sites:
        quote = make_quote(account=account, version=dia, term_months=36, lines=0)
        quoting.quote_line_add(quote=quote, location=site, product_version=dia, term_months=36)
        quoting.quote_present(quote=quote)
        quoting.quote_accept(quote=quote, accepted_by_name="Earlier deal")
        task = Order.objects.get(quote=quote).lines.get().work_order.tasks.get()
        fulfillment_services.task_complete(task=task, completed_by=None)
        existing.append(Service.objects.get(order_line__order__quote=quote))
    make_overdue(account, "450.00", days=20)

    # The change quote: 2 adds, 1 upgrade, 1 re-term, 1 cancel inside the term.
    quote = quoting.quote_create(account=account, name="Quoddy refresh")
    add_a = quoting.quote_line_add(quote=quote, location=sites[0], product_version=dia_1g, term_months=36)
    quoting.quote_line_add(quote=quote, location=sites[1], product_version=dia_1g, term_months=12)
    quoting.quote_line_discount(line=add_a, percent="15")
    quoting.quote_line_change(
        quote=quote, service=existing[0], action="upgrade", product_version=dia_1g, term_months=36
    )
    quoting.quote_line_change(quote=quote, service=existing[1], action="re_term", term_months=12)
    cancel = quoting.quote_line_change(quote=quote, service=existing[2], action="cancel")
    assert cancel.etf_amount == Decimal("9900.00")  # 50% x 36 months left x 550.00

    approvals = {a.rule.name: a for a in quote.approvals.filter(status="pending")}
    assert set(approvals) == {"Discount", "Overdue"}
    quoting.quote_approval_decide(
        approval=approvals["Discount"], approve=True, comment="Fleet deal", decided_by=make_user("sales_manager")
    )
    quoting.quote_approval_decide(
        approval=approvals["Overdue"], approve=True, comment="Paying down", decided_by=make_user("finance")
    )
    quoting.quote_present(quote=quote)
    run_worker()  # renders the PDF and emails the signing link

    document = QuoteDocument.objects.get(quote=quote)
    assert document.file.open("rb").read(4) == b"%PDF"
    path = link_from_outbox()
    response = client.post(
        path,
        {"decision": "accept", "signer_name": "Dana Quoddy", "consent": "on"},
        REMOTE_ADDR="198.51.100.4",
        HTTP_USER_AGENT="Mozilla/5.0",
    )
    assert response.status_code in (200, 302)

    quote.refresh_from_db()
    assert (quote.status, quote.accepted_by_name) == ("accepted", "Dana Quoddy")
    assert Signature.objects.get(document=document).ip_address == "198.51.100.4"
    order = Order.objects.get(quote=quote)
    assert [(line.action, line.target_service) for line in order.lines.order_by("position")] == [
        ("add", None),
        ("add", None),
        ("modify", existing[0]),
        ("modify", existing[1]),
        ("delete", existing[2]),
    ]
    opportunity = Opportunity.objects.get(pk=quote.opportunity_id)
    assert (opportunity.stage, opportunity.amount) == ("closed_won", quote.mrr_amount)
    assert quote.mrr_change_amount == quote.mrr_amount - quote.mrr_before_amount
