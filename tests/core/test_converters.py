"""Ids in staff URLs (`<id:...>`): parsed by the shared bounded parser, so an id past 64 bits is
a 404, never an integer SQLite cannot hold (a 500)."""

import pytest
from django.urls import Resolver404, resolve

from tests.factories import make_user

pytestmark = pytest.mark.django_db

TOO_BIG = str(2**63)  # one past the largest id SQLite and PostgreSQL's bigint hold
LARGEST = str(2**63 - 1)

STAFF_PATHS = [
    "/accounts/{id}/",
    "/accounts/{id}/edit/",
    "/accounts/locations/{id}/",
    "/accounts/opportunities/{id}/",
    "/catalog/{id}/",
    "/quotes/{id}/",
    "/quotes/{id}/lines/{id}/discount/",
    "/quotes/{id}/sites/{id}/",
    "/orders/{id}/",
    "/services/{id}/",
    "/work/{id}/",
    "/work/tasks/{id}/start/",
    "/work/attachments/{id}/",
    "/network/imports/{id}/",
    "/network/ip/{id}/",
    "/settings/api-tokens/{id}/revoke/",
]


OTHER_PATHS = [
    "/sign/{id}/some-token/",
    "/quotes/{id}/documents/{id}.pdf",
    "/settings/webhooks/deliveries/{id}/",
]


@pytest.mark.parametrize("path", STAFF_PATHS + OTHER_PATHS)
def test_an_id_past_64_bits_matches_no_url(path):
    with pytest.raises(Resolver404):
        resolve(path.format(id=TOO_BIG))


@pytest.mark.parametrize("path", STAFF_PATHS)
def test_the_largest_64_bit_id_still_matches(path):
    match = resolve(path.format(id=LARGEST))

    assert set(match.kwargs.values()) - {"start"} == {2**63 - 1}


def test_an_id_of_0_matches_no_url():
    with pytest.raises(Resolver404):
        resolve("/accounts/0/")


def test_leading_zeros_read_as_the_number():
    assert resolve("/accounts/0123/").kwargs == {"account_id": 123}


@pytest.mark.parametrize("path", ["/accounts/{id}/", "/quotes/{id}/", "/work/{id}/", "/services/{id}/"])
def test_a_staff_page_for_an_id_past_64_bits_is_404(client, path):
    client.force_login(make_user("admin"))

    response = client.get(path.format(id="18446744073709551616"))

    assert response.status_code == 404
