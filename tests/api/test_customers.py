"""TMF629 customer: our accounts."""

import pytest
from django.contrib.auth.models import User

from headend.core.models import OutboxEvent
from headend.crm.models import Account
from tests.api.client import assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.conftest import FROZEN_AT, outbox_names
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db

PATH = "/customerManagement/v4/customer"


def business(**changes):
    customer = {
        "name": "Eastport Marine",
        "engagedParty": {"@referredType": "Organization"},
        "characteristic": [
            {"name": "legalName", "value": "Eastport Marine Supply LLC"},
            {"name": "taxId", "value": "12-3456789"},
        ],
        "contactMedium": [
            {"mediumType": "email", "characteristic": {"emailAddress": "Ops@EastportMarine.example"}},
            {"mediumType": "phone", "characteristic": {"phoneNumber": "(207) 555-0134"}},
        ],
    }
    customer.update(changes)
    return customer


def test_create_business_customer(sales_api):
    response = sales_api.post(PATH, business())

    assert response.status_code == 201
    customer = body(response)
    assert_valid(customer, api="629", definition="Customer")
    account = Account.objects.get()
    assert (account.kind, account.name, account.legal_name, account.tax_id, account.email, account.phone) == (
        "business",
        "Eastport Marine",
        "Eastport Marine Supply LLC",
        "12-3456789",
        "ops@eastportmarine.example",
        "+12075550134",
    )
    assert customer == {
        "id": str(account.pk),
        "href": f"http://testserver/tmf-api/customerManagement/v4/customer/{account.pk}",
        "@type": "Customer",
        "name": "Eastport Marine",
        "status": "prospect",
        "engagedParty": {"id": str(account.pk), "name": "Eastport Marine Supply LLC", "@referredType": "Organization"},
        "contactMedium": [
            {
                "mediumType": "email",
                "characteristic": {"contactType": "email", "emailAddress": "ops@eastportmarine.example"},
            },
            {"mediumType": "phone", "characteristic": {"contactType": "phone", "phoneNumber": "+12075550134"}},
        ],
        "characteristic": [
            {"name": "legalName", "valueType": "string", "value": "Eastport Marine Supply LLC"},
            {"name": "taxId", "valueType": "string", "value": "12-3456789"},
        ],
        "validFor": {"startDateTime": FROZEN_AT.isoformat().replace("+00:00", "Z")},
    }


def test_create_residential_customer_from_given_and_family_name(sales_api):
    response = sales_api.post(
        PATH,
        {
            "name": "ignored for a person",
            "engagedParty": {"@referredType": "Individual"},
            "characteristic": [{"name": "givenName", "value": "Ada"}, {"name": "familyName", "value": "Lovelace"}],
        },
    )

    assert response.status_code == 201
    customer = body(response)
    assert_valid(customer, api="629", definition="Customer")
    assert (customer["name"], customer["engagedParty"]["@referredType"]) == ("Ada Lovelace", "Individual")
    account = Account.objects.get()
    assert (account.kind, account.first_name, account.last_name) == ("residential", "Ada", "Lovelace")


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"characteristic": [{"name": "taxId", "value": "12345"}]}, "characteristic.taxId", "invalid_tax_id"),
        (
            {"characteristic": [{"name": "favouriteColour", "value": "blue"}]},
            "characteristic[0].name",
            "unknown_characteristic",
        ),
        ({"engagedParty": {"@referredType": "Robot"}}, "engagedParty.@referredType", "literal_error"),
        ({"engagedParty": {}}, "engagedParty.@referredType", "missing"),
        ({"name": None}, "name", "string_type"),
        ({"name": "x" * 201}, "name", "string_too_long"),
        ({"name": "Nul\x00Byte"}, "name", "value_error"),
        (
            {
                "contactMedium": [
                    {"mediumType": "phone", "characteristic": {"phoneNumber": "555"}},
                    {"mediumType": "email", "characteristic": {"emailAddress": "not-an-address"}},
                ]
            },
            "contactMedium[1].characteristic.emailAddress",
            "invalid_email",
        ),
        (
            {"contactMedium": [{"mediumType": "phone", "characteristic": {"phoneNumber": "555"}}]},
            "contactMedium[0].characteristic.phoneNumber",
            "invalid_phone",
        ),
        (
            {"contactMedium": [{"mediumType": "fax", "characteristic": {"faxNumber": "1"}}]},
            "contactMedium[0].mediumType",
            "unknown_medium",
        ),
    ],
)
def test_bad_customer_is_400_naming_the_attribute_and_nothing_is_written(sales_api, change, field, code):
    response = sales_api.post(PATH, business(**change))

    assert_error(response, status=400, code=code, field=field)
    assert not Account.objects.exists()


