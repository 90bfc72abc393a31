"""A stand-in Lago at the HTTP boundary (pytest-httpserver): the v1 invoice list (paginated,
filtered by issuing date, without fees), one invoice with its fees, the payment list, bearer-key
checks, and webhook deliveries signed as Lago signs them (hmac). Tests change its invoices and
payments as Lago would, then pull or deliver."""

import json
import re
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from headend.payments.external.lago import signature

API_KEY = "lago-test-key"
SECRET = "lago-hmac-key"


def invoice(
    lago_id: str,
    *,
    customer: str,
    number: str,
    issuing_date: str = "2026-02-01",
    status: str = "finalized",
    payment_status: str = "pending",
    fees: tuple[tuple[str, int], ...] = (("Fiber 500", 8000),),
    tax_rate: str = "5.5",
    currency: str = "USD",
) -> dict[str, Any]:
    """A Lago invoice object (V1::InvoiceSerializer with customer, fees and applied_taxes)."""
    fees_cents = sum(cents for _, cents in fees)
    taxes = round(fees_cents * float(tax_rate) / 100)
    return {
        "lago_id": lago_id,
        "sequential_id": 1,
        "number": number,
        "issuing_date": issuing_date,
        "payment_due_date": "2026-02-16",
        "net_payment_term": 15,
        "invoice_type": "subscription",
        "status": status,
        "payment_status": payment_status,
        "payment_overdue": False,
        "currency": currency,
        "fees_amount_cents": fees_cents,
        "taxes_amount_cents": taxes,
        "coupons_amount_cents": 0,
        "credit_notes_amount_cents": 0,
        "sub_total_excluding_taxes_amount_cents": fees_cents,
        "sub_total_including_taxes_amount_cents": fees_cents + taxes,
        "total_amount_cents": fees_cents + taxes,
        "prepaid_credit_amount_cents": 0,
        "created_at": f"{issuing_date}T08:00:00Z",
        "updated_at": f"{issuing_date}T08:00:00Z",
        "voided_at": None,
        "customer": {"lago_id": f"cus-{customer}", "external_id": customer, "name": "A customer"},
        "applied_taxes": [
            {
                "lago_id": f"tax-{lago_id}",
                "lago_invoice_id": lago_id,
                "tax_name": "Maine sales tax",
                "tax_code": "me_sales",
                "tax_rate": float(tax_rate),
                "amount_cents": taxes,
                "amount_currency": currency,
                "fees_amount_cents": fees_cents,
            }
        ],
        "fees": [
            {
                "lago_id": f"fee-{lago_id}-{position}",
                "lago_invoice_id": lago_id,
                "item": {"type": "subscription", "code": "fiber", "name": name, "invoice_display_name": name},
                "amount_cents": cents,
                "amount_currency": currency,
                "taxes_amount_cents": round(cents * float(tax_rate) / 100),
                "units": "1.0",
                "description": None,
            }
            for position, (name, cents) in enumerate(fees, start=1)
        ],
    }


def payment(lago_id: str, *, invoice_ids: list[str], amount_cents: int, status: str = "succeeded") -> dict[str, Any]:
    """A Lago payment object (V1::PaymentSerializer)."""
    return {
        "lago_id": lago_id,
        "invoice_ids": invoice_ids,
        "amount_cents": amount_cents,
        "amount_currency": "USD",
        "payment_status": status,
        "type": "manual",
        "reference": f"Wire {lago_id}",
        "external_payment_id": None,
        "created_at": "2026-02-20T10:00:00Z",
    }


class LagoStandin:
    """Lago's v1 API on a pytest-httpserver; `invoices` and `payments` are its state, newest last."""

    def __init__(self, server: HTTPServer, *, per_page: int | None = None):
        self.server = server
        self.invoices: list[dict[str, Any]] = []
        self.payments: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.per_page = per_page  # the page size it answers with, whatever is asked
        server.expect_request("/api/v1/invoices", method="GET").respond_with_handler(self._invoices)
        server.expect_request(re.compile(r"^/api/v1/invoices/[^/]+$"), method="GET").respond_with_handler(self._invoice)
        server.expect_request("/api/v1/payments", method="GET").respond_with_handler(self._payments)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def _authorised(self, request: Request) -> bool:
        self.requests.append((request.path, dict(request.args)))
        return request.headers.get("Authorization") == f"Bearer {API_KEY}"

    def _page(self, request: Request, key: str, rows: list[dict[str, Any]]) -> Response:
        size = self.per_page or int(request.args.get("per_page", 20))
        page = int(request.args.get("page", 1))
        pages = max(1, -(-len(rows) // size))
        body = {
            key: rows[(page - 1) * size : page * size],
            "meta": {
                "current_page": page,
                "next_page": page + 1 if page < pages else None,
                "prev_page": page - 1 if page > 1 else None,
                "total_pages": pages,
                "total_count": len(rows),
            },
        }
        return Response(json.dumps(body), content_type="application/json")

    def _invoices(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response('{"status": 401, "error": "Unauthorized"}', status=401, content_type="application/json")
        since = request.args.get("issuing_date_from", "")
        rows = [
            {key: value for key, value in row.items() if key != "fees"}  # the list has no fees
            for row in reversed(self.invoices)  # created_at desc
            if row["issuing_date"] >= since
        ]
        return self._page(request, "invoices", rows)

    def _invoice(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response(status=401)
        lago_id = request.path.rsplit("/", 1)[1]
        for row in self.invoices:
            if row["lago_id"] == lago_id:
                return Response(json.dumps({"invoice": row}), content_type="application/json")
        return Response('{"status": 404, "error": "Not Found", "code": "invoice_not_found"}', status=404)

    def _payments(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response(status=401)
        return self._page(request, "payments", list(reversed(self.payments)))

    def find(self, lago_id: str) -> dict[str, Any]:
        return next(row for row in self.invoices if row["lago_id"] == lago_id)


def delivery(
    object_type: str, obj: dict[str, Any], *, webhook_type: str, unique_key: str, secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    """A webhook POST as Lago sends it: the body and its headers, signed with `secret` (hmac)."""
    body = json.dumps({"webhook_type": webhook_type, "object_type": object_type, object_type: obj}).encode()
    headers = {
        "X-Lago-Signature": signature(body, secret),
        "X-Lago-Signature-Algorithm": "hmac",
        "X-Lago-Unique-Key": unique_key,
    }
    return body, headers
