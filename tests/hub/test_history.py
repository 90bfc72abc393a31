"""A listener's registration and removal are in its history, naming the API user; its secret is not."""

import pytest

from headend.hub.models import Subscription
from tests.api.client import body

pytestmark = pytest.mark.django_db


def test_a_listener_registered_and_removed_through_the_api_is_in_its_history_without_its_secret(staff_api, staff):
    created = body(staff_api.post("/serviceInventory/v4/hub", {"callback": "https://crm.example.com/hooks"}))

    staff_api.client.delete(f"/tmf-api/serviceInventory/v4/hub/{created['id']}", **staff_api.headers)

    rows = Subscription.history.filter(id=created["id"]).order_by("history_id")
    assert [(row.history_type, row.deleted_at is None, row.history_user) for row in rows] == [
        ("+", True, staff),
        ("~", False, staff),
    ]
    assert "secret" not in {field.name for field in Subscription.history.model._meta.fields}
