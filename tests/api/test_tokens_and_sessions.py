"""Issue 11 item 6: API tokens that expire and show when they were last used, sessions of a set
age with a new key at every login, and the API docs open or not by a setting."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from headend.api.models import ApiToken
from headend.api.services import token_authenticate, token_issue
from headend.core import clock
from headend.core.errors import Forbidden, ValidationError
from headend.core.permissions import require, user_roles
from tests.api.client import assert_error
from tests.conftest import FROZEN_AT
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_a_token_works_until_it_expires_then_is_401(client):
    token, raw = token_issue(user=make_user("sales"), name="billing sync", expires_in_days=30)

    assert token.expires_at == FROZEN_AT + dt.timedelta(days=30)
    assert client.get(CUSTOMERS, **bearer(raw)).status_code == 200
    with clock.frozen(FROZEN_AT + dt.timedelta(days=30)):
        assert_error(client.get(CUSTOMERS, **bearer(raw)), status=401)
        token.refresh_from_db()
        assert (token.is_active, token.is_expired) == (False, True)


def test_a_token_without_an_expiry_keeps_working_and_records_its_last_use(client):
    token, raw = token_issue(user=make_user("sales"), name="forever")

    with clock.frozen(FROZEN_AT + dt.timedelta(days=4000)):
        assert client.get(CUSTOMERS, **bearer(raw)).status_code == 200

    token.refresh_from_db()
    assert (token.expires_at, token.last_used_at) == (None, FROZEN_AT + dt.timedelta(days=4000))


@pytest.mark.parametrize("days", ["-1", "3651", "abc", "1.5", "²"])
def test_a_bad_expiry_is_refused_naming_the_field(days):
    with pytest.raises(ValidationError) as error:
        token_issue(user=make_user("sales"), name="x", expires_in_days=days)

    assert error.value.field == "expires_in_days"
    assert ApiToken.objects.count() == 0


def test_the_token_page_issues_a_token_with_the_expiry_chosen_and_shows_it_expired(client, settings):
    settings.HEADEND_API_TOKEN_DAYS = 90
    user = make_user("sales")
    client.force_login(user)

    page = client.get("/settings/api-tokens/").content.decode()
    assert '<option value="90" selected>' in page
    client.post("/settings/api-tokens/", {"name": "nightly export", "expires_in_days": "30"})

    token = ApiToken.objects.get(user=user)
    assert token.expires_at == FROZEN_AT + dt.timedelta(days=30)
    with clock.frozen(FROZEN_AT + dt.timedelta(days=31)):
        assert "expired" in client.get("/settings/api-tokens/").content.decode()
    refused = client.post("/settings/api-tokens/", {"name": "bad", "expires_in_days": "99999"})
    assert refused.status_code == 200
    assert ApiToken.objects.count() == 1


def test_the_command_issues_a_token_with_an_expiry(capsys):
    make_user("sales", username="integrator")

    call_command("issue_api_token", "integrator", "--days", "7")

    assert capsys.readouterr().out.startswith("hdk_")
    assert ApiToken.objects.get().expires_at == FROZEN_AT + dt.timedelta(days=7)


def test_a_session_lasts_12_hours_and_login_gives_a_new_session_key(client, settings):
    make_user("sales", username="pat")
    client.get("/login/")
    session = client.session
    session["seen"] = True
    session.save()
    before = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = before

    response = client.post("/login/", {"username": "pat", "password": "pw-for-tests-1"})

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value != before
    assert cookie["max-age"] == 12 * 3600 == settings.SESSION_COOKIE_AGE


def test_the_api_docs_are_for_staff_unless_made_public(client, settings):
    settings.HEADEND_API_DOCS_PUBLIC = False
    page = client.get("/tmf-api/docs")
    assert page.status_code == 302
    assert page["Location"].startswith("/login/")
    assert_error(client.get("/tmf-api/openapi.json"), status=401, code="unauthorized")

    _, raw = token_issue(user=make_user("sales"), name="tool")
    assert client.get("/tmf-api/openapi.json", **bearer(raw)).status_code == 200
    client.force_login(make_user("support"))
    assert client.get("/tmf-api/docs").status_code == 200

    client.logout()
    settings.HEADEND_API_DOCS_PUBLIC = True
    assert client.get("/tmf-api/docs").status_code == 200
    assert client.get("/tmf-api/openapi.json").status_code == 200


@pytest.mark.parametrize(
    ("groups", "superuser", "roles"),
    [
        (("sales", "billing", "a book club"), False, {"sales", "billing"}),  # a group that is no role is none
        (("support",), False, {"support"}),
        ((), True, {"admin"}),
        (("sales",), True, {"sales", "admin"}),
        ((), False, set()),
    ],
)
def test_a_token_is_read_with_its_users_roles_in_one_statement(groups, superuser, roles, django_assert_num_queries):
    user = make_user(*groups, is_superuser=superuser)
    token, raw = token_issue(user=user, name="roles")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=FROZEN_AT)  # used just now: not recorded again

    with django_assert_num_queries(1):
        authenticated = token_authenticate(raw)
        held = user_roles(authenticated)

    assert authenticated.pk == user.pk
    assert held == roles
    assert held == user_roles(User.objects.get(pk=user.pk))  # as a signed-in page reads them


def test_a_token_user_of_several_roles_may_do_what_each_allows_and_no_more(client):
    _, raw = token_issue(user=make_user("billing", "sales"), name="two hats")
    _, billing_only = token_issue(user=make_user("billing"), name="one hat")

    user = token_authenticate(raw)
    require(user, "account.create")  # sales'
    require(user, "billing.manage")  # billing's
    with pytest.raises(Forbidden):
        require(token_authenticate(billing_only), "account.create")
    with pytest.raises(Forbidden):
        require(user, "catalog.manage")  # a product manager's
    assert_error(client.get(CUSTOMERS, **bearer(token_issue(user=make_user("a book club"), name="no")[1])), status=403)
