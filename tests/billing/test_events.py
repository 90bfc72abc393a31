"""Billing learns of services from the outbox: each event once, on the provider's calendar day."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.billing import handlers
from headend.billing.models import OneTimeCharge, RateChange, Subscription
from headend.core import clock
from headend.core.models import OutboxEvent
from headend.inventory import services as inventory_services
from tests.factories import TaskSpec, make_account, make_live_service, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(run_worker):
    version = make_product(tasks=[TaskSpec("Install")], prices={0: ("70.00", "99.00")})
    live = make_live_service(make_account("residential"), version, term=0)
    run_worker()
    return live


def test_an_accepted_quote_bills_nothing_until_turn_up(run_worker):
    from tests.factories import make_quote

    make_quote(status="accepted")
    run_worker()
    assert not Subscription.objects.exists()  # an accepted quote is not billable until turn-up


def test_replaying_every_event_changes_nothing(service, run_worker):
    with clock.frozen(dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC)):
        inventory_services.service_suspend(service=service, reason="away")
        run_worker()
    with clock.frozen(dt.datetime(2026, 3, 20, 15, tzinfo=dt.UTC)):
        inventory_services.service_resume(service=service)
        run_worker()
    before = (list(RateChange.objects.values_list("source_key", "effective_date", "kind", "mrc_amount")),
              list(OneTimeCharge.objects.values_list("source_key", "amount")))  # fmt: skip
    assert [kind for _, _, kind, _ in before[0]] == ["active", "suspended", "restored"]
    assert [amount for _, amount in before[1]] == [Decimal("99.00")]
    subscribers = {
        "service.active": handlers.on_active,
        "service.suspended": handlers.on_suspended,
        "service.disconnected": handlers.on_disconnected,
        "service.changed": handlers.on_changed,
    }
    for event in OutboxEvent.objects.filter(name__in=subscribers):
        subscribers[event.name](event)
    after = (list(RateChange.objects.values_list("source_key", "effective_date", "kind", "mrc_amount")),
             list(OneTimeCharge.objects.values_list("source_key", "amount")))  # fmt: skip
    assert after == before


@pytest.mark.parametrize(
    ("instant", "local_day"),
    [
        ("2026-03-08 04:30", dt.date(2026, 3, 7)),  # 23:30 EST, the night clocks go forward
        ("2026-03-09 03:30", dt.date(2026, 3, 8)),  # 23:30 EDT, the day after
        ("2026-11-01 04:30", dt.date(2026, 11, 1)),  # 00:30 EDT, the night clocks go back
        ("2026-11-02 04:30", dt.date(2026, 11, 1)),  # 23:30 EST the same day
        ("2028-03-01 04:59", dt.date(2028, 2, 29)),  # 23:59 on the leap day
    ],
)
def test_a_suspension_takes_effect_on_the_providers_calendar_day(service, run_worker, instant, local_day):
    with clock.frozen(dt.datetime.fromisoformat(instant).replace(tzinfo=dt.UTC)):
        inventory_services.service_suspend(service=service, reason="non-payment")
        run_worker()
    assert RateChange.objects.get(kind="suspended").effective_date == local_day
