"""The technician's work order (issue 18): the site sheet (contact, access, map, what to bring,
the visit), one Complete with the checklist and photos, durations in hours and days, history in
words, and My work for any range of days."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headend.catalog.models import Skill
from headend.catalog.services import TaskSpec
from headend.core.errors import ValidationError
from headend.core.models import OutboxEvent
from headend.crm import services as crm_services
from headend.fulfillment import field_work, selectors, services, work_history
from headend.fulfillment.models import Task, TaskAttachment, Technician, WorkOrder
from tests.factories import make_account, make_product, make_quote, make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
CHECKS = ["Light level at ONT within range", "Speed test saved"]


def splice_work_order(**quote) -> WorkOrder:
    """A fiber install: splicing (2 d 3 h, needs the splicer and a visit), then the ONT."""
    Skill.objects.get_or_create(code="splicing", defaults={"name": "Splicing"})
    version = make_product(
        tasks=[
            TaskSpec(
                "Splice at cabinet",
                role="provisioning",
                skill="splicing",
                planned_minutes=2 * 540 + 180,
                needs_appointment=True,
                checklist=CHECKS,
                equipment=["Fusion splicer", "ONT"],
            ),
            TaskSpec(
                "Install ONT",
                role="provisioning",
                planned_minutes=90,
                depends_on=["Splice at cabinet"],
                equipment=["ont", "2 m patch cord"],
            ),
        ]
    )
    return WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted", version=version, **quote))


def splicer(**names) -> Technician:
    user = make_user("provisioning", username=names.pop("username", None), **names)
    technician = Technician.objects.create(user=user)
    technician.skills.add(Skill.objects.get(code="splicing"))
    return technician


def test_equipment_is_copied_from_the_template_onto_each_task():
    work_order = splice_work_order()

    assert [task.equipment for task in work_order.tasks.order_by("position")] == [
        ["Fusion splicer", "ONT"],
        ["ont", "2 m patch cord"],
    ]


def test_the_site_sheet_brings_each_thing_once_for_the_open_tasks_and_links_the_map():
    work_order = splice_work_order()
    location = work_order.site
    location.latitude, location.longitude = Decimal("44.906111"), Decimal("-66.989722")
    location.save()

    sheet = field_work.site_sheet(work_order=work_order, tasks=list(work_order.tasks.all()))

    assert [(item.name, item.tasks) for item in sheet.equipment] == [
        ("Fusion splicer", ("1. Splice at cabinet",)),
        ("ONT", ("1. Splice at cabinet", "2. Install ONT")),
        ("2 m patch cord", ("2. Install ONT",)),
    ]
    assert sheet.map_url == (
        "https://www.openstreetmap.org/?mlat=44.906111&mlon=-66.989722#map=18/44.906111/-66.989722"
    )
    assert sheet.geo_uri == "geo:44.906111,-66.989722"


def test_a_site_not_placed_yet_says_so_and_its_contact_and_access_notes_show(client):
    work_order = splice_work_order()
    location = work_order.site
    ada = crm_services.contact_create(
        account=location.account, first_name="Ada", last_name="Quoddy", phone="207-555-0199", role="site"
    )
    crm_services.location_update(
        location=location,
        line1=location.line1,
        city=location.city,
        state=location.state,
        postal_code=location.postal_code,
        site=crm_services.SiteAccess(access_notes="Gate code 4411; the dog is friendly", site_contact=ada),
    )
    client.force_login(make_user("provisioning"))

    page = client.get(reverse("fulfillment:work_order_detail", args=[work_order.pk])).content.decode()

    assert 'href="tel:+12075550199"' in page
    assert "Gate code 4411; the dog is friendly" in page
    assert "Map: not placed yet" in page
    assert "openstreetmap" not in page


def test_a_site_contact_of_another_account_is_refused_and_nothing_is_written():
    work_order = splice_work_order()
    location = work_order.site
    stranger = crm_services.contact_create(
        account=make_account(), first_name="Eve", last_name="Other", email="eve@example.com"
    )

    with pytest.raises(ValidationError) as refused:
        crm_services.location_update(
            location=location,
            line1=location.line1,
            city=location.city,
            state=location.state,
            postal_code=location.postal_code,
            name="Renamed",
            site=crm_services.SiteAccess(access_notes="Gate 4411", site_contact=stranger),
        )

    assert (refused.value.field, refused.value.code) == ("site_contact", "foreign_contact")
    location.refresh_from_db()
    assert (location.name, location.access_notes, location.site_contact_id) == ("", "", None)


def test_the_location_form_refuses_another_accounts_contact_on_its_field(client):
    work_order = splice_work_order()
    location = work_order.site
    stranger = crm_services.contact_create(
        account=make_account(), first_name="Eve", last_name="Other", email="eve@example.com"
    )
    client.force_login(make_user("sales"))
    address = {"line1": location.line1, "city": location.city, "state": location.state}

    response = client.post(
        reverse("crm:location_edit", args=[location.pk]),
        {**address, "postal_code": location.postal_code, "site_contact": stranger.pk, "access_notes": "Gate"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["site_contact"] == ["Pick one of this account's contacts."]
    location.refresh_from_db()
    assert (location.access_notes, location.site_contact_id) == ("", None)


def test_complete_with_an_item_not_ticked_is_refused_naming_it_and_writes_nothing():
    work_order = splice_work_order()
    task = work_order.tasks.get(position=1)
    events_before = OutboxEvent.objects.count()
    history_before = task.history.count()

    with pytest.raises(ValidationError) as refused:
        services.task_complete(
            task=task,
            completed_by=make_user("provisioning"),
            notes="-18 dBm",
            checklist=[CHECKS[0]],
            attachments=[SimpleUploadedFile("ont.png", PNG, content_type="image/png")],
        )

    assert (refused.value.field, refused.value.message) == (
        "checklist",
        "Tick every checklist item first; not ticked: “Speed test saved”.",
    )
    task.refresh_from_db()
    assert (task.status, task.notes, [item["done"] for item in task.checklist]) == ("ready", "", [False, False])
    assert (TaskAttachment.objects.count(), OutboxEvent.objects.count()) == (0, events_before)
    assert task.history.count() == history_before


def test_the_api_completes_through_the_same_rule_without_the_checklist_it_is_refused():
    """The TMF API keeps its complete route for programs; the use case holds the checklist rule
    for it too: leaving the checklist out is not a way round it."""
    task = splice_work_order().tasks.get(position=1)

    with pytest.raises(ValidationError) as refused:
        services.task_complete(task=task, completed_by=make_user("provisioning"))

    assert refused.value.code == "checklist_open"
    task.refresh_from_db()
    assert task.status == "ready"


def test_completing_a_done_task_again_stores_no_file():
    task = splice_work_order().tasks.get(position=1)
    person = make_user("provisioning")
    services.task_complete(task=task, completed_by=person, checklist=CHECKS)

    with pytest.raises(Exception, match="done"):
        services.task_complete(
            task=task,
            completed_by=person,
            checklist=CHECKS,
            attachments=[SimpleUploadedFile("late.png", PNG, content_type="image/png")],
        )

    assert TaskAttachment.objects.count() == 0


def test_one_complete_button_per_task_opens_the_form_with_the_checklist(client):
    work_order = splice_work_order()
    task = work_order.tasks.get(position=1)
    client.force_login(make_user("provisioning"))

    page = client.get(reverse("fulfillment:work_order_detail", args=[work_order.pk])).content.decode()
    form = client.get(reverse("fulfillment:task_complete", args=[task.pk]), headers={"HX-Request": "true"})

    complete_url = reverse("fulfillment:task_complete", args=[task.pk])
    assert page.count(f'href="{complete_url}"') == 1
    assert "/complete_by_hand/" not in page
    assert 'action="' + complete_url not in page
    html = form.content.decode()
    assert "<html" not in html  # the row's form, for htmx to put under the task
    assert all(f'value="{item}"' in html for item in CHECKS)
    assert 'name="attachments"' in html
    assert 'name="early_reason"' not in html  # no visit booked ahead: nothing to explain


def test_completing_before_the_booked_visit_asks_why_on_its_field(client):
    technician, task = booked_next_week()
    client.force_login(technician.user)
    url = reverse("fulfillment:task_complete", args=[task.pk])

    form = client.get(url).content.decode()
    response = client.post(url, {"checklist": CHECKS})

    assert 'name="early_reason"' in form
    assert response.context["form"].errors["early_reason"] == [
        "The customer is booked for Mar 9 08:00: say why this is done before the appointment."
    ]
    task.refresh_from_db()
    assert task.status == "ready"


def test_the_complete_page_completes_with_checklist_notes_and_a_photo_in_one_go(client):
    work_order = splice_work_order()
    task = work_order.tasks.get(position=1)
    client.force_login(make_user("provisioning", username="maria", first_name="Maria", last_name="Splicer"))

    response = client.post(
        reverse("fulfillment:task_complete", args=[task.pk]),
        {
            "checklist": CHECKS,
            "notes": "-18 dBm",
            "attachments": [SimpleUploadedFile("ont.png", PNG, content_type="image/png")],
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{work_order.get_absolute_url()}#task-{task.pk}"
    task.refresh_from_db()
    assert (task.status, task.notes, task.completed_by.username) == ("done", "-18 dBm", "maria")
    assert task.attachments.get().name == "ont.png"
    page = client.get(work_order.get_absolute_url()).content.decode()
    assert "Maria Splicer</span> completed “Splice at cabinet” <span" in page
    assert "· Mar 2, 10:00" in page
    assert "Maria Splicer</span> attached “ont.png” to “Splice at cabinet”" in page


def test_the_complete_page_shows_what_is_missing_on_its_field(client):
    task = splice_work_order().tasks.get(position=1)
    client.force_login(make_user("provisioning"))

    response = client.post(reverse("fulfillment:task_complete", args=[task.pk]), {"checklist": [CHECKS[1]]})

    assert response.status_code == 200
    assert response.context["form"].errors["checklist"] == [
        "Tick every checklist item first; not ticked: “Light level at ONT within range”."
    ]
    task.refresh_from_db()
    assert task.status == "ready"


def test_durations_read_in_hours_and_days_never_minutes(client):
    work_order = splice_work_order()
    client.force_login(make_user("provisioning"))

    page = client.get(reverse("fulfillment:work_order_detail", args=[work_order.pk])).content.decode()

    assert "needs Splicing · 2 d 3 h" in page
    assert "· 1 h 30 min" in page
    assert "1260 min" not in page
    assert "90 min" not in page


def test_history_names_the_person_and_the_worker_in_words(run_worker):
    version = make_product(
        tasks=[
            TaskSpec("Survey", role="provisioning", planned_minutes=60),
            TaskSpec("Assign circuit", kind="code", code_action="inventory.assign_circuit_id", depends_on=["Survey"]),
        ]
    )
    work_order = WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted", version=version))
    maria = make_user("provisioning", first_name="Maria", last_name="Splicer")
    services.task_assign(task=work_order.tasks.get(position=1), assignee=maria, assigned_by=maria)
    services.task_complete(task=work_order.tasks.get(position=1), completed_by=maria, notes="All clear")
    run_worker()

    lines = [line.sentence for line in work_history.work_order_history(work_order=work_order)]

    assert "Maria Splicer completed “Survey”" in lines
    assert "Headend (automatic) made “Assign circuit” ready: what it waited for is done" in lines
    assert "Headend (automatic) ran “Assign circuit” (inventory.assign_circuit_id): done" in lines
    assert f"Headend (automatic) completed {work_order.number}: every task is done" in lines
    assert not any("system" in line or "in_progress" in line for line in lines)


# --- My work ------------------------------------------------------------------------------------


def booked_next_week() -> tuple[Technician, Task]:
    """A splicer with a visit booked on the first morning of next week (Monday 9 March)."""
    task = splice_work_order().tasks.get(position=1)
    technician = splicer(first_name="Tom", last_name="Tech")
    slot = next(s for s in selectors.appointment_slots(task=task, days=10) if s.start.date() >= dt.date(2026, 3, 9))
    services.appointment_book(task=task, start=slot.start, booked_by=None)
    return technician, task


def test_a_visit_booked_next_week_shows_on_my_work_for_next_week_not_for_today():
    technician, task = booked_next_week()

    next_week = field_work.my_work(user=technician.user, first=dt.date(2026, 3, 9), last=dt.date(2026, 3, 15))
    today = field_work.my_work(user=technician.user, first=dt.date(2026, 3, 2), last=dt.date(2026, 3, 2))

    assert [(day.day, [(item.task, item.appointment is not None) for item in day.items]) for day in next_week] == [
        (dt.date(2026, 3, 9), [(task, True)])
    ]
    assert today == []


def test_my_work_page_groups_by_day_with_the_visit_window_and_a_phone(client):
    technician, task = booked_next_week()
    location = task.work_order.site
    ada = crm_services.contact_create(account=location.account, first_name="Ada", last_name="Q", phone="207-555-0199")
    Location = type(location)
    Location.objects.filter(pk=location.pk).update(site_contact=ada)
    client.force_login(technician.user)

    response = client.get(reverse("fulfillment:my_work"), {"from": "2026-03-09", "to": "2026-03-15"})

    page = response.content.decode()
    assert [day.day for day in response.context["days"]] == [dt.date(2026, 3, 9)]
    assert "Monday, March 9" in page
    assert "Visit 08:00\N{EN DASH}12:00" in page
    assert "Splice at cabinet" in page
    assert 'href="tel:+12075550199">Call Ada</a>' in page


def test_open_work_from_before_the_range_is_carried_over_onto_today():
    me = make_user("provisioning")
    task = splice_work_order().tasks.get(position=1)
    Task.objects.filter(pk=task.pk).update(assignee=me, forecast_start=dt.datetime(2026, 2, 20, 14, tzinfo=dt.UTC))

    days = field_work.my_work(user=me, first=dt.date(2026, 3, 2), last=dt.date(2026, 3, 8))
    later = field_work.my_work(user=me, first=dt.date(2026, 3, 3), last=dt.date(2026, 3, 8))

    assert [(day.day, [(item.task.pk, item.carried_over) for item in day.items]) for day in days] == [
        (dt.date(2026, 3, 2), [(task.pk, True)])
    ]
    assert later == []


@pytest.mark.parametrize(
    ("first", "last", "refused"),
    [
        (dt.date(2026, 3, 2), dt.date(2026, 6, 1), None),  # 92 days
        (dt.date(2026, 3, 2), dt.date(2026, 6, 2), "Show at most 92 days at a time; this range has 93."),
        (dt.date(2026, 3, 9), dt.date(2026, 3, 8), "The last day is before the first."),
    ],
)
def test_my_work_ranges_are_at_most_92_days_and_not_reversed(first, last, refused):
    me = make_user("provisioning")
    if refused is None:
        assert field_work.my_work(user=me, first=first, last=last) == []
        return
    with pytest.raises(ValidationError) as error:
        field_work.my_work(user=me, first=first, last=last)
    assert (error.value.field, error.value.message) == ("to", refused)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "2026-13-01", "to": "2026-03-08"}, "from", "Give a date as YYYY-MM-DD."),
        ({"from": "2026-03-02", "to": "2027-03-08"}, "to", "Show at most 92 days at a time; this range has 372."),
        ({"from": "2026-03-09", "to": "2026-03-02"}, "to", "The last day is before the first."),
    ],
)
def test_my_work_with_wrong_dates_says_so_on_the_field(client, query, field, message):
    client.force_login(make_user("provisioning"))

    response = client.get(reverse("fulfillment:my_work"), query)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert response.context["days"] == []


def test_my_work_defaults_to_today_and_the_next_seven_days_with_presets(client):
    client.force_login(make_user("provisioning"))

    response = client.get(reverse("fulfillment:my_work"))

    assert (response.context["first"], response.context["last"]) == (dt.date(2026, 3, 2), dt.date(2026, 3, 9))
    assert [(p["label"], p["from"], p["to"]) for p in response.context["presets"]] == [
        ("Today", dt.date(2026, 3, 2), dt.date(2026, 3, 2)),
        ("This week", dt.date(2026, 3, 2), dt.date(2026, 3, 8)),
        ("Next 2 weeks", dt.date(2026, 3, 2), dt.date(2026, 3, 15)),
    ]
