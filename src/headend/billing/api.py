"""TMF666 billingAccount and TMF678 customerBill and appliedCustomerBillingRate: who pays, the
invoices and their lines.

BillingAccount (`/tmf-api/accountManagement/v4/billingAccount`; GET, POST, PATCH):
- `relatedParty` with role `customer` names the customer (our account) it bills.
- `billStructure.cycleSpecification` (by value): `name` the cycle (`calendar`, `anniversary`),
  `billingDateShift` the bill day - 1 (days after the first of the month, 0 to 27),
  `paymentDueDateOffset` bill day - 1 + payment terms (days after the first of the month, so
  the due date is that many days after the bill date); `billingPeriod` month, `frequency` monthly.
- `billStructure.presentationMedia[0].name`: how invoices go out, `email` or `portal`.
- `accountRelationship[0]` (`relationshipType` `paidBy`, `account.id`): the parent billing
  account that pays for this one (same customer, one level only).
- `contact[0].relatedParty.id`: the billing contact, a contact of the same customer.
- `taxExemption[0].certificateNumber`: exempt from tax, with its certificate.
- Extensions: `currency` (ISO 4217), `isDefault` (new services bill here), `proration`
  (`daily`, `none`; absent: each product's own). `state`: active, closed. `description`: the
  number (BA-000042).
- PATCH is a JSON merge patch: left out stays, `null` or `[]` clears the parent, the contact,
  the exemption.

CustomerBill = Invoice (`/tmf-api/customerBillManagement/v4/customerBill`; GET only, so a PATCH
is 405): `state` draft -> new, finalised -> validated, sent -> sent, partially_paid ->
partiallyPaid, settled -> settled, void -> settled (nothing is owed and nothing more happens to
it); `category` normal or `credit note`; `amountDue` the bill's total, `remainingAmount` what is
still owed; `taxItem` one per tax line (jurisdiction, rate in percent, amount); `billDocument`
the PDF.

AppliedCustomerBillingRate = InvoiceLine other than tax (GET only): `type` recurringCharge,
oneTimeCharge or appliedBillingCredit (a negative amount); `periodCoverage` the days a recurring
line charges; `product` the TMF638 service; `characteristic` unitAmount, quantity and, for a
recurring line, prorationFraction, days, periodDays, periodStartDate, periodEndDate.
"""

from typing import Any

from django.db import models
from django.http import HttpResponse
from ninja import Query, Router, Status

from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, matching, paginate
from headend.api.schemas import ERRORS
from headend.billing import accounts
from headend.billing.api_schemas import (
    BILL_STATE,
    FIELD_PATHS,
    AppliedCustomerBillingRateOut,
    BillingAccountIn,
    BillingAccountOut,
    BillingAccountPatchIn,
    BillState,
    CustomerBillOut,
)
from headend.billing.models import BillingAccount, Invoice, InvoiceLine, LineKind
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.core.permissions import require
from headend.crm import selectors as crm_selectors
from headend.crm.models import Contact

account_router = Router(tags=["TMF666 billingAccount"], by_alias=True, exclude_none=True)
bill_router = Router(tags=["TMF678 customerBill"], by_alias=True, exclude_none=True)
rate_router = Router(tags=["TMF678 appliedCustomerBillingRate"], by_alias=True, exclude_none=True)

MERGE_PATCH = {
    "requestBody": {
        "content": {"application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/BillingAccountPatchIn"}}}
    }
}


# Reads: staff who may read billing see every customer's (as account_scope lets staff see every account).


def _billing_accounts(*, user: Any) -> models.QuerySet[BillingAccount]:
    require(user, "billing.read")
    return BillingAccount.objects.filter(account__in=crm_selectors.account_scope(user=user)).select_related(
        "account", "parent", "contact"
    )


def _billing_account_get(*, user: Any, billing_account_id: Any) -> BillingAccount:
    found = _billing_accounts(user=user).filter(pk=parse_id(billing_account_id)).first()
    if found is None:
        raise NotFound("No such billing account.", field="id")
    return found


def _invoices(*, user: Any) -> models.QuerySet[Invoice]:
    return (
        Invoice.objects.filter(billing_account__in=_billing_accounts(user=user))
        .select_related("billing_account__account")
        .prefetch_related("lines")
    )


def _lines(*, user: Any) -> models.QuerySet[InvoiceLine]:
    return (
        InvoiceLine.objects.filter(invoice__billing_account__in=_billing_accounts(user=user))
        .exclude(kind=LineKind.TAX)
        .select_related("invoice__billing_account", "service__product_version__product")
        .order_by("-invoice__bill_date", "invoice_id", "position")
    )


def _references() -> dict[str, Any]:
    """The lookups a billingAccount body needs: ids to rows, NotFound (field `parent`,
    `contact`) for an id that names nothing. Another customer's rows are found: the use case
    refuses them with its own code."""

    def find_parent(parent_id: str) -> BillingAccount:
        parent = BillingAccount.objects.filter(pk=parse_id(parent_id)).first()
        if parent is None:
            raise NotFound("No such billing account.", field="parent")
        return parent

    def find_contact(contact_id: str) -> Contact:
        contact = Contact.objects.filter(pk=parse_id(contact_id)).first()
        if contact is None:
            raise NotFound("No such contact.", field="contact")
        return contact

    return {"find_parent": find_parent, "find_contact": find_contact}


# TMF666 billingAccount


