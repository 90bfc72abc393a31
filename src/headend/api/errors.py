"""Every error the API returns is one TMF Error body.

`{"code": "invalid_quantity", "reason": "Quantity must be at least 1.",
  "message": "quoteItem[1].quantity: Quantity must be at least 1.", "status": "400", "@type": "Error"}`

`code` is stable for programs, `reason` is for people, and `message` starts with the path of
the attribute at fault in the request (JSON names, 0-based indexes) when there is one.
"""

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from headend.core.errors import DomainError, NotFound, ValidationError

logger = logging.getLogger(__name__)

HTTP_ERROR_CODES = {400: "invalid_body", 401: "unauthorized", 403: "forbidden", 404: "not_found", 429: "throttled"}


def too_large_body() -> dict[str, str]:
    """The 413 for a request body past settings.DATA_UPLOAD_MAX_MEMORY_SIZE."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    reason = f"The request body is larger than {limit:,} bytes; send less at once."
    return error_body(status=413, code="body_too_large", reason=reason)


def error_body(*, status: int, code: str, reason: str, field: str | None = None) -> dict[str, str]:
    return {
        "code": code,
        "reason": reason,
        "message": f"{field}: {reason}" if field else reason,
        "status": str(status),
        "@type": "Error",
    }


def schema_error_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("body", "payload", "quoteItem", 1, "quantity")` -> `quoteItem[1].quantity`."""
    source, *rest = loc
    if source == "body" and rest:
        rest = rest[1:]  # the view's parameter name, not part of the request
    path = ""
    for part in rest:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or str(source)


def django_error_field(exc: DjangoValidationError) -> tuple[str | None, str]:
    """The first field a Django ValidationError names (None for the whole object) and its message."""
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        return (None if field == NON_FIELD_ERRORS else field), " ".join(m for e in errors for m in e.messages)
    return None, " ".join(exc.messages)


@contextmanager
def body_fields(paths: Mapping[str, str]) -> Iterator[None]:
    """Name the request's attributes in the errors a use case or selector raises.

    Domain errors name the domain's fields (`quantity`, `location`); `paths` maps them to the
    request body (`quoteItem[1].quantity`). A NotFound here concerns an id the body refers to,
    so it is bad input (400) on that attribute, not a missing resource."""
    try:
        yield
    except NotFound as exc:
        field = paths.get(exc.field or "", exc.field)
        raise ValidationError(exc.message, field=field, code="unknown_reference") from exc
    except DomainError as exc:
        exc.field = paths.get(exc.field or "", exc.field)
        raise
    except DjangoValidationError as exc:
        field, message = django_error_field(exc)
        raise ValidationError(message, field=paths.get(field or "", field)) from exc


def install_error_handlers(api: NinjaAPI) -> None:
    """Render every failure as a TMF Error; anything unexpected is logged and is a 500."""

    def respond(request: HttpRequest, status: int, body: dict[str, str]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        body = error_body(status=exc.status, code=exc.code, reason=exc.message, field=exc.field)
        return respond(request, exc.status, body)

    @api.exception_handler(DjangoValidationError)
    def django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        field, message = django_error_field(exc)
        return respond(request, 400, error_body(status=400, code="invalid", reason=message, field=field))

    @api.exception_handler(SchemaValidationError)
    def schema_validation_error(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
        # ninja answers 422; the TMF APIs answer bad input with 400.
        first = exc.errors[0] if exc.errors else {"loc": ("body",), "msg": "Invalid request.", "type": "invalid"}
        reason = str(first.get("msg", "Invalid value.")).rstrip(".") + "."
        if len(exc.errors) > 1:
            reason += f" ({len(exc.errors) - 1} more problem{'s' if len(exc.errors) > 2 else ''} in this request.)"
        body = error_body(
            status=400,
            code=str(first.get("type", "invalid")),
            reason=reason,
            field=schema_error_path(tuple(first.get("loc", ("body",)))),
        )
        return respond(request, 400, body)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        body = error_body(
            status=401,
            code="unauthorized",
            reason="Send a valid API token as 'Authorization: Bearer <token>'.",
        )
        response = respond(request, 401, body)
        response["WWW-Authenticate"] = 'Bearer realm="tmf-api"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        reason = str(exc)
        if status == 400:
            reason = "The request body is not valid JSON."
        body = error_body(status=status, code=HTTP_ERROR_CODES.get(status, "error"), reason=reason)
        return respond(request, status, body)

    @api.exception_handler(SuspiciousOperation)
    def suspicious_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # Django's limits on what a request may carry (DATA_UPLOAD_MAX_MEMORY_SIZE, ...).
        if isinstance(exc, RequestDataTooBig):
            return respond(request, 413, too_large_body())
        return respond(request, 400, error_body(status=400, code="bad_request", reason=str(exc) or "Bad request."))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body(status=404, code="not_found", reason="No such resource."))

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
        body = error_body(status=500, code="internal_error", reason="Something went wrong on our side; it is logged.")
        return respond(request, 500, body)
