"""API authentication: `Authorization: Bearer <token>` of an active staff member."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.security import HttpBearer

from headend.api.errors import error_body
from headend.api.services import token_authenticate
from headend.core.errors import Forbidden
from headend.core.permissions import is_staff_member


class ApiRequest(HttpRequest):
    """What a route receives: after authentication, `auth` is the acting staff user."""

    auth: User


class StaffTokenAuth(HttpBearer):
    """No token or an unknown, revoked or inactive user's token: 401. A valid token of a user
    who holds no staff role: 403. Otherwise the user acts, and writes check their roles."""

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        user = token_authenticate(token.strip())
        if user is None:
            return None
        if not is_staff_member(user):
            raise Forbidden("The API is for staff members; this token's user holds no staff role.", code="staff_only")
        request.user = user  # history records and audit name who acted
        return user


def docs_access(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The API's docs page and OpenAPI document: public with HEADEND_API_DOCS_PUBLIC, otherwise
    for staff signed in (the page) or presenting a bearer token (tools fetching the document).
    Anyone else is sent to sign in (the page) or gets a TMF 401 (the document)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.HEADEND_API_DOCS_PUBLIC or is_staff_member(request.user):
            return view(request, *args, **kwargs)
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        user = token_authenticate(raw.strip()) if scheme.lower() == "bearer" else None
        if user is not None and is_staff_member(user):
            return view(request, *args, **kwargs)
        if request.path.endswith(".json"):
            reason = "The API document is for staff: send Authorization: Bearer <token>."
            return JsonResponse(error_body(status=401, code="unauthorized", reason=reason), status=401)
        return redirect_to_login(request.get_full_path())

    return wrapped
