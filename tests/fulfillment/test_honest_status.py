"""Honest status: a work order is late only when its forecast passes its committed finish plus
the grace; the boards, the work-order list and "needs attention" say so, and say what is
blocked; "critical" is shown only where it helps."""

import datetime as dt

import pytest
from django.urls import reverse

from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.core.boards import BoardFilters
from headend.fulfillment import boards, selectors, services
from headend.fulfillment.models import Task, WorkOrder
from headend.quoting import services as quoting_services
from tests.conftest import FROZEN_AT
from tests.factories import (
    make_account,
    make_change_catalog,
    make_live_service,
    make_location,
    make_product,
    make_quote,
    make_user,
)

pytestmark = pytest.mark.django_db

EST = dt.timezone(dt.timedelta(hours=-5))  # Mon 2 March 2026; FROZEN_AT is 10:00 there
EDT = dt.timezone(dt.timedelta(hours=-4))  # from Sunday 8 March


def accepted_work_order(version=None) -> WorkOrder:
    account = make_account()
    quote = quoting_services.quote_create(account=account, name="Status test")
    quoting_services.quote_line_add(
        quote=quote, location=make_location(account), product_version=version or make_product(), term_months=12
    )
    quoting_services.quote_accept(quote=quoting_services.quote_present(quote=quote), accepted_by_name="Pat")
    return WorkOrder.objects.get(order_line__order__quote=quote)


def upgraded_active_service() -> WorkOrder:
    """The work order of an upgrade of an active service."""
    catalog = make_change_catalog()
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    quote = make_quote(account=account, lines=0)
    quoting_services.quote_line_change(
        quote=quote, service=service, action="upgrade", product_version=catalog["two_gig"]
    )
    quoting_services.quote_accept(quote=quoting_services.quote_present(quote=quote), accepted_by_name="Pat")
    return WorkOrder.objects.get(service=service, status="pending")


def pages(client) -> dict[str, str]:
    return {
        name: client.get(reverse(name)).content.decode()
        for name in ("fulfillment:board", "inventory:service_board", "fulfillment:work_order_list")
    }


def promise(work_order: WorkOrder, committed: dt.datetime, forecast: dt.datetime) -> None:
    WorkOrder.objects.filter(pk=work_order.pk).update(committed_finish=committed, forecast_finish=forecast)


def test_a_fresh_order_is_late_nowhere_and_is_committed_to_the_delivery_target(client, run_worker):
    client.force_login(make_user("provisioning"))
    fresh = accepted_work_order()
    upgrade = upgraded_active_service()
    run_worker()

    for name, html in pages(client).items():
        assert fresh.number in html, name
        assert upgrade.number in html, name
        for words in ("Late by", "Overdue", "needs attention", "Blocked:"):
            assert words not in html, (name, words)
    columns = boards.work_order_board(user=make_user("admin"), filters=BoardFilters(), at=FROZEN_AT)
    cards = [card for column in columns for card in column.cards]
    assert [card.late_by for card in cards] == ["", "", ""]  # the two open, and the live service's install
    fresh.refresh_from_db()
    # Twenty working days of nine hours from the order, Monday 10:00: a promise the plan keeps.
    assert fresh.committed_finish == dt.datetime(2026, 3, 30, 10, tzinfo=EDT)
    assert fresh.planned_finish < fresh.committed_finish
    assert not WorkOrder.objects.filter(boards.work_order_late_q(FROZEN_AT)).exists()


@pytest.mark.parametrize("days", [0, 1])
def test_work_that_takes_longer_than_the_target_is_committed_to_its_plan(settings, days):
    settings.HEADEND_DELIVERY_TARGET_WORKING_DAYS = days
    work_order = accepted_work_order(make_product(tasks=[TaskSpec("Build", planned_minutes=2 * 540)]))

    work_order.refresh_from_db()
    assert work_order.committed_finish == work_order.planned_finish == dt.datetime(2026, 3, 4, 10, tzinfo=EST)


@pytest.mark.parametrize(
    ("forecast", "late_by"),
    [
        (dt.datetime(2026, 3, 2, 14, tzinfo=EST), ""),  # 4 h past the promise: within the grace
        (dt.datetime(2026, 3, 2, 14, 1, tzinfo=EST), "4 h 1 min"),
        (dt.datetime(2026, 3, 3, 13, tzinfo=EST), "1 d 3 h"),  # Mon 10:00-17:00 and Tue 08:00-13:00
    ],
)
def test_late_is_past_the_committed_finish_by_more_than_the_grace(client, forecast, late_by):
    client.force_login(make_user("provisioning"))
    work_order = accepted_work_order()
    promise(work_order, committed=dt.datetime(2026, 3, 2, 10, tzinfo=EST), forecast=forecast)

    html = pages(client)

    for name in ("fulfillment:board", "inventory:service_board"):
        assert (f"Late by {late_by}" in html[name]) is bool(late_by), name
    assert ("needs attention: late" in html["fulfillment:work_order_list"]) is bool(late_by)
    assert WorkOrder.objects.filter(boards.work_order_late_q(FROZEN_AT)).exists() is bool(late_by)
    late_only = client.get(reverse("fulfillment:board"), {"overdue": "1"}).context["columns"]
    assert [card.work_order for card in late_only[0].cards] == ([work_order] if late_by else [])


def test_the_grace_is_the_providers_to_set(settings):
    settings.HEADEND_LATE_GRACE_MINUTES = 0
    work_order = accepted_work_order()
    promise(work_order, committed=FROZEN_AT, forecast=FROZEN_AT + dt.timedelta(minutes=1))

    assert list(WorkOrder.objects.filter(boards.work_order_late_q(FROZEN_AT))) == [work_order]


