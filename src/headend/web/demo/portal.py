"""The demo's customers in the portal (/portal/): Ada Lovelace, a resident with a live 1 Gig
service, and the credit union's office manager, a business admin with its bills; both verified,
with the demo password."""

from django.utils.crypto import get_random_string

from headend.core import clock
from headend.crm import services as crm
from headend.crm.models import Account, Contact
from headend.portal.models import PortalLogin

# (account name, contact's first and last name, email, portal role)
PORTAL_LOGINS = [
    ("Ada Lovelace", "Ada", "Lovelace", "ada@example.com", PortalLogin.Role.ADMIN),
    ("Quoddy Bay Credit Union", "Dana", "Whitney", "office@quoddybaycu.example", PortalLogin.Role.ADMIN),
]


def logins(password: str) -> list[PortalLogin]:
    made = []
    for account_name, first, last, email, role in PORTAL_LOGINS:
        account = Account.objects.get(name=account_name)
        contact = Contact.objects.filter(account=account, email=email).first() or crm.contact_create(
            account=account, first_name=first, last_name=last, email=email
        )
        login = PortalLogin(
            contact=contact, account=account, email=email, role=role, created_at=clock.now(), verified_at=clock.now()
        )
        login.set_password(password or get_random_string(24))
        login.save()
        made.append(login)
    return made
