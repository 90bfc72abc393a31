"""The webhook for mail services that post each inbound email as JSON, at /support/inbound-email/:
no session or CSRF token, `Authorization: Bearer <HEADEND_INBOUND_EMAIL_TOKEN>`.

    POST /support/inbound-email/
    {"from": "Jo Buyer <jo@example.com>", "to": "support@provider.example",
     "subject": "Re: [CS-000123] No internet", "text": "...", "html": "...",
     "message_id": "<...@mail.example.com>", "headers": {"Auto-Submitted": "no", ...}}

`headers` may also be a list of [name, value] pairs or the raw header block. Answers: 200 with
what became of the message (`outcome` opened, added or refused; `reason`; `case`, its
reference), the same for the same message_id posted again; 400 with the field at fault for a
body that is not such JSON; 401 with WWW-Authenticate for a missing or wrong token; 413 for a
body over DATA_UPLOAD_MAX_MEMORY_SIZE; 503 while HEADEND_INBOUND_EMAIL_TOKEN is unset (off)."""

import hmac
import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from headend.core.errors import DomainError

from . import inbound

logger = logging.getLogger(__name__)


def _authenticated(request: HttpRequest) -> bool:
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    expected = settings.HEADEND_INBOUND_EMAIL_TOKEN
    # Compared in constant time, so the time taken never tells how much of the token matched.
    return scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), expected.encode())


def _error(message: str, *, code: str, status: int, field: str | None = None) -> JsonResponse:
    return JsonResponse({"error": message, "code": code, **({"field": field} if field else {})}, status=status)


@csrf_exempt
@require_POST
def inbound_email_view(request: HttpRequest) -> JsonResponse:
    """One inbound email posted by the mail service."""
    if not settings.HEADEND_INBOUND_EMAIL_TOKEN:
        return _error(
            "The inbound email webhook is off: set HEADEND_INBOUND_EMAIL_TOKEN.", code="receiver_off", status=503
        )
    if not _authenticated(request):
        logger.warning("Inbound email webhook refused: wrong or missing token from %s", request.META.get("REMOTE_ADDR"))
        response = _error("Send Authorization: Bearer <token>.", code="unauthorized", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="inbound-email"'
        return response
    try:
        raw = request.body  # Django refuses a body past DATA_UPLOAD_MAX_MEMORY_SIZE here
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return _error(f"The body is larger than {limit:,} bytes.", code="body_too_large", status=413)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _error("The body is not JSON.", code="invalid_json", status=400)
    if not isinstance(data, dict):
        return _error("The body is a JSON object.", code="invalid_json", status=400)
    if len(raw) > inbound.max_bytes():
        return _error("The message is larger than HEADEND_INBOUND_EMAIL_MAX_MB.", code="too_large", status=413)
    try:
        message = inbound.message_from_json(data)
    except DomainError as exc:
        return _error(exc.message, code=exc.code, status=exc.status, field=exc.field)
    received = inbound.email_receive(message)
    return JsonResponse(
        {
            "outcome": received.outcome,
            "reason": received.reason,
            "case": received.case.reference if received.case is not None else None,
        }
    )
