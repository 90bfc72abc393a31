"""Who is signed in to the portal, kept apart from staff sign-in.

A portal session holds the id of a `PortalLogin` under its own session key; Django's
`request.user` stays anonymous, so no staff page or staff API call ever sees a customer, and a
staff member's session opens nothing here. Passwords are checked by `PortalBackend` through
Django's `authenticate()` with portal-only credentials (`portal_email`, `portal_password`), so
django-axes counts failures and locks out exactly as it does for staff, and the staff backend
(which reads `username`) never answers a portal sign-in.

Email links (verification, password reset) are signed tokens that name the login and a digest
of its password and last sign-in: a link stops working once used (the password or the sign-in
changed) or when it expires."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from headend.core import clock
from headend.crm.models import Account, Contact

from .models import PortalLogin

SESSION_KEY = "portal_login_id"
HASH_KEY = "portal_login_hash"
VERIFY_SALT = "headend.portal.verify"
RESET_SALT = "headend.portal.reset"
VERIFY_DAYS = 7
RESET_HOURS = 2


def normal_email(email: Any) -> str:
    return str(email or "").strip().lower()


class PortalBackend:
    """Checks a portal email and password (and nothing else)."""

    def authenticate(
        self, request: HttpRequest | None, portal_email: str = "", portal_password: str = "", **kwargs: Any
    ) -> PortalLogin | None:
        if not portal_email:
            return None
        login = PortalLogin.objects.filter(email=normal_email(portal_email), is_active=True).first()
        if login is None:
            PortalLogin(password="").check_password(portal_password)  # the same work whether or not it exists
            return None
        return login if login.check_password(portal_password) else None

    def get_user(self, user_id: int) -> None:
        return None  # never a Django user: staff sessions come from the staff backend only


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The name django-axes counts failures under: the staff username, or `portal:<email>`."""
    credentials = credentials or {}
    if credentials.get("portal_email"):
        return f"portal:{normal_email(credentials['portal_email'])}"
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    username = credentials.get(field)
    if username is None and request is not None:
        username = request.POST.get(field)
    return username


@dataclass(frozen=True)
class Customer:
    """The signed-in customer: their login, contact and account."""

    login: PortalLogin
    contact: Contact
    account: Account


def _password_digest(login: PortalLogin) -> str:
    """Ties a session to the password it began with: a new password ends every other session."""
    return hashlib.sha256(f"portal-session|{login.password}".encode()).hexdigest()[:32]


def session_values(login: PortalLogin) -> dict[str, Any]:
    """What a portal session holds for a signed-in login."""
    return {SESSION_KEY: login.pk, HASH_KEY: _password_digest(login)}


def sign_in(request: HttpRequest, login: PortalLogin) -> None:
    """Start a portal session (a new session key, as for staff)."""
    request.session.cycle_key()
    request.session.update(session_values(login))
    PortalLogin.objects.filter(pk=login.pk).update(last_login_at=clock.now())


def sign_out(request: HttpRequest) -> None:
    """End the session and everything it held (a sign-up's answers too)."""
    request.session.flush()


def customer_of(request: HttpRequest) -> Customer | None:
    login_id = request.session.get(SESSION_KEY)
    if not login_id:
        return None
    login = (
        PortalLogin.objects.select_related("contact", "account")
        .filter(pk=login_id, is_active=True, verified_at__isnull=False)
        .first()
    )
    if login is None or request.session.get(HASH_KEY) != _password_digest(login):
        return None
    return Customer(login=login, contact=login.contact, account=login.account)


def portal_required(*, pay: bool = False, order: bool = False) -> Callable:
    """View decorator: a signed-in, verified customer (`request.customer`); `pay` or `order`
    also needs a login whose role may pay bills or order. A role that may not sees 404, as for
    another customer's records."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            customer = customer_of(request)
            if customer is None:
                return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")
            if (pay and not customer.login.may_pay) or (order and not customer.login.may_order):
                raise Http404("Your login does not reach this page.")
            request.customer = customer  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _state(login: PortalLogin, salt: str) -> str:
    """What a link must still match. A verification link: the password and whether the email is
    verified (verifying changes it, signing in does not: sign-up signs the customer in while the
    link is on its way). A reset link: also the last sign-in, so using it ends it."""
    seen = login.last_login_at.isoformat() if login.last_login_at and salt != VERIFY_SALT else ""
    return hashlib.sha256(f"{login.password}|{seen}|{login.verified_at}".encode()).hexdigest()[:24]


def make_token(login: PortalLogin, *, salt: str) -> str:
    return signing.dumps({"id": login.pk, "state": _state(login, salt)}, salt=salt, compress=True)


def read_token(token: str, *, salt: str, max_age_seconds: int) -> PortalLogin | None:
    """The login a link names if it is genuine, unexpired and unused; else None."""
    try:
        data = signing.loads(token, salt=salt, max_age=max_age_seconds)
    except signing.BadSignature:
        return None
    login = PortalLogin.objects.filter(pk=data.get("id"), is_active=True).first()
    if login is None or data.get("state") != _state(login, salt):
        return None
    return login


def verify_token_age() -> int:
    return VERIFY_DAYS * 86400


def reset_token_age() -> int:
    return RESET_HOURS * 3600
