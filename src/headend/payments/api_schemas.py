"""The bodies of TMF676 payment and refund and TMF670 paymentMethod: what the routes answer
(`PaymentOut`, `RefundOut`, `PaymentMethodOut`) and read (`PaymentIn`, `RefundIn`,
`PaymentMethodIn`, `PaymentMethodPatchIn`), and our payments, refunds and stored methods in
TMF's words. api.py's docstring is the mapping in short; docs/api.md the reference."""

import calendar
import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field
from pydantic import StringConstraints

from headend.api import links
from headend.api.schemas import (
    Id,
    In,
    MoneyIn,
    MoneyOut,
    Out,
    RefOut,
    Text40,
    Text100,
    Text200,
    TimePeriodOut,
    customer_ref,
    end_of_day,
    money,
    start_of_day,
)
from headend.billing.api_schemas import billing_account_ref
from headend.billing.models import Invoice
from headend.core import clock
from headend.core.errors import ValidationError

from .models import Means, MethodKind, Payment, PaymentMethod, Refund

# TMF676 payment and refund status (the spec's PaymentStatusExampleType / RefundStatusExampleType).
PAYMENT_STATUS: dict[str, str] = {
    Payment.Status.PENDING: "pendingAuthorization",
    Payment.Status.SUCCEEDED: "done",
    Payment.Status.FAILED: "failed",
    Payment.Status.REVERSED: "canceled",  # taken back by the bank: a chargeback, a bounced debit or cheque
}
REFUND_STATUS: dict[str, str] = {
    Refund.Status.PENDING: "pendingAuthorization",
    Refund.Status.SUCCEEDED: "done",
    Refund.Status.FAILED: "failed",
}
TmfStatus = Literal["pendingAuthorization", "authorized", "captured", "failed", "canceled", "denied", "done"]

# How the money came, as TMF670 names a payment method's type. `external`: a payment the
# external biller recorded, whose means it does not say.
MEANS_TYPE: dict[str, str] = {
    Means.CHEQUE: "check",
    Means.BANK_TRANSFER: "bankAccountTransfer",
    Means.CASH: "cash",
    Means.CARD: "bankCard",
    Means.ACH: "bankAccountDebit",
    Means.EXTERNAL: "external",
}
# The means a payment body may give by value: money received by hand.
MANUAL_TYPES: dict[str, str] = {"check": Means.CHEQUE, "bankAccountTransfer": Means.BANK_TRANSFER, "cash": Means.CASH}
METHOD_TYPE: dict[str, str] = {MethodKind.CARD: "bankCard", MethodKind.ACH: "bankAccountDebit"}
MethodType = Literal["bankCard", "tokenizedCard", "bankAccountDebit"]

# Where the use cases' fields are in the bodies, for the errors they raise.
PAYMENT_FIELDS = {
    "billing_account": "account.id",
    "amount": "totalAmount.value",
    "currency": "totalAmount.unit",
    "invoices": "paymentItem",
    "received_on": "paymentDate",
    "reference": "correlatorId",
    "means": "paymentMethod.@type",
    "payment_method": "paymentMethod.id",
}
REFUND_FIELDS = {"amount": "totalAmount.value", "reason": "description", "payment": "payment.id"}
METHOD_FIELDS = {"billing_account": "account[0].id", "token": "token", "autopay": "isPreferred"}

# A client's correlator: printable ASCII, short enough to key a gateway call with our prefix.
Correlator = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[ -~]+$")]
# A gateway payment's idempotency key from an API client's correlatorId: apart from the keys
# Headend makes itself (autopay, the staff page).
CORRELATOR_PREFIX = "tmf676-"
# Card and account numbers never come in: a method is stored by the gateway's token only.
NUMBERS = {"card_number": "cardNumber", "cvv": "cvv", "account_number": "accountNumber"}


