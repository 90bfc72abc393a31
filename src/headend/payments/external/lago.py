"""The Lago adapter (getlago.com, open source, AGPLv3): invoices and payments pulled from Lago's
REST API v1 and received from its webhooks, as the external-biller port's records.

What is followed (Lago API v1, lago-api `V1::InvoiceSerializer`, `V1::FeeSerializer`,
`V1::Invoices::AppliedTaxSerializer`, `V1::PaymentSerializer`; lago-openapi `PaginationMeta`):

- `GET /api/v1/invoices?page=&per_page=&issuing_date_from=YYYY-MM-DD` with
  `Authorization: Bearer <API key>` answers `{"invoices": [...], "meta": {"current_page",
  "next_page", "prev_page", "total_pages", "total_count"}}`; list items carry `customer` and
  `applied_taxes` but not `fees`, which `GET /api/v1/invoices/{lago_id}` (`{"invoice": {...}}`) has.
- An invoice: `lago_id`, `number`, `issuing_date`, `payment_due_date`, `status` (`draft`,
  `finalized`, `voided`; newer servers also `pending`, `failed`, `closed`, never shown here),
  `payment_status` (`pending`, `succeeded`, `failed`), `currency`, `fees_amount_cents`,
  `sub_total_excluding_taxes_amount_cents`, `taxes_amount_cents`, `total_amount_cents`,
  `created_at`, `voided_at`, `customer.external_id`, `fees[]` (`amount_cents`, `units`,
  `description`, `item.{name, invoice_display_name, code}`), `applied_taxes[]` (`tax_name`,
  `tax_rate`, `amount_cents`, `fees_amount_cents`). Amounts are integer cents of a two-decimal
  currency.
- `GET /api/v1/payments?page=&per_page=` (also sent `created_at_from`, which newer servers
  honour; older ones list everything and the date is checked here): `{"payments": [...], "meta"}`;
  a payment: `lago_id`, `invoice_ids[]`, `amount_cents`, `amount_currency`, `payment_status`
  (`pending`, `processing`, `succeeded`, `failed`), `reference`, `created_at`,
  `external_customer_id` (newer servers).
- Webhooks: a POST of `{"webhook_type": "invoice.created", "object_type": "invoice",
  "invoice": {...}}` (any `invoice.*` type), `object_type` `payment` (`"payment": {...}`) or
  `payment_receipt` (`"payment_receipt": {"payment": {...}}`); others are acknowledged and
  ignored. Headers: `X-Lago-Signature-Algorithm: hmac` and `X-Lago-Signature`, the base64 of the
  HMAC-SHA256 of the raw body under the organisation's HMAC key (HEADEND_LAGO_WEBHOOK_SECRET);
  the JWT algorithm is refused. `X-Lago-Unique-Key` names the delivery (a retry carries the same).

Settings: HEADEND_LAGO_API_URL (the server's root, `https://api.getlago.com`),
HEADEND_LAGO_API_KEY, HEADEND_LAGO_WEBHOOK_SECRET. Calls go through `core.outbound` (a Lago on
a private network must be allowed with HEADEND_OUTBOUND_ALLOW)."""

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from django.conf import settings

from headend.core import outbound
from headend.core.money import CENT

from .port import BadSignature, ExternalBillerError, ExternalInvoice, ExternalLine, ExternalPayment, WebhookDelivery

PER_PAGE = 100
STATUSES = {"finalized": "final", "voided": "void"}
PAYMENT_STATUSES = {"succeeded": "succeeded", "failed": "failed", "pending": "pending", "processing": "pending"}


