"""Work orders scheduled on the business calendar: baseline, forecast, slips, cancellation."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.catalog import services as catalog_services
from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.core.errors import Conflict, ValidationError
from headend.fulfillment import selectors, services
from headend.fulfillment.models import Holiday, Skill, Task, Technician, WorkOrder
from headend.inventory.models import Service
from headend.orders import services as orders_services
from headend.orders.models import Order, OrderLine
from tests.conftest import outbox_names
from tests.factories import make_location, make_product, make_quote, make_user

pytestmark = pytest.mark.django_db

EST = dt.timezone(dt.timedelta(hours=-5))
EDT = dt.timezone(dt.timedelta(hours=-4))


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    """An instant in March 2026 in New York (EST until Sunday 8 March, EDT after)."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=EST if (month, day) < (3, 8) else EDT)


def fiber_tasks() -> list[TaskSpec]:
    return [
        TaskSpec("Site survey", role="provisioning", planned_minutes=240),
        TaskSpec(
            "Build fiber lateral",
            role="provisioning",
            planned_minutes=960,
            skill="splicing",
            depends_on=["Site survey"],
            undo="Remove the fiber drop",
        ),
        TaskSpec("Assign circuit", kind="code", code_action="inventory.assign_circuit_id", planned_minutes=1),
        TaskSpec(
            "Install CPE",
            role="provisioning",
            planned_minutes=240,
            needs_appointment=True,
            depends_on=[("Build fiber lateral", 480)],
        ),
        TaskSpec(
            "Turn-up test",
            role="provisioning",
            planned_minutes=120,
            turns_up=True,
            depends_on=["Install CPE", "Assign circuit"],
        ),
    ]


@pytest.fixture
def three_site_order() -> Order:
    """A business order for three sites accepted Monday 2 March 2026, 10:00 in New York;
    Wednesday 4 March is a provider holiday."""
    Holiday.objects.create(date=dt.date(2026, 3, 4), name="Town meeting day")
    Skill.objects.create(code="splicing", name="Fiber splicing")
    version = make_product(customer_type="business", tasks=fiber_tasks())
    quote = make_quote(status="accepted", lines=3, version=version)
    return Order.objects.get(quote=quote)


def task(order: Order, site: int, name: str) -> Task:
    return Task.objects.get(work_order__order_line__order=order, work_order__order_line__position=site, name=name)


def test_the_order_is_planned_on_the_business_calendar_skipping_the_holiday(three_site_order):
    order = three_site_order

    build, install, turn_up = (task(order, 1, n) for n in ("Build fiber lateral", "Install CPE", "Turn-up test"))
    assert (build.planned_start, build.planned_finish) == (local(2, 14), local(5, 12))  # Wed 4th skipped
    assert (install.planned_start, install.planned_finish) == (local(6, 11), local(6, 15))  # after a 1-day lag
    assert (turn_up.planned_start, turn_up.planned_finish) == (local(6, 15), local(6, 17))
    order.refresh_from_db()
    assert order.planned_go_live == order.forecast_go_live == local(6, 17)
    assert WorkOrder.objects.get(order_line__order=order, order_line__position=2).planned_finish == local(6, 17)


def test_the_critical_path_runs_through_the_build_not_the_code_task(three_site_order):
    critical = Task.objects.filter(
        work_order__order_line__order=three_site_order, work_order__order_line__position=1, critical=True
    ).order_by("position")

    assert list(critical.values_list("name", flat=True)) == [
        "Site survey",
        "Build fiber lateral",
        "Install CPE",
        "Turn-up test",
    ]
    assert task(three_site_order, 1, "Assign circuit").slack_minutes > 0


def test_a_late_survey_moves_its_successors_and_the_order_forecast(three_site_order):
    order = three_site_order
    tech = make_user("provisioning")

    with clock.frozen(local(3, 10)):  # Tuesday 10:00: a day late
        services.task_complete(task=task(order, 2, "Site survey"), completed_by=tech)

    build = task(order, 2, "Build fiber lateral")
    turn_up = task(order, 2, "Turn-up test")
    assert (build.forecast_start, build.forecast_finish) == (local(3, 10), local(5, 17))
    assert turn_up.forecast_finish == local(9, 13)  # Monday after the weekend, now on daylight time
    assert turn_up.planned_finish == local(6, 17)  # the baseline stays
    order.refresh_from_db()
    # The other sites' surveys have not started by Tuesday either, so they move too.
    assert order.forecast_go_live == local(9, 17)
    assert "order.forecast_changed" in outbox_names(subject=order)


