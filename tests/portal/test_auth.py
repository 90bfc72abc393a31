"""The portal's own sign-in: verified by an emailed link, signed in with a password, reset by an
emailed link that works once; kept apart from staff in both directions; locked out by axes."""

import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from headend.core.errors import ValidationError
from headend.crm import services as crm_services
from headend.portal import logins
from headend.portal.models import PortalLogin
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db
PASSWORD = "harbour-lights-42"


@pytest.fixture
def login(django_capture_on_commit_callbacks):
    account = make_account("residential")
    contact = crm_services.contact_create(
        account=account, first_name="Ada", last_name="Lovelace", email="ada@x.example"
    )
    with django_capture_on_commit_callbacks(execute=True):
        return logins.login_create(contact=contact, email="Ada@X.example", password=PASSWORD)


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/portal/\S+)", message.body).group(1)


def sign_in(client, email="ada@x.example", password=PASSWORD):
    return client.post(reverse("portal:login"), {"email": email, "password": password})


def test_a_new_login_is_verified_by_its_emailed_link_which_works_once(client, login):
    (message,) = mail.outbox
    assert message.to == ["ada@x.example"]
    assert "signin" not in sign_in(client).get("Location", "")  # not verified: no way in yet
    assert PortalLogin.objects.get().verified_at is None

    response = client.get(link_in(message))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")
    assert "Hello Ada" in client.get(reverse("portal:dashboard")).content.decode()
    client.post(reverse("portal:logout"))
    assert client.get(link_in(message)).status_code == 400  # used: the email is verified now


def test_sign_in_with_the_password_then_sign_out(client, login):
    client.get(link_in(mail.outbox[0]))
    client.post(reverse("portal:logout"))
    assert client.get(reverse("portal:dashboard")).status_code == 302

    response = sign_in(client, email="ADA@x.example ")

    assert (response.status_code, response["Location"]) == (302, reverse("portal:dashboard"))
    client.post(reverse("portal:logout"))
    bad = sign_in(client, password="wrong")
    assert "do not match" in bad.content.decode()


def test_staff_credentials_never_open_the_portal_and_a_customer_never_reaches_a_staff_page(client, login):
    staff = make_user("billing", username="bea", email="bea@provider.example")
    staff.set_password(PASSWORD)
    staff.save()
    assert "do not match" in sign_in(client, email="bea@provider.example").content.decode()
    client.get(link_in(mail.outbox[0]))  # signed in as the customer

    staff_page = client.get(reverse("crm:account_list"))

    assert staff_page.status_code == 302
    assert staff_page["Location"].startswith(reverse("login"))
    staff_browser = Client()
    staff_browser.force_login(make_user("sales"))
    portal = staff_browser.get(reverse("portal:dashboard"))
    assert (portal.status_code, portal["Location"].split("?")[0]) == (302, reverse("portal:login"))


def test_five_wrong_passwords_lock_the_email_out(client, login, settings):
    client.get(link_in(mail.outbox[0]))
    client.post(reverse("portal:logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, password="wrong")

    locked = sign_in(client)  # the right password, too late

    assert locked.status_code in (403, 429)


def test_a_password_reset_link_sets_a_new_password_once(client, login, django_capture_on_commit_callbacks):
    client.get(link_in(mail.outbox[0]))
    client.post(reverse("portal:logout"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:password_reset"), {"email": "ada@x.example"})
        client.post(reverse("portal:password_reset"), {"email": "nobody@x.example"})  # the same answer, no email
    (message,) = mail.outbox

    weak = client.post(link_in(message), {"password": "123"})
    assert "password" in weak.content.decode().lower()
    done = client.post(link_in(message), {"password": "new-harbour-lights-7"})

    assert done.status_code == 302
    client.post(reverse("portal:logout"))
    assert sign_in(client, password="new-harbour-lights-7").status_code == 302
    assert client.post(link_in(message), {"password": "again-harbour-9"}).status_code == 400


def test_a_duplicate_email_or_a_weak_password_is_refused_naming_the_field(login):
    contact = login.contact
    with pytest.raises(ValidationError) as taken:
        logins.login_create(contact=contact, email="ada@X.example", password=PASSWORD)
    assert taken.value.field == "email"
    other = crm_services.contact_create(account=contact.account, first_name="Bo", last_name="L", email="bo@x.example")
    with pytest.raises(ValidationError) as weak:
        logins.login_create(contact=other, email="bo@x.example", password="password")
    assert weak.value.field == "password"
    assert PortalLogin.objects.count() == 1


def test_an_expired_verification_link_is_refused(client, login):
    link = link_in(mail.outbox[0])
    eight_days_on = time.time() + 8 * 86400

    with mock.patch("django.core.signing.time.time", return_value=eight_days_on):
        response = client.get(link)

    assert response.status_code == 400
    assert PortalLogin.objects.get().verified_at is None


def test_a_new_password_ends_every_other_session(client, login):
    client.get(link_in(mail.outbox[0]))  # signed in here
    other = Client()
    assert sign_in(other).status_code == 302
    assert other.get(reverse("portal:dashboard")).status_code == 200

    logins_model = PortalLogin.objects.get()
    logins_model.set_password("another-harbour-light-3")
    logins_model.save()

    assert other.get(reverse("portal:dashboard")).status_code == 302


def test_links_with_tokens_never_reach_the_log():
    from headend.core import redact

    assert "secret-token" not in redact.mask("GET /portal/password/secret-token/ HTTP/1.1")
    assert "secret-token" not in redact.mask("GET /portal/verify/secret-token/ HTTP/1.1")