def test_open_work_whose_forecast_is_in_the_past_is_measured_from_now():
    on_time, overdue = accepted_work_order(), accepted_work_order()
    promise(on_time, committed=FROZEN_AT + dt.timedelta(days=3), forecast=FROZEN_AT - dt.timedelta(days=4))
    # Promised Thursday 10:00, forecast Thursday 09:00 and never planned again: still open on Monday.
    thursday = dt.datetime(2026, 2, 26, 10, tzinfo=EST)
    promise(overdue, committed=thursday, forecast=thursday - dt.timedelta(hours=1))

    assert list(WorkOrder.objects.filter(boards.work_order_late_q(FROZEN_AT))) == [overdue]
    overdue.refresh_from_db()
    calendar = selectors.provider_calendar()
    minutes = selectors.late_minutes(
        committed=overdue.committed_finish, forecast=overdue.forecast_finish, at=FROZEN_AT, calendar=calendar
    )
    assert minutes == 2 * 540  # Thu 10:00-17:00, Fri 08:00-17:00, Mon 08:00-10:00


def test_finished_work_is_never_late(run_worker):
    work_order = accepted_work_order(make_product(tasks=[TaskSpec("Turn up", turns_up=True)]))
    services.task_complete(task=work_order.tasks.get(), completed_by=None)
    promise(work_order, committed=FROZEN_AT - dt.timedelta(days=10), forecast=FROZEN_AT)

    assert not WorkOrder.objects.filter(boards.work_order_late_q(FROZEN_AT)).exists()


def test_a_blocked_task_shows_on_the_cards_in_the_list_and_needs_attention(client):
    client.force_login(make_user("provisioning"))
    blocked, flagged, late, fine = (accepted_work_order() for _ in range(4))
    services.task_block(task=blocked.tasks.get(position=1), reason="No access to the building", blocked_by=None)
    WorkOrder.objects.filter(pk=flagged.pk).update(flagged_reason="2. Assign circuit failed: refused")
    promise(late, committed=FROZEN_AT - dt.timedelta(days=7), forecast=FROZEN_AT + dt.timedelta(days=1))

    html = pages(client)

    assert html["fulfillment:board"].count("Blocked: No access to the building") == 1
    assert html["inventory:service_board"].count("Blocked: No access to the building") == 1
    attention = selectors.work_orders_needing_attention(user=make_user("provisioning"), at=FROZEN_AT)
    assert {work_order.pk for work_order in attention} == {blocked.pk, flagged.pk, late.pk}
    by_pk = {work_order.pk: work_order for work_order in attention}
    assert [task.blocked_reason for task in by_pk[blocked.pk].blocked_tasks] == ["No access to the building"]
    assert (by_pk[blocked.pk].has_blocked_task, by_pk[late.pk].is_late) == (True, True)
    assert html["fulfillment:work_order_list"].count('data-testid="needs-attention"') == 3
    assert "needs attention: blocked" in html["fulfillment:work_order_list"]
    listed = client.get(reverse("fulfillment:work_order_list"), {"flagged": "1"}).content.decode()
    assert {wo.number for wo in (blocked, flagged, late) if wo.number in listed} == {
        blocked.number,
        flagged.number,
        late.number,
    }
    assert fine.number not in listed


def branching_work_order() -> WorkOrder:
    """Survey, build, turn-up on the critical path; paperwork beside it with most of a day of slack."""
    return accepted_work_order(
        make_product(
            tasks=[
                TaskSpec("Survey", role="provisioning", planned_minutes=240),
                TaskSpec("Build", role="provisioning", planned_minutes=480, depends_on=["Survey"]),
                TaskSpec("Paperwork", role="provisioning", planned_minutes=15),
                TaskSpec("Turn up", role="provisioning", planned_minutes=60, depends_on=["Build", "Paperwork"]),
            ]
        )
    )


def shown(work_order: WorkOrder) -> dict[str, bool]:
    """Each task's `show_critical`, read as the work-order page reads its tasks."""
    loaded = selectors.work_order_get_for(user=make_user("admin"), work_order_id=work_order.pk)
    return {task.name: task.show_critical for task in loaded.tasks.all()}


def test_critical_is_shown_only_when_the_promise_is_near():
    work_order = branching_work_order()
    assert set(Task.objects.filter(work_order=work_order, critical=True).values_list("name", flat=True)) == {
        "Survey",
        "Build",
        "Turn up",
    }

    assert shown(work_order) == {"Survey": False, "Build": False, "Paperwork": False, "Turn up": False}

    work_order.refresh_from_db()
    promise(
        work_order, committed=work_order.forecast_finish + dt.timedelta(hours=2), forecast=work_order.forecast_finish
    )
    assert shown(work_order) == {"Survey": True, "Build": True, "Paperwork": False, "Turn up": True}


def test_a_task_left_idle_past_its_slack_and_the_margin_is_late_to_start():
    work_order = branching_work_order()
    paperwork = Task.objects.get(work_order=work_order, name="Paperwork")
    work_order.refresh_from_db()
    promise(work_order, committed=work_order.forecast_finish, forecast=work_order.forecast_finish)
    assert paperwork.slack_minutes == 705

    with clock.frozen(FROZEN_AT + dt.timedelta(hours=7)):  # 17:00: idle 420 minutes, within its slack
        assert shown(work_order)["Paperwork"] is False
    with clock.frozen(FROZEN_AT + dt.timedelta(days=1, hours=7)):  # Tuesday 17:00: idle 960
        assert shown(work_order)["Paperwork"] is True
    services.task_complete(task=paperwork, completed_by=None)
    with clock.frozen(FROZEN_AT + dt.timedelta(days=1, hours=7)):
        assert shown(work_order)["Paperwork"] is False  # done
