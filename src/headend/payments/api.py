"""TMF676 payment and refund, TMF670 paymentMethod: what customers paid, what was given back,
and the cards and bank accounts the gateway holds for them.

Payment (`/tmf-api/paymentManagement/v4/payment`; GET, POST):
- `account` the billing account that pays (a billing account paid by its parent is answered
  with the parent: the payer); `payer` its customer; `totalAmount` = `amount` (a payment carries
  no tax); `paymentDate` the day the money came; `paymentItem[].item` the customerBills it pays,
  with what it still pays on each (or, while pending, the ones it was named to pay);
  `authorizationCode` the gateway's charge id; `channel.id` the system that recorded it
  (`headend`, or the external biller's name). Extensions: `refundedAmount`, `unappliedAmount`
  (what it did not pay: the payer's credit).
- `status`: pending -> pendingAuthorization, succeeded -> done, failed -> failed (declined;
  `description` says why), reversed -> canceled (a chargeback, a bounced debit or cheque).
- `paymentMethod`: a stored card or bank account by reference (`id`, `@type` bankCard or
  bankAccountDebit), charged now through the gateway; or money received by hand by value,
  `@type` check, bankAccountTransfer or cash (the cheque number in `paymentMethod.checkId` or
  `correlatorId`); `external` for the external biller's payments.
- `correlatorId`: a gateway payment's idempotency key (the same key twice charges once and
  answers the first payment; the key with another account, amount or method is a 409); a manual
  payment's reference. `channel` is read and not kept.

Refund (`/tmf-api/paymentManagement/v4/refund`; GET, POST): `payment` the one refunded, never
above what it paid and was not refunded yet; `totalAmount` = `amount`; `description` the
reason; `account` and `paymentMethod` the payment's; `status` as a payment's.

PaymentMethod (`/tmf-api/paymentMethod/v4/paymentMethod`, the spec's basePath; GET, POST,
PATCH, DELETE): `@type` bankCard (`brand`, `lastFourDigits`, `expirationDate`, `nameOnCard`) or
bankAccountDebit (`bank`, `owner`, and `lastFourDigits` as an extension); never a number, never
the gateway's token. POST takes the `token` the customer's browser got from the gateway (as
TMF670's tokenizedCard carries it; `@type` bankCard, tokenizedCard or bankAccountDebit) for
`account[0]`; a body with `cardNumber`, `cvv` or `accountNumber` is refused. `isPreferred` =
autopay (at most one per payer: preferring one un-prefers the other); PATCH changes only that.
DELETE removes the method (`status` removed; it stays readable, as payments refer to it).

Reads need billing.read; writes payment.take (payments, refunds) or payment_method.manage,
checked first here so a refused role learns nothing from its body, and again by the use case.
"""

from typing import Any

from django.db import models
from django.http import HttpResponse
from ninja import Query, Router, Status

from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, matching, paginate
from headend.api.schemas import ERRORS
from headend.billing.models import BillingAccount
from headend.core import clock
from headend.core.errors import Conflict, NotFound, ValidationError
from headend.core.ids import parse_id
from headend.core.permissions import require
from headend.crm import selectors as crm_selectors

from . import gateway, methods, payments
from .api_schemas import (
    CORRELATOR_PREFIX,
    METHOD_FIELDS,
    PAYMENT_FIELDS,
    PAYMENT_STATUS,
    REFUND_FIELDS,
    REFUND_STATUS,
    PaymentIn,
    PaymentMethodIn,
    PaymentMethodOut,
    PaymentMethodPatchIn,
    PaymentOut,
    RefundIn,
    RefundOut,
    TmfStatus,
)
from .models import GATEWAY_MEANS, Payment, PaymentMethod, Refund

payment_router = Router(tags=["TMF676 payment"], by_alias=True, exclude_none=True)
refund_router = Router(tags=["TMF676 refund"], by_alias=True, exclude_none=True)
method_router = Router(tags=["TMF670 paymentMethod"], by_alias=True, exclude_none=True)