def test_residential_customer_without_a_family_name_is_400(sales_api):
    response = sales_api.post(
        PATH,
        {
            "name": "Ada",
            "engagedParty": {"@referredType": "Individual"},
            "characteristic": [{"name": "givenName", "value": "Ada"}],
        },
    )

    assert_error(response, status=400, code="required", field="characteristic.familyName")


def test_get_customer(sales_api):
    account = make_account("residential", first_name="Grace", last_name="Hopper")

    response = sales_api.get(f"{PATH}/{account.pk}")

    assert response.status_code == 200
    customer = body(response)
    assert_valid(customer, api="629", definition="Customer")
    assert (customer["id"], customer["name"], customer["engagedParty"]["@referredType"]) == (
        str(account.pk),
        "Grace Hopper",
        "Individual",
    )


@pytest.mark.parametrize("customer_id", ["999999", "abc", "-1", "99999999999999999999999"])
def test_unknown_customer_is_404(sales_api, customer_id):
    assert_error(sales_api.get(f"{PATH}/{customer_id}"), status=404, code="not_found", field="id")


def test_list_customers_by_status(sales_api):
    prospect, active = make_account(), make_account()
    Account.objects.filter(pk=active.pk).update(status="active")

    response = sales_api.get(PATH, status="active")

    assert [customer["id"] for customer in body(response)] == [str(active.pk)]
    assert response["X-Total-Count"] == "1"
    assert prospect.pk != active.pk


def test_create_without_a_sales_role_is_403(support_api):
    assert_error(support_api.post(PATH, business()), status=403, code="role_required")
    assert not Account.objects.exists()


def test_create_without_a_token_is_401(anonymous_api):
    assert_error(anonymous_api.post(PATH, business()), status=401)
    assert not Account.objects.exists()


def test_support_staff_may_read_customers(support_api):
    account = make_account()

    assert support_api.get(f"{PATH}/{account.pk}").status_code == 200


# PATCH: a JSON merge patch, checked as on create


def account_state(account: Account) -> tuple:
    """Everything a patch may change, and the history and events it would write."""
    account.refresh_from_db()
    return (
        account.name,
        account.legal_name,
        account.tax_id,
        account.first_name,
        account.last_name,
        account.email,
        account.phone,
        account.history.count(),
        OutboxEvent.objects.count(),
    )


@pytest.mark.parametrize("content_type", ["application/merge-patch+json", "application/json"])
def test_patch_customer_name_changes_only_the_name(sales_api, content_type):
    account = make_account(legal_name="Eastport Marine Supply LLC", email="ops@eastport.example")

    response = sales_api.patch(f"{PATH}/{account.pk}", {"name": "Eastport Marine"}, content_type=content_type)

    assert response.status_code == 200, response.content
    customer = body(response)
    assert_valid(customer, api="629", definition="Customer")
    assert (customer["id"], customer["name"], customer["engagedParty"]["name"]) == (
        str(account.pk),
        "Eastport Marine",
        "Eastport Marine Supply LLC",
    )
    account.refresh_from_db()
    assert (account.name, account.legal_name, account.tax_id, account.email) == (
        "Eastport Marine",
        "Eastport Marine Supply LLC",
        "12-3456789",
        "ops@eastport.example",
    )


def test_patch_customer_writes_history_and_one_event_naming_the_fields(sales_api):
    account = make_account()

    sales_api.patch(f"{PATH}/{account.pk}", {"name": "Eastport Marine"})

    latest = account.history.first()
    assert (account.history.count(), latest.history_type, latest.history_user) == (
        2,
        "~",
        User.objects.get(groups__name="sales"),
    )
    assert outbox_names(subject=account) == ["account.created", "account.updated"]
    assert OutboxEvent.objects.get(name="account.updated").data == {"fields": ["name"]}


def test_patch_contact_medium_replaces_the_whole_array(sales_api):
    account = make_account(email="ops@eastport.example")

    response = sales_api.patch(
        f"{PATH}/{account.pk}",
        {"contactMedium": [{"mediumType": "phone", "characteristic": {"phoneNumber": "(207) 555-0199"}}]},
    )

    assert response.status_code == 200, response.content
    account.refresh_from_db()
    assert (account.email, account.phone) == ("", "+12075550199")
    assert body(response)["contactMedium"] == [
        {"mediumType": "phone", "characteristic": {"contactType": "phone", "phoneNumber": "+12075550199"}}
    ]


