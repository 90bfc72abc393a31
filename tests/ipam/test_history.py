"""A pool's creation and each change to it are in its history, with who made them."""

import pytest
from django.urls import reverse

from headend.ipam.models import IPPool
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_pool_created_on_its_page_and_switched_off_in_the_admin_names_who_did_each(client):
    engineer = make_user("provisioning", username="engineer")
    client.force_login(engineer)
    client.post(
        reverse("ipam:pool_create"),
        {"name": "Eastport fiber", "prefix": "100.64.0.0/22", "allocation_length": 32, "quarantine_days": 30},
    )
    pool = IPPool.objects.get()
    admin = make_user(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.post(
        f"/admin/ipam/ippool/{pool.pk}/change/",
        {"name": pool.name, "region": "", "technology": "", "quarantine_days": 45},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    rows = pool.history.order_by("history_id")
    assert list(rows.values_list("history_type", "active", "quarantine_days", "history_user")) == [
        ("+", True, 30, engineer.pk),
        ("~", False, 45, admin.pk),
    ]
