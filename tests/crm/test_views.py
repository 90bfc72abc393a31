import pytest
from django.urls import reverse

from headend.crm.models import Account, Location
from tests.factories import make_account, make_location, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales_client(client):
    client.force_login(make_user("sales"))
    return client


def test_account_create_shows_the_field_error_and_writes_nothing(sales_client):
    response = sales_client.post(
        reverse("crm:account_create"), {"kind": "residential", "first_name": "Ada", "last_name": "L", "phone": "12"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"phone": ["Not a valid phone number: '12'."]}
    assert Account.objects.count() == 0


def test_account_create_redirects_to_the_new_account(sales_client):
    response = sales_client.post(
        reverse("crm:account_create"), {"kind": "business", "legal_name": "Quoddy Fuel Inc", "phone": "2075550100"}
    )

    account = Account.objects.get()
    assert response.url == account.get_absolute_url()
    assert (account.name, account.phone) == ("Quoddy Fuel Inc", "+12075550100")


def test_location_form_names_a_malformed_zip(sales_client):
    account = make_account()

    response = sales_client.post(
        reverse("crm:location_create", args=[account.pk]),
        {"line1": "3 Main St", "city": "Lubec", "state": "ME", "postal_code": "4652"},
    )

    assert "postal_code" in response.context["form"].errors
    assert Location.objects.count() == 0


def test_account_list_searches_by_name(sales_client):
    make_account(legal_name="Quoddy Fuel Inc")
    make_account(legal_name="Lubec Bakery LLC")

    response = sales_client.get(reverse("crm:account_list"), {"q": "quoddy"})

    assert [a.name for a in response.context["items"]] == ["Quoddy Fuel Inc"]


def test_account_list_paginates(sales_client):
    for n in range(30):
        make_account(legal_name=f"Company {n:02d} LLC")

    response = sales_client.get(reverse("crm:account_list"), {"page": 2})

    assert len(response.context["items"]) == 5


def test_unknown_account_is_404(sales_client):
    assert sales_client.get(reverse("crm:account_detail", args=[999])).status_code == 404


def test_support_may_edit_but_provisioning_may_not_create_accounts(client):
    client.force_login(make_user("provisioning"))

    assert client.get(reverse("crm:account_create")).status_code == 403


def test_location_edit_renormalises_and_refuses_a_duplicate(sales_client):
    account = make_account()
    location = make_location(account, line1="1 Water St")
    make_location(account, line1="2 Water St")
    url = reverse("crm:location_edit", args=[location.pk])
    base = {"city": "Eastport", "state": "ME", "postal_code": "04631"}

    duplicate = sales_client.post(url, {**base, "line1": "2 water street"})
    saved = sales_client.post(url, {**base, "line1": "1 water street", "line2": "apt 2"})

    assert "line1" in duplicate.context["form"].errors
    location.refresh_from_db()
    assert saved.status_code == 302
    assert (location.line1, location.line2) == ("1 WATER ST", "APT 2")


def test_contact_edit_validates_the_phone(sales_client):
    from headend.crm import services

    contact = services.contact_create(
        account=make_account(), first_name="Pat", last_name="Doe", email="pat@example.com"
    )

    response = sales_client.post(
        reverse("crm:contact_edit", args=[contact.pk]),
        {"first_name": "Pat", "last_name": "Doe", "role": "billing", "email": "pat@example.com", "phone": "123"},
    )

    assert "phone" in response.context["form"].errors
    contact.refresh_from_db()
    assert (contact.role, contact.phone) == ("primary", "")
