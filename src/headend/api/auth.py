"""API authentication: `Authorization: Bearer <token>` of an active staff member."""

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import HttpBearer

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
