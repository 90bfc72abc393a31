"""NASes and RADIUS subscribers keep their history; a subscriber's password stays out of it."""

import pytest

from headend.provisioning.models import Nas, Subscriber
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_nas_added_and_changed_in_the_admin_names_who_did_each(client):
    admin = make_user(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    form = {"name": "bng-1", "ip_address": "192.0.2.10", "vendor": "mikrotik", "coa_port": 3799, "secret_name": "NAS"}
    client.post("/admin/provisioning/nas/add/", form)
    nas = Nas.objects.get()

    response = client.post(f"/admin/provisioning/nas/{nas.pk}/change/", {**form, "coa_port": 1700})

    assert response.status_code == 302, response.content.decode()[:2000]
    rows = nas.history.order_by("history_id")
    assert list(rows.values_list("history_type", "coa_port", "history_user")) == [
        ("+", 3799, admin.pk),
        ("~", 1700, admin.pk),
    ]


def test_a_subscribers_history_keeps_its_plan_and_state_but_not_its_password():
    fields = {field.name for field in Subscriber.history.model._meta.fields}

    assert {"plan_group", "state", "framed_ip", "framed_routes"} <= fields
    assert "password" not in fields
