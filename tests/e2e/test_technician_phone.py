"""A technician on a 390 px phone (issue 18): My work for next week shows the booked visit; its
work order says where, who, how to get in, what to bring and when; on the day, one Complete
with the checklist and a photo finishes the task, and the history says who did it."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from headend.catalog.models import Skill
from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.crm import services as crm_services
from headend.fulfillment import selectors, services
from headend.fulfillment.models import Technician, WorkOrder
from tests.factories import make_product, make_quote, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path("test-results")
MONDAY = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # Mon 2 March, 10:00 in Maine
VISIT_DAY = dt.datetime(2026, 3, 9, 13, 30, tzinfo=dt.UTC)  # Mon 9 March, 09:30 in Maine (EDT)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
CHECKS = ["Light level at ONT within range", "Speed test saved"]


def a_visit_booked_for_next_week() -> WorkOrder:
    splicing = Skill.objects.create(code="splicing", name="Splicing")
    version = make_product(
        tasks=[
            TaskSpec(
                "Splice at cabinet",
                role="provisioning",
                skill="splicing",
                planned_minutes=240,
                needs_appointment=True,
                checklist=CHECKS,
                equipment=["Fusion splicer", "ONT", "Drop cable, 50 m"],
            ),
            TaskSpec("Activate", role="provisioning", planned_minutes=30, depends_on=["Splice at cabinet"]),
        ]
    )
    work_order = WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted", version=version))
    location = work_order.site
    ada = crm_services.contact_create(
        account=location.account, first_name="Ada", last_name="Quoddy", phone="207-555-0199", role="site"
    )
    crm_services.location_update(
        location=location,
        name="Cannery office",
        line1=location.line1,
        city=location.city,
        state=location.state,
        postal_code=location.postal_code,
        latitude=Decimal("44.906111"),
        longitude=Decimal("-66.989722"),
        site=crm_services.SiteAccess(
            access_notes="Gate code 4411. Park by the loading dock; the cabinet is behind the ice house.",
            site_contact=ada,
        ),
    )
    tom = make_user("provisioning", username="tom", first_name="Tom", last_name="Tech")
    Technician.objects.create(user=tom).skills.add(splicing)
    task = work_order.tasks.get(position=1)
    slot = next(s for s in selectors.appointment_slots(task=task) if clock.local_date(s.start) >= dt.date(2026, 3, 9))
    services.appointment_book(task=task, start=slot.start, booked_by=None)
    return work_order


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def assert_fits(page):
    """Nothing wider than the phone: the page never scrolls sideways."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def test_a_technician_finds_next_weeks_visit_and_completes_it_on_the_day(page, live_server):
    with clock.frozen(MONDAY):
        work_order = a_visit_booked_for_next_week()
        page.set_viewport_size({"width": 390, "height": 844})
        log_in(page, live_server, "tom")

        # My work, next week: the visit with its window, site and a phone to call.
        page.goto(f"{live_server.url}/work/my-work/")
        page.get_by_label("From", exact=True).fill("2026-03-09")
        page.get_by_label("To", exact=True).fill("2026-03-15")
        page.get_by_role("button", name="Show").click()
        day = page.get_by_test_id("work-day")
        expect(day.get_by_role("heading")).to_have_text("Monday, March 9")
        card = day.get_by_test_id("work-card")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("Visit 08:00\N{EN DASH}12:00")
        expect(card).to_contain_text("Splice at cabinet")
        expect(card.get_by_role("button", name="Call Ada")).to_have_attribute("href", "tel:+12075550199")
        assert_fits(page)
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / "issue18-my-work-390.png"), full_page=True)

        # The visit's work order: where, who, how to get in, what to bring, when.
        card.get_by_role("link", name=re.compile("Splice at cabinet")).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Work order {work_order.number}")
        sheet = page.get_by_test_id("site-sheet")
        expect(sheet).to_contain_text("Cannery office")
        expect(sheet.get_by_test_id("contact-phone")).to_have_attribute("href", "tel:+12075550199")
        expect(sheet.get_by_test_id("access-notes")).to_contain_text("Gate code 4411")
        expect(sheet.get_by_test_id("map-link")).to_have_attribute(
            "href", "https://www.openstreetmap.org/?mlat=44.906111&mlon=-66.989722#map=18/44.906111/-66.989722"
        )
        expect(sheet.get_by_test_id("geo-link")).to_have_attribute("href", "geo:44.906111,-66.989722")
        expect(sheet.get_by_test_id("equipment").locator("li")).to_have_text(
            [re.compile("^Fusion splicer"), re.compile("^ONT"), re.compile("^Drop cable, 50 m")]
        )
        expect(sheet.get_by_test_id("visit-window")).to_contain_text("Mon Mar 9, 08:00\N{EN DASH}12:00")
        expect(page.locator("#task-" + str(work_order.tasks.get(position=1).pk))).to_contain_text("4 h")
        assert_fits(page)
        page.screenshot(path=str(RESULTS / "issue18-technician-phone.png"), full_page=True)

    # On the day: one Complete, the checklist in the row; a missing tick is named, then done with a photo.
    with clock.frozen(VISIT_DAY):
        page.reload()
        task = work_order.tasks.get(position=1)
        row = page.locator(f"#task-{task.pk}")
        expect(row.get_by_role("button", name=re.compile("Complete"))).to_have_count(1)
        row.get_by_role("button", name="Complete", exact=True).click()
        form = row.get_by_test_id("complete-form")  # opened in the row (htmx)
        expect(form.get_by_role("checkbox")).to_have_count(2)
        form.get_by_label(CHECKS[0]).check()
        form.get_by_role("button", name="Complete “Splice at cabinet”").click()

        # Without JavaScript or with it, the refusal comes back on the checklist, in words.
        expect(page.get_by_role("alert").first).to_contain_text("not ticked: “Speed test saved”")
        form = page.get_by_test_id("complete-form")
        form.get_by_label(CHECKS[0]).check()
        form.get_by_label(CHECKS[1]).check()
        form.get_by_label("Notes").fill("-18.2 dBm at the ONT; speed test 940/930")
        form.get_by_label(re.compile("Photos or documents")).set_input_files(
            files=[{"name": "ont-light-level.png", "mimeType": "image/png", "buffer": PNG}]
        )
        assert_fits(page)
        page.screenshot(path=str(RESULTS / "issue18-complete-form-390.png"), full_page=True)
        form.get_by_role("button", name="Complete “Splice at cabinet”").click()

        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Work order {work_order.number}")
        expect(page.get_by_text("Done: Splice at cabinet.")).to_be_visible()
        history = page.get_by_test_id("history")
        expect(history.locator("li").filter(has_text="completed “Splice at cabinet”")).to_contain_text(
            "Tom Tech completed “Splice at cabinet” · Mar 9, 09:30"
        )
        expect(history).to_contain_text("Tom Tech attached “ont-light-level.png” to “Splice at cabinet”")
        expect(page.locator(f"#task-{task.pk}").get_by_role("link", name="ont-light-level.png")).to_be_visible()
        assert_fits(page)

    task.refresh_from_db()
    assert (task.status, task.completed_by.username, task.notes) == (
        "done",
        "tom",
        "-18.2 dBm at the ONT; speed test 940/930",
    )
    assert [item["done"] for item in task.checklist] == [True, True]
    assert task.attachments.get().name == "ont-light-level.png"
