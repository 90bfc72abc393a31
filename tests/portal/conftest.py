"""Portal test fixtures: verified portal logins and test clients signed in as them.

- `make_portal_login(account=None, role="admin")`: a verified login of a new contact (of a new
  business account unless `account` is given), made through logins.login_create.
- `portal_client(login)`: a new test Client signed in to the portal as `login`.
- fixtures `customer_login`, `other_login` (admins of two different business accounts),
  `customer` (the `client` fixture signed in as `customer_login`) and `other_customer` (a
  client signed in as `other_login`)."""

import itertools

import pytest
from django.test import Client

from headend.core import clock
from headend.crm import services as crm_services
from headend.crm.models import Account
from headend.portal import auth, logins
from headend.portal.models import PortalLogin
from tests.factories import make_account

PASSWORD = "harbour-lights-42"
_seq = itertools.count(1)


def make_portal_login(account: Account | None = None, *, role: str = PortalLogin.Role.ADMIN) -> PortalLogin:
    n = next(_seq)
    account = account or make_account()
    contact = crm_services.contact_create(
        account=account, first_name=f"Pat{n}", last_name="Customer", email=f"pat{n}@customer.example"
    )
    login = logins.login_create(contact=contact, email=contact.email, password=PASSWORD, role=role)
    PortalLogin.objects.filter(pk=login.pk).update(verified_at=clock.now())
    login.refresh_from_db()
    return login


def sign_in(client: Client, login: PortalLogin) -> Client:
    session = client.session
    session.update(auth.session_values(login))
    session.save()
    return client


def portal_client(login: PortalLogin) -> Client:
    return sign_in(Client(), login)


@pytest.fixture(name="portal_client")
def portal_client_fixture():
    return portal_client


@pytest.fixture
def customer_login(db) -> PortalLogin:
    return make_portal_login()


@pytest.fixture
def other_login(db) -> PortalLogin:
    return make_portal_login()


@pytest.fixture
def customer(client, customer_login) -> Client:
    return sign_in(client, customer_login)


@pytest.fixture
def other_customer(other_login) -> Client:
    return portal_client(other_login)
