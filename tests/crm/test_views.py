import pytest
from django.urls import reverse

from headend.crm.models import Account, Location
from tests.factories import make_account, make_user

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
