"""A business account's admin invites another of its people to the portal: a new CRM contact
and a portal login with a role, and an email with a link to choose a password.

The login is made with an unusable password and is not verified; the emailed link is the
password-reset link (auth.RESET_SALT), since choosing a password through it proves the email
too (logins.password_reset marks the login verified). So the invitee gets one email, not a
verification link they could not follow with a password they do not know. Once the link
expires the invitee asks for a new one with "Forgot your password?" on the sign-in page."""

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.crm import services as crm_services
from headend.crm.models import Contact

from . import auth, logins
from .models import PortalLogin

# The contact role the CRM gives an invited person, by their portal role.
CONTACT_ROLE: dict[str, str] = {
    PortalLogin.Role.ADMIN: Contact.Role.PRIMARY,
    PortalLogin.Role.BILLING: Contact.Role.BILLING,
    PortalLogin.Role.TECHNICAL: Contact.Role.TECHNICAL,
}


def _checked_email(value: Any) -> str:
    email = logins.checked_email(value)
    if logins.email_taken(email):
        raise ValidationError("This email already has a portal login.", field="email", code="taken")
    return email


@transaction.atomic
def login_invite(*, by: PortalLogin, first_name: str, last_name: str, email: Any, role: str) -> PortalLogin:
    """`by` (an admin of the account) invites a person: a contact of the account with a portal
    login in `role`, and an email with the link to choose a password (sent after commit).

    Raises Conflict unless `by` is an active admin, ValidationError for a bad name, email or
    role (nothing written)."""
    if by.role != PortalLogin.Role.ADMIN or not by.is_active:
        raise Conflict("Only an admin of the account invites people.", field="role", code="not_admin")
    if role not in PortalLogin.Role.values:
        raise ValidationError("Choose admin, billing or technical.", field="role", code="invalid_choice")
    email = _checked_email(email)
    contact = crm_services.contact_create(
        account=by.account, first_name=first_name, last_name=last_name, email=email, role=CONTACT_ROLE[role]
    )
    login = PortalLogin(contact=contact, account=by.account, email=email, role=role, created_at=clock.now())
    login.password = make_password(None)  # unusable: the emailed link sets the first one
    try:
        with transaction.atomic():
            login.save()
    except IntegrityError:  # the same email invited at the same moment
        raise ValidationError("This email already has a portal login.", field="email", code="taken") from None
    events.emit(
        "portal_login.created",
        subject=login,
        data={"account_id": by.account_id, "role": role, "invited_by": by.pk},
    )
    _send_invitation(login, by=by)
    return login


def _send_invitation(login: PortalLogin, *, by: PortalLogin) -> None:
    link = logins.site_url() + reverse(
        "portal:password_reset_confirm", args=[auth.make_token(login, salt=auth.RESET_SALT)]
    )
    provider = settings.HEADEND_PROVIDER_NAME
    subject = f"{provider}: {by.contact.first_name} invited you to {login.account.name}'s account"
    body = (
        f"Hello {login.contact.first_name},\n\n"
        f"{by.contact.first_name} {by.contact.last_name} gave you a {login.get_role_display().lower()} login to "
        f"{login.account.name}'s {provider} account. Choose your password here:\n{link}\n\n"
        f'The link works once, for {auth.RESET_HOURS} hours. After that, use "Forgot your password?" on the '
        f"sign-in page with this email.\n\n{provider}"
    )
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [login.email]), robust=True)
