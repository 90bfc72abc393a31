import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

pytestmark = pytest.mark.django_db(databases=["default", "radius"])


def test_every_admin_list_page_opens_for_an_admin(client, radius_tables):
    from headend.web import demo

    demo.load()
    client.force_login(User.objects.get(username="admin"))
    failures = []

    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        status = client.get(url).status_code
        if status != 200:
            failures.append((url, status))

    assert failures == []
