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


def checklist_work_order() -> WorkOrder:
    from headend.catalog.services import TaskSpec
    from tests.factories import make_product

    version = make_product(tasks=[TaskSpec("Install ONT", checklist=["Light level within range", "Speed test saved"])])
    return WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted", version=version))


def test_complete_needs_every_checklist_item_ticked(client):
    client.force_login(make_user("provisioning"))
    task = checklist_work_order().tasks.get()
    url = reverse("fulfillment:task_action", args=[task.pk, "complete"])

    response = client.post(url, {"checklist": ["Light level within range"]}, follow=True)

    assert "not ticked: “Speed test saved”" in response.content.decode()
    task.refresh_from_db()
    assert task.status == "ready"


def test_complete_with_checklist_notes_and_a_photo(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_user("provisioning"))
    task = checklist_work_order().tasks.get()
    photo = SimpleUploadedFile("speedtest.png", b"\x89PNG\r\n\x1a\nfake", content_type="image/png")

    client.post(
        reverse("fulfillment:task_action", args=[task.pk, "complete"]),
        {"checklist": ["Light level within range", "Speed test saved"], "notes": "-18 dBm", "attachments": [photo]},
    )

    task.refresh_from_db()
    assert (task.status, task.notes) == ("done", "-18 dBm")
    assert [item["done"] for item in task.checklist] == [True, True]
    attachment = task.attachments.get()
    assert attachment.name == "speedtest.png"
    assert client.get(reverse("fulfillment:attachment", args=[attachment.pk])).status_code == 200


def test_a_file_of_the_wrong_type_is_refused_and_the_task_stays_open(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_user("provisioning"))
    task = checklist_work_order().tasks.get()
    program = b"\x7fELF\x02\x01\x01\x00" + bytes(64)  # whatever the browser says, the bytes decide
    script = SimpleUploadedFile("run", program, content_type="image/png")

    response = client.post(
        reverse("fulfillment:task_action", args=[task.pk, "complete"]),
        {"checklist": ["Light level within range", "Speed test saved"], "attachments": [script]},
        follow=True,
    )

    assert "attach a photo" in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.attachments.count()) == ("ready", 0)


def test_block_needs_a_reason_and_shows_it(client):
    client.force_login(make_user("provisioning"))
    work_order = WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted"))
    task = work_order.tasks.get(name="Schedule")
    url = reverse("fulfillment:task_action", args=[task.pk, "block"])

    client.post(url, {"reason": ""})
    response = client.post(url, {"reason": "Customer unreachable"}, follow=True)

    task.refresh_from_db()
    assert (task.status, task.blocked_reason) == ("blocked", "Customer unreachable")
    assert "Blocked: Customer unreachable" in response.content.decode()


def test_my_work_lists_the_tasks_assigned_to_me(client):
    me = make_user("provisioning")
    client.force_login(me)
    work_order = WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted"))
    task = work_order.tasks.get(name="Schedule")
    client.post(reverse("fulfillment:task_action", args=[task.pk, "assign"]), {"assignee": me.pk})

    response = client.get(reverse("fulfillment:my_work"))

    assert [[item.task.name for item in day.items] for day in response.context["days"]] == [["Schedule"]]


def test_order_page_shows_forecast_and_cancel_cancels(client):
    client.force_login(make_user("sales"))
    order = make_quote(status="accepted").order
    url = reverse("orders:order_detail", args=[order.pk])

    page = client.get(url)
    response = client.post(reverse("orders:order_cancel", args=[order.pk]), {"reason": "Moved away"}, follow=True)

    assert page.context["slip"] == "on plan"
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "Moved away")
    assert "Cancelled" in response.content.decode()


def test_cancel_without_a_reason_changes_nothing(client):
    client.force_login(make_user("sales"))
    order = make_quote(status="accepted").order

    response = client.post(reverse("orders:order_cancel", args=[order.pk]), {"reason": ""}, follow=True)

    assert "Say why the order is cancelled." in response.content.decode()
    order.refresh_from_db()
    assert order.status == "acknowledged"


def test_an_approval_task_is_completed_by_its_role_and_shows_in_the_history(client):
    from headend.catalog.services import TaskSpec
    from tests.factories import make_product

    version = make_product(
        tasks=[
            TaskSpec("Approve the build cost", kind="approval", role="sales_manager"),
            TaskSpec("Build", depends_on=["Approve the build cost"]),
        ]
    )
    work_order = WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted", version=version))
    approval = work_order.tasks.get(kind="approval")
    client.force_login(make_user("sales"))
    refused = client.post(reverse("fulfillment:task_action", args=[approval.pk, "complete"]))
    client.force_login(make_user("sales_manager", username="boss"))

    client.post(reverse("fulfillment:task_action", args=[approval.pk, "complete"]), {"notes": "Within budget"})
    page = client.get(reverse("fulfillment:work_order_detail", args=[work_order.pk]))

    approval.refresh_from_db()
    assert (refused.status_code, approval.status) == (403, "done")
    assert [line.sentence for line in page.context["history"]][:3] == [
        "Headend (automatic) made “Build” ready: what it waited for is done",
        f"Headend (automatic) marked {work_order.number} in progress",
        "boss completed “Approve the build cost”",
    ]
