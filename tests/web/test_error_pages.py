"""Every error a person meets is a page in the staff UI's frame that names the status in words and
leads on (home, back, or to the login): the 405 of a form-only address opened directly (once a
blank page), 400, 403, 404, 413 (tests/web/test_request_limits.py), 500 and any other status a
view answers without a body. Programs and htmx keep their bare answers; the TMF API answers a
wrong method with its Error JSON."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, HttpResponseNotAllowed
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.views import defaults

from headend.core.errors import Conflict
from headend.crm.models import Account
from headend.web.errors import ErrorPageMiddleware
from tests.factories import make_user

pytestmark = pytest.mark.django_db

BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def page_of(response) -> str:
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


@pytest.fixture
def staff(client):
    client.force_login(make_user("sales"))
    return client


def test_a_form_only_address_opened_directly_is_a_405_page_with_its_allow_header(staff):
    response = staff.get(reverse("quoting:quote_line_add", args=[1]), **BROWSER)

    html = page_of(response)
    assert (response.status_code, response["Allow"]) == (405, "POST")
    assert "Error 405 · Method not allowed" in html
    assert "This address takes a form, not a visit" in html
    # In the staff UI's frame: the skip link, the menu, a way home.
    assert 'class="skip-link" href="#content"' in html
    assert 'nav aria-label="Main"' in html
    assert f'<a href="{reverse("home")}" role="button"' in html


def test_the_405_page_leads_back_to_the_page_one_came_from_when_it_is_ours(staff):
    url = reverse("quoting:quote_line_add", args=[1])

    ours = page_of(staff.get(url, HTTP_REFERER="http://testserver/quotes/1/", **BROWSER))
    theirs = page_of(staff.get(url, HTTP_REFERER="https://elsewhere.example/quotes/", **BROWSER))

    assert '<a href="http://testserver/quotes/1/" role="button" data-back>Go back</a>' in ours
    assert "data-back" not in theirs
    assert "elsewhere.example" not in theirs


def test_logged_out_the_405_page_offers_the_login(client):
    response = client.get(reverse("logout"), **BROWSER)

    html = page_of(response)
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    assert "This address takes a form, not a visit" in html
    assert f'<a href="{reverse("login")}" role="button"' in html
    assert 'nav aria-label="Main"' not in html


def test_programs_and_htmx_keep_the_bare_405(staff):
    url = reverse("quoting:quote_line_add", args=[1])

    for response in (
        staff.get(url, HTTP_ACCEPT="application/json"),
        staff.get(url),
        staff.get(url, HTTP_HX_REQUEST="true", **BROWSER),
    ):
        assert (response.status_code, response["Allow"], response.content) == (405, "POST", b"")


def test_the_api_answers_a_wrong_method_with_a_tmf_error(client):
    response = client.delete("/tmf-api/productOrderingManagement/v4/productOrder", headers={"accept": "text/html"})

    allowed = response["Allow"]  # in ninja's order, which varies
    assert response.status_code == 405
    assert set(allowed.split(", ")) == {"GET", "POST"}
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "code": "method_not_allowed",
        "reason": f"Method Not Allowed: this resource accepts {allowed}.",
        "message": f"Method Not Allowed: this resource accepts {allowed}.",
        "status": "405",
        "@type": "Error",
    }


def test_an_address_that_matches_nothing_is_a_404_page_in_words(staff):
    response = staff.get("/no/such/page/", **BROWSER)

    html = page_of(response)
    assert response.status_code == 404
    assert "Error 404 · Not found" in html
    assert "There is nothing at this address." in html
    assert "Resolver404" not in html


def test_a_record_that_is_not_there_says_which(staff):
    response = staff.get(reverse("crm:account_detail", args=[999_999]), **BROWSER)

    assert response.status_code == 404
    assert "No such account." in page_of(response)


def test_a_page_the_role_may_not_open_is_a_403_page(staff):
    response = staff.get(reverse("ipam:pool_list"), **BROWSER)

    html = page_of(response)
    assert response.status_code == 403
    assert "Error 403 · Forbidden" in html
    assert "Your role may not do this." in html
    assert "ask an administrator for the role" in html


def test_a_request_django_refuses_is_a_400_page(client):
    response = client.get("/", HTTP_HOST="not a host", **BROWSER)

    html = page_of(response)
    assert response.status_code == 400
    assert "Error 400 · Bad request" in html
    assert "That request could not be read" in html


def test_the_500_page_stands_alone_with_the_staff_styles(rf):
    response = defaults.server_error(rf.get("/"))

    html = response.content.decode()
    assert response.status_code == 500
    assert "Error 500 · Internal server error" in html
    assert "Something went wrong on our side" in html
    assert "headend/app.css" in html
    assert '<a href="/" role="button">Home page</a>' in html


def test_any_other_empty_error_status_is_a_page_that_names_it(rf):
    request = rf.get("/somewhere/", **BROWSER)
    request.user = AnonymousUser()
    gone = ErrorPageMiddleware(lambda request: HttpResponse(status=410))

    response = gone(request)

    html = page_of(response)
    assert response.status_code == 410
    assert "Error 410 · Gone" in html
    assert '<h1 id="error-heading">Gone</h1>' in html


def test_an_answer_with_a_body_is_left_as_it_is(rf):
    request = rf.get("/somewhere/", **BROWSER)
    request.user = AnonymousUser()
    said = ErrorPageMiddleware(lambda request: HttpResponseNotAllowed(["POST"], content=b"Use the form."))

    response = said(request)

    assert isinstance(response, HttpResponse)
    assert response.content == b"Use the form."


def test_a_refused_change_is_a_page_that_says_why(rf):
    request = rf.get("/")
    request.user = AnonymousUser()

    html = render_to_string("error.html", {"error": Conflict("The quote is already accepted.")}, request=request)

    assert "Error 409 · Conflict" in html
    assert "The quote is already accepted." in html


def test_a_form_sent_from_a_stale_page_is_a_403_page_that_says_to_reload():
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(make_user("sales"))

    response = staff.post(reverse("crm:account_create"), {"kind": "business", "name": "Eastport Marine"}, **BROWSER)

    html = page_of(response)
    assert response.status_code == 403
    assert "This form&#x27;s page is out of date, so what it sent was not saved." in html
    assert "Reload the page (or log in again)" in html
    assert not Account.objects.exists()