# Reads: staff who may read billing see every customer's (as account_scope lets staff see every account).


def _payments(*, user: Any) -> models.QuerySet[Payment]:
    require(user, "billing.read")
    return (
        Payment.objects.filter(billing_account__account__in=crm_selectors.account_scope(user=user))
        .select_related("billing_account__account", "payment_method")
        .prefetch_related("allocations__invoice")
    )


def _payment_get(*, user: Any, payment_id: Any) -> Payment:
    found = _payments(user=user).filter(pk=parse_id(payment_id)).first()
    if found is None:
        raise NotFound("No such payment.", field="id")
    return found


def _refunds(*, user: Any) -> models.QuerySet[Refund]:
    require(user, "billing.read")
    return Refund.objects.filter(
        payment__billing_account__account__in=crm_selectors.account_scope(user=user)
    ).select_related("payment__billing_account__account", "payment__payment_method")


def _refund_get(*, user: Any, refund_id: Any) -> Refund:
    found = _refunds(user=user).filter(pk=parse_id(refund_id)).first()
    if found is None:
        raise NotFound("No such refund.", field="id")
    return found


def _methods(*, user: Any) -> models.QuerySet[PaymentMethod]:
    require(user, "billing.read")
    return PaymentMethod.objects.filter(
        billing_account__account__in=crm_selectors.account_scope(user=user)
    ).select_related("billing_account__account")


def _method_get(*, user: Any, payment_method_id: Any) -> PaymentMethod:
    found = _methods(user=user).filter(pk=parse_id(payment_method_id)).first()
    if found is None:
        raise NotFound("No such payment method.", field="id")
    return found


def _billing_account(*, user: Any, billing_account_id: str) -> BillingAccount:
    """A billing account a body names; NotFound on `billing_account` (the body's path for it
    is the caller's `body_fields`)."""
    found = BillingAccount.objects.filter(
        pk=parse_id(billing_account_id), account__in=crm_selectors.account_scope(user=user)
    ).first()
    if found is None:
        raise NotFound("No such billing account.", field="billing_account")
    return found


def _gateway_configured(*, field: str) -> None:
    """Refuse a gateway call before anything is written when the installation has no gateway."""
    if not gateway.configured():
        raise Conflict(
            "No payment gateway is configured: only money received by hand can be recorded.",
            field=field,
            code="no_gateway",
        )


# TMF676 payment


def _invoice_ids(payload: PaymentIn) -> list[int]:
    ids = []
    for index, raw in enumerate(payload.invoice_ids()):
        pk = parse_id(raw)
        if not pk:
            raise ValidationError(
                "No such customer bill.", field=f"paymentItem[{index}].item.id", code="unknown_reference"
            )
        ids.append(pk)
    return ids


def _record(payload: PaymentIn, *, billing_account: BillingAccount, user: Any) -> Payment:
    """Money received by hand: recorded as succeeded, paying the invoices named first."""
    return payments.payment_record(
        billing_account=billing_account,
        amount=payload.total_amount.value,
        means=payload.manual_means(),
        recorded_by=user,
        reference=payload.manual_reference(),
        received_on=payload.received_on(),
        currency=payload.total_amount.unit,
        invoices=_invoice_ids(payload),
    )


def _take(payload: PaymentIn, *, billing_account: BillingAccount, user: Any) -> Payment:
    """A stored method charged now through the gateway, keyed by the client's correlatorId."""
    method = PaymentMethod.objects.filter(pk=parse_id(payload.payment_method.id)).first()
    if method is None:
        raise ValidationError("No such payment method.", field="paymentMethod.id", code="unknown_reference")
    received_on = payload.received_on()
    if received_on is not None and received_on != clock.today():
        raise ValidationError(
            "A card or bank debit is charged today; leave paymentDate out.", field="paymentDate", code="not_today"
        )
    _gateway_configured(field="paymentMethod.id")
    key = f"{CORRELATOR_PREFIX}{payload.correlator_id}" if payload.correlator_id else ""
    earlier = Payment.objects.filter(idempotency_key=key).first() if key else None
    if earlier is not None and (
        earlier.billing_account_id != billing_account.payer.pk
        or earlier.amount != payload.total_amount.value
        or earlier.payment_method_id != method.pk
    ):
        raise Conflict(
            f"correlatorId {payload.correlator_id!r} was used for {earlier.number}, another payment.",
            field="correlatorId",
            code="correlator_reused",
        )
    return payments.payment_take(
        billing_account=billing_account,
        amount=payload.total_amount.value,
        payment_method=method,
        taken_by=user,
        currency=payload.total_amount.unit,
        invoices=_invoice_ids(payload),
        idempotency_key=key,
    )


