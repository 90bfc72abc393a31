"""The external-biller port: what Headend asks of a billing system a provider keeps as its book
of record (HEADEND_BILLER). One adapter exists (`lago.LagoBiller`, on Lago's REST API v1).

An adapter speaks its system's words at the HTTP boundary and hands back these neutral records;
`sync` turns them into Headend's own invoices and payments (read-only copies). Amounts are
Decimal in the currency's unit, converted once in the adapter from whatever the biller sends."""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol


class ExternalBillerError(Exception):
    """The biller could not be reached, or answered with something that is not what its API says
    (retry later: nothing was written for what was not read)."""


class BadSignature(Exception):
    """A webhook delivery whose signature does not verify: nothing is written."""


@dataclass(frozen=True)
class ExternalLine:
    """One line as the biller printed it: a fee (`one_time`) or one tax (`tax`)."""

    kind: str  # "one_time" or "tax"
    description: str
    amount: Decimal
    quantity: int = 1
    tax_rate: Decimal | None = None  # percent, tax lines only
    taxable_amount: Decimal | None = None


@dataclass(frozen=True)
class ExternalInvoice:
    """An invoice as the biller keeps it. `status`: `draft`, `final` or `void`; `paid`: the biller
    says it is paid in full. `lines` is None when the biller sent the invoice without them (a
    list page): ask `fetch_invoice` before writing a new one."""

    external_id: str
    number: str
    customer_external_id: str
    status: str
    paid: bool
    issued_on: dt.date
    due_on: dt.date
    currency: str
    subtotal_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    lines: tuple[ExternalLine, ...] | None = None
    finalised_at: dt.datetime | None = None
    voided_at: dt.datetime | None = None


@dataclass(frozen=True)
class ExternalPayment:
    """Money the biller recorded against some of its invoices (their external ids, in order).
    `status`: `succeeded`, `pending` or `failed`."""

    external_id: str
    invoice_external_ids: tuple[str, ...]
    amount: Decimal
    currency: str
    status: str
    received_on: dt.date
    reference: str = ""
    customer_external_id: str = ""


@dataclass(frozen=True)
class WebhookDelivery:
    """A verified webhook delivery: its id (for replays), its type, and what it carried."""

    delivery_id: str
    type: str
    invoices: tuple[ExternalInvoice, ...] = ()
    payments: tuple[ExternalPayment, ...] = ()
    payload: dict = field(default_factory=dict)


class ExternalBiller(Protocol):
    name: str  # the `source` written on what it made ("lago")

    def fetch_invoices(self, since: dt.date | None) -> Iterable[ExternalInvoice]:
        """Every invoice issued on or after `since` (all when None), page by page.
        Raises ExternalBillerError."""
        ...

    def fetch_invoice(self, external_id: str) -> ExternalInvoice:
        """One invoice with its lines. Raises ExternalBillerError."""
        ...

    def fetch_payments(self, since: dt.date | None) -> Iterable[ExternalPayment]:
        """Every payment received on or after `since` (all when None). Raises ExternalBillerError."""
        ...

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookDelivery:
        """The delivery if its signature verifies. Raises BadSignature, or ExternalBillerError for a
        signed body that is not what the API says."""
        ...
