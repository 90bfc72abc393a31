"""Data caps per cycle: the notices once each, overage blocks billed once through billing's
handler, throttles marked for the network, and the cycle that of the service's bill day."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.billing import charges
from headend.billing.models import OneTimeCharge
from headend.core import clock
from headend.core.models import OutboxEvent
from headend.usage import cycles
from headend.usage.caps import blocks_over, caps_check
from headend.usage.models import CapCycle, DailyUsage
from tests.conftest import outbox_names
from tests.factories import make_account, make_live_service
from tests.usage.conftest import GB, make_capped_plan

pytestmark = pytest.mark.django_db

MARCH_2 = dt.date(2026, 3, 2)


def use(service, day: dt.date, octets: int) -> None:
    """The ingest's part: the day's usage grows, then the caps are checked."""
    row, _ = DailyUsage.objects.get_or_create(service=service, day=day)
    DailyUsage.objects.filter(pk=row.pk).update(output_octets=row.output_octets + octets)
    caps_check(added={(service.pk, day): octets}, at=clock.now())


def live(plan):
    return make_live_service(make_account("residential"), plan)


@pytest.mark.parametrize(
    ("used", "blocks"), [(10 * GB, 0), (10 * GB + 1, 1), (15 * GB, 1), (15 * GB + 1, 2), (21 * GB, 3)]
)
def test_blocks_begun_past_the_cap(used, blocks):
    assert blocks_over(used, 10 * GB, 5 * GB) == blocks


def test_the_customer_is_told_at_80_and_at_100_percent_once_each():
    service = live(make_capped_plan(10, "notify"))

    use(service, MARCH_2, 7 * GB)
    use(service, MARCH_2, 1 * GB)  # 80 %
    use(service, MARCH_2, 1 * GB)
    use(service, MARCH_2, 1 * GB)  # 100 %
    use(service, MARCH_2, 3 * GB)

    notices = OutboxEvent.objects.filter(name="usage.threshold", subject_id=str(service.pk)).order_by("pk")
    assert [event.data["percent"] for event in notices] == [80, 100]
    assert [event.data["used_octets"] for event in notices] == [8 * GB, 10 * GB]
    cap = CapCycle.objects.get(service=service)
    assert (cap.used_octets, cap.notified_80_at, cap.notified_100_at) == (13 * GB, clock.now(), clock.now())


def test_usage_past_both_marks_at_once_sends_the_100_percent_notice_only():
    service = live(make_capped_plan(10, "notify"))

    use(service, MARCH_2, 11 * GB)

    notices = OutboxEvent.objects.filter(name="usage.threshold", subject_id=str(service.pk))
    assert [event.data["percent"] for event in notices] == [100]
    assert CapCycle.objects.get(service=service).notified_80_at == clock.now()


def test_late_usage_of_a_past_cycle_notifies_nobody_but_is_billed():
    service = live(make_capped_plan(10, "overage", data_overage_block_gb="5", data_overage_block_amount="7.50"))

    use(service, dt.date(2026, 2, 27), 12 * GB)

    assert outbox_names(subject=service, name_prefix="usage.") == ["usage.overage"]
    cap = CapCycle.objects.get(service=service)
    assert (cap.cycle_start, cap.cycle_end, cap.overage_blocks) == (dt.date(2026, 2, 1), dt.date(2026, 3, 1), 1)


def test_overage_is_charged_once_per_block_through_billing(run_worker):
    service = live(make_capped_plan(10, "overage", data_overage_block_gb="5", data_overage_block_amount="7.50"))
    run_worker()  # the turn-up: billing's subscription

    use(service, MARCH_2, 21 * GB)  # 3 blocks
    run_worker()
    use(service, MARCH_2, 1 * GB)  # still 3
    run_worker()
    event = OutboxEvent.objects.get(name="usage.overage")
    event.published_at = None
    event.save()
    run_worker()  # the event relayed again

    [charge] = OneTimeCharge.objects.filter(subscription__service=service, kind="charge")
    assert (charge.amount, charge.incurred_on) == (Decimal("22.50"), MARCH_2)
    assert event.data["amount"] == "22.50"
    assert (event.data["blocks_before"], event.data["blocks"], event.data["new_blocks"]) == (0, 3, 3)


def test_throttle_is_marked_for_an_active_service_past_the_cap():
    service = live(make_capped_plan(10, "throttle"))

    use(service, MARCH_2, 9 * GB)
    assert CapCycle.objects.get(service=service).throttle == ""
    use(service, MARCH_2, 1 * GB)

    cap = CapCycle.objects.get(service=service)
    assert (cap.throttle, cap.throttled_at) == ("pending", clock.now())


def test_a_service_without_a_cap_has_no_cap_cycle():
    service = live(make_capped_plan(None, "notify"))

    use(service, MARCH_2, 500 * GB)

    assert not CapCycle.objects.exists()
    assert outbox_names(name_prefix="usage.") == []


def test_the_cycle_is_the_payers_bill_cycle(run_worker):
    service = live(make_capped_plan(10, "notify"))
    billing_account = charges.subscription_of(service).billing_account
    billing_account.bill_day = 15
    billing_account.save(update_fields=["bill_day"])

    use(service, MARCH_2, 1 * GB)

    assert cycles.service_bill_days([service.pk]) == {service.pk: 15}
    cap = CapCycle.objects.get(service=service)
    assert (cap.cycle_start, cap.cycle_end) == (dt.date(2026, 2, 15), dt.date(2026, 3, 15))


def test_without_billing_the_cycle_starts_on_the_default_bill_day(settings):
    settings.HEADEND_BILLING_BILL_DAY = 5
    service = live(make_capped_plan(10, "notify"))

    assert cycles.service_bill_days([service.pk]) == {service.pk: 5}
    assert cycles.cycle_containing(MARCH_2, 5) == cycles.Cycle(dt.date(2026, 2, 5), dt.date(2026, 3, 5))
