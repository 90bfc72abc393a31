"""A Stripe-shaped HTTP server for the tests: a real server on 127.0.0.1 (random port) in a
thread, speaking Stripe's form-encoded requests and JSON answers for what the adapter calls:

    POST /v1/customers                      POST /v1/payment_intents
    POST /v1/payment_methods/{id}/attach    POST /v1/payment_intents/{id}/confirm
    GET  /v1/payment_methods/{id}           GET  /v1/payment_intents/{id}
    POST /v1/refunds

Test tokens are read by their start, so each test can use fresh ones (`pm_card_visa_7`):
`pm_card_visa` (succeeds, Visa 4242), `pm_card_chargeDeclined` (402 card_error "Your card was
declined."), `pm_usBankAccount` (ACH: the intent is `processing`). Anything else is unknown.

Like Stripe, an intent created with `confirm=false` waits (`requires_confirmation`) and is
charged when confirmed, once: confirming it again is a 400 `payment_intent_unexpected_state`;
`off_session` is refused at creation without a confirm. A POST with an Idempotency-Key seen
before gets the first answer again, until `forget_keys` (Stripe prunes keys after ~24 hours).
The server counts intents created per key (`intents_per_key`) and keeps every confirmation
(`charges`; `charges_per_intent`, `paid_per_customer`), and can be told to answer the next
requests with 500 (`fail_next`), to do them and then drop the connection without answering
(`drop_answers`), or to hang after a confirm (`hang_after_charge`: the caller is killed while it
waits). `signed_event` builds a webhook delivery signed as Stripe signs."""

import copy
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from headend.core import clock

VISA, DECLINED, ACH = "pm_card_visa", "pm_card_chargeDeclined", "pm_usBankAccount"
DECLINE_MESSAGE = "Your card was declined."


