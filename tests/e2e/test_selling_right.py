"""Issue 17's walk in Chromium: a rep quotes three sites from a CSV of addresses only (no
coordinates): on our network, near it (a survey and a construction charge) and off it (refused
with the reason); the quote cannot be presented until the survey is done; a manager finds it in
the approvals inbox and approves; the rep previews the document, chooses a contact and sends."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from headend.contracts.models import SigningLink
from headend.core import clock, events
from headend.crm import services as crm_services
from headend.crm.addresses import normalize_address
from headend.crm.models import AddressPoint
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment import surveys as fulfillment_surveys
from headend.fulfillment.models import WorkOrder
from headend.network import services as network_services
from headend.quoting import services as quoting_services
from headend.quoting.models import ApprovalRule, Quote, SiteSurvey
from tests.factories import make_account, make_construction_product, make_product, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COVERED = "882b1891c3fffff"  # our fiber; its centre is the first site
SITES = [
    ("10 Water St", Decimal("44.899673"), Decimal("-67.006013")),  # in the covered cell
    ("20 Water St", Decimal("44.907994"), Decimal("-67.007382")),  # 932 m from it
    ("30 Water St", Decimal("45.100000"), Decimal("-67.006013")),  # 22 km north
]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")


def relay() -> None:
    """What the worker does between two of the users' steps."""
    while events.relay():
        pass


def the_provider() -> dict:
    network_services.coverage_area_create(
        name="Eastport fiber", technology="fiber", max_down_mbps=1000, max_up_mbps=1000, created_by=None, cells=COVERED
    )
    for line1, lat, lng in SITES:  # the provider's passings: addresses with their coordinates
        address = normalize_address(line1=line1, city="Eastport", state="ME", postal_code="04631")
        AddressPoint.objects.create(
            address_key=address.key,
            line1=address.line1,
            city=address.city,
            state=address.state,
            postal_code=address.postal_code,
            latitude=lat,
            longitude=lng,
            imported_at=clock.now(),
        )
    make_construction_product()
    plan = make_product(code="biz-fiber-1g", customer_type="business", prices={36: ("400.00", "0.00")})
    ApprovalRule.objects.create(
        name="Big deal", kind="contract_value_above", threshold=Decimal("10000"), approver_role="sales_manager"
    )
    account = make_account(legal_name="Passamaquoddy Boatworks LLC")
    crm_services.contact_create(
        account=account, first_name="Jo", last_name="Boatwright", email="jo@boatworks.example", role="primary"
    )
    crm_services.contact_create(
        account=account, first_name="Bo", last_name="Ledger", email="ap@boatworks.example", role="billing"
    )
    rep = make_user("sales", username="dana", first_name="Dana")
    make_user("sales_manager", username="morgan", first_name="Morgan")
    quote = quoting_services.quote_create(account=account, name="Boatworks sites", created_by=rep)
    return {"plan": plan, "quote": quote}


def survey_done(quote: Quote) -> None:
    """The surveyor walks the route and finds the near site buildable (their own pages are tested
    in tests/fulfillment)."""
    relay()
    work_order = WorkOrder.objects.get(kind="survey")
    tech = make_user("provisioning")
    first = work_order.tasks.get(position=1)
    fulfillment_services.task_start(task=first, started_by=tech)
    fulfillment_services.task_complete(task=first, completed_by=tech)
    fulfillment_surveys.survey_complete(work_order=work_order, feasible=True, completed_by=tech, notes="Poles free")
    relay()


def test_three_sites_from_addresses_a_survey_an_approval_and_a_chosen_contact(browser, live_server):
    world = the_provider()
    quote = world["quote"]
    code = world["plan"].product.code
    csv = "address,product,term\n" + "".join(f'"{line1}, Eastport, ME 04631",{code},36\n' for line1, _, _ in SITES)

    rep = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    log_in(rep, live_server, "dana")
    rep.goto(f"{live_server.url}/quotes/{quote.pk}/sites/")
    rep.get_by_label("CSV file (UTF-8)").set_input_files(
        files=[{"name": "sites.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    rep.get_by_role("button", name="Check and import").click()
    expect(rep.get_by_text(re.compile("Off our network: nothing of ours within"))).to_be_visible()
    rep.get_by_test_id("import-valid").click()  # the kept file: no second upload
    expect(rep.get_by_role("heading", level=1)).to_contain_text(quote.number)

    lines = list(quote.lines.order_by("position").values_list("location__line1", "product_version__product__kind"))
    assert lines == [("10 WATER ST", "internet"), ("20 WATER ST", "internet"), ("20 WATER ST", "construction")]
    survey = SiteSurvey.objects.get()
    assert survey.reach == "near_net"
    assert survey.status in ("requested", "scheduled")  # the survey's work order follows the commit
    expect(rep.get_by_test_id("site-survey")).to_contain_text("About 93")
    # Not presentable, not even submittable, while the survey is open.
    rep.get_by_role("button", name="Submit for approval").click()
    expect(rep.get_by_text(re.compile("A site survey holds this quote back"))).to_be_visible()
    quote.refresh_from_db()
    assert quote.submitted_at is None

    survey_done(quote)
    rep.reload()
    expect(rep.get_by_test_id("site-survey")).to_have_attribute("data-status", "done_feasible")
    rep.get_by_role("button", name="Submit for approval").click()
    expect(rep.get_by_text("Awaiting approval").first).to_be_visible()

    manager = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    log_in(manager, live_server, "morgan")
    manager.goto(f"{live_server.url}/quotes/approvals/")
    row = manager.locator("tr", has_text=quote.number)
    expect(row).to_contain_text("Big deal")
    row.get_by_role("link", name=quote.number).click()
    manager.get_by_role("button", name="Approve").click()
    expect(manager.get_by_test_id("approval-row")).to_contain_text("Approved")

    rep.reload()
    rep.get_by_test_id("preview-and-present").click()
    expect(rep.get_by_text("Preview: what the customer receives")).to_be_visible()
    expect(rep.locator("body")).not_to_contain_text("version 1")
    rep.get_by_role("link", name="Choose recipients and send →").click()
    rep.get_by_label(re.compile("Jo Boatwright")).check()  # the primary contact, ticked already
    rep.get_by_label(re.compile("Bo Ledger")).uncheck()
    rep.get_by_label("Message").fill("Here is the quote for the three sites we walked.")
    rep.get_by_test_id("send-quote").click()
    expect(rep.get_by_test_id("signing-links")).to_contain_text("jo@boatworks.example")
    relay()

    quote.refresh_from_db()
    assert quote.status == "presented"
    assert list(SigningLink.objects.filter(quote=quote).values_list("sent_to", "message")) == [
        ("jo@boatworks.example", "Here is the quote for the three sites we walked.")
    ]
