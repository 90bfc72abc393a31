"""What every route shares: bearer tokens, TMF errors, lists, rendering, the OpenAPI document."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headend.api.models import ApiToken
from headend.api.renderers import dumps
from headend.api.services import token_issue, token_revoke
from headend.core import clock
from headend.quoting.api import BODIES as quote_bodies
from tests.api.client import TMFClient, assert_error, body
from tests.api.tmf_schema import assert_invalid, assert_valid
from tests.factories import make_account, make_quote, make_user

pytestmark = pytest.mark.django_db

TMF_PATHS = {
    "/tmf-api/customerManagement/v4/customer",
    "/tmf-api/customerManagement/v4/customer/{id}",
    "/tmf-api/geographicSiteManagement/v4/geographicSite",
    "/tmf-api/geographicSiteManagement/v4/geographicSite/{id}",
    "/tmf-api/productCatalogManagement/v4/productOffering",
    "/tmf-api/productCatalogManagement/v4/productOffering/{id}",
    "/tmf-api/quoteManagement/v4/quote",
    "/tmf-api/quoteManagement/v4/quote/{id}",
    "/tmf-api/productOrderingManagement/v4/productOrder",
    "/tmf-api/productOrderingManagement/v4/productOrder/{id}",
    "/tmf-api/productOrderingManagement/v4/cancelProductOrder",
    "/tmf-api/productOrderingManagement/v4/cancelProductOrder/{id}",
    "/tmf-api/serviceInventory/v4/service",
    "/tmf-api/serviceInventory/v4/service/{id}",
    "/tmf-api/workOrderManagement/v4/workOrder",
    "/tmf-api/workOrderManagement/v4/workOrder/{id}",
    "/tmf-api/workOrderManagement/v4/workOrder/{id}/task/{task_id}/start",
    "/tmf-api/workOrderManagement/v4/workOrder/{id}/task/{task_id}/complete",
    "/tmf-api/workOrderManagement/v4/workOrder/{id}/task/{task_id}/block",
    "/tmf-api/workOrderManagement/v4/workOrder/{id}/task/{task_id}/unblock",
    "/tmf-api/workOrderManagement/v4/workOrder/{id}/task/{task_id}/assign",
    "/tmf-api/productOfferingQualification/v4/productOfferingQualification",
    "/tmf-api/productOfferingQualification/v4/productOfferingQualification/{id}",
}


def test_openapi_document_lists_the_tmf_paths_with_bearer_auth(client):
    _, raw = token_issue(user=make_user("sales"), name="docs")
    response = client.get("/tmf-api/openapi.json", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200
    document = response.json()
    assert set(document["paths"]) >= TMF_PATHS
    assert all(path.startswith("/tmf-api/") for path in document["paths"])
    assert document["components"]["securitySchemes"]["StaffTokenAuth"] == {"type": "http", "scheme": "bearer"}
    patch = document["paths"]["/tmf-api/quoteManagement/v4/quote/{id}"]["patch"]
    assert set(patch["requestBody"]["content"]) == {"application/json", "application/merge-patch+json"}


def test_docs_page_is_served_to_staff(client):
    client.force_login(make_user("support"))
    assert client.get("/tmf-api/docs").status_code == 200


@pytest.mark.parametrize("path", ["/customerManagement/v4/nothing", "/quoteManagement/v4/quote/1/extra", "/nowhere"])
def test_an_unknown_path_is_a_tmf_404(sales_api, path):
    assert_error(sales_api.get(path), status=404, code="not_found")
    assert_error(sales_api.post(path, {}), status=404, code="not_found")


def test_no_token_is_401_with_a_tmf_error_and_a_bearer_challenge(anonymous_api):
    response = anonymous_api.get("/customerManagement/v4/customer")

    assert_error(response, status=401, code="unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer hdk_not-a-real-token", "Bearer ", "Basic dXNlcjpwdw==", "hdk_abc"])
def test_a_wrong_token_or_scheme_is_401(client, header):
    response = client.get("/tmf-api/customerManagement/v4/customer", HTTP_AUTHORIZATION=header)

    assert_error(response, status=401, code="unauthorized")


def test_a_revoked_token_is_401(client):
    user = make_user("sales")
    token, raw = token_issue(user=user, name="old")
    token_revoke(token=token, revoked_by=user)

    response = TMFClient(client, raw).get("/customerManagement/v4/customer")

    assert_error(response, status=401, code="unauthorized")


def test_an_inactive_users_token_is_401(client):
    user = make_user("sales")
    api = TMFClient.for_user(client, user)
    user.is_active = False
    user.save()

    assert_error(api.get("/customerManagement/v4/customer"), status=401)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        (lambda token, user: ApiToken.objects.filter(pk=token.pk).update(revoked_at=clock.now()), 401),
        (lambda token, user: ApiToken.objects.filter(pk=token.pk).update(expires_at=clock.now()), 401),
        (lambda token, user: User.objects.filter(pk=user.pk).update(is_active=False), 401),
        (lambda token, user: user.groups.clear(), 403),
    ],
    ids=["revoked", "expired", "user deactivated", "roles taken away"],
)
def test_a_token_already_used_is_refused_from_the_next_request_after_a_change_by_hand(client, change, status):
    """What authenticating keeps between requests (the compiled statement, a row's converted
    values) never outlives a change made without the use cases."""
    user = make_user("sales")
    token, raw = token_issue(user=user, name="used")
    api = TMFClient(client, raw)
    assert api.get("/customerManagement/v4/customer").status_code == 200

    change(token, user)

    assert_error(api.get("/customerManagement/v4/customer"), status=status)


def test_a_token_of_a_user_without_a_staff_role_is_403(client):
    api = TMFClient.for_user(client, make_user())

    assert_error(api.get("/customerManagement/v4/customer"), status=403, code="staff_only")


def test_list_pages_with_offset_and_limit_and_counts_in_headers(sales_api):
    names = sorted(make_account(legal_name=f"Pier {n} LLC").name for n in range(5))

    response = sales_api.get("/customerManagement/v4/customer", offset=1, limit=2)

    assert response.status_code == 200
    assert [customer["name"] for customer in body(response)] == names[1:3]
    assert (response["X-Total-Count"], response["X-Result-Count"]) == ("5", "2")


def test_list_past_the_end_is_empty_with_the_total(sales_api):
    make_account()

    response = sales_api.get("/customerManagement/v4/customer", offset=1)

    assert body(response) == []
    assert (response["X-Total-Count"], response["X-Result-Count"]) == ("1", "0")


@pytest.mark.parametrize(
    ("query", "field"),
    [({"limit": 1001}, "limit"), ({"limit": 0}, "limit"), ({"offset": -1}, "offset"), ({"offset": "two"}, "offset")],
)
def test_bad_paging_is_400_naming_the_parameter(sales_api, query, field):
    response = sales_api.get("/customerManagement/v4/customer", **query)

    assert_error(response, status=400, field=field)


def test_limit_1000_is_allowed(sales_api):
    assert sales_api.get("/customerManagement/v4/customer", limit=1000).status_code == 200


def test_fields_selects_attributes_and_keeps_id_href_and_type(sales_api):
    account = make_account()

    listed = body(sales_api.get("/customerManagement/v4/customer", fields="name,status"))
    one = body(sales_api.get(f"/customerManagement/v4/customer/{account.pk}", fields="status"))

    assert set(listed[0]) == {"id", "href", "@type", "name", "status"}
    assert set(one) == {"id", "href", "@type", "status"}


def test_a_body_that_is_not_json_is_400(sales_api):
    response = sales_api.post("/customerManagement/v4/customer", raw="{not json")

    assert_error(response, status=400, code="invalid_body")


def test_a_missing_body_is_400(sales_api):
    response = sales_api.post("/customerManagement/v4/customer")

    assert_error(response, status=400)


def test_decimals_are_written_as_exact_json_numbers():
    text = dumps({"a": Decimal("0.10"), "b": Decimal("12345678901234.57"), "c": [Decimal("-3")], "d": "0.10"})

    assert text == '{"a": 0.10, "b": 12345678901234.57, "c": [-3], "d": "0.10"}'
    assert json.loads(text, parse_float=Decimal)["b"] == Decimal("12345678901234.57")


def test_a_client_string_cannot_pose_as_a_number():
    assert dumps({"name": "decimal-0:1"}) == '{"name": "decimal-0:1"}'


def test_the_validator_rejects_a_body_that_breaks_the_definition():
    assert_valid({"code": "x", "reason": "y", "status": "400"}, api="629", definition="Error")
    assert_invalid({"code": "x", "reason": "y", "status": 400}, api="629", definition="Error")
    assert_invalid({"reason": "y"}, api="629", definition="Error")
    assert_invalid({"state": "done", "quoteItem": [{}]}, api="648", definition="Quote")


@pytest.mark.parametrize(
    "path",
    [
        "/customerManagement/v4/customer",
        "/geographicSiteManagement/v4/geographicSite",
        "/productCatalogManagement/v4/productOffering",
        "/quoteManagement/v4/quote",
        "/productOrderingManagement/v4/productOrder",
        "/serviceInventory/v4/service",
        "/workOrderManagement/v4/workOrder",
    ],
)
def test_a_list_takes_as_many_queries_for_many_objects_as_for_one(sales_api, path):
    def queries() -> int:
        quote_bodies.clear()  # the quotes' bodies built each time, none served from an earlier read
        with CaptureQueriesContext(connection) as captured:
            assert sales_api.get(path).status_code == 200
        return len(captured.captured_queries)

    make_quote(status="accepted", lines=2)
    queries()  # the token's first use records when it was used
    one = queries()
    for _ in range(3):
        make_quote(status="accepted", lines=2)

    assert queries() == one
