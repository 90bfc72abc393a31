"""TMF666 billingAccount and TMF678 customerBill and appliedCustomerBillingRate."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.billing.accounts import billing_account_create
from headend.billing.models import BillingAccount, Invoice, InvoiceLine
from headend.crm import services as crm_services
from tests.api.client import TMFClient, assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.conftest import FROZEN_AT
from tests.factories import make_account, make_live_service_with_actions, make_user

pytestmark = pytest.mark.django_db

ACCOUNTS = "/accountManagement/v4/billingAccount"
BILLS = "/customerBillManagement/v4/customerBill"
RATES = "/customerBillManagement/v4/appliedCustomerBillingRate"
HOST = "http://testserver/tmf-api"


@pytest.fixture
def clerk():
    return make_user("billing")


@pytest.fixture
def billing_api(client, clerk):
    return TMFClient.for_user(client, clerk)


@pytest.fixture
def sales_api(client):
    return TMFClient.for_user(client, make_user("sales"))


def party(account):
    return [{"id": str(account.pk), "role": "customer", "@referredType": "Organization"}]


def cycle(**attributes):
    return {"billStructure": {"cycleSpecification": attributes}}


def paid_by(parent_id, relationship="paidBy"):
    return {"accountRelationship": [{"relationshipType": relationship, "account": {"id": str(parent_id)}}]}


CYCLE = "billStructure.cycleSpecification"
PARENT = "accountRelationship[0].account.id"


def valid_account(data):
    assert_valid(data, api="666", definition="BillingAccount")
    return data


# TMF666 billingAccount


def test_create_with_every_attribute(billing_api, clerk):
    account = make_account(legal_name="Eastport Marine Supply LLC")
    contact = crm_services.contact_create(
        account=account, first_name="Ada", last_name="Lovelace", email="ada@example.com", phone="207-555-0134"
    )
    parent = billing_account_create(account=account, created_by=clerk, name="Head office")

    response = billing_api.post(
        ACCOUNTS,
        {
            "name": "Cannery site",
            "relatedParty": party(account),
            "billStructure": {
                "cycleSpecification": {
                    "name": "calendar",
                    "isRef": False,
                    "billingDateShift": 4,
                    "paymentDueDateOffset": 34,
                },
                "presentationMedia": [{"name": "portal", "isRef": False}],
            },
            "accountRelationship": [{"relationshipType": "paidBy", "account": {"id": str(parent.pk)}}],
            "contact": [{"contactType": "billing", "relatedParty": {"id": str(contact.pk)}}],
            "taxExemption": [{"certificateNumber": "ME-EX-4471", "issuingJurisdiction": "ME"}],
            "currency": "USD",
            "proration": "none",
        },
    )

    assert response.status_code == 201, response.content
    created = BillingAccount.objects.exclude(pk=parent.pk).get()
    assert (
        created.name,
        created.bill_day,
        created.payment_terms_days,
        created.delivery,
        created.parent,
        created.contact,
        created.tax_exempt_certificate,
        created.proration,
        created.is_default,
    ) == ("Cannery site", 5, 30, "portal", parent, contact, "ME-EX-4471", "none", False)
    assert valid_account(body(response)) == {
        "id": str(created.pk),
        "href": f"{HOST}/accountManagement/v4/billingAccount/{created.pk}",
        "@type": "BillingAccount",
        "name": "Cannery site",
        "description": created.number,
        "state": "active",
        "relatedParty": [
            {
                "id": str(account.pk),
                "href": f"{HOST}/customerManagement/v4/customer/{account.pk}",
                "name": account.name,
                "role": "customer",
                "@referredType": "Customer",
            }
        ],
        "billStructure": {
            "cycleSpecification": {
                "@type": "BillingCycleSpecification",
                "isRef": False,
                "name": "calendar",
                "description": "Monthly (calendar) from bill day 5, due 30 days after the bill date",
                "billingPeriod": "month",
                "frequency": "monthly",
                "billingDateShift": 4,
                "paymentDueDateOffset": 34,
            },
            "presentationMedia": [
                {"@type": "BillPresentationMedia", "isRef": False, "name": "portal", "description": "Portal only"}
            ],
        },
        "accountRelationship": [
            {
                "relationshipType": "paidBy",
                "account": {
                    "id": str(parent.pk),
                    "href": f"{HOST}/accountManagement/v4/billingAccount/{parent.pk}",
                    "name": "Head office",
                    "@referredType": "BillingAccount",
                },
                "validFor": {},
            }
        ],
        "contact": [
            {
                "contactType": "billing",
                "contactName": "Ada Lovelace",
                "contactMedium": [
                    {
                        "mediumType": "email",
                        "characteristic": {"contactType": "email", "emailAddress": "ada@example.com"},
                    },
                    {"mediumType": "phone", "characteristic": {"contactType": "phone", "phoneNumber": "+12075550134"}},
                ],
                "relatedParty": {
                    "id": str(contact.pk),
                    "name": "Ada Lovelace",
                    "role": "billingContact",
                    "@referredType": "Individual",
                },
                "validFor": {"startDateTime": "2026-03-02T15:00:00Z"},
            }
        ],
        "taxExemption": [{"certificateNumber": "ME-EX-4471", "issuingJurisdiction": "all", "validFor": {}}],
        "currency": "USD",
        "isDefault": False,
        "proration": "none",
    }


def test_create_with_the_customer_alone_takes_the_defaults(billing_api):
    account = make_account()

    response = billing_api.post(ACCOUNTS, {"relatedParty": party(account)})

    assert response.status_code == 201, response.content
    data = valid_account(body(response))
    created = BillingAccount.objects.get()
    assert (created.name, created.bill_day, created.payment_terms_days, created.is_default, created.created_at) == (
        account.name,
        1,
        15,
        True,
        FROZEN_AT,
    )
    cycle = data["billStructure"]["cycleSpecification"]
    assert (cycle["billingDateShift"], cycle["paymentDueDateOffset"], data["isDefault"]) == (0, 15, True)
    assert (data["accountRelationship"], data["contact"], data["taxExemption"]) == ([], [], [])
    assert "proration" not in data


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (cycle(billingDateShift=39), f"{CYCLE}.billingDateShift", "invalid_bill_day"),
        (cycle(paymentDueDateOffset=200), f"{CYCLE}.paymentDueDateOffset", "invalid_payment_terms"),
        (cycle(name="weekly"), f"{CYCLE}.name", "literal_error"),
        (
            {"billStructure": {"presentationMedia": [{"name": "fax"}]}},
            "billStructure.presentationMedia[0].name",
            "invalid_choice",
        ),
        ({"billStructure": {"presentationMedia": []}}, "billStructure.presentationMedia", "one_medium"),
        (
            {"taxExemption": [{"issuingJurisdiction": "ME"}]},
            "taxExemption[0].certificateNumber",
            "certificate_required",
        ),
        ({"currency": "US"}, "currency", "invalid_currency"),
        ({"relatedParty": [{"id": "987654", "role": "customer"}]}, "relatedParty[0].id", "unknown_reference"),
        ({"relatedParty": []}, "relatedParty", "customer_required"),
        (paid_by(987654), PARENT, "unknown_reference"),
        (paid_by(1, "sibling"), "accountRelationship[0].relationshipType", "unsupported_relationship"),
        ({"contact": [{"relatedParty": {"id": "987654"}}]}, "contact[0].relatedParty.id", "unknown_reference"),
    ],
)
def test_bad_input_names_the_attribute_and_writes_nothing(billing_api, change, field, code):
    account = make_account()

    response = billing_api.post(ACCOUNTS, {"relatedParty": party(account), **change})

    assert_error(response, status=400, code=code, field=field, api="666")
    assert not BillingAccount.objects.exists()


def test_another_customers_parent_or_contact_is_refused(billing_api, clerk):
    account, other = make_account(), make_account()
    foreign = billing_account_create(account=other, created_by=clerk)
    contact = crm_services.contact_create(account=other, first_name="Bo", last_name="Diddley", email="bo@example.com")

    parent = billing_api.post(
        ACCOUNTS,
        {
            "relatedParty": party(account),
            "accountRelationship": [{"relationshipType": "paidBy", "account": {"id": str(foreign.pk)}}],
        },
    )
    contacted = billing_api.post(
        ACCOUNTS, {"relatedParty": party(account), "contact": [{"relatedParty": {"id": str(contact.pk)}}]}
    )

    assert_error(parent, status=400, code="foreign_parent", field="accountRelationship[0].account.id", api="666")
    assert_error(contacted, status=400, code="foreign_contact", field="contact[0].relatedParty.id", api="666")
    assert list(BillingAccount.objects.all()) == [foreign]


def test_patch_is_a_merge_patch(billing_api, clerk):
    account = make_account()
    contact = crm_services.contact_create(
        account=account, first_name="Ada", last_name="Lovelace", email="a@example.com"
    )
    parent = billing_account_create(account=account, created_by=clerk)
    billing_account = billing_account_create(
        account=account,
        created_by=clerk,
        name="Cannery",
        bill_day=5,
        payment_terms_days=30,
        parent=parent,
        contact=contact,
        tax_exempt=True,
        tax_exempt_certificate="ME-1",
    )
    path = f"{ACCOUNTS}/{billing_account.pk}"

    moved = billing_api.patch(path, cycle(billingDateShift=11))

    assert moved.status_code == 200, moved.content
    moved_cycle = valid_account(body(moved))["billStructure"]["cycleSpecification"]
    assert (moved_cycle["billingDateShift"], moved_cycle["paymentDueDateOffset"]) == (11, 41)  # terms stay net 30
    billing_account.refresh_from_db()
    assert (billing_account.bill_day, billing_account.payment_terms_days, billing_account.name) == (12, 30, "Cannery")

    cleared = billing_api.patch(
        path,
        {"accountRelationship": None, "contact": [], "taxExemption": None, "name": "Cannery site"},
        content_type="application/json",
    )

    assert cleared.status_code == 200, cleared.content
    data = valid_account(body(cleared))
    assert (data["name"], data["accountRelationship"], data["contact"], data["taxExemption"]) == (
        "Cannery site",
        [],
        [],
        [],
    )
    billing_account.refresh_from_db()
    assert (billing_account.parent, billing_account.contact, billing_account.tax_exempt) == (None, None, False)


def test_a_bad_patch_names_the_attribute_and_changes_nothing(billing_api, clerk):
    account, other = make_account(), make_account()
    billing_account = billing_account_create(account=account, created_by=clerk, bill_day=5)
    foreign = billing_account_create(account=other, created_by=clerk)
    path = f"{ACCOUNTS}/{billing_account.pk}"
    bad = [
        (cycle(billingDateShift=39), "invalid_bill_day", f"{CYCLE}.billingDateShift"),
        (paid_by(foreign.pk), "foreign_parent", PARENT),
        (paid_by(billing_account.pk), "parent_cycle", PARENT),
        ({"taxExemption": [{"certificateNumber": ""}]}, "certificate_required", "taxExemption[0].certificateNumber"),
        ({"relatedParty": party(other)}, "immutable", "relatedParty[0].id"),
        ({"state": "closed"}, "read_only", "state"),
        ({"id": "1234"}, "immutable", "id"),
        ({"isDefault": False}, "default_required", "isDefault"),
        ({"billStructure": None}, "required", "billStructure"),
    ]

    for change, code, field in bad:
        assert_error(billing_api.patch(path, change), status=400, code=code, field=field, api="666")

    billing_account.refresh_from_db()
    assert (billing_account.bill_day, billing_account.parent, billing_account.tax_exempt, billing_account.status) == (
        5,
        None,
        False,
        "active",
    )
    assert billing_account.history.count() == 1


def test_get_and_list_with_filters(billing_api, clerk):
    account, other = make_account(), make_account()
    first = billing_account_create(account=account, created_by=clerk)
    second = billing_account_create(account=account, created_by=clerk)
    billing_account_create(account=other, created_by=clerk)

    one = billing_api.get(f"{ACCOUNTS}/{second.pk}")
    mine = billing_api.get(ACCOUNTS, **{"relatedParty.id": account.pk, "limit": 1})
    active = billing_api.get(ACCOUNTS, state="active", fields="name")
    closed = billing_api.get(ACCOUNTS, state="closed")

    assert valid_account(body(one))["id"] == str(second.pk)
    assert [valid_account(item)["id"] for item in body(mine)] == [str(first.pk)]
    assert (mine["X-Total-Count"], mine["X-Result-Count"]) == ("2", "1")
    assert body(active)[0] == {
        "id": str(first.pk),
        "href": f"{HOST}/accountManagement/v4/billingAccount/{first.pk}",
        "@type": "BillingAccount",
        "name": first.name,
    }
    assert active["X-Total-Count"] == "3"
    assert body(closed) == []


def test_unknown_ids_are_404(billing_api):
    for path in (f"{ACCOUNTS}/987654", f"{ACCOUNTS}/abc", f"{BILLS}/987654", f"{RATES}/987654"):
        assert_error(billing_api.get(path), status=404, code="not_found", api="666")
    assert_error(billing_api.patch(f"{ACCOUNTS}/987654", {"name": "x"}), status=404, code="not_found", api="666")


def test_sales_may_read_but_not_write(sales_api, billing_api, clerk, client):
    account = make_account()
    billing_account = billing_account_create(account=account, created_by=clerk)

    assert sales_api.get(ACCOUNTS).status_code == 200
    assert sales_api.get(f"{ACCOUNTS}/{billing_account.pk}").status_code == 200
    assert sales_api.get(BILLS).status_code == 200
    assert sales_api.get(RATES).status_code == 200
    assert_error(sales_api.post(ACCOUNTS, {"relatedParty": party(account)}), status=403, code="role_required")
    assert_error(sales_api.patch(f"{ACCOUNTS}/{billing_account.pk}", {"name": "x"}), status=403, code="role_required")
    assert BillingAccount.objects.count() == 1
    provisioning = TMFClient.for_user(client, make_user("provisioning"))
    assert_error(provisioning.get(ACCOUNTS), status=403, code="role_required")
    assert_error(provisioning.get(BILLS), status=403, code="role_required")
    assert billing_api.patch(f"{ACCOUNTS}/{billing_account.pk}", {"name": "Renamed"}).status_code == 200


def test_without_a_token_it_is_401(client):
    anonymous = TMFClient(client)
    for path in (ACCOUNTS, BILLS, RATES):
        assert_error(anonymous.get(path), status=401, code="unauthorized")
    assert_error(anonymous.post(ACCOUNTS, {}), status=401, code="unauthorized")


# TMF678 customerBill and appliedCustomerBillingRate


def make_invoice(billing_account, service=None, **fields):
    """A finalised invoice of February's charges: a prorated recurring charge, a credit, an
    installation fee and two taxes, written straight to the tables."""
    values = {
        "status": Invoice.Status.FINALISED,
        "number": "INV-000001",
        "bill_date": dt.date(2026, 3, 1),
        "due_date": dt.date(2026, 3, 16),
        "currency": "USD",
        "subtotal_amount": Decimal("120.00"),
        "tax_amount": Decimal("6.60"),
        "total_amount": Decimal("126.60"),
        "amount_due": Decimal("100.00"),
        "created_at": FROZEN_AT,
        "finalised_at": FROZEN_AT,
        **fields,
    }
    invoice = Invoice.objects.create(billing_account=billing_account, **values)
    recurring = {
        "kind": "recurring",
        "service": service,
        "period_start": dt.date(2026, 2, 1),
        "period_end": dt.date(2026, 3, 1),
        "period_days": 28,
        "tax_category": "internet",
    }
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        description="Fiber 1 Gbps, 15-28 February",
        start_date=dt.date(2026, 2, 15),
        end_date=dt.date(2026, 3, 1),
        days=14,
        fraction=Decimal("0.500000"),
        unit_amount=Decimal("100.00"),
        amount=Decimal("50.00"),
        cause="order O-000001",
        **recurring,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=2,
        description="Fiber 1 Gbps, suspended 20-21 February",
        start_date=dt.date(2026, 2, 20),
        end_date=dt.date(2026, 2, 22),
        days=-2,
        fraction=Decimal("-0.071429"),
        unit_amount=Decimal("100.00"),
        amount=Decimal("-7.14"),
        **recurring,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=3,
        kind="one_time",
        description="Installation",
        service=service,
        quantity=2,
        unit_amount=Decimal("38.57"),
        amount=Decimal("77.14"),
        tax_category="other",
    )
    for position, (name, rate, amount) in enumerate(
        [("Maine sales tax (ME)", "5.5000", "6.00"), ("Eastport city tax (Eastport, ME)", "0.5000", "0.60")], start=4
    ):
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            kind="tax",
            description=name,
            jurisdiction=name,
            tax_rate=Decimal(rate),
            taxable_amount=Decimal("120.00"),
            unit_amount=Decimal(amount),
            amount=Decimal(amount),
        )
    return invoice


@pytest.fixture
def billed(clerk):
    account = make_account()
    service = make_live_service_with_actions(account)
    billing_account = billing_account_create(account=account, created_by=clerk, name="Cannery")
    return account, billing_account, service, make_invoice(billing_account, service)


def test_customer_bill(billing_api, billed):
    account, billing_account, _, invoice = billed

    response = billing_api.get(f"{BILLS}/{invoice.pk}")

    assert response.status_code == 200, response.content
    bill = body(response)
    assert_valid(bill, api="678", definition="CustomerBill")
    pdf = f"http://testserver/billing/invoices/{invoice.pk}/pdf/"
    assert bill == {
        "id": str(invoice.pk),
        "href": f"{HOST}/customerBillManagement/v4/customerBill/{invoice.pk}",
        "@type": "CustomerBill",
        "billNo": "INV-000001",
        "billDate": "2026-03-01T00:00:00-05:00",
        "paymentDueDate": "2026-03-16T00:00:00-04:00",
        "lastUpdate": "2026-03-02T15:00:00Z",
        "state": "validated",
        "category": "normal",
        "runType": "offCycle",
        "amountDue": {"unit": "USD", "value": Decimal("126.60")},
        "remainingAmount": {"unit": "USD", "value": Decimal("100.00")},
        "taxExcludedAmount": {"unit": "USD", "value": Decimal("120.00")},
        "taxIncludedAmount": {"unit": "USD", "value": Decimal("126.60")},
        "taxItem": [
            {
                "@type": "TaxItem",
                "taxCategory": "Maine sales tax (ME)",
                "taxRate": Decimal("5.5"),
                "taxAmount": {"unit": "USD", "value": Decimal("6.00")},
            },
            {
                "@type": "TaxItem",
                "taxCategory": "Eastport city tax (Eastport, ME)",
                "taxRate": Decimal("0.5"),
                "taxAmount": {"unit": "USD", "value": Decimal("0.60")},
            },
        ],
        "billingAccount": {
            "id": str(billing_account.pk),
            "href": f"{HOST}/accountManagement/v4/billingAccount/{billing_account.pk}",
            "name": "Cannery",
            "@referredType": "BillingAccount",
        },
        "billingPeriod": {"startDateTime": "2026-02-01T00:00:00-05:00", "endDateTime": "2026-02-28T23:59:59-05:00"},
        "relatedParty": [
            {
                "id": str(account.pk),
                "href": f"{HOST}/customerManagement/v4/customer/{account.pk}",
                "name": account.name,
                "role": "customer",
                "@referredType": "Customer",
            }
        ],
        "billDocument": [
            {
                "@type": "Attachment",
                "href": pdf,
                "url": pdf,
                "name": "INV-000001.pdf",
                "attachmentType": "invoice",
                "mimeType": "application/pdf",
            }
        ],
    }


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("draft", "new"),
        ("finalised", "validated"),
        ("sent", "sent"),
        ("partially_paid", "partiallyPaid"),
        ("settled", "settled"),
        ("void", "settled"),
    ],
)
def test_bill_states(billing_api, clerk, status, state):
    billing_account = billing_account_create(account=make_account(), created_by=clerk)
    invoice = make_invoice(billing_account, status=status, number=None if status == "draft" else "INV-000009")

    bill = body(billing_api.get(f"{BILLS}/{invoice.pk}"))

    assert_valid(bill, api="678", definition="CustomerBill")
    assert bill["state"] == state
    assert ("billNo" in bill) == (status != "draft")
    assert bill["billDocument"][0]["name"] == (f"Draft {invoice.pk}.pdf" if status == "draft" else "INV-000009.pdf")


def test_a_credit_note_without_recurring_lines_covers_its_bill_date(billing_api, clerk):
    billing_account = billing_account_create(account=make_account(), created_by=clerk)
    note = Invoice.objects.create(
        billing_account=billing_account,
        kind=Invoice.Kind.CREDIT_NOTE,
        status=Invoice.Status.FINALISED,
        number="CN-000001",
        bill_date=dt.date(2026, 3, 2),
        due_date=dt.date(2026, 3, 2),
        currency="USD",
        subtotal_amount=Decimal("-20.00"),
        total_amount=Decimal("-20.00"),
        created_at=FROZEN_AT,
    )

    bill = body(billing_api.get(f"{BILLS}/{note.pk}"))

    assert_valid(bill, api="678", definition="CustomerBill")
    assert (bill["category"], bill["taxItem"], bill["billDocument"][0]["attachmentType"]) == (
        "credit note",
        [],
        "creditNote",
    )
    assert bill["billingPeriod"] == {
        "startDateTime": "2026-03-02T00:00:00-05:00",
        "endDateTime": "2026-03-02T23:59:59-05:00",
    }


def test_bill_list_filters(billing_api, clerk, billed):
    _, billing_account, _, invoice = billed
    other = billing_account_create(account=make_account(), created_by=clerk)
    draft = make_invoice(other, status="draft", number=None)

    mine = billing_api.get(BILLS, **{"billingAccount.id": billing_account.pk})
    new = billing_api.get(BILLS, state="new")
    everything = billing_api.get(BILLS)

    assert [item["id"] for item in body(mine)] == [str(invoice.pk)]
    assert [item["id"] for item in body(new)] == [str(draft.pk)]
    assert everything["X-Total-Count"] == "2"
    for item in body(everything):
        assert_valid(item, api="678", definition="CustomerBill")
    assert_error(billing_api.get(BILLS, state="void"), status=400, field="state", api="678")


def test_customer_bill_cannot_be_patched(billing_api, billed):
    invoice = billed[3]

    response = billing_api.patch(f"{BILLS}/{invoice.pk}", {"state": "settled"})

    assert response.status_code == 405
    assert response["Allow"] == "GET"
    invoice.refresh_from_db()
    assert invoice.status == "finalised"


def test_applied_rates_are_the_lines_but_tax(billing_api, billed):
    _, billing_account, service, invoice = billed
    lines = list(invoice.lines.order_by("position"))

    response = billing_api.get(RATES, **{"bill.id": invoice.pk})

    assert response.status_code == 200, response.content
    rates = body(response)
    for rate in rates:
        assert_valid(rate, api="678", definition="AppliedCustomerBillingRate")
    assert [rate["id"] for rate in rates] == [str(line.pk) for line in lines[:3]]
    assert [rate["type"] for rate in rates] == ["recurringCharge", "appliedBillingCredit", "oneTimeCharge"]
    bill = {
        "id": str(invoice.pk),
        "href": f"{HOST}/customerBillManagement/v4/customerBill/{invoice.pk}",
        "@referredType": "CustomerBill",
    }
    product = {
        "id": str(service.pk),
        "href": f"{HOST}/serviceInventory/v4/service/{service.pk}",
        "name": str(service),
        "@referredType": "Service",
    }
    assert rates[0] == {
        "id": str(lines[0].pk),
        "href": f"{HOST}/customerBillManagement/v4/appliedCustomerBillingRate/{lines[0].pk}",
        "@type": "AppliedCustomerBillingRate",
        "name": "Fiber 1 Gbps, 15-28 February",
        "description": "order O-000001",
        "date": "2026-03-01T00:00:00-05:00",
        "isBilled": True,
        "type": "recurringCharge",
        "periodCoverage": {"startDateTime": "2026-02-15T00:00:00-05:00", "endDateTime": "2026-02-28T23:59:59-05:00"},
        "appliedTax": [],
        "taxExcludedAmount": {"unit": "USD", "value": Decimal("50.00")},
        "bill": bill,
        "billingAccount": {
            "id": str(billing_account.pk),
            "href": f"{HOST}/accountManagement/v4/billingAccount/{billing_account.pk}",
            "name": "Cannery",
            "@referredType": "BillingAccount",
        },
        "product": product,
        "characteristic": [
            {"name": "unitAmount", "valueType": "number", "value": Decimal("100.00")},
            {"name": "quantity", "valueType": "integer", "value": 1},
            {"name": "prorationFraction", "valueType": "number", "value": Decimal("0.500000")},
            {"name": "days", "valueType": "integer", "value": 14},
            {"name": "periodDays", "valueType": "integer", "value": 28},
            {"name": "periodStartDate", "valueType": "date", "value": "2026-02-01"},
            {"name": "periodEndDate", "valueType": "date", "value": "2026-02-28"},
            {"name": "taxCategory", "valueType": "string", "value": "internet"},
        ],
    }
    assert rates[1]["taxExcludedAmount"] == {"unit": "USD", "value": Decimal("-7.14")}
    assert rates[1]["periodCoverage"] == {
        "startDateTime": "2026-02-20T00:00:00-05:00",
        "endDateTime": "2026-02-21T23:59:59-05:00",
    }
    assert "periodCoverage" not in rates[2]
    assert rates[2]["characteristic"] == [
        {"name": "unitAmount", "valueType": "number", "value": Decimal("38.57")},
        {"name": "quantity", "valueType": "integer", "value": 2},
        {"name": "taxCategory", "valueType": "string", "value": "other"},
    ]
    assert_error(billing_api.get(f"{RATES}/{lines[3].pk}"), status=404, code="not_found", api="678")
    one = billing_api.get(f"{RATES}/{lines[2].pk}")
    assert body(one) == rates[2]


def test_applied_rates_filter_by_service_and_billing_account(billing_api, clerk, billed):
    _, billing_account, service, invoice = billed
    make_invoice(billing_account_create(account=make_account(), created_by=clerk), number="INV-000002")

    by_service = billing_api.get(RATES, **{"product.id": service.pk})
    by_account = billing_api.get(RATES, **{"billingAccount.id": billing_account.pk})
    everything = billing_api.get(RATES)

    assert len(body(by_service)) == 3
    assert {rate["bill"]["id"] for rate in body(by_account)} == {str(invoice.pk)}
    assert (everything["X-Total-Count"], len(body(by_account))) == ("6", 3)
