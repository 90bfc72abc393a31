"""The external biller's webhook endpoint: a signed POST from the biller (no session, no CSRF
token: its signature is the proof). A bad signature or a body that is not the biller's message is
a 400 with nothing written; a biller that does not keep the book a 409; anything written answers
200 with what was done, so the biller stops retrying (a skipped document is reported in the body
and on the delivery's record, and taken by the next pull once fixed)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from headend.core.errors import DomainError

from . import sync
from .port import BadSignature, ExternalBillerError


@csrf_exempt
@require_POST
def webhook_view(request: HttpRequest) -> JsonResponse:
    try:
        biller = sync.configured_biller()
        result = sync.receive_webhook(biller=biller, body=request.body, headers=request.headers)
    except (BadSignature, ExternalBillerError) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except DomainError as exc:
        return JsonResponse({"error": exc.message, "code": exc.code}, status=exc.status)
    if result is None:
        return JsonResponse({"outcome": "already received"})
    skipped = [{"id": item.external_id, "code": item.code, "reason": item.reason} for item in result.skipped]
    return JsonResponse({"outcome": result.summary(), "skipped": skipped})