def refuse_numbers(body: In) -> None:
    """A body carrying a card or account number (or a security code) is refused, and the number
    is not repeated in the error."""
    for name, alias in NUMBERS.items():
        if getattr(body, name, None) not in (None, ""):
            raise ValidationError(
                "Never send a card or account number: tokenise it with the gateway in the customer's "
                "browser and send its token.",
                field=alias,
                code="number_refused",
            )


def payment_method_ref(request: HttpRequest, method: PaymentMethod) -> RefOut:
    return RefOut(
        id=str(method.pk),
        href=links.PAYMENT_METHOD.href(request, method.pk),
        name=str(method),
        referred_type="PaymentMethod",
    )


def _invoice_ref(request: HttpRequest, invoice: Invoice) -> RefOut:
    return RefOut(
        id=str(invoice.pk),
        href=links.CUSTOMER_BILL.href(request, invoice.pk),
        name=invoice.display_number,
        referred_type="CustomerBill",
    )


def _expiry(method: PaymentMethod) -> dt.datetime | None:
    """The last second of a card's expiry month, where the provider is."""
    if not (method.exp_month and method.exp_year):
        return None
    last_day = calendar.monthrange(method.exp_year, method.exp_month)[1]
    return end_of_day(dt.date(method.exp_year, method.exp_month, last_day))


# TMF676 payment


class MethodRefOrValueOut(Out):
    """PaymentMethodRefOrValue: a stored method by reference (id, href), or manual means by value
    (its TMF670 type alone). `@type` is the method's type either way."""

    id: str | None = None
    href: str | None = None
    name: str
    type: str = Field(serialization_alias="@type")
    referred_type: str | None = Field(default=None, serialization_alias="@referredType")


def method_ref_or_value(request: HttpRequest, payment: Payment) -> MethodRefOrValueOut:
    method = payment.payment_method
    if method is None:
        return MethodRefOrValueOut(name=payment.get_means_display(), type=MEANS_TYPE[payment.means])
    return MethodRefOrValueOut(
        id=str(method.pk),
        href=links.PAYMENT_METHOD.href(request, method.pk),
        name=str(method),
        type=METHOD_TYPE[method.kind],
        referred_type="PaymentMethod",
    )


class PaymentItemOut(Out):
    """An invoice the payment pays (or, while it is pending, was named to pay) and how much."""

    item: RefOut
    amount: MoneyOut | None = None
    total_amount: MoneyOut | None = Field(default=None, serialization_alias="totalAmount")


class ChannelOut(Out):
    id: str
    name: str


def _payment_items(request: HttpRequest, payment: Payment) -> list[PaymentItemOut]:
    """What a succeeded (or refunded) payment still pays on each invoice, from its allocation
    rows (prefetched with their invoices); a pending payment's named invoices, without amounts."""
    if payment.status == Payment.Status.PENDING:
        named = {invoice.pk: invoice for invoice in Invoice.objects.filter(pk__in=payment.named_invoices)}
        return [PaymentItemOut(item=_invoice_ref(request, named[pk])) for pk in payment.named_invoices if pk in named]
    standing: dict[int, tuple[Invoice, Decimal]] = {}
    for row in payment.allocations.all():
        invoice, paid = standing.get(row.invoice_id, (row.invoice, Decimal(0)))
        standing[row.invoice_id] = (invoice, paid + row.amount)
    return [
        PaymentItemOut(
            item=_invoice_ref(request, invoice),
            amount=money(paid, payment.currency),
            total_amount=money(paid, payment.currency),
        )
        for invoice, paid in sorted(standing.values(), key=lambda pair: pair[0].pk)
        if paid > 0
    ]


def _payment_description(payment: Payment) -> str:
    label = payment.get_means_display()
    if payment.reference:
        label = f"{label} {payment.reference}"
    if payment.status == Payment.Status.FAILED and payment.failure_message:
        return f"{label}: {payment.failure_message}"
    if payment.status == Payment.Status.REVERSED and payment.reversal_reason:
        return f"{label}, reversed: {payment.reversal_reason}"
    return label