@payment_router.post("/payment", response={201: PaymentOut, **ERRORS}, summary="Create a payment")
def payment_create(request: ApiRequest, payload: PaymentIn) -> Status:
    """Record money received by hand, or charge a stored card or bank account. Needs the billing
    role. A declined charge is created too, with status failed."""
    user = request.auth
    require(user, "payment.take")
    payload.check_amounts()
    with body_fields(PAYMENT_FIELDS):
        billing_account = _billing_account(user=user, billing_account_id=payload.account.id)
        if payload.payment_method.id is None:
            payment = _record(payload, billing_account=billing_account, user=user)
        else:
            payment = _take(payload, billing_account=billing_account, user=user)
    return Status(201, PaymentOut.of(request, _payment_get(user=user, payment_id=payment.pk)))


@payment_router.get("/payment", response={200: list[PaymentOut], **ERRORS}, summary="List payments")
def payment_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    account_id: str | None = Query(None, alias="account.id", description="The paying billing account's id."),
    payment_method_id: str | None = Query(None, alias="paymentMethod.id", description="The stored method's id."),
    status: TmfStatus | None = None,
) -> list[PaymentOut]:
    found = _payments(user=request.auth)
    if account_id is not None:
        found = found.filter(billing_account_id=parse_id(account_id))
    if payment_method_id is not None:
        found = found.filter(payment_method_id=parse_id(payment_method_id))
    statuses = matching(PAYMENT_STATUS, status)
    if statuses is not None:
        found = found.filter(status__in=statuses)
    return [PaymentOut.of(request, payment) for payment in paginate(response, found, page)]


@payment_router.get("/payment/{id}", response={200: PaymentOut, **ERRORS}, summary="Retrieve a payment")
def payment_get(request: ApiRequest, id: str, fields: str | None = None) -> PaymentOut:
    return PaymentOut.of(request, _payment_get(user=request.auth, payment_id=id))


# TMF676 refund


@refund_router.post("/refund", response={201: RefundOut, **ERRORS}, summary="Create a refund")
def refund_create(request: ApiRequest, payload: RefundIn) -> Status:
    """Give money back on a payment: by the gateway for a card or bank debit, by hand otherwise.
    Needs the billing role."""
    user = request.auth
    require(user, "payment.take")
    payment = _payments(user=user).filter(pk=parse_id(payload.payment.id)).first()
    if payment is None:
        raise ValidationError("No such payment.", field="payment.id", code="unknown_reference")
    payload.check_against(payment)
    given, at = payload.money_in()
    if payment.means in GATEWAY_MEANS:
        _gateway_configured(field="payment.id")
    with body_fields({**REFUND_FIELDS, "amount": f"{at}.value"}):
        refund = payments.refund_create(
            payment=payment, amount=given.value, reason=payload.description or payload.reason or "", refunded_by=user
        )
    return Status(201, RefundOut.of(request, _refund_get(user=user, refund_id=refund.pk)))


@refund_router.get("/refund", response={200: list[RefundOut], **ERRORS}, summary="List refunds")
def refund_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    payment_id: str | None = Query(None, alias="payment.id", description="The refunded payment's id."),
    account_id: str | None = Query(None, alias="account.id", description="The paying billing account's id."),
    status: TmfStatus | None = None,
) -> list[RefundOut]:
    found = _refunds(user=request.auth)
    if payment_id is not None:
        found = found.filter(payment_id=parse_id(payment_id))
    if account_id is not None:
        found = found.filter(payment__billing_account_id=parse_id(account_id))
    statuses = matching(REFUND_STATUS, status)
    if statuses is not None:
        found = found.filter(status__in=statuses)
    return [RefundOut.of(request, refund) for refund in paginate(response, found, page)]