@account_router.post("/billingAccount", response={201: BillingAccountOut, **ERRORS}, summary="Create a billing account")
def billing_account_create(request: ApiRequest, payload: BillingAccountIn) -> Status:
    """Open a billing account for the customer named in `relatedParty`. Needs the billing role."""
    require(request.auth, "billing.manage")
    customer_id, at = payload.customer()
    with body_fields({"id": at}):
        account = crm_selectors.account_get_for(user=request.auth, account_id=customer_id)
    with body_fields(FIELD_PATHS):
        values = payload.account_values(bill_day=1, **_references())
        billing_account = accounts.billing_account_create(account=account, created_by=request.auth, **values)
    return Status(201, BillingAccountOut.of(request, billing_account))


@account_router.get(
    "/billingAccount", response={200: list[BillingAccountOut], **ERRORS}, summary="List billing accounts"
)
def billing_account_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    related_party_id: str | None = Query(None, alias="relatedParty.id", description="The customer's id."),
    state: str | None = Query(None, description="active or closed"),
) -> list[BillingAccountOut]:
    found = _billing_accounts(user=request.auth)
    if related_party_id is not None:
        found = found.filter(account_id=parse_id(related_party_id))
    if state is not None:
        found = found.filter(status=state)
    return [BillingAccountOut.of(request, item) for item in paginate(response, found.order_by("id"), page)]


@account_router.get(
    "/billingAccount/{id}", response={200: BillingAccountOut, **ERRORS}, summary="Retrieve a billing account"
)
def billing_account_get(request: ApiRequest, id: str, fields: str | None = None) -> BillingAccountOut:
    return BillingAccountOut.of(request, _billing_account_get(user=request.auth, billing_account_id=id))


@account_router.patch(
    "/billingAccount/{id}",
    response={200: BillingAccountOut, **ERRORS},
    summary="Update a billing account",
    openapi_extra=MERGE_PATCH,
)
def billing_account_patch(request: ApiRequest, id: str, payload: BillingAccountPatchIn) -> BillingAccountOut:
    """Change a billing account as a JSON merge patch (application/merge-patch+json or
    application/json), checked as on create; 200 with the billing account. Needs the billing role."""
    require(request.auth, "billing.manage")
    billing_account = _billing_account_get(user=request.auth, billing_account_id=id)
    payload.check_unchanged(billing_account)
    with body_fields(FIELD_PATHS):
        values = payload.account_values(bill_day=billing_account.bill_day, **_references())
        billing_account = accounts.billing_account_update(
            billing_account=billing_account, updated_by=request.auth, **values
        )
    return BillingAccountOut.of(request, _billing_account_get(user=request.auth, billing_account_id=billing_account.pk))


# TMF678 customerBill


@bill_router.get("/customerBill", response={200: list[CustomerBillOut], **ERRORS}, summary="List customer bills")
def customer_bill_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    billing_account_id: str | None = Query(None, alias="billingAccount.id", description="The billing account's id."),
    state: BillState | None = None,
) -> list[CustomerBillOut]:
    found = _invoices(user=request.auth)
    if billing_account_id is not None:
        found = found.filter(billing_account_id=parse_id(billing_account_id))
    statuses = matching(BILL_STATE, state)
    if statuses is not None:
        found = found.filter(status__in=statuses)
    return [CustomerBillOut.of(request, invoice) for invoice in paginate(response, found, page)]


@bill_router.get("/customerBill/{id}", response={200: CustomerBillOut, **ERRORS}, summary="Retrieve a customer bill")
def customer_bill_get(request: ApiRequest, id: str, fields: str | None = None) -> CustomerBillOut:
    invoice = _invoices(user=request.auth).filter(pk=parse_id(id)).first()
    if invoice is None:
        raise NotFound("No such customer bill.", field="id")
    return CustomerBillOut.of(request, invoice)


# TMF678 appliedCustomerBillingRate


@rate_router.get(
    "/appliedCustomerBillingRate",
    response={200: list[AppliedCustomerBillingRateOut], **ERRORS},
    summary="List applied customer billing rates",
)
def applied_rate_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    bill_id: str | None = Query(None, alias="bill.id", description="The customerBill's id."),
    product_id: str | None = Query(None, alias="product.id", description="The TMF638 service's id."),
    billing_account_id: str | None = Query(None, alias="billingAccount.id", description="The billing account's id."),
) -> list[AppliedCustomerBillingRateOut]:
    found = _lines(user=request.auth)
    if bill_id is not None:
        found = found.filter(invoice_id=parse_id(bill_id))
    if product_id is not None:
        found = found.filter(service_id=parse_id(product_id))
    if billing_account_id is not None:
        found = found.filter(invoice__billing_account_id=parse_id(billing_account_id))
    return [AppliedCustomerBillingRateOut.of(request, line) for line in paginate(response, found, page)]


@rate_router.get(
    "/appliedCustomerBillingRate/{id}",
    response={200: AppliedCustomerBillingRateOut, **ERRORS},
    summary="Retrieve an applied customer billing rate",
)
def applied_rate_get(request: ApiRequest, id: str, fields: str | None = None) -> AppliedCustomerBillingRateOut:
    line = _lines(user=request.auth).filter(pk=parse_id(id)).first()
    if line is None:
        raise NotFound("No such applied customer billing rate.", field="id")
    return AppliedCustomerBillingRateOut.of(request, line)
