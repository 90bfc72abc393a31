import pytest
from django.urls import reverse

from headend.fulfillment.models import WorkOrder
from tests.factories import make_quote, make_user

pytestmark = pytest.mark.django_db


def test_completing_a_blocked_task_from_the_page_explains_why_and_changes_nothing(client):
    client.force_login(make_user("provisioning"))
    work_order = WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted"))
    install = work_order.tasks.get(name="Install")

    response = client.post(reverse("fulfillment:task_action", args=[install.pk, "complete"]), follow=True)

    assert "waits for: 1. Schedule" in response.content.decode()
    install.refresh_from_db()
    assert install.status == "pending"


def test_sales_cannot_complete_tasks(client):
    client.force_login(make_user("sales"))
    work_order = WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted"))

    response = client.post(reverse("fulfillment:task_action", args=[work_order.tasks.first().pk, "complete"]))

    assert response.status_code == 403
