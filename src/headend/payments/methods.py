"""Stored payment methods (TMF670 paymentMethod): a card or bank account the customer's browser
tokenised at the gateway, attached to the payer's gateway customer. Headend keeps the token and
what identifies the method to the customer (brand, last four digits, expiry), never a number.

The gateway calls happen outside any transaction (the customer once per payer, with a key of
the payer, so a retry creates no second one); the row is written after, in one transaction."""

import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from headend.billing.models import BillingAccount
from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.permissions import require

from .gateway import GatewayError, gateway
from .models import MethodKind, PaymentMethod

# A card or bank account number typed where the token belongs: 12 to 19 digits, maybe spaced.
# 12 to 19 digits in a row once spaces and dashes are dropped: a card or bank account number.
_NUMBER_RUN = re.compile(r"\d{12,19}")
_TOKEN = re.compile(r"[A-Za-z0-9_]{3,80}")


def _may_manage(user: Any) -> None:
    """None acts for the customer (the portal) or the system, which check ownership themselves."""
    if user is not None:
        require(user, "payment_method.manage")


def looks_like_card_number(value: str) -> bool:
    """Whether a value holds what may be a card or bank account number (never stored, never sent)."""
    return bool(_NUMBER_RUN.search(re.sub(r"[\s-]", "", value or "")))


def _token(value: Any) -> str:
    token = str(value or "").strip()
    if looks_like_card_number(token):
        raise ValidationError(
            "That looks like a card or account number. Never type a card number here: the customer "
            "enters it in the gateway's secure form, which gives the token to store.",
            field="token",
            code="card_number",
        )
    if not token:
        raise ValidationError("Give the gateway's token for the card or bank account.", field="token", code="required")
    if not _TOKEN.fullmatch(token):
        raise ValidationError("That is not a gateway token (pm_...).", field="token", code="invalid")
    return token


def _gateway_customer(payer: BillingAccount, gateway_name: str) -> str:
    """The payer's customer at the gateway: the one its methods already name, else a new one
    (its key is the payer's, so a retried request creates no second customer)."""
    known = (
        PaymentMethod.objects.filter(billing_account=payer, gateway=gateway_name)
        .exclude(gateway_customer="")
        .values_list("gateway_customer", flat=True)
        .first()
    )
    if known:
        return known
    account = payer.account
    return gateway().create_customer(
        name=str(account),
        email=account.email,
        reference=payer.number,
        idempotency_key=f"customer-{payer.pk}",
    )


def _active_payer(billing_account: BillingAccount) -> BillingAccount:
    payer = billing_account.payer
    if payer.status != BillingAccount.Status.ACTIVE:
        raise Conflict(f"{payer.number} is closed.", field="billing_account", code="closed")
    return payer


def payment_method_add(
    *, billing_account: BillingAccount, token: str, added_by: Any, autopay: bool = False
) -> PaymentMethod:
    """Store a card or bank account the customer tokenised at the gateway for the billing
    account's payer; with `autopay`, it becomes the one autopay charges. Raises
    ValidationError (`token`: a number typed instead, or a token the gateway does not know),
    Conflict (no gateway configured or reached, the payer closed), Forbidden."""
    _may_manage(added_by)
    token = _token(token)
    payer = _active_payer(billing_account)
    found = gateway()
    existing = PaymentMethod.objects.filter(gateway=found.name, token=token).first()
    if existing is not None:
        if existing.billing_account_id == payer.pk and existing.status == PaymentMethod.Status.ACTIVE:
            return existing  # the same form sent twice
        raise ValidationError(
            "That card or bank account was stored before; add it again from the form.", field="token", code="duplicate"
        )
    try:
        customer = _gateway_customer(payer, found.name)
        card = found.attach_method(customer=customer, token=token, idempotency_key=f"attach-{customer}-{token}")
    except GatewayError as exc:
        raise Conflict(
            f"The payment gateway could not be reached; nothing was stored. Try again. ({exc})",
            field="token",
            code="gateway_unreachable",
        ) from exc
    return _store(
        payer=payer,
        gateway_name=found.name,
        customer=customer,
        token=token,
        card=card,
        autopay=autopay,
        added_by=added_by,
    )