def cents(value: Any) -> Decimal:
    """Integer cents as an exact amount; anything else is not what the API sends."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{value!r} is not an amount in cents")
    return (Decimal(int(value)) / 100).quantize(CENT)


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


def _instant(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(value)) if value else None


def _quantity(units: Any) -> int:
    """Whole units as a quantity; usage in fractions of a unit is one line of its amount."""
    try:
        number = Decimal(str(units))
    except InvalidOperation:
        return 1
    return int(number) if number >= 1 and number == number.to_integral_value() else 1


def _fee(fee: Mapping[str, Any]) -> ExternalLine:
    item = fee.get("item") or {}
    name = item.get("invoice_display_name") or item.get("name") or fee.get("description") or item.get("code") or "Fee"
    return ExternalLine(
        kind="one_time",
        description=str(name)[:300],
        amount=cents(fee["amount_cents"]),
        quantity=_quantity(fee.get("units")),
    )


def _lines(data: Mapping[str, Any]) -> tuple[ExternalLine, ...] | None:
    """The invoice's fees, what discounts took off them, its taxes and the credits applied: lines
    that add up to its total, as Lago's totals say."""
    if data.get("fees") is None:
        return None
    lines = [_fee(fee) for fee in data["fees"]]
    subtotal = cents(data["sub_total_excluding_taxes_amount_cents"])
    taxes = cents(data["taxes_amount_cents"])
    if discount := subtotal - sum((line.amount for line in lines), Decimal(0)):
        lines.append(
            ExternalLine(kind="one_time", description="Discounts (coupons, progressive billing)", amount=discount)
        )
    applied = [
        ExternalLine(
            kind="tax",
            description=str(tax.get("tax_name") or "Tax")[:300],
            amount=cents(tax["amount_cents"]),
            tax_rate=Decimal(str(tax["tax_rate"])) if tax.get("tax_rate") is not None else None,
            taxable_amount=cents(tax["fees_amount_cents"]) if tax.get("fees_amount_cents") is not None else None,
        )
        for tax in data.get("applied_taxes") or []
    ]
    if sum((line.amount for line in applied), Decimal(0)) != taxes:
        applied = [ExternalLine(kind="tax", description="Taxes", amount=taxes)] if taxes else []
    lines.extend(applied)
    if credits := cents(data["total_amount_cents"]) - subtotal - taxes:
        lines.append(
            ExternalLine(kind="one_time", description="Credits applied (credit notes, prepaid credits)", amount=credits)
        )
    return tuple(lines)


def invoice_of(data: Mapping[str, Any]) -> ExternalInvoice:
    """A Lago invoice object as the port's record. Raises ExternalBillerError."""
    try:
        issued = _date(data["issuing_date"])
        return ExternalInvoice(
            external_id=str(data["lago_id"]),
            number=str(data.get("number") or ""),
            customer_external_id=str((data.get("customer") or {}).get("external_id") or ""),
            status=STATUSES.get(str(data["status"]), str(data["status"])),
            paid=data.get("payment_status") == "succeeded",
            issued_on=issued,
            due_on=_date(data["payment_due_date"]) if data.get("payment_due_date") else issued,
            currency=str(data["currency"]).upper(),
            subtotal_amount=cents(data["sub_total_excluding_taxes_amount_cents"]),
            tax_amount=cents(data["taxes_amount_cents"]),
            total_amount=cents(data["total_amount_cents"]),
            lines=_lines(data),
            finalised_at=_instant(data.get("created_at")),
            voided_at=_instant(data.get("voided_at")),
        )
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
        raise ExternalBillerError(f"Lago sent an invoice Headend cannot read ({exc!r}).") from exc