def correlator_of(payment: Payment) -> str | None:
    """The client's correlator: a gateway payment's idempotency key it chose, a manual
    payment's reference."""
    if payment.payment_method_id is None:
        return payment.reference or None
    key = payment.idempotency_key or ""
    return key.removeprefix(CORRELATOR_PREFIX) if key.startswith(CORRELATOR_PREFIX) else None


class PaymentOut(Out):
    id: str
    href: str
    type: str = Field(default="Payment", serialization_alias="@type")
    name: str
    description: str
    correlator_id: str | None = Field(default=None, serialization_alias="correlatorId")
    authorization_code: str | None = Field(default=None, serialization_alias="authorizationCode")
    payment_date: dt.datetime = Field(serialization_alias="paymentDate")
    status: str
    status_date: dt.datetime = Field(serialization_alias="statusDate")
    account: RefOut
    payer: RefOut
    amount: MoneyOut
    total_amount: MoneyOut = Field(serialization_alias="totalAmount")
    refunded_amount: MoneyOut = Field(serialization_alias="refundedAmount")
    unapplied_amount: MoneyOut = Field(serialization_alias="unappliedAmount")
    payment_method: MethodRefOrValueOut = Field(serialization_alias="paymentMethod")
    payment_item: list[PaymentItemOut] = Field(serialization_alias="paymentItem")
    channel: ChannelOut

    @classmethod
    def of(cls, request: HttpRequest, payment: Payment) -> "PaymentOut":
        """`payment` with its billing account (and customer), method and allocations (with
        their invoices) loaded."""
        currency = payment.currency
        changed = [payment.created_at, payment.gateway_updated_at, payment.succeeded_at, payment.reversed_at]
        return cls(
            id=str(payment.pk),
            href=links.PAYMENT.href(request, payment.pk),
            name=payment.number,
            description=_payment_description(payment),
            correlator_id=correlator_of(payment),
            authorization_code=payment.gateway_id or None,
            payment_date=start_of_day(payment.received_on),
            status=PAYMENT_STATUS[payment.status],
            status_date=max(at for at in changed if at is not None),
            account=billing_account_ref(request, payment.billing_account),
            payer=customer_ref(request, payment.billing_account.account),
            amount=money(payment.amount, currency),
            total_amount=money(payment.amount, currency),
            refunded_amount=money(payment.refunded_amount, currency),
            unapplied_amount=money(payment.unapplied_amount, currency),
            payment_method=method_ref_or_value(request, payment),
            payment_item=_payment_items(request, payment),
            channel=ChannelOut(id=payment.source, name="Headend" if payment.source == "headend" else payment.source),
        )


class RefIn(In):
    id: Id


class MethodRefOrValueIn(In):
    """A stored method by `id` (charged through the gateway), or manual means by `@type`: check
    (its number in `checkId` or `correlatorId`), bankAccountTransfer, cash."""

    id: Id | None = None
    type: Text40 | None = Field(default=None, alias="@type")
    check_id: Text100 | None = Field(default=None, alias="checkId")


class PaymentItemIn(In):
    item: RefIn


class PaymentIn(In):
    """Payment_Create: who pays (`account`, a billing account), how much (`totalAmount`), how
    (`paymentMethod`), which invoices first (`paymentItem[].item`, customerBill ids)."""

    account: RefIn
    total_amount: MoneyIn = Field(alias="totalAmount")
    amount: MoneyIn | None = None
    payment_method: MethodRefOrValueIn = Field(alias="paymentMethod")
    payment_item: list[PaymentItemIn] = Field(default_factory=list, alias="paymentItem")
    payment_date: dt.datetime | None = Field(default=None, alias="paymentDate")
    correlator_id: Correlator | None = Field(default=None, alias="correlatorId")

    def check_amounts(self) -> None:
        """`amount` (net of tax) is the total: a payment carries no tax."""
        if self.amount is None:
            return
        if self.amount.value != self.total_amount.value or (self.amount.unit or "") != (self.total_amount.unit or ""):
            raise ValidationError(
                "A payment carries no tax: give amount equal to totalAmount, or leave it out.",
                field="amount",
                code="amount_mismatch",
            )

    def invoice_ids(self) -> list[str]:
        return [entry.item.id for entry in self.payment_item]

    def received_on(self) -> dt.date | None:
        """The day the money came, where the provider is (a time without a zone is the provider's)."""
        if self.payment_date is None:
            return None
        at = self.payment_date
        if at.tzinfo is None:
            return at.date()
        return clock.local_date(at)

    def manual_means(self) -> str:
        """Manual means given by value; a gateway type without a stored method's id is refused."""
        given = self.payment_method.type or ""
        means = MANUAL_TYPES.get(given)
        if means is None:
            raise ValidationError(
                "Give a stored payment method by id (paymentMethod.id), or money received by hand as "
                "@type check, bankAccountTransfer or cash.",
                field="paymentMethod.@type" if given else "paymentMethod",
                code="invalid_choice",
            )
        return means

    def manual_reference(self) -> str:
        return self.payment_method.check_id or self.correlator_id or ""


