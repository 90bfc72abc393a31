"""The Content-Security-Policy, enforced, in Chromium: every staff page, the admin, the API docs
and the customer's signing page work and break no rule (the `page` fixture fails the test on any
violation Chromium reports; tests/e2e/conftest.py). Uploaded files never open as pages."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from playwright.sync_api import expect

from headend.core import clock
from headend.fulfillment.models import Task, TaskAttachment
from headend.hub.models import Subscription
from tests.api.client import TMFClient
from tests.contracts.conftest import link_from_outbox, make_offer
from tests.e2e.test_minimal_records_pages import build_minimal_records, staff_pages
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = b"<!doctype html><title>x</title><script>document.title = 'ran'</script>"


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")


def test_every_staff_page_and_the_admin_work_under_the_policy(page, live_server, client, run_worker):
    build_minimal_records(TMFClient.for_user(client, make_user("sales", "provisioning")), run_worker)
    make_user("admin", username="ada", is_staff=True, is_superuser=True)
    log_in(page, live_server, "ada")
    pages = [path for path in staff_pages() if not path.endswith(".pdf")]

    for path in pages:
        response = page.goto(live_server.url + path)
        assert response is not None, path
        assert response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"], path

    # The admin's scripts run: the theme toggle and the inline forms' "add another".
    page.goto(live_server.url + reverse("admin:crm_account_add"))
    page.get_by_text("Add another Contact").click()
    expect(page.locator("#contacts-0")).to_be_visible()


def test_the_api_docs_render_from_our_own_files(page, live_server):
    make_user("sales", username="sam")
    log_in(page, live_server, "sam")
    outside: list[str] = []

    def note(request) -> None:
        if not request.url.startswith((live_server.url, "data:")):
            outside.append(request.url)

    page.on("request", note)

    page.goto(f"{live_server.url}/tmf-api/docs")

    # Swagger UI fetches and lays out the whole document (95 operations) first: on a loaded
    # machine (CI's PostgreSQL pass, browsers beside it) that took longer than the default 5 s.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Headend TM Forum Open API", timeout=30_000)
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert outside == []


def test_the_customer_signs_under_the_policy(page, live_server, run_worker):
    make_offer()
    run_worker()
    path = link_from_outbox()

    page.goto(live_server.url + path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Read the full quote (PDF").click()

    assert download.value.suggested_filename.endswith(".pdf")


def test_an_uploaded_page_is_downloaded_never_run(page, live_server, client, run_worker):
    """The issue's reproduction in a browser: an attachment stored before these rules, a page
    named x.html, opened by an admin from the work order."""
    build_minimal_records(TMFClient.for_user(client, make_user("sales", "provisioning")), run_worker)
    task = Task.objects.first()
    path = default_storage.save("task-attachments/2026/03/x.html", ContentFile(PAGE))
    TaskAttachment.objects.create(task=task, file=path, name="x.html", uploaded_at=clock.now())
    make_user("admin", username="ada", is_staff=True, is_superuser=True)
    log_in(page, live_server, "ada")

    page.goto(live_server.url + reverse("fulfillment:work_order_detail", args=[task.work_order_id]))
    with page.expect_download() as download:
        page.get_by_role("link", name="x.html").click()

    assert download.value.suggested_filename == "x.html.bin"
    assert page.title() != "ran"
    assert page.url == live_server.url + reverse("fulfillment:work_order_detail", args=[task.work_order_id])


def test_removing_a_webhook_listener_still_asks_first(page, live_server):
    """The question an inline onsubmit asked now comes from a static script (data-confirm)."""
    admin = make_user("admin", username="ada", is_staff=True, is_superuser=True)
    listener = Subscription.objects.create(
        api="serviceInventory/v4",
        callback="https://crm.example.com/hooks",
        secret="s",
        created_by=admin,
        created_at=clock.now(),
    )
    log_in(page, live_server, "ada")
    page.goto(live_server.url + reverse("hub:webhooks"))
    questions: list[str] = []

    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Remove").click()
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Remove").click()

    expect(page.get_by_text("Listener https://crm.example.com/hooks removed")).to_be_visible()
    assert questions == ["Remove this listener? Nothing more will be sent to it."] * 2
    listener.refresh_from_db()
    assert listener.deleted_at is not None