def test_patch_residential_customer_renames_the_person(sales_api):
    account = make_account("residential", first_name="Ada", last_name="Lovelace")

    response = sales_api.patch(
        f"{PATH}/{account.pk}",
        {
            "engagedParty": {"@referredType": "Individual"},
            "characteristic": [{"name": "givenName", "value": "Ada"}, {"name": "familyName", "value": "King"}],
        },
    )

    assert response.status_code == 200, response.content
    assert body(response)["name"] == "Ada King"
    account.refresh_from_db()
    assert (account.name, account.first_name, account.last_name) == ("Ada King", "Ada", "King")


def test_patch_that_changes_nothing_writes_nothing(sales_api):
    account = make_account(legal_name="Eastport Marine Supply LLC")
    before = account_state(account)

    response = sales_api.patch(f"{PATH}/{account.pk}", {"name": "Eastport Marine Supply LLC", "status": "prospect"})

    assert response.status_code == 200, response.content
    assert account_state(account) == before


@pytest.mark.parametrize(
    ("patch", "field", "code"),
    [
        ({"characteristic": [{"name": "taxId", "value": "12345"}]}, "characteristic.taxId", "invalid_tax_id"),
        (
            {"characteristic": [{"name": "favouriteColour", "value": "blue"}]},
            "characteristic[0].name",
            "unknown_characteristic",
        ),
        ({"name": "x" * 201}, "name", "string_too_long"),
        ({"name": "Nul\x00Byte"}, "name", "value_error"),
        ({"name": 42}, "name", "string_type"),
        (
            {"contactMedium": [{"mediumType": "email", "characteristic": {"emailAddress": "not-an-address"}}]},
            "contactMedium[0].characteristic.emailAddress",
            "invalid_email",
        ),
        (
            {"contactMedium": [{"mediumType": "phone", "characteristic": {"phoneNumber": "555"}}]},
            "contactMedium[0].characteristic.phoneNumber",
            "invalid_phone",
        ),
        ({"id": "999999"}, "id", "immutable"),
        ({"@type": "Organization"}, "@type", "immutable"),
        ({"engagedParty": {"@referredType": "Individual"}}, "engagedParty.@referredType", "immutable"),
        ({"engagedParty": {"@referredType": "Robot"}}, "engagedParty.@referredType", "literal_error"),
        ({"status": "closed"}, "status", "read_only"),
    ],
)
def test_bad_patch_is_400_naming_the_attribute_and_nothing_changes(sales_api, patch, field, code):
    account = make_account(legal_name="Eastport Marine Supply LLC", email="ops@eastport.example")
    before = account_state(account)

    response = sales_api.patch(f"{PATH}/{account.pk}", {"name": "Changed", **patch})

    assert_error(response, status=400, code=code, field=field)
    assert account_state(account) == before


def test_patch_leaving_a_person_without_a_family_name_is_400(sales_api):
    account = make_account("residential", first_name="Ada", last_name="Lovelace")
    before = account_state(account)

    response = sales_api.patch(f"{PATH}/{account.pk}", {"characteristic": [{"name": "givenName", "value": "Ada"}]})

    assert_error(response, status=400, code="required", field="characteristic.familyName")
    assert account_state(account) == before


@pytest.mark.parametrize("customer_id", ["999999", "abc", "-1"])
def test_patch_unknown_customer_is_404(sales_api, customer_id):
    assert_error(sales_api.patch(f"{PATH}/{customer_id}", {"name": "x"}), status=404, code="not_found", field="id")


def test_patch_without_a_role_that_manages_customers_is_403_and_nothing_changes(fulfil_api):
    account = make_account()
    before = account_state(account)

    response = fulfil_api.patch(f"{PATH}/{account.pk}", {"name": "Changed"})

    assert_error(response, status=403, code="role_required")
    assert account_state(account) == before


def test_support_staff_may_patch_customers(support_api):
    account = make_account()

    response = support_api.patch(f"{PATH}/{account.pk}", {"name": "Changed"})

    assert (response.status_code, body(response)["name"]) == (200, "Changed")


def test_patch_without_a_token_is_401(anonymous_api):
    account = make_account()

    assert_error(anonymous_api.patch(f"{PATH}/{account.pk}", {"name": "Changed"}), status=401)


def test_patch_is_documented_as_a_merge_patch(client):
    client.force_login(make_user("sales"))
    document = client.get("/tmf-api/openapi.json").json()

    patch = document["paths"]["/tmf-api/customerManagement/v4/customer/{id}"]["patch"]

    assert set(patch["requestBody"]["content"]) == {"application/json", "application/merge-patch+json"}
