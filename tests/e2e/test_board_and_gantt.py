"""The work-order board in a browser: drag cards between columns, move one from the keyboard,
then open the order's Gantt chart."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from headend.fulfillment.models import WorkOrder
from tests.factories import make_quote, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path("test-results")


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")


def drag(card, target):
    """Drag `card` onto the list `target` in steps: SortableJS (pointer events, not the browser's
    drag and drop) starts a drag only once the pointer has moved a few pixels."""
    card.drag_to(target, steps=12)


def test_drag_work_orders_on_the_board_then_open_the_orders_gantt_chart(page, live_server):
    make_user("sales", "provisioning", username="dana", first_name="Dana")
    order = make_quote(status="accepted", lines=3).order
    first, second, third = WorkOrder.objects.filter(order_line__order=order).order_by("order_line__position")
    log_in(page, live_server, "dana")
    page.goto(f"{live_server.url}/work/board/")
    pending = page.locator('.board-list[data-status="pending"]')
    in_progress = page.locator('.board-list[data-status="in_progress"]')
    completed = page.locator('.board-list[data-status="completed"]')
    message = page.locator("#board-message")
    expect(pending.locator(".board-card")).to_have_count(3)

    # Into "In progress": the card stays there and its first task has started.
    drag(page.locator(f"#card-{first.pk}"), in_progress)
    expect(message).to_contain_text(f"{first.number} moved to In progress")
    expect(in_progress.locator(f"#card-{first.pk} .badge-in_progress")).to_have_text("In progress")
    expect(page.get_by_test_id("count-in_progress")).to_have_text("1")
    first.refresh_from_db()
    schedule = first.tasks.get(position=1)
    assert (first.status, schedule.status, schedule.assignee.username) == ("in_progress", "in_progress", "dana")

    # Into "Completed" with its tasks open: refused with the reason, the card goes back.
    drag(page.locator(f"#card-{second.pk}"), completed)
    expect(message.locator(".flash-error")).to_have_text(
        f"{second.number} not moved: A work order completes when its tasks are done; "
        "still open: 1. Schedule, 2. Install, 3. Activate."
    )
    expect(pending.locator(f"#card-{second.pk}")).to_be_visible()
    expect(completed.locator(".board-card")).to_have_count(0)
    second.refresh_from_db()
    assert second.status == "pending"
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "kanban.png"))

    # From the keyboard: the card's "Move to" list and button.
    page.get_by_label(f"Move {third.number} to").select_option(label="In progress")
    page.get_by_label(f"Move {third.number} to").press("Tab")
    page.keyboard.press("Enter")
    expect(in_progress.locator(f"#card-{third.pk} .badge-in_progress")).to_be_visible()
    expect(page.get_by_test_id("count-pending")).to_have_text("1")
    third.refresh_from_db()
    assert third.status == "in_progress"

    # The order's Gantt chart, from the card.
    page.locator(f"#card-{second.pk}").get_by_role("link", name=re.compile(r"^Gantt")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Order {order.number} schedule")
    chart = page.get_by_test_id("gantt-chart")
    expect(chart.locator("rect.bar-forecast")).to_have_count(9)
    expect(chart.locator("rect.bar-forecast.critical").first).to_be_visible()
    expect(chart.locator("path.arrow")).to_have_count(6)
    expect(chart.locator("line.marker-today")).to_have_count(1)
    expect(page.get_by_test_id("slip")).to_have_text("on plan")
    page.screenshot(path=str(RESULTS / "gantt.png"))
