"""The Stripe adapter of the gateway port (`gateway.Gateway`), on Stripe's own `stripe` package.

Every request goes out through `headend.core.outbound` (the one outbound-address policy): the
package's HTTP client is replaced by `OutboundHTTPClient`, so HEADEND_STRIPE_API_BASE is checked
like any other URL Headend calls. Every POST carries the caller's idempotency key (a charge's
two POSTs: `<key>-create` and `<key>-confirm`), and the package retries a lost connection or a
5xx with that same key. A charge is a PaymentIntent created unconfirmed, then confirmed by its
id: Stripe confirms an intent once, so even a confirm sent again after Stripe has forgotten the
key (about 24 hours) charges nothing more.

Amounts travel as integer cents (Stripe's smallest unit for the two-decimal currencies Headend
bills in); a Decimal that is not a whole number of cents is refused rather than rounded."""

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
import stripe
from django.conf import settings

from headend.core import clock, outbound
from headend.core.errors import ValidationError
from headend.core.money import CENT

from .gateway import BadSignature, Card, Charge, ChargeRefused, Event, GatewayError, RefundResult

# Retries of a lost connection or a 5xx, within one call (with the same idempotency key).
NETWORK_RETRIES = 2
# A webhook signed longer ago than this (seconds, by Headend's clock) is refused as a replay.
SIGNATURE_TOLERANCE = 300
# PaymentIntent statuses that say the charge did not go through.
FAILED_STATUSES = ("requires_payment_method", "canceled", "requires_action")
# The status of an intent created and never confirmed: no money moved.
UNCONFIRMED = "requires_confirmation"