# TMF676 refund


class RefundOut(Out):
    id: str
    href: str
    type: str = Field(default="Refund", serialization_alias="@type")
    name: str
    description: str
    authorization_code: str | None = Field(default=None, serialization_alias="authorizationCode")
    refund_date: dt.datetime = Field(serialization_alias="refundDate")
    status: str
    status_date: dt.datetime = Field(serialization_alias="statusDate")
    account: RefOut
    amount: MoneyOut
    total_amount: MoneyOut = Field(serialization_alias="totalAmount")
    payment: RefOut
    payment_method: MethodRefOrValueOut = Field(serialization_alias="paymentMethod")

    @classmethod
    def of(cls, request: HttpRequest, refund: Refund) -> "RefundOut":
        """`refund` with its payment (with its billing account and method) loaded."""
        payment = refund.payment
        description = refund.reason
        if refund.status == Refund.Status.FAILED and refund.failure_message:
            description = f"{description}: {refund.failure_message}"
        return cls(
            id=str(refund.pk),
            href=links.REFUND.href(request, refund.pk),
            name=refund.number,
            description=description,
            authorization_code=refund.gateway_id or None,
            refund_date=refund.created_at,
            status=REFUND_STATUS[refund.status],
            status_date=refund.created_at,
            account=billing_account_ref(request, payment.billing_account),
            amount=money(refund.amount, payment.currency),
            total_amount=money(refund.amount, payment.currency),
            payment=RefOut(
                id=str(payment.pk),
                href=links.PAYMENT.href(request, payment.pk),
                name=payment.number,
                referred_type="Payment",
            ),
            payment_method=method_ref_or_value(request, payment),
        )


class RefundIn(In):
    """Refund_Create: the `payment` refunded, how much (`totalAmount`, or `amount`), why
    (`description`, or `reason`). `account`, when given, must be the payment's."""

    payment: RefIn
    total_amount: MoneyIn | None = Field(default=None, alias="totalAmount")
    amount: MoneyIn | None = None
    description: Text200 | None = None
    reason: Text200 | None = None
    account: RefIn | None = None

    def money_in(self) -> tuple[MoneyIn, str]:
        """The amount refunded and where it is in the body."""
        if self.total_amount is not None and self.amount is not None and self.total_amount != self.amount:
            raise ValidationError(
                "A refund carries no tax: give amount equal to totalAmount, or one of them.",
                field="amount",
                code="amount_mismatch",
            )
        if self.total_amount is not None:
            return self.total_amount, "totalAmount"
        if self.amount is not None:
            return self.amount, "amount"
        raise ValidationError("Say how much to refund.", field="totalAmount", code="required")

    def check_against(self, payment: Payment) -> None:
        """The account and currency named, if any, are the payment's."""
        if self.account is not None and self.account.id != str(payment.billing_account_id):
            raise ValidationError(
                f"{payment.number} was paid by billing account {payment.billing_account_id}.",
                field="account.id",
                code="account_mismatch",
            )
        given, at = self.money_in()
        if given.unit and given.unit.strip().upper() != payment.currency:
            raise ValidationError(
                f"{payment.number} was paid in {payment.currency}; refund it in {payment.currency}.",
                field=f"{at}.unit",
                code="currency_mismatch",
            )


