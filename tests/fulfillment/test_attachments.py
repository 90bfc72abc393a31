"""Task attachments (issue 11): what is accepted, how it is kept, how it is served, and to whom."""

from urllib.parse import unquote

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headend.core.errors import NotFound
from headend.fulfillment import selectors
from headend.fulfillment.models import TaskAttachment, WorkOrder
from tests.conftest import FROZEN_AT
from tests.factories import make_quote, make_user

pytestmark = pytest.mark.django_db

PAGE = b"<!doctype html><script>fetch('/settings/api-tokens/', {method: 'POST'})</script>"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
TICKED = ["Light level within range", "Speed test saved"]


def checklist_task():
    from headend.catalog.services import TaskSpec
    from tests.factories import make_product

    version = make_product(tasks=[TaskSpec("Install ONT", checklist=TICKED)])
    return WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted", version=version)).tasks.get()


def complete(client, task, *files):
    url = reverse("fulfillment:task_action", args=[task.pk, "complete"])
    return client.post(url, {"checklist": TICKED, "attachments": list(files)}, follow=True)


@pytest.fixture
def technician(client):
    client.force_login(make_user("provisioning"))
    return client


def test_an_html_file_declared_as_text_is_refused_and_the_task_stays_open(technician):
    task = checklist_task()

    response = complete(technician, task, SimpleUploadedFile("x.html", PAGE, content_type="text/plain"))

    assert response.status_code == 200
    assert "x.html: attach a photo (JPEG, PNG, GIF, WebP), a PDF or a text file." in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.attachments.count()) == ("ready", 0)


def test_html_claiming_to_be_a_png_is_refused(technician):
    task = checklist_task()

    response = complete(technician, task, SimpleUploadedFile("photo.png", PAGE, content_type="image/png"))

    assert "photo.png: attach a photo" in response.content.decode()
    assert TaskAttachment.objects.count() == 0


@pytest.mark.parametrize(("size", "kept"), [(2048, 1), (2049, 0)])
def test_an_attachment_past_the_size_limit_is_refused(technician, settings, size, kept):
    settings.HEADEND_UPLOAD_MAX_BYTES = {"attachment": 2048}
    task = checklist_task()

    response = complete(technician, task, SimpleUploadedFile("speed.txt", b"9" * size, content_type="text/plain"))

    assert TaskAttachment.objects.count() == kept
    assert ("the limit is 2 KB" in response.content.decode()) == (not kept)


def test_an_attachment_is_stored_under_a_random_name_and_keeps_its_own_for_display(technician):
    task = checklist_task()

    complete(technician, task, SimpleUploadedFile("Speed test 1.PNG", PNG, content_type="image/png"))

    attachment = TaskAttachment.objects.get()
    assert attachment.name == "Speed test 1.PNG"
    folder, stored = attachment.file.name.rsplit("/", 1)
    assert folder == "task-attachments/2026/03"
    assert (len(stored), stored[-4:]) == (len("0123456789abcdef0123456789abcdef.png"), ".png")


def test_a_text_attachment_is_served_as_a_download_never_as_a_page(technician):
    task = checklist_task()
    complete(
        technician, task, SimpleUploadedFile("notes.html", b"-18 dBm; ONT serial 4A2F\n", content_type="text/html")
    )

    response = technician.get(reverse("fulfillment:attachment", args=[TaskAttachment.objects.get().pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"notes.html.txt\"; filename*=UTF-8''notes.html.txt"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert b"".join(response.streaming_content) == b"-18 dBm; ONT serial 4A2F\n"


def test_a_photo_is_served_as_a_download_of_its_type_with_its_name(technician):
    task = checklist_task()
    complete(technician, task, SimpleUploadedFile("Relevé ONT.png", PNG, content_type="application/octet-stream"))

    response = technician.get(reverse("fulfillment:attachment", args=[TaskAttachment.objects.get().pk]))

    assert response["Content-Type"] == "image/png"
    assert unquote(response["Content-Disposition"].split("filename*=UTF-8''")[1]) == "Relevé ONT.png"


def test_an_attachment_stored_before_these_rules_still_downloads_and_never_runs(technician):
    """A row from before issue 11: kept under the name it came with, bytes that are a page."""
    path = default_storage.save("task-attachments/2026/03/x.html", ContentFile(PAGE))
    old = TaskAttachment.objects.create(task=checklist_task(), file=path, name="x.html", uploaded_at=FROZEN_AT)

    response = technician.get(reverse("fulfillment:attachment", args=[old.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith('attachment; filename="x.html.bin"')
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert b"".join(response.streaming_content) == PAGE


# --- Who may fetch an attachment: whoever may see its work order --------------------------------


def attachment_on(task) -> TaskAttachment:
    attachment = TaskAttachment(task=task, name="speed.txt", uploaded_at=FROZEN_AT)
    attachment.file.save("speed.txt", ContentFile(b"940 Mbps down\n"))
    return attachment


@pytest.mark.parametrize(("roles", "status"), [(("provisioning",), 200), (("sales",), 200), ((), 403)])
def test_attachment_route_by_role(client, roles, status):
    attachment = attachment_on(checklist_task())
    client.force_login(make_user(*roles))

    response = client.get(reverse("fulfillment:attachment", args=[attachment.pk]))

    assert response.status_code == status


def test_attachment_route_sends_an_anonymous_visitor_to_log_in(client):
    attachment = attachment_on(checklist_task())

    response = client.get(reverse("fulfillment:attachment", args=[attachment.pk]))

    assert (response.status_code, response["Location"].split("?")[0]) == (302, reverse("login"))


def test_attachment_get_for_refuses_a_user_who_may_not_see_the_work_order():
    attachment = attachment_on(checklist_task())

    with pytest.raises(NotFound):
        selectors.attachment_get_for(user=make_user(), attachment_id=attachment.pk)

    assert selectors.attachment_get_for(user=make_user("support"), attachment_id=attachment.pk) == attachment