def to_cents(amount: Decimal) -> int:
    """Decimal dollars as integer cents, exactly."""
    cents = Decimal(amount) * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of cents.")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    """Integer cents as Decimal dollars."""
    return (Decimal(int(cents)) / 100).quantize(CENT)


class OutboundHTTPClient(stripe.HTTPClient):
    """The `stripe` package's HTTP client, sending through `outbound.client()`. A request the
    policy refuses is not retried; a failed connection is (the package decides, same key)."""

    name = "headend-outbound"

    def request(self, method: str, url: str, headers: Any, post_data: Any = None, **_: Any) -> tuple[Any, int, Any]:
        try:
            with outbound.client() as client:
                response = client.request(method, url, headers=dict(headers or {}), content=post_data)
                return response.content, response.status_code, response.headers
        except outbound.Refused as exc:
            raise stripe.APIConnectionError(f"Not sent: {exc}", should_retry=False) from exc
        except httpx.HTTPError as exc:
            raise stripe.APIConnectionError(
                f"Stripe was not reached: {str(exc) or type(exc).__name__}", should_retry=True
            ) from exc

    def request_stream(self, method: str, url: str, headers: Any, post_data: Any = None, **_: Any) -> Any:
        raise NotImplementedError("Headend reads no streamed answers from Stripe.")

    def close(self) -> None:
        """Each request opens and closes its own client (the policy checks every request)."""


def _error(exc: stripe.StripeError) -> dict[str, Any]:
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    found = body.get("error")
    return found if isinstance(found, dict) else {}


class StripeGateway:
    """Stripe as the installation's gateway (HEADEND_PAYMENT_GATEWAY =
    "headend.payments.stripe_gateway.StripeGateway")."""

    name = "stripe"

    def __init__(self) -> None:
        self.client = stripe.StripeClient(
            api_key=settings.HEADEND_STRIPE_API_KEY,
            base_addresses={"api": settings.HEADEND_STRIPE_API_BASE},
            http_client=OutboundHTTPClient(),
            max_network_retries=NETWORK_RETRIES,
        )

    def create_customer(self, *, name: str, email: str, reference: str, idempotency_key: str) -> str:
        try:
            customer = self.client.v1.customers.create(
                params={"name": name, "email": email, "metadata": {"headend_reference": reference}},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise GatewayError(f"Stripe did not create the customer: {exc.user_message}") from exc
        return str(customer.id)

    def attach_method(self, *, customer: str, token: str, idempotency_key: str) -> Card:
        """Attach a tokenised card or bank account; a token Stripe does not know (or a card it
        refuses) is the customer's input at fault: ValidationError on `token`."""
        try:
            method = self.client.v1.payment_methods.attach(
                token, params={"customer": customer}, options={"idempotency_key": idempotency_key}
            )
        except (stripe.InvalidRequestError, stripe.CardError) as exc:
            raise ValidationError(
                f"The gateway does not accept this card or bank account: {exc.user_message}",
                field="token",
                code="unknown_token",
            ) from exc
        except stripe.StripeError as exc:
            raise GatewayError(f"Stripe did not attach the method: {exc.user_message}") from exc
        return _card(method.to_dict())

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
        """A PaymentIntent on the stored method, created unconfirmed (`requires_confirmation`):
        no money moves. `off_session` goes with the confirm (Stripe takes it at creation only
        with `confirm=true`). A method Stripe refuses (gone, unusable) is ChargeRefused."""
        params: Any = {
            "amount": to_cents(amount),
            "currency": currency.lower(),
            "customer": customer,
            "payment_method": token,
            "payment_method_types": ["card", "us_bank_account"],
            "confirm": False,
            "description": description,
            "metadata": metadata,
        }
        options: Any = {"idempotency_key": f"{idempotency_key}-create"}
        try:
            intent = self.client.v1.payment_intents.create(params=params, options=options)
        except (stripe.InvalidRequestError, stripe.CardError) as exc:
            raise ChargeRefused(str(_error(exc).get("message") or exc.user_message or "Refused.")) from exc
        except stripe.StripeError as exc:
            raise GatewayError(f"Stripe did not create the charge: {exc.user_message}") from exc
        return str(intent.id)

    def confirm_charge(self, *, charge_id: str, idempotency_key: str) -> Charge:
        """Confirm a prepared PaymentIntent off-session: succeeded, processing (ACH) or failed
        with the bank's reason (a decline, 402, is a failed charge, not an error). An intent
        already confirmed (Stripe: `payment_intent_unexpected_state`) is answered with what it
        is, read back."""
        options: Any = {"idempotency_key": f"{idempotency_key}-confirm"}
        try:
            intent = self.client.v1.payment_intents.confirm(charge_id, params={"off_session": True}, options=options)
        except stripe.CardError as exc:
            return _declined(_error(exc), exc, charge_id)
        except stripe.InvalidRequestError as exc:
            if _error(exc).get("code") == "payment_intent_unexpected_state":
                return self.get_charge(charge_id=charge_id)
            # The stored method is gone or unusable at Stripe: this charge can never succeed.
            return _declined(_error(exc), exc, charge_id)
        except stripe.StripeError as exc:
            raise GatewayError(f"Stripe did not answer the charge: {exc.user_message}") from exc
        return charge_of(intent.to_dict())

    def get_charge(self, *, charge_id: str) -> Charge:
        """The PaymentIntent as it is now; one never confirmed is `unconfirmed`."""
        try:
            intent = self.client.v1.payment_intents.retrieve(charge_id)
        except stripe.StripeError as exc:
            raise GatewayError(f"Stripe did not say what {charge_id} is: {exc.user_message}") from exc
        return charge_of(intent.to_dict())

    def refund(self, *, charge_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        target = "payment_intent" if charge_id.startswith("pi_") else "charge"
        params: Any = {target: charge_id, "amount": to_cents(amount), "metadata": {"headend_refund": idempotency_key}}
        try:
            refund = self.client.v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})
        except (stripe.InvalidRequestError, stripe.CardError) as exc:
            return RefundResult(id=f"failed-{idempotency_key}", status="failed", message=str(exc.user_message or ""))
        except stripe.StripeError as exc:
            raise GatewayError(f"Stripe did not answer the refund: {exc.user_message}") from exc
        return refund_of(refund.to_dict())

    def verify_webhook(self, *, payload: bytes, signature: str) -> Event:
        """A delivery signed with HEADEND_STRIPE_WEBHOOK_SECRET within SIGNATURE_TOLERANCE
        seconds of Headend's clock. Raises BadSignature."""
        secret = settings.HEADEND_STRIPE_WEBHOOK_SECRET
        try:
            stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance=None)
            signed_at = int(dict(part.split("=", 1) for part in signature.split(",") if "=" in part)["t"])
        except (stripe.SignatureVerificationError, KeyError, ValueError) as exc:
            raise BadSignature(str(exc)) from exc
        if signed_at < clock.now().timestamp() - SIGNATURE_TOLERANCE:
            raise BadSignature("The signature is too old (a replayed delivery).")
        try:
            body = json.loads(payload)
            return Event(
                id=str(body["id"]),
                type=str(body["type"]),
                created=dt.datetime.fromtimestamp(int(body["created"]), tz=dt.UTC),
                object=dict(body.get("data", {}).get("object") or {}),
                payload=body,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BadSignature(f"The delivery is not a Stripe event: {exc}") from exc


def _card(method: dict[str, Any]) -> Card:
    holder = str((method.get("billing_details") or {}).get("name") or "")
    if method.get("type") == "us_bank_account":
        bank = method.get("us_bank_account") or {}
        return Card(
            kind="ach",
            brand=str(bank.get("bank_name") or "Bank account"),
            last4=str(bank.get("last4") or ""),
            holder_name=holder,
        )
    card = method.get("card") or {}
    return Card(
        kind="card",
        brand=str(card.get("brand") or "card").replace("_", " ").title(),
        last4=str(card.get("last4") or ""),
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
        holder_name=holder,
    )


def charge_of(intent: dict[str, Any]) -> Charge:
    """A PaymentIntent (an answer or a webhook's object) as the port's Charge."""
    status = intent.get("status")
    if status == "succeeded":
        return Charge(id=str(intent["id"]), status="succeeded")
    if status == UNCONFIRMED:
        return Charge(id=str(intent["id"]), status="unconfirmed")
    if status in FAILED_STATUSES:
        error = intent.get("last_payment_error") or {}
        message = error.get("message") or (
            "The bank asks the customer to confirm this payment." if status == "requires_action" else "Declined."
        )
        return Charge(id=str(intent["id"]), status="failed", message=str(message))
    return Charge(id=str(intent["id"]), status="processing")


def _declined(error: dict[str, Any], exc: stripe.StripeError, charge_id: str) -> Charge:
    """A confirm Stripe refused as the failed charge of that intent, in the bank's words."""
    message = str(error.get("message") or exc.user_message or "Declined.")
    return Charge(id=charge_id, status="failed", message=message)


def refund_of(refund: dict[str, Any]) -> RefundResult:
    """A Stripe Refund as the port's RefundResult (pending until the bank says)."""
    status = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}.get(
        str(refund.get("status")), "pending"
    )
    return RefundResult(id=str(refund["id"]), status=status, message=str(refund.get("failure_reason") or ""))