# TMF670 paymentMethod


class PaymentMethodOut(Out):
    """A stored card (`bankCard`) or bank account (`bankAccountDebit`): what identifies it to
    the customer, never its number, and never the gateway's token."""

    id: str
    href: str
    type: str = Field(serialization_alias="@type")
    name: str
    description: str
    is_preferred: bool = Field(serialization_alias="isPreferred")
    status: str
    status_date: dt.datetime = Field(serialization_alias="statusDate")
    valid_for: TimePeriodOut = Field(serialization_alias="validFor")
    related_party: RefOut = Field(serialization_alias="relatedParty")
    account: list[RefOut]
    brand: str | None = None
    bank: str | None = None
    last_four_digits: str = Field(serialization_alias="lastFourDigits")
    expiration_date: dt.datetime | None = Field(default=None, serialization_alias="expirationDate")
    name_on_card: str | None = Field(default=None, serialization_alias="nameOnCard")
    owner: str | None = None

    @classmethod
    def of(cls, request: HttpRequest, method: PaymentMethod) -> "PaymentMethodOut":
        """`method` with its billing account (and customer) loaded."""
        card = method.kind == MethodKind.CARD
        expiry = _expiry(method)
        return cls(
            id=str(method.pk),
            href=links.PAYMENT_METHOD.href(request, method.pk),
            type=METHOD_TYPE[method.kind],
            name=str(method),
            description=f"{method.number} at {method.gateway}",
            is_preferred=method.autopay,
            status=method.status,
            status_date=method.removed_at or method.created_at,
            valid_for=TimePeriodOut(start_date_time=method.created_at, end_date_time=method.removed_at or expiry),
            related_party=customer_ref(request, method.billing_account.account),
            account=[billing_account_ref(request, method.billing_account)],
            brand=(method.brand or None) if card else None,
            bank=None if card else (method.brand or None),
            last_four_digits=method.last4,
            expiration_date=expiry if card else None,
            name_on_card=(method.holder_name or None) if card else None,
            owner=None if card else (method.holder_name or None),
        )


class PaymentMethodIn(In):
    """PaymentMethod_Create: a card or bank account the customer's browser tokenised with the
    gateway (`token`, as TMF670's tokenizedCard carries it), for `account[0]` (a billing
    account). The gateway says what the token is; `name` is ours (brand and last four)."""

    type: MethodType = Field(alias="@type")
    name: Text100 | None = None
    token: Text100 | None = None
    is_preferred: bool = Field(default=False, alias="isPreferred")
    account: list[RefIn] = Field(default_factory=list)
    card_number: Any = Field(default=None, alias="cardNumber")
    cvv: Any = None
    account_number: Any = Field(default=None, alias="accountNumber")

    def billing_account_id(self) -> str:
        refuse_numbers(self)
        if len(self.account) != 1:
            raise ValidationError("Name the one billing account the method pays for.", field="account", code="required")
        return self.account[0].id

    def gateway_token(self) -> str:
        if not self.token:
            raise ValidationError(
                "Send the gateway's token for the card or bank account (tokenised in the customer's browser).",
                field="token",
                code="required",
            )
        return self.token


class PaymentMethodPatchIn(In):
    """PaymentMethod_Update: only `isPreferred` (autopay) changes; a new card is a new method."""

    is_preferred: bool | None = Field(default=None, alias="isPreferred")
    token: Any = None
    card_number: Any = Field(default=None, alias="cardNumber")
    cvv: Any = None
    account_number: Any = Field(default=None, alias="accountNumber")

    def check(self) -> None:
        refuse_numbers(self)
        if self.token not in (None, ""):
            raise ValidationError(
                "A method's token cannot change: add the new card or account as a new method.",
                field="token",
                code="immutable",
            )