def test_booking_the_installation_appointment_moves_the_install(three_site_order):
    order = three_site_order
    technician = Technician.objects.create(user=make_user("provisioning", username="ines"))
    install = task(order, 1, "Install CPE")

    slots = selectors.appointment_slots(task=install)
    afternoon = next(slot for slot in slots if slot.start == local(6, 12))
    services.appointment_book(task=install, start=afternoon.start, booked_by=make_user("sales"))

    install.refresh_from_db()
    assert slots[0].start == local(6, 12)  # Friday morning starts before the install can
    assert (install.not_before, install.assignee, install.forecast_start) == (
        local(6, 12),
        technician.user,
        local(6, 12),
    )
    assert task(order, 1, "Turn-up test").forecast_finish == local(9, 9)  # 16:00-17:00 Fri, then Mon 08:00-09:00


def test_a_booked_slot_is_not_offered_again(three_site_order):
    Technician.objects.create(user=make_user("provisioning", username="ines"))
    first, second = task(three_site_order, 1, "Install CPE"), task(three_site_order, 2, "Install CPE")
    services.appointment_book(task=first, start=local(6, 12), booked_by=None)

    with pytest.raises(ValidationError) as error:
        services.appointment_book(task=second, start=local(6, 12), booked_by=None)

    assert error.value.code == "slot_taken"


def test_assigning_a_technician_without_the_skill_is_refused(three_site_order):
    build = task(three_site_order, 1, "Build fiber lateral")
    Technician.objects.create(user=make_user("provisioning", username="nosplice"))

    with pytest.raises(ValidationError) as error:
        services.task_assign(task=build, assignee=Technician.objects.get().user, assigned_by=None)

    assert (error.value.field, error.value.code) == ("assignee", "missing_skill")
    build.refresh_from_db()
    assert build.assignee is None


def test_assigning_a_technician_outside_their_hours_is_refused(three_site_order):
    build = task(three_site_order, 1, "Build fiber lateral")  # starts Monday 14:00
    morning = Technician.objects.create(user=make_user("provisioning"), day_start=dt.time(7), day_end=dt.time(12))
    morning.skills.add(Skill.objects.get(code="splicing"))

    with pytest.raises(ValidationError) as error:
        services.task_assign(task=build, assignee=morning.user, assigned_by=None)

    assert error.value.code == "outside_working_hours"


def test_assign_automatically_picks_the_earliest_free_qualified_technician(three_site_order):
    splicing = Skill.objects.get(code="splicing")
    busy = Technician.objects.create(user=make_user("provisioning", username="amy"), daily_capacity_minutes=600)
    free = Technician.objects.create(user=make_user("provisioning", username="bob"))
    Technician.objects.create(user=make_user("provisioning", username="cal"))  # no skill
    busy.skills.add(splicing)
    free.skills.add(splicing)
    services.task_assign(task=task(three_site_order, 2, "Build fiber lateral"), assignee=busy.user, assigned_by=None)

    services.task_assign_automatically(task=task(three_site_order, 1, "Build fiber lateral"), assigned_by=None)

    assert task(three_site_order, 1, "Build fiber lateral").assignee == free.user


def test_blocked_task_cannot_be_completed_until_unblocked(three_site_order):
    survey = task(three_site_order, 1, "Site survey")
    services.task_block(task=survey, reason="No access to the building", blocked_by=None)

    with pytest.raises(Conflict):
        services.task_complete(task=survey, completed_by=None)
    services.task_unblock(task=survey, unblocked_by=None)
    services.task_complete(task=survey, completed_by=None)

    assert task(three_site_order, 1, "Site survey").status == "done"


def test_cancelling_mid_way_cancels_open_tasks_and_asks_for_the_undo_of_done_ones(three_site_order):
    order = three_site_order
    services.task_complete(task=task(order, 1, "Site survey"), completed_by=None)
    services.task_complete(task=task(order, 1, "Build fiber lateral"), completed_by=None)

    order = orders_services.order_cancel(order=order, reason="Customer went with another provider", cancelled_by=None)

    site1 = Task.objects.filter(work_order__order_line__order=order, work_order__order_line__position=1)
    assert dict(site1.values_list("name", "status")) == {
        "Site survey": "done",
        "Build fiber lateral": "done",
        "Assign circuit": "cancelled",
        "Install CPE": "cancelled",
        "Turn-up test": "cancelled",
        "Undo: Remove the fiber drop": "ready",
    }
    assert order.status == "pending_cancellation"
    assert list(order.lines.order_by("position").values_list("status", flat=True)) == [
        "in_progress",
        "cancelled",
        "cancelled",
    ]
    assert Service.objects.get(order_line__position=2, order_line__order=order).status == "disconnected"

    services.task_complete(task=task(order, 1, "Undo: Remove the fiber drop"), completed_by=None)

    order.refresh_from_db()
    assert order.status == "cancelled"
    assert Service.objects.get(order_line__position=1, order_line__order=order).status == "disconnected"


