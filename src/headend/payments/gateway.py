"""The payment-gateway port: what Headend asks of a card and bank-debit processor. One adapter
exists (`stripe_gateway.StripeGateway`, on Stripe's API through the `stripe` package); the
installation picks it with HEADEND_PAYMENT_GATEWAY ("" : no gateway, manual payments only).

Every call that moves money carries an idempotency key the caller chose from what it is doing
(a payment's key, an autopay attempt's key, a refund's key): the gateway answers a retried call
with the first call's result and charges once."""

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


@dataclass(frozen=True)
class Charge:
    """A charge's outcome: `succeeded`, `processing` (ACH: known days later, by webhook) or
    `failed` (declined: `message` says why, in the customer's words)."""

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

    def charge(
        self,
        *,
        customer: str,
        token: str,
        amount: Decimal,
        currency: str,
        description: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> Charge:
        """Charge a stored method off-session. Raises GatewayError when the outcome is unknown."""
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
