"""Case use cases: opening with the customer's context, the SLA clocks as the case moves,
notes and replies, the role rules, and bad input that changes nothing."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.core.errors import Conflict, Forbidden, ValidationError
from headend.core.models import OutboxEvent
from headend.support import cases
from headend.support.models import Case, CaseAttachment, CaseNote, Queue, SlaPolicy
from tests.factories import make_account, make_live_service, make_location, make_product, make_user

pytestmark = pytest.mark.django_db

NY = dt.timezone(dt.timedelta(hours=-5))  # EST on 2 March 2026; the frozen clock is 10:00 there


@pytest.fixture
def agent():
    return make_user("support")


@pytest.fixture
def service():
    return make_live_service(make_account(), make_product(tasks=[TaskSpec("Install")]))


def open_case(service, agent, **values):
    return cases.case_open(
        **{"account": service.account, "service": service, "type": "no_service", "channel": "phone"}
        | {"subject": "No light on the ONT", "by": agent}
        | values
    )


def test_a_case_carries_the_service_location_and_product(service, agent):
    case = open_case(service, agent)
    assert (case.account, case.location, case.product) == (
        service.account,
        service.location,
        service.product_version.product,
    )
    assert case.status == "new"
    assert case.reference == f"CS-{case.pk:06d}"
    assert OutboxEvent.objects.filter(name="case.created", subject_id=str(case.pk)).count() == 1


def test_business_p3_due_on_the_business_calendar(service, agent):
    # Opened Monday 10:00 New York; business P3: response 4 working hours, resolution 2 days (1080 min).
    case = open_case(service, agent, priority="p3")
    assert case.response_due_at == dt.datetime(2026, 3, 2, 14, 0, tzinfo=NY)
    assert case.resolution_due_at == dt.datetime(2026, 3, 4, 10, 0, tzinfo=NY)


def test_a_policy_row_overrides_the_default_targets(service, agent):
    SlaPolicy.objects.create(priority="p2", customer_type="business", response_minutes=15, resolution_minutes=120)
    case = open_case(service, agent, priority="p2")
    assert case.response_due_at == dt.datetime(2026, 3, 2, 10, 15, tzinfo=NY)
    assert case.resolution_due_at == dt.datetime(2026, 3, 2, 12, 0, tzinfo=NY)


def test_waiting_on_the_customer_stops_the_resolution_clock(service, agent):
    SlaPolicy.objects.create(priority="p2", customer_type="business", response_minutes=15, resolution_minutes=120)
    case = open_case(service, agent, priority="p2")
    case = cases.case_transition(case=case, to="waiting", by=agent)
    assert case.first_response_at == clock.now()
    with clock.frozen(clock.now() + dt.timedelta(hours=3)):
        cases.case_note_add(case=case, kind="customer", body="Still down after the reboot.", author_name="Ada")
    case.refresh_from_db()
    assert (case.status, case.paused_minutes, case.paused_since) == ("in_progress", 180, None)
    assert case.resolution_due_at == dt.datetime(2026, 3, 2, 15, 0, tzinfo=NY)


def test_raising_the_priority_sets_new_targets(service, agent):
    case = open_case(service, agent, priority="p4")
    case = cases.case_update(case=case, by=agent, priority="p1")
    # Business P1 runs round the clock: 30 min and 4 h from when it opened.
    assert case.response_due_at == dt.datetime(2026, 3, 2, 10, 30, tzinfo=NY)
    assert case.resolution_due_at == dt.datetime(2026, 3, 2, 14, 0, tzinfo=NY)


def test_a_reply_is_the_first_response(service, agent):
    case = open_case(service, agent)
    cases.case_note_add(case=case, kind="reply", body="We are looking at it.", by=agent)
    case.refresh_from_db()
    assert case.first_response_at == clock.now()


def test_resolve_needs_what_was_done_and_the_customer_can_reopen(service, agent):
    case = open_case(service, agent)
    with pytest.raises(ValidationError) as refused:
        cases.case_transition(case=case, to="resolved", by=agent)
    assert refused.value.field == "resolution"
    case.refresh_from_db()
    assert case.status == "new"
    case = cases.case_transition(case=case, to="resolved", by=agent, resolution="Replaced the ONT.")
    assert case.resolved_at == clock.now()
    cases.case_note_add(case=case, kind="customer", body="It dropped again.")
    case.refresh_from_db()
    assert (case.status, case.resolved_at) == ("in_progress", None)


def test_a_closed_case_takes_internal_notes_only(service, agent):
    case = open_case(service, agent)
    case = cases.case_transition(case=case, to="resolved", by=agent, resolution="Fixed.")
    case = cases.case_transition(case=case, to="closed", by=agent)
    with pytest.raises(Conflict):
        cases.case_note_add(case=case, kind="customer", body="Hello?")
    cases.case_note_add(case=case, kind="internal", body="Customer wrote after closing.", by=agent)
    assert [note.kind for note in case.notes.all()] == ["internal"]


def test_not_every_move_is_allowed(service, agent):
    case = open_case(service, agent)
    with pytest.raises(Conflict):
        cases.case_transition(case=case, to="closed", by=agent)


def test_roles(service):
    sales = make_user("sales")
    case = open_case(service, sales)  # sales may open a case for the customer on the phone
    with pytest.raises(Forbidden):
        cases.case_transition(case=case, to="in_progress", by=sales)
    with pytest.raises(Forbidden):
        cases.case_note_add(case=case, kind="internal", body="x", by=sales)
    with pytest.raises(Forbidden):
        open_case(service, make_user("finance"))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"subject": "  "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"type": "flood"}, "type"),
        ({"priority": "p9"}, "priority"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(service, agent, values, field):
    with pytest.raises(ValidationError) as refused:
        open_case(service, agent, **values)
    assert refused.value.field == field
    assert not Case.objects.exists()


def test_another_accounts_service_location_or_contact_is_refused(service, agent):
    other = make_account()
    other_location = make_location(other)
    with pytest.raises(ValidationError) as refused:
        cases.case_open(account=other, service=service, type="slow", channel="phone", subject="Slow", by=agent)
    assert refused.value.field == "service"
    with pytest.raises(ValidationError) as refused:
        open_case(service, agent, location=other_location)
    assert refused.value.field == "location"
    assert not Case.objects.exists()


def test_assignee_must_work_cases(service, agent):
    with pytest.raises(ValidationError) as refused:
        open_case(service, agent, assignee=make_user("sales"))
    assert refused.value.field == "assignee"


def test_new_cases_land_in_the_default_queue(service, agent):
    queue = Queue.objects.create(name="Tier 1", is_default=True)
    assert open_case(service, agent).queue == queue


def test_attachments_are_checked_and_kept_with_the_note(service, agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = open_case(service, agent)
    png = SimpleUploadedFile("speed.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")
    note = cases.case_note_add(case=case, kind="internal", body="Speed test attached.", by=agent, uploads=[png])
    assert [(a.name, a.content_type, a.note_id) for a in CaseAttachment.objects.all()] == [
        ("speed.png", "image/png", note.pk)
    ]
    page = SimpleUploadedFile("x.html", b"<html><script>alert(1)</script></html>", content_type="text/plain")
    with pytest.raises(ValidationError) as refused:
        cases.case_note_add(case=case, kind="internal", body="Another.", by=agent, uploads=[page])
    assert refused.value.field == "attachments"
    assert CaseNote.objects.count() == 1


def test_link_refuses_a_loop(service, agent):
    first, second = open_case(service, agent), open_case(service, agent)
    cases.case_link(case=second, parent=first, by=agent)
    with pytest.raises(ValidationError):
        cases.case_link(case=first, parent=second, by=agent)
    with pytest.raises(ValidationError):
        cases.case_link(case=first, parent=first, by=agent)