@transaction.atomic
def _store(
    *, payer: BillingAccount, gateway_name: str, customer: str, token: str, card: Any, autopay: bool, added_by: Any
) -> PaymentMethod:
    payer = BillingAccount.objects.select_for_update().get(pk=payer.pk)  # one autopay method: decided locked
    now = clock.now()
    if autopay:
        _autopay_off(payer)
    method = PaymentMethod(
        billing_account=payer,
        kind=MethodKind.ACH if card.kind == "ach" else MethodKind.CARD,
        gateway=gateway_name,
        gateway_customer=customer,
        token=token,
        brand=card.brand[:30],
        last4=card.last4[-4:],
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        holder_name=card.holder_name[:120],
        autopay=autopay,
        created_by=added_by,
        created_at=now,
    )
    try:
        method.full_clean()
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationError(
            f"The gateway described the method in a way that cannot be stored ({field}: {' '.join(messages)}).",
            field="token",
            code="unusable_method",
        ) from exc
    existing = PaymentMethod.objects.filter(gateway=gateway_name, token=token).first()
    if existing is not None:  # the same method sent twice at once: the first one stored it
        if existing.billing_account_id != payer.pk or existing.status != PaymentMethod.Status.ACTIVE:
            raise ValidationError(
                "That token was used before: have the customer enter the card or account again.",
                field="token",
                code="token_taken",
            )
        return existing
    try:
        with transaction.atomic():
            method.save()
    except IntegrityError:
        raise Conflict("That method is being stored already.", field="token", code="token_taken") from None
    events.emit("payment_method.added", subject=method, data={"billing_account_id": payer.pk, "autopay": autopay})
    return method


def _autopay_off(payer: BillingAccount, *, keep: PaymentMethod | None = None) -> None:
    """Turn autopay off on the payer's other methods (each saved, so its history shows it)."""
    others = PaymentMethod.objects.select_for_update().filter(billing_account=payer, autopay=True)
    if keep is not None:
        others = others.exclude(pk=keep.pk)
    for other in others:
        other.autopay = False
        other.save(update_fields=["autopay"])


def _locked(payment_method: PaymentMethod) -> PaymentMethod:
    BillingAccount.objects.select_for_update().get(pk=payment_method.billing_account_id)
    return PaymentMethod.objects.select_for_update().get(pk=payment_method.pk)


@transaction.atomic
def payment_method_remove(*, payment_method: PaymentMethod, removed_by: Any) -> PaymentMethod:
    """Stop using a stored method (autopay with it stops too); its payments keep naming it.
    Raises Conflict if it was removed already, Forbidden."""
    _may_manage(removed_by)
    method = _locked(payment_method)
    method.check_transition(PaymentMethod.Status.REMOVED)
    method.status, method.removed_at, method.autopay = PaymentMethod.Status.REMOVED, clock.now(), False
    method.save(update_fields=["status", "removed_at", "autopay"])
    events.emit("payment_method.removed", subject=method, data={"billing_account_id": method.billing_account_id})
    return method


@transaction.atomic
def payment_method_set_autopay(*, payment_method: PaymentMethod, autopay: bool, changed_by: Any) -> PaymentMethod:
    """Charge this method on each invoice's due date (or stop): one autopay method per payer, so
    turning it on here turns it off on the other. Raises Conflict for a removed method, Forbidden."""
    _may_manage(changed_by)
    method = _locked(payment_method)
    if method.status != PaymentMethod.Status.ACTIVE:
        raise Conflict(f"{method} was removed.", field="payment_method", code="removed")
    if method.autopay == autopay:
        return method
    if autopay:
        _autopay_off(method.billing_account, keep=method)
    method.autopay = autopay
    method.save(update_fields=["autopay"])
    events.emit("payment_method.autopay_changed", subject=method, data={"autopay": autopay})
    return method
