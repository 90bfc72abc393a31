"""The bodies of TMF666 billingAccount and TMF678 customerBill and appliedCustomerBillingRate:
what the routes answer (`BillingAccountOut`, `CustomerBillOut`, `AppliedCustomerBillingRateOut`)
and read (`BillingAccountIn`, `BillingAccountPatchIn`), and our billing accounts, invoices and
invoice lines in TMF's words. api.py's docstring is the mapping in short; docs/api.md the
reference."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field

from headend.api import links
from headend.api.schemas import (
    CharacteristicOut,
    Id,
    In,
    MoneyOut,
    Out,
    RefOut,
    RelatedPartyIn,
    Text20,
    Text40,
    Text100,
    Text200,
    TimePeriodOut,
    WholeNumber,
    characteristics,
    customer_id_in,
    customer_ref,
    end_of_day,
    money,
    service_ref,
    start_of_day,
)
from headend.billing.models import BillingAccount, Invoice, InvoiceLine, LineKind
from headend.core.errors import ValidationError
from headend.crm.api_schemas import ContactMediumOut, MediumCharacteristicOut
from headend.crm.models import Contact

# The one relationship a billing account has to another: it is paid by its parent.
PAID_BY = "paidBy"
# We keep one exemption per billing account, for every jurisdiction that taxes it.
ALL_JURISDICTIONS = "all"

# Where the use cases' fields are in a billingAccount body, for the errors they raise.
CYCLE = "billStructure.cycleSpecification"
FIELD_PATHS = {
    "name": "name",
    "currency": "currency",
    "cycle": f"{CYCLE}.name",
    "bill_day": f"{CYCLE}.billingDateShift",
    "payment_terms_days": f"{CYCLE}.paymentDueDateOffset",
    "delivery": "billStructure.presentationMedia[0].name",
    "tax_exempt": "taxExemption",
    "tax_exempt_certificate": "taxExemption[0].certificateNumber",
    "parent": "accountRelationship[0].account.id",
    "contact": "contact[0].relatedParty.id",
    "proration": "proration",
    "is_default": "isDefault",
}


def billing_account_ref(request: HttpRequest, billing_account: BillingAccount) -> RefOut:
    return RefOut(
        id=str(billing_account.pk),
        href=links.BILLING_ACCOUNT.href(request, billing_account.pk),
        name=billing_account.name,
        referred_type="BillingAccount",
    )


# TMF666 billingAccount


class CycleSpecificationOut(Out):
    """The bill cycle by value: monthly, on `billingDateShift` + 1 (the bill day), due
    `paymentDueDateOffset` days after the first of the month (bill day - 1 + payment terms)."""

    type: str = Field(default="BillingCycleSpecification", serialization_alias="@type")
    is_ref: bool = Field(default=False, serialization_alias="isRef")
    name: str
    description: str
    billing_period: str = Field(default="month", serialization_alias="billingPeriod")
    frequency: str = "monthly"
    billing_date_shift: int = Field(serialization_alias="billingDateShift")
    payment_due_date_offset: int = Field(serialization_alias="paymentDueDateOffset")


class PresentationMediaOut(Out):
    type: str = Field(default="BillPresentationMedia", serialization_alias="@type")
    is_ref: bool = Field(default=False, serialization_alias="isRef")
    name: str
    description: str


class BillStructureOut(Out):
    cycle_specification: CycleSpecificationOut = Field(serialization_alias="cycleSpecification")
    presentation_media: list[PresentationMediaOut] = Field(serialization_alias="presentationMedia")


class AccountRelationshipOut(Out):
    relationship_type: str = Field(serialization_alias="relationshipType")
    account: RefOut
    valid_for: TimePeriodOut = Field(default_factory=TimePeriodOut, serialization_alias="validFor")


class AccountContactOut(Out):
    contact_type: str = Field(default="billing", serialization_alias="contactType")
    contact_name: str = Field(serialization_alias="contactName")
    contact_medium: list[ContactMediumOut] = Field(serialization_alias="contactMedium")
    related_party: RefOut = Field(serialization_alias="relatedParty")
    valid_for: TimePeriodOut = Field(serialization_alias="validFor")

    @classmethod
    def of(cls, contact: Contact) -> "AccountContactOut":
        media = []
        if contact.email:
            media.append(
                ContactMediumOut(
                    medium_type="email",
                    characteristic=MediumCharacteristicOut(contact_type="email", email_address=contact.email),
                )
            )
        if contact.phone:
            media.append(
                ContactMediumOut(
                    medium_type="phone",
                    characteristic=MediumCharacteristicOut(contact_type="phone", phone_number=contact.phone),
                )
            )
        return cls(
            contact_name=str(contact),
            contact_medium=media,
            related_party=RefOut(
                id=str(contact.pk), name=str(contact), role="billingContact", referred_type="Individual"
            ),
            valid_for=TimePeriodOut(start_date_time=contact.created_at),
        )


class TaxExemptionOut(Out):
    certificate_number: str = Field(serialization_alias="certificateNumber")
    issuing_jurisdiction: str = Field(default=ALL_JURISDICTIONS, serialization_alias="issuingJurisdiction")
    valid_for: TimePeriodOut = Field(default_factory=TimePeriodOut, serialization_alias="validFor")


class BillingAccountOut(Out):
    id: str
    href: str
    type: str = Field(default="BillingAccount", serialization_alias="@type")
    name: str
    description: str
    state: str
    related_party: list[RefOut] = Field(serialization_alias="relatedParty")
    bill_structure: BillStructureOut = Field(serialization_alias="billStructure")
    account_relationship: list[AccountRelationshipOut] = Field(serialization_alias="accountRelationship")
    contact: list[AccountContactOut]
    tax_exemption: list[TaxExemptionOut] = Field(serialization_alias="taxExemption")
    # Extensions (TMF666 BillingAccount has no place for them).
    currency: str
    is_default: bool = Field(serialization_alias="isDefault")
    proration: str | None = None

    @classmethod
    def of(cls, request: HttpRequest, billing_account: BillingAccount) -> "BillingAccountOut":
        shift = billing_account.bill_day - 1
        cycle = CycleSpecificationOut(
            name=billing_account.cycle,
            description=(
                f"Monthly ({billing_account.cycle}) from bill day {billing_account.bill_day}, "
                f"due {billing_account.payment_terms_days} days after the bill date"
            ),
            billing_date_shift=shift,
            payment_due_date_offset=shift + billing_account.payment_terms_days,
        )
        media = PresentationMediaOut(name=billing_account.delivery, description=billing_account.get_delivery_display())
        parent = billing_account.parent
        return cls(
            id=str(billing_account.pk),
            href=links.BILLING_ACCOUNT.href(request, billing_account.pk),
            name=billing_account.name,
            description=billing_account.number,
            state=billing_account.status,
            related_party=[customer_ref(request, billing_account.account)],
            bill_structure=BillStructureOut(cycle_specification=cycle, presentation_media=[media]),
            account_relationship=(
                [AccountRelationshipOut(relationship_type=PAID_BY, account=billing_account_ref(request, parent))]
                if parent is not None
                else []
            ),
            contact=[AccountContactOut.of(billing_account.contact)] if billing_account.contact is not None else [],
            tax_exemption=(
                [TaxExemptionOut(certificate_number=billing_account.tax_exempt_certificate)]
                if billing_account.tax_exempt
                else []
            ),
            currency=billing_account.currency,
            is_default=billing_account.is_default,
            proration=billing_account.proration or None,
        )


class CycleSpecificationIn(In):
    name: Literal["calendar", "anniversary"] | None = None
    billing_period: Literal["month"] | None = Field(default=None, alias="billingPeriod")
    frequency: Literal["monthly"] | None = None
    billing_date_shift: WholeNumber | None = Field(default=None, alias="billingDateShift")
    payment_due_date_offset: WholeNumber | None = Field(default=None, alias="paymentDueDateOffset")


class PresentationMediaIn(In):
    name: Text20


class BillStructureIn(In):
    cycle_specification: CycleSpecificationIn | None = Field(default=None, alias="cycleSpecification")
    presentation_media: list[PresentationMediaIn] | None = Field(default=None, alias="presentationMedia")


class AccountRefIn(In):
    id: Id


class AccountRelationshipIn(In):
    relationship_type: Text40 = Field(alias="relationshipType")
    account: AccountRefIn


class ContactPartyIn(In):
    id: Id


class AccountContactIn(In):
    contact_type: Text40 | None = Field(default=None, alias="contactType")
    related_party: ContactPartyIn = Field(alias="relatedParty")


class TaxExemptionIn(In):
    certificate_number: Text100 | None = Field(default=None, alias="certificateNumber")
    issuing_jurisdiction: Text100 | None = Field(default=None, alias="issuingJurisdiction")
    reason: Text200 | None = None


Find = Callable[[str], Any]


class BillingAccountBody(In):
    """What BillingAccount_Create and BillingAccount_Update share. Only the attributes given
    become keyword arguments of the use cases: on create the rest take their defaults, on a
    patch (JSON merge patch) the rest stay as they are."""

    name: Text200 | None = None
    bill_structure: BillStructureIn | None = Field(default=None, alias="billStructure")
    account_relationship: list[AccountRelationshipIn] | None = Field(default=None, alias="accountRelationship")
    contact: list[AccountContactIn] | None = None
    tax_exemption: list[TaxExemptionIn] | None = Field(default=None, alias="taxExemption")
    currency: Text20 | None = None
    is_default: bool | None = Field(default=None, alias="isDefault")
    proration: Text20 | None = None

    def account_values(self, *, bill_day: int, find_parent: Find, find_contact: Find) -> dict[str, Any]:
        """Keyword arguments for billing_account_create / _update. `bill_day` is the account's
        present one (1 for a new account): payment terms are counted from it when the body moves
        the due date alone. `find_parent` and `find_contact` turn ids into rows (NotFound, with
        field `parent` / `contact`, for an unknown id)."""
        given = self.model_fields_set
        values: dict[str, Any] = {}
        if "name" in given:
            values["name"] = self.name or ""
        if "currency" in given:
            values["currency"] = self.currency or ""
        if "proration" in given:
            values["proration"] = self.proration or ""
        if "is_default" in given and self.is_default is not None:
            values["is_default"] = self.is_default
        if "bill_structure" in given:
            values |= self._structure_values(bill_day)
        if "account_relationship" in given:
            values["parent"] = self._parent(find_parent)
        if "contact" in given:
            values["contact"] = self._contact(find_contact)
        if "tax_exemption" in given:
            values |= self._exemption_values()
        return values

    def _structure_values(self, bill_day: int) -> dict[str, Any]:
        structure = self.bill_structure
        if structure is None:
            raise ValidationError(
                "A billing account always has a bill structure.", field="billStructure", code="required"
            )
        values: dict[str, Any] = {}
        given = structure.model_fields_set
        if "cycle_specification" in given:
            cycle = structure.cycle_specification
            if cycle is None:
                raise ValidationError("A billing account always has a bill cycle.", field=CYCLE, code="required")
            if cycle.name is not None:
                values["cycle"] = cycle.name
            if cycle.billing_date_shift is not None:
                bill_day = cycle.billing_date_shift + 1
                values["bill_day"] = bill_day
            if cycle.payment_due_date_offset is not None:
                values["payment_terms_days"] = cycle.payment_due_date_offset - (bill_day - 1)
        if "presentation_media" in given:
            media = structure.presentation_media or []
            if len(media) != 1:
                raise ValidationError(
                    "Give one presentation medium: email or portal.",
                    field="billStructure.presentationMedia",
                    code="one_medium",
                )
            values["delivery"] = media[0].name
        return values

    def _parent(self, find_parent: Find) -> Any:
        relationships = self.account_relationship or []
        if len(relationships) > 1:
            raise ValidationError(
                "A billing account is paid by one parent at most.", field="accountRelationship", code="one_parent"
            )
        if not relationships:
            return None
        if relationships[0].relationship_type != PAID_BY:
            raise ValidationError(
                f"A billing account relates to its parent only as {PAID_BY!r}.",
                field="accountRelationship[0].relationshipType",
                code="unsupported_relationship",
            )
        return find_parent(relationships[0].account.id)

    def _contact(self, find_contact: Find) -> Any:
        contacts = self.contact or []
        if len(contacts) > 1:
            raise ValidationError(
                "A billing account has one billing contact at most.", field="contact", code="one_contact"
            )
        return find_contact(contacts[0].related_party.id) if contacts else None

    def _exemption_values(self) -> dict[str, Any]:
        exemptions = self.tax_exemption or []
        if len(exemptions) > 1:
            raise ValidationError(
                "Give one tax exemption: it covers every jurisdiction.", field="taxExemption", code="one_exemption"
            )
        if not exemptions:
            return {"tax_exempt": False, "tax_exempt_certificate": ""}
        return {"tax_exempt": True, "tax_exempt_certificate": exemptions[0].certificate_number or ""}


class BillingAccountIn(BillingAccountBody):
    """BillingAccount_Create: the customer in `relatedParty` (role customer), and what differs
    from the defaults (see BillingAccountBody)."""

    related_party: list[RelatedPartyIn] = Field(default_factory=list, alias="relatedParty")

    def customer(self) -> tuple[str, str]:
        return customer_id_in(self.related_party)


class BillingAccountPatchIn(BillingAccountBody):
    """BillingAccount_Update as a JSON merge patch (RFC 7396): left out stays, `null` clears
    (a parent, the contact, the exemption), an array given replaces the array."""

    id: Id | None = None
    type: Text40 | None = Field(default=None, alias="@type")
    state: Text20 | None = None
    related_party: list[RelatedPartyIn] | None = Field(default=None, alias="relatedParty")

    def check_unchanged(self, billing_account: BillingAccount) -> None:
        """What a patch cannot change: the id, the resource type, the customer, the state."""
        given = self.model_fields_set
        if "id" in given and self.id != str(billing_account.pk):
            raise ValidationError("The id of a billing account cannot change.", field="id", code="immutable")
        if "type" in given and self.type != "BillingAccount":
            raise ValidationError("This resource is a BillingAccount.", field="@type", code="immutable")
        if "state" in given and self.state != billing_account.status:
            raise ValidationError("The state of a billing account cannot be set here.", field="state", code="read_only")
        if "related_party" in given:
            customer_id, at = customer_id_in(self.related_party or [])
            if customer_id != str(billing_account.account_id):
                raise ValidationError(
                    "A billing account stays with its customer; open one for the other customer instead.",
                    field=at,
                    code="immutable",
                )


# TMF678 customerBill

BILL_STATE: dict[str, str] = {
    Invoice.Status.DRAFT: "new",
    Invoice.Status.FINALISED: "validated",
    Invoice.Status.SENT: "sent",
    Invoice.Status.PARTIALLY_PAID: "partiallyPaid",
    Invoice.Status.SETTLED: "settled",
    Invoice.Status.VOID: "settled",  # nothing is owed and nothing more happens to it
}
BillState = Literal["new", "onHold", "validated", "sent", "partiallyPaid", "settled"]
BILL_CATEGORY = {Invoice.Kind.INVOICE: "normal", Invoice.Kind.CREDIT_NOTE: "credit note"}


def period(start: dt.date, end: dt.date) -> TimePeriodOut:
    """A TimePeriod from a first day and the first day after: the start of the first day to the
    last second of the last day, where the provider is."""
    return TimePeriodOut(start_date_time=start_of_day(start), end_date_time=end_of_day(end - dt.timedelta(days=1)))


class TaxItemOut(Out):
    type: str = Field(default="TaxItem", serialization_alias="@type")
    tax_category: str = Field(serialization_alias="taxCategory")
    tax_rate: Decimal | None = Field(default=None, serialization_alias="taxRate")
    tax_amount: MoneyOut = Field(serialization_alias="taxAmount")


class AttachmentOut(Out):
    """The bill's PDF, by reference (AttachmentRefOrValue: `@type` is the attachment's)."""

    type: str = Field(default="Attachment", serialization_alias="@type")
    href: str
    url: str
    name: str
    attachment_type: str = Field(serialization_alias="attachmentType")
    mime_type: str = Field(default="application/pdf", serialization_alias="mimeType")


class CustomerBillOut(Out):
    id: str
    href: str
    type: str = Field(default="CustomerBill", serialization_alias="@type")
    bill_no: str | None = Field(default=None, serialization_alias="billNo")
    bill_date: dt.datetime = Field(serialization_alias="billDate")
    payment_due_date: dt.datetime = Field(serialization_alias="paymentDueDate")
    last_update: dt.datetime = Field(serialization_alias="lastUpdate")
    state: str
    category: str
    run_type: str = Field(serialization_alias="runType")
    amount_due: MoneyOut = Field(serialization_alias="amountDue")
    remaining_amount: MoneyOut = Field(serialization_alias="remainingAmount")
    tax_excluded_amount: MoneyOut = Field(serialization_alias="taxExcludedAmount")
    tax_included_amount: MoneyOut = Field(serialization_alias="taxIncludedAmount")
    tax_item: list[TaxItemOut] = Field(serialization_alias="taxItem")
    billing_account: RefOut = Field(serialization_alias="billingAccount")
    billing_period: TimePeriodOut = Field(serialization_alias="billingPeriod")
    related_party: list[RefOut] = Field(serialization_alias="relatedParty")
    bill_document: list[AttachmentOut] = Field(serialization_alias="billDocument")

    @classmethod
    def of(cls, request: HttpRequest, invoice: Invoice) -> "CustomerBillOut":
        """`invoice` with its lines and billing account (with its customer) loaded."""
        currency = invoice.currency
        lines = list(invoice.lines.all())
        starts = [line.period_start for line in lines if line.kind == LineKind.RECURRING and line.period_start]
        ends = [line.period_end for line in lines if line.kind == LineKind.RECURRING and line.period_end]
        billing_period = (
            period(min(starts), max(ends))
            if starts and ends
            else period(invoice.bill_date, invoice.bill_date + dt.timedelta(days=1))
        )
        pdf = request.build_absolute_uri(f"/billing/invoices/{invoice.pk}/pdf/")
        changed = [invoice.created_at, invoice.finalised_at, invoice.sent_at, invoice.voided_at]
        return cls(
            id=str(invoice.pk),
            href=links.CUSTOMER_BILL.href(request, invoice.pk),
            bill_no=invoice.number,
            bill_date=start_of_day(invoice.bill_date),
            payment_due_date=start_of_day(invoice.due_date),
            last_update=max(at for at in changed if at is not None),
            state=BILL_STATE[invoice.status],
            category=BILL_CATEGORY[Invoice.Kind(invoice.kind)],
            run_type="onCycle" if invoice.bill_run_id else "offCycle",
            amount_due=money(invoice.total_amount, currency),
            remaining_amount=money(invoice.amount_due, currency),
            tax_excluded_amount=money(invoice.subtotal_amount, currency),
            tax_included_amount=money(invoice.total_amount, currency),
            tax_item=[
                TaxItemOut(
                    tax_category=line.jurisdiction or line.description,
                    tax_rate=line.tax_rate.normalize() if line.tax_rate is not None else None,
                    tax_amount=money(line.amount, currency),
                )
                for line in lines
                if line.kind == LineKind.TAX
            ],
            billing_account=billing_account_ref(request, invoice.billing_account),
            billing_period=billing_period,
            related_party=[customer_ref(request, invoice.billing_account.account)],
            bill_document=[
                AttachmentOut(
                    href=pdf,
                    url=pdf,
                    name=f"{invoice.display_number}.pdf",
                    attachment_type="creditNote" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "invoice",
                )
            ],
        )


# TMF678 appliedCustomerBillingRate


def rate_type(line: InvoiceLine) -> str:
    """TMF678's words: a credit (a negative amount) is an appliedBillingCredit; a charge is a
    recurringCharge, a usageCharge (rated calls) or a oneTimeCharge."""
    if line.amount < 0:
        return "appliedBillingCredit"
    if line.kind == LineKind.USAGE:
        return "usageCharge"
    return "recurringCharge" if line.kind == LineKind.RECURRING else "oneTimeCharge"


class AppliedCustomerBillingRateOut(Out):
    id: str
    href: str
    type: str = Field(default="AppliedCustomerBillingRate", serialization_alias="@type")
    name: str
    description: str | None = None
    date: dt.datetime
    is_billed: bool = Field(default=True, serialization_alias="isBilled")
    rate_type: str = Field(serialization_alias="type")
    period_coverage: TimePeriodOut | None = Field(default=None, serialization_alias="periodCoverage")
    applied_tax: list[Any] = Field(default_factory=list, serialization_alias="appliedTax")
    tax_excluded_amount: MoneyOut = Field(serialization_alias="taxExcludedAmount")
    bill: RefOut
    billing_account: RefOut = Field(serialization_alias="billingAccount")
    product: RefOut | None = None
    characteristic: list[CharacteristicOut]

    @classmethod
    def of(cls, request: HttpRequest, line: InvoiceLine) -> "AppliedCustomerBillingRateOut":
        """`line` with its invoice (and the invoice's billing account) and service loaded."""
        invoice = line.invoice
        recurring = line.kind == LineKind.RECURRING
        coverage = None
        if recurring and line.start_date and line.end_date:
            coverage = period(line.start_date, line.end_date)
        elif (recurring or line.kind == LineKind.USAGE) and line.period_start and line.period_end:
            coverage = period(line.period_start, line.period_end)  # a usage line: its calls' bill cycle
        values: list[tuple[str, Any, str]] = [
            ("unitAmount", line.unit_amount, "number"),
            ("quantity", line.quantity, "integer"),
        ]
        if recurring:
            values += [
                ("prorationFraction", line.fraction, "number"),
                ("days", line.days, "integer"),
                ("periodDays", line.period_days, "integer"),
                ("periodStartDate", line.period_start, "date"),
                ("periodEndDate", line.period_end - dt.timedelta(days=1) if line.period_end else None, "date"),
            ]
        values.append(("taxCategory", line.tax_category, "string"))
        return cls(
            id=str(line.pk),
            href=links.APPLIED_CUSTOMER_BILLING_RATE.href(request, line.pk),
            name=line.description,
            description=line.cause or None,
            date=start_of_day(invoice.bill_date),
            rate_type=rate_type(line),
            period_coverage=coverage,
            tax_excluded_amount=money(line.amount, invoice.currency),
            bill=RefOut(
                id=str(invoice.pk),
                href=links.CUSTOMER_BILL.href(request, invoice.pk),
                referred_type="CustomerBill",
            ),
            billing_account=billing_account_ref(request, invoice.billing_account),
            product=service_ref(request, line.service) if line.service is not None else None,
            characteristic=characteristics(values),
        )
