"""A request body past Django's DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 that says so, on the staff
pages as in the API (tests/api/test_bad_input.py), never a 500 or a bare 400."""

import json

import pytest
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent

from headend.crm.models import Account
from headend.web.views import bad_request_view
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def form_body(size: int) -> str:
    """An account form, urlencoded, of exactly `size` bytes."""
    fields = "kind=business&name=Eastport+Marine&legal_name=Eastport+Marine+LLC&notes="
    return fields + "x" * (size - len(fields))


def test_a_form_post_over_the_limit_is_a_413_page_and_nothing_is_saved(client):
    client.force_login(make_user("sales"))

    response = client.post(
        "/accounts/new/",
        data=form_body(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 413
    assert "What you sent is larger than 2.5 MB, so nothing was saved." in response.content.decode()
    assert Account.objects.count() == 0


def test_a_form_post_at_the_limit_is_read(client):
    client.force_login(make_user("sales"))

    response = client.post(
        "/accounts/new/",
        data=form_body(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
        content_type="application/x-www-form-urlencoded",
    )

    account = Account.objects.get()
    assert (response.status_code, response.url) == (302, f"/accounts/{account.pk}/")


def test_an_api_body_django_refuses_before_the_api_reads_it_is_a_tmf_413(rf):
    request = rf.post("/tmf-api/customerManagement/v4/customer")

    response = bad_request_view(request, RequestDataTooBig("Request body exceeded the limit."))

    assert response.status_code == 413
    assert json.loads(response.content) == {
        "code": "body_too_large",
        "reason": "The request body is larger than 2,621,440 bytes; send less at once.",
        "message": "The request body is larger than 2,621,440 bytes; send less at once.",
        "status": "413",
        "@type": "Error",
    }


def test_other_requests_django_refuses_stay_a_400(rf):
    response = bad_request_view(rf.get("/accounts/"), TooManyFieldsSent("Too many fields."))

    assert response.status_code == 400