def test_a_completed_order_cannot_be_cancelled():
    quote = make_quote(status="accepted", version=make_product(tasks=[TaskSpec("Turn up")]))
    order = Order.objects.get(quote=quote)
    services.task_complete(task=order.lines.get().work_order.tasks.get(), completed_by=None)

    with pytest.raises(Conflict) as error:
        orders_services.order_cancel(order=order, reason="Too late", cancelled_by=None)

    assert error.value.code == "order_not_cancellable"
    order.refresh_from_db()
    assert order.status == "completed"


def active_service(version=None) -> Service:
    version = version or make_product(tasks=[TaskSpec("Turn up")])
    order = Order.objects.get(quote=make_quote(status="accepted", version=version))
    services.task_complete(task=order.lines.get().work_order.tasks.get(), completed_by=None)
    return Service.objects.get(order_line__order=order)


def change_order(service: Service, *, action: str, version, location=None) -> Order:
    """An order line changing an existing service, as the CPQ issue will create them."""
    order = Order.objects.create(account=service.account, currency="USD", created_at=clock.now())
    OrderLine.objects.create(
        order=order,
        position=1,
        action=action,
        target_service=service,
        location=location or service.location,
        product_version=version,
        term_months=24,
        quantity=1,
        mrc_amount=Decimal("99.00"),
        nrc_amount=Decimal("0"),
    )
    return orders_services.order_decompose(order=order, at=clock.now())


def test_a_modify_line_applies_the_upgrade_at_turn_up_and_keeps_history():
    v1 = make_product(tasks=[TaskSpec("Turn up")])
    v2 = catalog_services.version_publish(
        version=catalog_services.version_create(
            product=v1.product,
            effective_from=dt.date(2020, 1, 1),
            prices={24: ("99.00", "0")},
            download_mbps=2000,
            upload_mbps=2000,
        )
    )
    catalog_services.template_define(
        product=v1.product, action="modify", name="Upgrade", tasks=[TaskSpec("Change the speed profile")]
    )
    service = active_service(v1)
    order = change_order(service, action="modify", version=v2)

    services.task_complete(task=order.lines.get().work_order.tasks.get(), completed_by=None)

    service.refresh_from_db()
    assert (service.product_version, service.mrc_amount, service.term_months) == (v2, Decimal("99.00"), 24)
    assert service.history.filter(product_version=v1).exists()
    order.refresh_from_db()
    assert order.status == "completed"


def test_a_delete_line_disconnects_at_turn_up_and_ends_billing():
    version = make_product(tasks=[TaskSpec("Turn up")])
    catalog_services.template_define(
        product=version.product,
        action="delete",
        name="Disconnect",
        tasks=[TaskSpec("Retrieve the ONT"), TaskSpec("Remove the subscriber")],
    )
    service = active_service(version)
    order = change_order(service, action="delete", version=version)
    service.refresh_from_db()
    assert service.status == "pending_disconnect"

    with clock.frozen(local(10, 12)):
        for name in ("Retrieve the ONT", "Remove the subscriber"):
            services.task_complete(
                task=Task.objects.get(work_order__order_line__order=order, name=name), completed_by=None
            )

    service.refresh_from_db()
    assert (service.status, service.billable_until) == ("disconnected", local(10, 12))


def test_a_move_line_takes_the_move_template():
    version = make_product(tasks=[TaskSpec("Turn up")])
    catalog_services.template_define(
        product=version.product, action="move", name="Move", tasks=[TaskSpec("Install at the new address")]
    )
    service = active_service(version)
    new_home = make_location(service.account, line1="77 Key St")

    order = change_order(service, action="modify", version=version, location=new_home)

    work_order = order.lines.get().work_order
    assert (work_order.action, list(work_order.tasks.values_list("name", flat=True))) == (
        "move",
        ["Install at the new address"],
    )
    services.task_complete(task=work_order.tasks.get(), completed_by=None)
    service.refresh_from_db()
    assert service.location == new_home


def test_work_order_board_move_to_completed_is_refused_with_open_tasks(three_site_order):
    work_order = WorkOrder.objects.filter(order_line__order=three_site_order).first()

    with pytest.raises(Conflict) as error:
        services.work_order_move(work_order=work_order, to="completed", moved_by=None)

    assert "still open: 1. Site survey" in error.value.message
