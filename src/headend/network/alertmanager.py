"""The receiver for Prometheus Alertmanager's webhook (payload version 4), at
/network/alerts/alertmanager/: a JSON POST with no session or CSRF token, authenticated as
Alertmanager's `http_config` sends it:

    receivers:
      - name: headend
        webhook_configs:
          - url: https://headend.example/network/alerts/alertmanager/
            send_resolved: true
            http_config:
              authorization: {credentials: <HEADEND_ALERTMANAGER_TOKEN>}   # Bearer
              # or basic_auth: {username: ..., password: ...}

Answers: 200 with what was done; 400 with the field at fault and nothing written (not version
4, not JSON, a field missing, an unknown element); 401 with WWW-Authenticate for a missing or
wrong credential; 413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE; 503 while no credential is
configured (the receiver is off; Alertmanager retries a 5xx, so nothing is lost once it is on)."""

import base64
import binascii
import hmac
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from headend.core.errors import DomainError
from headend.network import outages

logger = logging.getLogger(__name__)

REALM = "alertmanager"


def _same(given: str, expected: str) -> bool:
    """Compare in constant time (a timing difference never tells how much of a secret matched)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def _bearer_configured() -> bool:
    return bool(settings.HEADEND_ALERTMANAGER_TOKEN)


def _basic_configured() -> bool:
    return bool(settings.HEADEND_ALERTMANAGER_USERNAME and settings.HEADEND_ALERTMANAGER_PASSWORD)


def authenticated(request: HttpRequest) -> bool:
    """Whether the request carries the configured bearer token or basic credentials."""
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and _bearer_configured():
        return _same(credentials, settings.HEADEND_ALERTMANAGER_TOKEN)
    if scheme.lower() == "basic" and _basic_configured():
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, ValueError):  # not base64, not ASCII, not UTF-8 (UnicodeDecodeError)
            return False
        username, colon, password = decoded.partition(":")
        # Both compared whatever the first gives, so the time taken says nothing either.
        same_user = _same(username, settings.HEADEND_ALERTMANAGER_USERNAME)
        same_password = _same(password, settings.HEADEND_ALERTMANAGER_PASSWORD)
        return bool(colon) and same_user and same_password
    return False


def _unauthorized() -> JsonResponse:
    schemes = []
    if _bearer_configured():
        schemes.append(f'Bearer realm="{REALM}"')
    if _basic_configured():
        schemes.append(f'Basic realm="{REALM}", charset="UTF-8"')
    response = JsonResponse(
        {
            "error": "Send the receiver's credentials as Alertmanager's http_config does: "
            "Authorization: Bearer <token>, or HTTP basic.",
            "code": "unauthorized",
        },
        status=401,
    )
    response["WWW-Authenticate"] = ", ".join(schemes)
    return response


@csrf_exempt
@require_POST
def alertmanager_receive_view(request: HttpRequest) -> JsonResponse:
    """Alertmanager's POST of one notification (a group of alerts, firing or resolved)."""
    if not (_bearer_configured() or _basic_configured()):
        return JsonResponse(
            {
                "error": "The Alertmanager receiver is off: set HEADEND_ALERTMANAGER_TOKEN, or "
                "HEADEND_ALERTMANAGER_USERNAME and HEADEND_ALERTMANAGER_PASSWORD.",
                "code": "receiver_off",
            },
            status=503,
        )
    if not authenticated(request):
        logger.warning(
            "Alertmanager webhook refused: wrong or missing credentials from %s", request.META.get("REMOTE_ADDR")
        )
        return _unauthorized()
    try:
        body = request.body  # Django refuses a body past DATA_UPLOAD_MAX_MEMORY_SIZE here
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return JsonResponse(
            {"error": f"The body is larger than {limit:,} bytes; lower max_alerts.", "code": "body_too_large"},
            status=413,
        )
    try:
        received = outages.alertmanager_receive(payload=body)
    except DomainError as exc:
        logger.warning("Alertmanager webhook refused: %s: %s", exc.field, exc.message)
        return JsonResponse({"error": exc.message, "field": exc.field, "code": exc.code}, status=exc.status)
    return JsonResponse(received.as_dict())
