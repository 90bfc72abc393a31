"""The dispatch calendar in a browser: drag an unassigned task onto a technician's day, have a
drop the rules refuse put back with the reason, move a task from the keyboard with its "Move…"
form, the same form without JavaScript, and the page on a phone (the grid scrolls inside its own
box; the page does not scroll sideways)."""

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.fulfillment.models import Skill, Task, Technician, WorkOrder
from tests.factories import make_product, make_quote, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path("test-results")


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def next_working_day() -> dt.date:
    """Tomorrow, or the Monday after: a day of the provider's calendar after today."""
    day = clock.today() + dt.timedelta(days=1)
    while day.weekday() > 4:
        day += dt.timedelta(days=1)
    return day


def drag(page, block, cell):
    """Drag `block` onto `cell` as a hand does: SortableJS (pointer events) starts a drag once the
    pointer has moved a few pixels, and looks at where it is every 50 ms, so the pointer rests
    on the cell a moment before it is let go."""
    start, end = block.bounding_box(), cell.bounding_box()
    x, y = end["x"] + end["width"] / 2, end["y"] + min(end["height"] / 2, 40)
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 12)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 - 10, start["y"] + 14, steps=3)
    page.mouse.move(x, y, steps=15)
    page.wait_for_timeout(150)
    page.mouse.move(x + 2, y + 2)
    page.wait_for_timeout(150)
    page.mouse.up()


@pytest.fixture
def work():
    """Maria splices and installs, Tom installs (Monday to Friday); two work orders of Splice
    (5 h) then Install (2 h), nobody assigned yet."""
    splicing = Skill.objects.create(code="splicing", name="Fiber splicing")
    install = Skill.objects.create(code="install", name="Customer installation")
    maria = Technician.objects.create(
        user=make_user("provisioning", username="maria", first_name="Maria", last_name="Splicer")
    )
    maria.skills.add(splicing, install)
    tom = Technician.objects.create(
        user=make_user("provisioning", username="tom", first_name="Tom", last_name="Installer")
    )
    tom.skills.add(install)
    make_user("provisioning", username="pat", first_name="Pat")
    version = make_product(
        tasks=[
            TaskSpec("Splice", role="provisioning", planned_minutes=300, skill="splicing"),
            TaskSpec("Install", role="provisioning", planned_minutes=120, skill="install", depends_on=["Splice"]),
        ]
    )
    order = make_quote(status="accepted", lines=2, version=version).order
    first, second = WorkOrder.objects.filter(order_line__order=order).order_by("order_line__position")
    return {"maria": maria, "tom": tom, "first": first, "second": second}


def test_drag_and_keyboard_moves_on_the_dispatch_calendar(page, live_server, work):
    maria, tom = work["maria"], work["tom"]
    splice = work["first"].tasks.get(name="Splice")
    other_splice = work["second"].tasks.get(name="Splice")
    install = work["first"].tasks.get(name="Install")
    day = next_working_day()
    log_in(page, live_server, "pat")
    page.goto(f"{live_server.url}/work/dispatch/?view=week&date={day:%Y-%m-%d}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dispatch")
    unassigned = page.get_by_test_id("unassigned")
    message = page.locator("#dispatch-message")
    maria_day = page.get_by_test_id(f"cell-{maria.pk}-{day:%Y-%m-%d}")
    tom_day = page.get_by_test_id(f"cell-{tom.pk}-{day:%Y-%m-%d}")
    expect(unassigned.locator(".dispatch-block")).to_have_count(4)

    # Drag the first splice onto Maria's day: hers, on that day, and the calendar drawn again.
    drag(page, page.locator(f"#block-u{splice.pk}"), maria_day)
    expect(message).to_contain_text(f"{work['first'].number} Splice: Maria Splicer, {day:%a %b %-d}.")
    expect(maria_day.locator(f'.dispatch-block[data-task="{splice.pk}"]')).to_be_visible()
    expect(page.get_by_test_id(f"load-{maria.pk}-{day:%Y-%m-%d}")).to_contain_text("of 8 h")
    expect(unassigned.locator(f'[data-task="{splice.pk}"]')).to_have_count(0)
    splice.refresh_from_db()
    assert (splice.assignee, clock.local_date(splice.not_before)) == (maria.user, day)

    # The other splice dropped on Tom, who does not splice: refused with the reason, put back.
    drag(page, page.locator(f"#block-u{other_splice.pk}"), tom_day)
    expect(message.locator(".flash-error")).to_have_text(
        f"{work['second'].number} not moved: Tom Installer lacks the skill Fiber splicing this task needs."
    )
    expect(unassigned.locator(f"#block-u{other_splice.pk}")).to_be_visible()
    assert Task.objects.get(pk=other_splice.pk).assignee is None
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "dispatch.png"), full_page=True)

    # From the keyboard: the install's "Move…" form, to Tom on that day.
    block = page.locator(f"#block-u{install.pk}")
    block.locator("summary").focus()
    page.keyboard.press("Enter")
    block.get_by_label("Technician").select_option(label="Tom Installer")
    block.get_by_label("Day").fill(f"{day:%Y-%m-%d}")
    block.get_by_label("Day").press("Tab")
    page.keyboard.press("Enter")  # on the Move button
    expect(message).to_contain_text(f"{work['first'].number} Install: Tom Installer, {day:%a %b %-d}.")
    expect(tom_day.locator(f'.dispatch-block[data-task="{install.pk}"]')).to_be_visible()
    assert Task.objects.get(pk=install.pk).assignee == tom.user
    # The moved block's "Move…" has the focus again, to go on from the keyboard.
    expect(tom_day.locator(f'.dispatch-block[data-task="{install.pk}"] summary').first).to_be_focused()


def test_the_move_form_works_without_javascript(browser, live_server, work):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    maria, splice = work["maria"], work["first"].tasks.get(name="Splice")
    day = next_working_day()
    log_in(page, live_server, "pat")
    page.goto(f"{live_server.url}/work/dispatch/?view=day&date={day:%Y-%m-%d}")

    block = page.locator(f"#block-u{splice.pk}")
    block.locator("summary").click()
    block.get_by_label("Technician").select_option(label="Maria Splicer")
    block.get_by_label("Day").fill(f"{day:%Y-%m-%d}")
    block.get_by_role("button", name="Move").click()

    expect(page.locator(".messages")).to_contain_text(f"{work['first'].number} Splice: Maria Splicer")
    assert page.url.endswith(f"/work/dispatch/?view=day&date={day:%Y-%m-%d}")
    expect(page.get_by_test_id(f"cell-{maria.pk}-{day:%Y-%m-%d}").locator(f'[data-task="{splice.pk}"]')).to_be_visible()
    context.close()


def test_on_a_phone_the_grid_scrolls_inside_its_box_and_the_page_does_not(page, live_server, work):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "pat")

    page.goto(f"{live_server.url}/work/dispatch/?view=week&date={next_working_day():%Y-%m-%d}")

    expect(page.get_by_test_id("dispatch-grid")).to_be_visible()
    widths = page.evaluate(
        """() => {
          const box = document.querySelector(".dispatch-scroll");
          return {page: document.documentElement.scrollWidth, screen: document.documentElement.clientWidth,
                  box: box.clientWidth, grid: box.scrollWidth};
        }"""
    )
    assert widths["page"] <= widths["screen"], widths  # no sideways scroll of the page
    assert widths["grid"] > widths["box"], widths  # the week scrolls inside its own box
    page.screenshot(path=str(RESULTS / "dispatch-390.png"), full_page=True)