def payment_of(data: Mapping[str, Any]) -> ExternalPayment:
    """A Lago payment object as the port's record. Raises ExternalBillerError."""
    try:
        return ExternalPayment(
            external_id=str(data["lago_id"]),
            invoice_external_ids=tuple(str(pk) for pk in data.get("invoice_ids") or ()),
            amount=cents(data["amount_cents"]),
            currency=str(data["amount_currency"]).upper(),
            status=PAYMENT_STATUSES.get(str(data["payment_status"]), str(data["payment_status"])),
            received_on=_date(data["created_at"]),
            reference=str(data.get("reference") or data.get("external_payment_id") or "")[:80],
            customer_external_id=str(data.get("external_customer_id") or ""),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise ExternalBillerError(f"Lago sent a payment Headend cannot read ({exc!r}).") from exc


def signature(body: bytes, secret: str) -> str:
    """Lago's `hmac` signature of a webhook body: base64 of its HMAC-SHA256 under the secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode("ascii")


class LagoBiller:
    name = "lago"

    def __init__(self, *, api_url: str | None = None, api_key: str | None = None, webhook_secret: str | None = None):
        root = (api_url if api_url is not None else settings.HEADEND_LAGO_API_URL).rstrip("/")
        self.root = root.removesuffix("/api/v1")
        self.api_key = api_key if api_key is not None else settings.HEADEND_LAGO_API_KEY
        self.webhook_secret = webhook_secret if webhook_secret is not None else settings.HEADEND_LAGO_WEBHOOK_SECRET

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        if not self.root:
            raise ExternalBillerError("HEADEND_LAGO_API_URL is not set: Headend does not know where Lago is.")
        try:
            with outbound.client(base_url=self.root) as client:
                response = client.get(path, params=params, headers={"Authorization": f"Bearer {self.api_key}"})
                body, cut = outbound.read_limited(response)
        except httpx.HTTPError as exc:
            raise ExternalBillerError(f"Lago could not be reached: {exc}") from exc
        if response.status_code != 200:
            raise ExternalBillerError(f"Lago answered {path} with HTTP {response.status_code}.")
        if cut:
            raise ExternalBillerError(f"Lago's answer to {path} is too large (HEADEND_OUTBOUND_MAX_BYTES).")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ExternalBillerError(f"Lago answered {path} with something that is not JSON.") from exc
        if not isinstance(data, dict):
            raise ExternalBillerError(f"Lago answered {path} with something that is not an object.")
        return data

    def _pages(self, path: str, key: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every object of a paginated list, following `meta.next_page` (forward only)."""
        page = 1
        while True:
            data = self._get(path, {**params, "page": page, "per_page": PER_PAGE})
            yield from data.get(key) or []
            following = (data.get("meta") or {}).get("next_page")
            if not isinstance(following, int) or following <= page:
                return
            page = following

    def fetch_invoices(self, since: dt.date | None) -> Iterator[ExternalInvoice]:
        params = {"issuing_date_from": since.isoformat()} if since else {}
        for data in self._pages("/api/v1/invoices", "invoices", params):
            yield invoice_of(data)

    def fetch_invoice(self, external_id: str) -> ExternalInvoice:
        data = self._get(f"/api/v1/invoices/{external_id}").get("invoice")
        if not isinstance(data, dict):
            raise ExternalBillerError(f"Lago sent no invoice {external_id}.")
        return invoice_of(data)

    def fetch_payments(self, since: dt.date | None) -> Iterator[ExternalPayment]:
        params = {"created_at_from": since.isoformat()} if since else {}
        for data in self._pages("/api/v1/payments", "payments", params):
            payment = payment_of(data)
            if since is None or payment.received_on >= since:
                yield payment

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookDelivery:
        named = {str(key).lower(): str(value) for key, value in headers.items()}
        if not self.webhook_secret:
            raise BadSignature("HEADEND_LAGO_WEBHOOK_SECRET is not set: no delivery can be trusted.")
        if named.get("x-lago-signature-algorithm", "").lower() != "hmac":
            raise BadSignature("Only Lago's hmac signature is accepted (set the webhook endpoint to HMAC).")
        if not hmac.compare_digest(
            named.get("x-lago-signature", "").encode(), signature(body, self.webhook_secret).encode()
        ):
            raise BadSignature("The X-Lago-Signature does not match the body.")
        try:
            payload = json.loads(body)
            kind, webhook_type = str(payload["object_type"]), str(payload["webhook_type"])
        except (ValueError, TypeError, KeyError) as exc:
            raise ExternalBillerError("The delivery is not a Lago webhook message.") from exc
        delivery_id = named.get("x-lago-unique-key") or hashlib.sha256(body).hexdigest()
        invoices: tuple[ExternalInvoice, ...] = ()
        payments: tuple[ExternalPayment, ...] = ()
        if kind == "invoice":
            invoices = (invoice_of(payload.get("invoice") or {}),)
        elif kind == "payment":
            payments = (payment_of(payload.get("payment") or {}),)
        elif kind == "payment_receipt":
            payments = (payment_of((payload.get("payment_receipt") or {}).get("payment") or {}),)
        return WebhookDelivery(
            delivery_id=delivery_id[:80], type=webhook_type[:80], invoices=invoices, payments=payments, payload=payload
        )
