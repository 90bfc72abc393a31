"""Portal logins: made for a contact (at sign-up, or by a business account's admin), verified by
an emailed link, signed in with a password, reset by an emailed link.

The links carry signed tokens (auth.make_token): nothing secret is stored, and a link works
once. Their emails are sent straight after commit, never kept in the outbox's customer emails
(a reset link in a database table would be a way in)."""

from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.crm.models import Contact

from . import auth
from .models import PortalLogin


def checked_email(value: Any) -> str:
    """The email in lower case; ValidationError unless it is a well-formed address."""
    email = auth.normal_email(value)
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationError(
            "Enter an email address such as ada@example.com.", field="email", code="invalid"
        ) from None
    return email


def _password(value: Any, *, email: str) -> str:
    password = str(value or "")
    try:
        validate_password(password, user=PortalLogin(email=email))  # type: ignore[arg-type]  # only attributes read
    except DjangoValidationError as exc:
        raise ValidationError(" ".join(exc.messages), field="password", code="weak_password") from None
    return password


def email_taken(email: str) -> bool:
    return PortalLogin.objects.filter(email=auth.normal_email(email)).exists()


@transaction.atomic
def login_create(*, contact: Contact, email: Any, password: Any, role: str = PortalLogin.Role.ADMIN) -> PortalLogin:
    """A portal login for `contact`, not yet verified: the verification link is emailed after
    commit. An email already used by another login is refused (the field says so)."""
    email = checked_email(email)
    if email_taken(email):
        raise ValidationError(
            "An account with this email exists already: sign in, or reset the password.",
            field="email",
            code="taken",
        )
    if role not in PortalLogin.Role.values:
        raise ValidationError(f"{role!r} is not a portal role.", field="role", code="invalid_choice")
    login = PortalLogin(contact=contact, account=contact.account, email=email, role=role, created_at=clock.now())
    login.set_password(_password(password, email=email))
    try:
        with transaction.atomic():
            login.save()
    except IntegrityError:  # the same email at the same moment
        raise ValidationError("An account with this email exists already.", field="email", code="taken") from None
    events.emit("portal_login.created", subject=login, data={"account_id": contact.account_id, "role": role})
    send_verification(login)
    return login


def _send(to: str, subject: str, body: str) -> None:
    # robust: a mail server that fails never undoes or breaks what was committed (ask again).
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to]), robust=True)


def site_url() -> str:
    return settings.HEADEND_SITE_URL.rstrip("/") if settings.HEADEND_SITE_URL else "http://127.0.0.1:8000"


def send_verification(login: PortalLogin) -> None:
    from django.urls import reverse

    link = site_url() + reverse("portal:verify", args=[auth.make_token(login, salt=auth.VERIFY_SALT)])
    provider = settings.HEADEND_PROVIDER_NAME
    _send(
        login.email,
        f"{provider}: confirm your email",
        f"Hello {login.contact.first_name},\n\nConfirm your email to open your {provider} account:\n{link}\n\n"
        f"The link works once, for {auth.VERIFY_DAYS} days.\n\n{provider}",
    )


@transaction.atomic
def login_verify(*, token: str) -> PortalLogin:
    """Mark the login's email verified from its emailed link; an expired or used link is refused."""
    login = auth.read_token(token, salt=auth.VERIFY_SALT, max_age_seconds=auth.verify_token_age())
    if login is None:
        raise ValidationError(
            "This link has expired or was used already: sign in to have a new one sent.",
            field="token",
            code="expired",
        )
    login = PortalLogin.objects.select_for_update().get(pk=login.pk)
    if login.verified_at is None:
        login.verified_at = clock.now()
        login.save(update_fields=["verified_at"])
        events.emit("portal_login.verified", subject=login, data={"account_id": login.account_id})
    return login


def password_reset_request(*, email: Any) -> None:
    """Email a reset link if a login has this email; say nothing either way (no one learns who
    has an account)."""
    login = PortalLogin.objects.select_related("contact").filter(email=auth.normal_email(email), is_active=True).first()
    if login is None:
        return
    from django.urls import reverse

    link = site_url() + reverse("portal:password_reset_confirm", args=[auth.make_token(login, salt=auth.RESET_SALT)])
    provider = settings.HEADEND_PROVIDER_NAME
    with transaction.atomic():
        _send(
            login.email,
            f"{provider}: reset your password",
            f"Hello {login.contact.first_name},\n\nChoose a new password here:\n{link}\n\n"
            f"The link works once, for {auth.RESET_HOURS} hours. If you did not ask for it, ignore this email.\n\n"
            f"{provider}",
        )


@transaction.atomic
def password_reset(*, token: str, password: Any) -> PortalLogin:
    """A new password from an emailed link (it proves the email too); the link then stops working."""
    login = auth.read_token(token, salt=auth.RESET_SALT, max_age_seconds=auth.reset_token_age())
    if login is None:
        raise ValidationError(
            "This link has expired or was used already: ask for a new one.", field="token", code="expired"
        )
    login = PortalLogin.objects.select_for_update().get(pk=login.pk)
    login.set_password(_password(password, email=login.email))
    login.verified_at = login.verified_at or clock.now()
    login.save(update_fields=["password", "verified_at"])
    events.emit("portal_login.password_reset", subject=login, data={"account_id": login.account_id})
    return login


@transaction.atomic
def login_deactivate(*, login: PortalLogin, by: PortalLogin) -> PortalLogin:
    """A business admin closes another contact's login (never their own)."""
    if by.role != PortalLogin.Role.ADMIN or by.account_id != login.account_id:
        raise Conflict("Only an admin of the account manages its logins.", field="login", code="not_admin")
    if by.pk == login.pk:
        raise Conflict("You cannot close your own login.", field="login", code="own_login")
    PortalLogin.objects.filter(pk=login.pk).update(is_active=False)
    events.emit("portal_login.deactivated", subject=login, data={"account_id": login.account_id})
    login.refresh_from_db()
    return login