@refund_router.get("/refund/{id}", response={200: RefundOut, **ERRORS}, summary="Retrieve a refund")
def refund_get(request: ApiRequest, id: str, fields: str | None = None) -> RefundOut:
    return RefundOut.of(request, _refund_get(user=request.auth, refund_id=id))


# TMF670 paymentMethod


@method_router.post(
    "/paymentMethod", response={201: PaymentMethodOut, **ERRORS}, summary="Store a card or bank account"
)
def payment_method_create(request: ApiRequest, payload: PaymentMethodIn) -> Status:
    """Attach the method the customer's browser tokenised with the gateway to a billing account.
    Needs the billing role."""
    user = request.auth
    require(user, "payment_method.manage")
    with body_fields(METHOD_FIELDS):
        billing_account = _billing_account(user=user, billing_account_id=payload.billing_account_id())
        token = payload.gateway_token()
        _gateway_configured(field="token")
        method = methods.payment_method_add(
            billing_account=billing_account, token=token, added_by=user, autopay=payload.is_preferred
        )
    return Status(201, PaymentMethodOut.of(request, _method_get(user=user, payment_method_id=method.pk)))


@method_router.get("/paymentMethod", response={200: list[PaymentMethodOut], **ERRORS}, summary="List payment methods")
def payment_method_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    account_id: str | None = Query(None, alias="account.id", description="The billing account's id."),
    related_party_id: str | None = Query(None, alias="relatedParty.id", description="The customer's id."),
    status: PaymentMethod.Status | None = None,
) -> list[PaymentMethodOut]:
    found = _methods(user=request.auth)
    if account_id is not None:
        found = found.filter(billing_account_id=parse_id(account_id))
    if related_party_id is not None:
        found = found.filter(billing_account__account_id=parse_id(related_party_id))
    if status is not None:
        found = found.filter(status=status)
    return [PaymentMethodOut.of(request, method) for method in paginate(response, found.order_by("id"), page)]


@method_router.get(
    "/paymentMethod/{id}", response={200: PaymentMethodOut, **ERRORS}, summary="Retrieve a payment method"
)
def payment_method_get(request: ApiRequest, id: str, fields: str | None = None) -> PaymentMethodOut:
    return PaymentMethodOut.of(request, _method_get(user=request.auth, payment_method_id=id))


@method_router.patch(
    "/paymentMethod/{id}", response={200: PaymentMethodOut, **ERRORS}, summary="Prefer a method for autopay, or not"
)
def payment_method_patch(request: ApiRequest, id: str, payload: PaymentMethodPatchIn) -> PaymentMethodOut:
    """`isPreferred` turns autopay on (off for the payer's other method) or off; nothing else
    changes. Needs the billing role."""
    user = request.auth
    require(user, "payment_method.manage")
    method = _method_get(user=user, payment_method_id=id)
    payload.check()
    if payload.is_preferred is not None and payload.is_preferred != method.autopay:
        with body_fields(METHOD_FIELDS):
            methods.payment_method_set_autopay(payment_method=method, autopay=payload.is_preferred, changed_by=user)
    return PaymentMethodOut.of(request, _method_get(user=user, payment_method_id=id))


@method_router.delete("/paymentMethod/{id}", response={204: None, **ERRORS}, summary="Remove a payment method")
def payment_method_delete(request: ApiRequest, id: str) -> Status:
    """The method is removed (at the gateway too, as the use case does); it stays readable with
    status removed. Needs the billing role."""
    user = request.auth
    require(user, "payment_method.manage")
    method = _method_get(user=user, payment_method_id=id)
    methods.payment_method_remove(payment_method=method, removed_by=user)
    return Status(204, None)
