"""Portal cases: a customer opens a case on their service, follows it and replies; staff's
internal notes stay staff's; another customer's case, service or file is a 404 that changes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from headend.catalog.services import TaskSpec
from headend.support import cases
from headend.support.models import Case, CaseAttachment, CaseNote
from tests.factories import make_live_service, make_product, make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def service(customer_login):
    return make_live_service(customer_login.account, make_product(tasks=[TaskSpec("Install")]))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def new_case(customer, service, **extra):
    data = {"service": str(service.pk), "type": "slow", "subject": "Slow evenings", "description": "Drops to 20 Mbps."}
    return customer.post("/portal/cases/new/", data | extra)


def test_open_a_case_on_a_service(customer, customer_login, service, media):
    upload = SimpleUploadedFile("speed.png", PNG, content_type="image/png")
    response = new_case(customer, service, attachments=[upload])
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/cases/{case.pk}/"
    assert (case.account, case.service, case.contact, case.channel, case.type) == (
        customer_login.account,
        service,
        customer_login.contact,
        "portal",
        "slow",
    )
    page = customer.get(f"/portal/cases/{case.pk}/").content.decode()
    assert case.reference in page
    assert "Drops to 20 Mbps." in page
    assert "speed.png" in page
    assert case.reference in customer.get("/portal/").content.decode()  # on the dashboard


def test_the_customer_reads_replies_but_not_internal_notes(customer, service):
    agent = make_user("support")
    case = cases.case_open(account=service.account, service=service, type="slow", channel="phone", subject="Slow")
    cases.case_note_add(case=case, kind="internal", body="Probably the neighbour's splitter.", by=agent)
    cases.case_note_add(case=case, kind="reply", body="We are sending a technician.", by=agent)
    page = customer.get(f"/portal/cases/{case.pk}/").content.decode()
    assert "We are sending a technician." in page
    assert "splitter" not in page


def test_a_reply_ends_the_wait(customer, service):
    agent = make_user("support")
    case = cases.case_open(account=service.account, service=service, type="slow", channel="phone", subject="Slow")
    cases.case_transition(case=case, to="waiting", by=agent)
    response = customer.post(f"/portal/cases/{case.pk}/", {"body": "Here is the speed test."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert list(case.notes.values_list("kind", "channel")) == [("customer", "portal")]


def test_an_empty_reply_is_refused_on_its_field(customer, service):
    case = cases.case_open(account=service.account, service=service, type="slow", channel="phone", subject="Slow")
    response = customer.post(f"/portal/cases/{case.pk}/", {"body": "  "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not CaseNote.objects.exists()


def test_a_file_that_is_a_page_is_refused_and_nothing_opens(customer, service, media):
    page = SimpleUploadedFile("x.html", b"<html><script>alert(1)</script></html>", content_type="image/png")
    response = new_case(customer, service, attachments=[page])
    assert response.status_code == 400
    assert not Case.objects.exists()
    assert not CaseAttachment.objects.exists()


def test_another_customers_case_service_and_file_are_404(customer, other_customer, other_login, service, media):
    theirs = make_live_service(other_login.account, make_product(tasks=[TaskSpec("Install")]))
    case = cases.case_open(account=theirs.account, service=theirs, type="slow", channel="phone", subject="Theirs")
    cases.case_attach(case=case, upload=SimpleUploadedFile("bill.png", PNG, content_type="image/png"))
    attachment = CaseAttachment.objects.get()
    assert customer.get(f"/portal/cases/{case.pk}/").status_code == 404
    assert customer.post(f"/portal/cases/{case.pk}/", {"body": "Hijack"}).status_code == 404
    assert customer.get(f"/portal/cases/{case.pk}/attachments/{attachment.pk}/").status_code == 404
    response = new_case(customer, theirs)
    assert response.status_code == 400
    assert Case.objects.count() == 1
    assert not CaseNote.objects.exists()
    assert other_customer.get(f"/portal/cases/{case.pk}/").status_code == 200


def test_staff_files_without_a_reply_stay_staff(customer, service, media):
    agent = make_user("support")
    case = cases.case_open(account=service.account, service=service, type="slow", channel="phone", subject="Slow")
    cases.case_attach(case=case, upload=SimpleUploadedFile("trace.png", PNG, content_type="image/png"), by=agent)
    attachment = CaseAttachment.objects.get()
    assert customer.get(f"/portal/cases/{case.pk}/attachments/{attachment.pk}/").status_code == 404


def test_files_download_never_inline(customer, service, media):
    new_case(customer, service, attachments=[SimpleUploadedFile("speed.png", PNG, content_type="image/png")])
    case, attachment = Case.objects.get(), CaseAttachment.objects.get()
    response = customer.get(f"/portal/cases/{case.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
