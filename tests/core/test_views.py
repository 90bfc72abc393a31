import pytest
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_pages_need_a_login(client):
    response = client.get(reverse("crm:account_list"))

    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_a_user_without_a_staff_role_is_refused(client):
    client.force_login(make_user())

    assert client.get(reverse("home")).status_code == 403


def test_login_is_locked_after_five_failures(client):
    make_user("sales", username="mallory")
    for _ in range(5):
        client.post(reverse("login"), {"username": "mallory", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")

    response = client.post(
        reverse("login"), {"username": "mallory", "password": "pw-for-tests-1"}, REMOTE_ADDR="10.0.0.9"
    )

    assert response.status_code == 429
    assert b"Too many failed logins" in response.content


def test_health_answers_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_api_docs_page_serves_its_scripts_locally(client):
    client.force_login(make_user("sales"))
    html = client.get("/tmf-api/docs").content.decode()

    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
