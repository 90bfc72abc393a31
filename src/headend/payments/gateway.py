"""The payment-gateway port: what Headend asks of a card and bank-debit processor. One adapter
exists (`stripe_gateway.StripeGateway`, on Stripe's API through the `stripe` package); the
installation picks it with HEADEND_PAYMENT_GATEWAY ("" : no gateway, manual payments only).

Every call that creates something carries an idempotency key the caller chose from what it is
doing (a payment's key, an autopay attempt's key, a refund's key): the gateway answers a retried
call with the first call's result. A gateway forgets those keys after a while (Stripe: about a
day), so a charge never rests on them alone: it is two steps, `prepare_charge` (an intent to
charge, which moves no money and whose id the caller stores) then `confirm_charge` of that id
(money moves once, whatever the key: an intent is confirmed once). A caller that does not know
whether its confirm went through asks `get_charge`."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from headend.core.errors import Conflict


class GatewayError(Exception):
    """The gateway could not be reached or answered with an error that is not the customer's
    (retry later with the same idempotency key)."""


@dataclass(frozen=True)
class Card:
    """What a stored method shows: never the number."""

    kind: str  # "card" or "ach"
    brand: str
    last4: str
    exp_month: int | None = None
    exp_year: int | None = None
    holder_name: str = ""


class ChargeRefused(Exception):
    """The gateway refuses to prepare a charge (the stored method is gone or unusable there):
    it can never succeed, and nothing was charged. The message says why."""


@dataclass(frozen=True)
class Charge:
    """A charge's outcome: `succeeded`, `processing` (ACH: known days later, by webhook),
    `failed` (declined: `message` says why, in the customer's words) or `unconfirmed` (prepared,
    never confirmed: no money moved)."""

    id: str
    status: str
    message: str = ""


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str  # "succeeded", "pending" or "failed"
    message: str = ""


@dataclass(frozen=True)
class Event:
    """A verified webhook delivery."""

    id: str
    type: str
    created: dt.datetime
    object: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)


class BadSignature(Exception):
    """A webhook delivery whose signature does not verify (or is too old): nothing is written."""


class Gateway(Protocol):
    name: str

    def create_customer(self, *, name: str, email: str, reference: str, idempotency_key: str) -> str:
        """The gateway's customer id for a payer."""
        ...

    def attach_method(self, *, customer: str, token: str, idempotency_key: str) -> Card:
        """Attach a method the customer's browser tokenised (`pm_...`) and say what it is."""
        ...

    def prepare_charge(
        self,
        *,
        customer: str,
        token: str,
        amount: Decimal,
        currency: str,
        description: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> str:
        """The id of a new, unconfirmed charge of a stored method, to be confirmed off-session
        later: no money moves. Raises ChargeRefused (never chargeable) or GatewayError."""
        ...

    def confirm_charge(self, *, charge_id: str, idempotency_key: str) -> Charge:
        """Confirm a prepared charge off-session: money moves now, once. A charge confirmed
        before is answered with what it is. Raises GatewayError when the outcome is unknown."""
        ...

    def get_charge(self, *, charge_id: str) -> Charge:
        """What a prepared charge is now (`unconfirmed` if it was never confirmed)."""
        ...

    def refund(self, *, charge_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult: ...

    def verify_webhook(self, *, payload: bytes, signature: str) -> Event:
        """Raises BadSignature."""
        ...


def gateway() -> Gateway:
    """The installation's gateway; Conflict when none is configured."""
    path = settings.HEADEND_PAYMENT_GATEWAY
    if not path:
        raise Conflict(
            "No payment gateway is configured (HEADEND_PAYMENT_GATEWAY): only manual payments can be recorded.",
            field="means",
            code="no_gateway",
        )
    found: Gateway = import_string(path)()
    return found


def configured() -> bool:
    return bool(settings.HEADEND_PAYMENT_GATEWAY)