def parse_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (`metadata[key]=v`, `list[0]=v`) as nested dicts and lists."""
    found: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        target = found
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    for key, value in list(found.items()):
        if isinstance(value, dict) and value and all(k.isdigit() for k in value):
            found[key] = [value[k] for k in sorted(value, key=int)]
    return found


def _error(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, **extra}}


class StripeStandin:
    """The server and what it saw; `url` is its base address."""

    def __init__(self) -> None:
        self.customers: dict[str, dict] = {}
        self.methods: dict[str, dict] = {}  # attached methods by token
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.intents_per_key: Counter[str] = Counter()
        self.charges: list[dict] = []  # every confirmation: intent, customer, status
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Idempotency-Key
        self.answers: dict[str, tuple[int, dict]] = {}  # Idempotency-Key -> first answer
        self._failing, self._failing_path = 0, ""
        self._drops, self._drops_path = 0, ""
        self._hangs = 0
        self.released = threading.Event()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "StripeStandin":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()

    # What a test asks of it -------------------------------------------------------------------

    def fail_next(self, count: int, *, path: str = "") -> None:
        """Answer the next `count` requests (whose path ends with `path`) with a 500: nothing
        done, nothing remembered."""
        self._failing, self._failing_path = count, path

    def drop_answers(self, count: int = 1, *, path: str = "") -> None:
        """Do the next `count` requests whose path ends with `path` (a replay too), then close
        the connection without an answer."""
        self._drops, self._drops_path = count, path

    def hang_after_charge(self, count: int = 1) -> None:
        """Charge the next `count` confirms, then hold the answer until `released` is set."""
        self._hangs = count

    def forget_keys(self) -> None:
        """Forget every idempotency key, as Stripe does after about 24 hours."""
        with self._lock:
            self.answers.clear()

    @property
    def charges_per_intent(self) -> Counter[str]:
        """Confirmations (attempts to move money) per intent."""
        return Counter(charge["intent"] for charge in self.charges)

    def paid_per_customer(self) -> Counter[str]:
        """Confirmations that took the customer's money (succeeded, or ACH processing) per customer."""
        return Counter(c["customer"] for c in self.charges if c["status"] in ("succeeded", "processing"))

    def intent_of(self, payment: Any) -> dict:
        """The intent a Headend payment names, or else the first created for it (by metadata)."""
        if payment.gateway_id:
            return self.intents[payment.gateway_id]
        return next(i for i in self.intents.values() if i["metadata"].get("headend_payment") == str(payment.pk))

    def signed_event(
        self,
        type: str,
        obj: dict,
        secret: str,
        *,
        created: int | None = None,
        event_id: str | None = None,
        signed_at: int | None = None,
    ) -> tuple[bytes, str]:
        """A webhook delivery of `obj` and its Stripe-Signature header, signed as Stripe signs:
        t=<unix>,v1=HMAC-SHA256(secret, "<t>.<body>"). Times default to Headend's clock."""
        now = int(clock.now().timestamp())
        body = json.dumps(
            {
                "id": event_id or f"evt_{next(self._ids)}",
                "object": "event",
                "type": type,
                "created": now if created is None else created,
                "livemode": False,
                "data": {"object": obj},
            }
        ).encode()
        t = now if signed_at is None else signed_at
        digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return body, f"t={t},v1={digest}"

    # Stripe's answers -------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_standin{next(self._ids)}"

    def answer(self, method: str, path: str, params: dict[str, Any], key: str | None) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "customers"]:
            return self._customer(params)
        if method == "POST" and len(parts) == 4 and parts[1] == "payment_methods" and parts[3] == "attach":
            return self._attach(parts[2], params)
        if method == "GET" and len(parts) == 3 and parts[1] == "payment_methods":
            found = self.methods.get(parts[2])
            return (200, found) if found else self._no_such(parts[2])
        if method == "POST" and parts == ["v1", "payment_intents"]:
            return self._intent(params, key)
        if method == "POST" and len(parts) == 4 and parts[1] == "payment_intents" and parts[3] == "confirm":
            return self._confirm(parts[2], params)
        if method == "GET" and len(parts) == 3 and parts[1] == "payment_intents":
            found = self.intents.get(parts[2])
            return (200, found) if found else self._no_intent(parts[2])
        if method == "POST" and parts == ["v1", "refunds"]:
            return self._refund(params)
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _customer(self, params: dict) -> tuple[int, dict]:
        customer = {
            "id": self._new_id("cus"),
            "object": "customer",
            "name": params.get("name"),
            "email": params.get("email"),
            "metadata": params.get("metadata", {}),
        }
        self.customers[customer["id"]] = customer
        return 200, customer

    def _no_such(self, token: str) -> tuple[int, dict]:
        return 404, _error(
            "invalid_request_error",
            f"No such PaymentMethod: '{token}'",
            code="resource_missing",
            param="payment_method",
        )

    def _attach(self, token: str, params: dict) -> tuple[int, dict]:
        if params.get("customer") not in self.customers:
            return 404, _error("invalid_request_error", "No such customer.", code="resource_missing", param="customer")
        base = {
            "id": token,
            "object": "payment_method",
            "customer": params["customer"],
            "billing_details": {"name": "Ada Lovelace"},
        }
        if token.startswith(ACH):
            method = {
                **base,
                "type": "us_bank_account",
                "us_bank_account": {"bank_name": "STRIPE TEST BANK", "last4": "6789", "account_type": "checking"},
            }
        elif token.startswith((VISA, DECLINED)):
            last4 = "4242" if token.startswith(VISA) else "0002"
            method = {
                **base,
                "type": "card",
                "card": {"brand": "visa", "last4": last4, "exp_month": 12, "exp_year": 2030},
            }
        else:
            return self._no_such(token)
        self.methods[token] = method
        return 200, method

    def _no_intent(self, intent_id: str) -> tuple[int, dict]:
        return 404, _error(
            "invalid_request_error", f"No such payment_intent: '{intent_id}'", code="resource_missing", param="intent"
        )

    def _intent(self, params: dict, key: str | None) -> tuple[int, dict]:
        token = params.get("payment_method", "")
        if token not in self.methods:
            return self._no_such(token)
        confirm = params.get("confirm") == "true"
        if "off_session" in params and not confirm:
            return 400, _error(
                "invalid_request_error", "off_session can only be used with confirm=true.", param="off_session"
            )
        intent = {
            "id": self._new_id("pi"),
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "customer": params.get("customer"),
            "payment_method": token,
            "metadata": params.get("metadata", {}),
            "status": "requires_confirmation",
            "last_payment_error": None,
        }
        self.intents_per_key[key or ""] += 1
        self.intents[intent["id"]] = intent
        return self._charge(intent) if confirm else (200, intent)

    def _confirm(self, intent_id: str, params: dict) -> tuple[int, dict]:
        intent = self.intents.get(intent_id)
        if intent is None:
            return self._no_intent(intent_id)
        if params.get("off_session") != "true":
            return 400, _error("invalid_request_error", "(stand-in) Headend confirms off-session.", param="off_session")
        if intent["status"] != "requires_confirmation":
            return 400, _error(
                "invalid_request_error",
                f"This PaymentIntent's status is {intent['status']}, but must be requires_confirmation.",
                code="payment_intent_unexpected_state",
                payment_intent=intent,
            )
        return self._charge(intent)

    def _charge(self, intent: dict) -> tuple[int, dict]:
        """Confirm an intent: the money moves (or the bank declines), once."""
        token = intent["payment_method"]
        if token.startswith(ACH):
            intent["status"] = "processing"
        elif token.startswith(DECLINED):
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": DECLINE_MESSAGE,
            }
            intent.update(status="requires_payment_method", last_payment_error=error)
        else:
            intent["status"] = "succeeded"
        self.charges.append({"intent": intent["id"], "customer": intent["customer"], "status": intent["status"]})
        if intent["last_payment_error"]:
            return 402, {"error": {**intent["last_payment_error"], "payment_intent": intent}}
        return 200, intent

    def _refund(self, params: dict) -> tuple[int, dict]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None:
            return 404, _error("invalid_request_error", "No such payment_intent.", code="resource_missing")
        refund = {
            "id": self._new_id("re"),
            "object": "refund",
            "amount": int(params.get("amount") or intent["amount"]),
            "payment_intent": intent["id"],
            "status": "pending" if intent["payment_method"].startswith(ACH) else "succeeded",
            "metadata": params.get("metadata", {}),
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    # The HTTP side ----------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        key = handler.headers.get("Idempotency-Key")
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests.append((handler.command, path, key))
            if self._failing and path.endswith(self._failing_path):
                self._failing -= 1
                return self._send(handler, 500, _error("api_error", "Something went wrong on Stripe's end."))
            charges = len(self.charges)
            replayed = bool(key and handler.command == "POST" and key in self.answers)
            if replayed:
                status, answer = self.answers[key or ""]
            elif not handler.headers.get("Authorization", "").startswith("Bearer sk_"):
                return self._send(handler, 401, _error("invalid_request_error", "Invalid API Key provided."))
            else:
                status, answer = self.answer(handler.command, path, parse_form(body), key)
                answer = copy.deepcopy(answer)  # the answer as it was then: a replay sends it again
                if key and handler.command == "POST":
                    self.answers[key] = (status, answer)
            drop = self._drops > 0 and path.endswith(self._drops_path)
            hang = not drop and len(self.charges) > charges and self._hangs > 0
            self._drops -= drop
            self._hangs -= hang
        if hang:
            self.released.wait(timeout=60)
        if drop or hang:
            handler.close_connection = True
            return None
        return self._send(handler, status, answer, replayed=replayed)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, answer: dict, *, replayed: bool = False) -> None:
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Request-Id", f"req_{int(time.time() * 1000)}")
        if replayed:
            handler.send_header("Idempotent-Replayed", "true")
        handler.end_headers()
        handler.wfile.write(data)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                standin._handle(self)

            def do_POST(self) -> None:
                standin._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
