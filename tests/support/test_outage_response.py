"""Support's response to outages (support/outage_response.py): the impact worked out once, the
customers' open cases linked to the parent case, maintenance windows announced, opened and
closed on time, cancelled windows, and the notices sent once each, failures counted."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.core.errors import Conflict, Forbidden, ValidationError
from headend.inventory import outage_impact
from headend.inventory import services as inventory_services
from headend.inventory.models import ServiceOutage
from headend.network import outages
from headend.network.models import Outage, OutageAlert
from headend.support import cases, outage_response
from headend.support.models import Case, OutageNotice
from tests.conftest import FROZEN_AT
from tests.factories import make_account, make_live_service, make_product, make_user
from tests.module_records import fresh
from tests.network.outage_fixtures import table_counts

pytestmark = pytest.mark.django_db

START = FROZEN_AT + dt.timedelta(days=1)  # Tue 3 March 2026, 10:00 in Maine
END = START + dt.timedelta(hours=2)


@pytest.fixture(autouse=True)
def texts(settings):
    settings.HEADEND_SMS_BACKEND = "tests.support.test_outage_response.RecordedSms"
    RecordedSms.sent = []


class RecordedSms:
    sent: list[tuple[str, str]] = []

    def send(self, *, to: str, body: str) -> None:
        RecordedSms.sent.append((to, body))


class BrokenSmtp(EmailBackend):
    def send_messages(self, messages):
        raise OSError("Connection refused")


@pytest.fixture
def network(shared_network):
    return fresh(shared_network)


@pytest.fixture
def noc():
    return make_user("provisioning")


def notices(**filters):
    return sorted(OutageNotice.objects.filter(**filters).values_list("account_id", "phase", "channel"))


# --- An outage ---------------------------------------------------------------------------------


def test_working_out_the_impact_again_adds_nothing(network, noc, run_worker):
    outage = outages.outage_open(element=network.tower, title="Tower 7 power loss", by=noc)
    run_worker()
    before = table_counts()

    again = outage_response.outage_started(outage=Outage.objects.get(pk=outage.pk))

    assert (again.services, again.customers, again.linked, again.queued) == (4, 3, 0, 0)  # tower-7: both sectors
    assert table_counts() == before


def test_the_customers_open_cases_on_impacted_services_become_children_of_the_parent_case(network, noc, run_worker):
    agent = make_user("support")
    resident_service, business_service = network.impacted[2], network.impacted[0]

    def call(service, subject):
        return cases.case_open(
            account=service.account, service=service, type="no_service", channel="phone", subject=subject, by=agent
        )

    waiting = call(resident_service, "No Internet since this morning")
    elsewhere = call(network.elsewhere, "Slow in the evenings")
    done = cases.case_transition(
        case=call(business_service, "Invoice question"), to="resolved", resolution="Answered", by=agent
    )
    outage = outages.outage_open(element=network.north, title="Sector down", by=noc)
    run_worker()

    parent = Case.objects.get(outage=outage)
    assert list(parent.children.values_list("pk", flat=True)) == [waiting.pk]
    assert Case.objects.get(pk=elsewhere.pk).parent is None
    assert Case.objects.get(pk=done.pk).parent is None
    later = call(business_service, "Still down?")  # a new call about an impacted service
    assert later.parent == parent


def test_an_end_handled_before_its_start_waits_for_it(network, noc):
    outage = outages.outage_open(element=network.north, title="Sector down", by=noc)
    outages.outage_resolve(outage=outage, by=noc)

    with pytest.raises(outage_response.ImpactNotReady):
        outage_response.outage_ended(outage=Outage.objects.get(pk=outage.pk))


def test_a_staff_outage_resolves_only_by_hand_and_closes_its_alerts(network, noc, run_worker):
    outage = outages.outage_open(element=network.north, title="Fibre cut on Route 1", by=noc)
    run_worker()

    ended = outages.outage_resolve(outage=outage, by=noc)
    run_worker()

    assert (ended.status, ended.ended_at) == ("resolved", FROZEN_AT)
    assert set(ServiceOutage.objects.values_list("ended_at", flat=True)) == {FROZEN_AT}
    assert len(notices(phase="end")) == 4
    with pytest.raises(Conflict):
        outages.outage_resolve(outage=outage, by=noc)


def test_an_element_already_down_takes_no_second_outage(network, noc):
    outages.outage_open(element=network.tower, title="Tower 7 power loss", by=noc)

    with pytest.raises(Conflict) as refused:
        outages.outage_open(element=network.north, title="Sector down", by=noc)

    assert refused.value.code == "already_down"
    assert Outage.objects.count() == 1


def test_only_the_network_and_support_teams_open_outages(network):
    with pytest.raises(Forbidden):
        outages.outage_open(element=network.north, title="Sector down", by=make_user("sales"))

    assert Outage.objects.count() == 0


# --- Maintenance windows --------------------------------------------------------------------------


def test_a_maintenance_window_is_announced_opened_and_closed_on_time(network, noc, run_worker):
    window = outages.maintenance_schedule(
        element=network.north, start=START, end=END, title="Replace the sector's radio", by=noc
    )
    run_worker()

    assert notices() == sorted(
        (account.pk, "announce", channel)
        for account in (network.business, network.resident)
        for channel in ("email", "sms")
    )
    assert outage_impact.revenue_at_risk(outage=window) == [outage_impact.Revenue(Decimal("244.94"), "USD")]
    assert ServiceOutage.objects.count() == 0  # nothing is down yet

    newcomer = make_account("residential")  # live after the announcement: told at the start
    inventory_services.service_bind_element(
        service=make_live_service(newcomer, make_product(tasks=[TaskSpec("Install")])),
        element=network.north,
        source="staff",
    )
    with clock.frozen(START + dt.timedelta(seconds=3)):
        opened = outages.maintenance_windows_due()
        run_worker()

    window.refresh_from_db()
    assert (opened, window.status, window.started_at) == (1, "open", START)
    assert (window.services_impacted, window.customers_impacted) == (4, 3)
    assert notices(phase="start") == [(newcomer.pk, "start", "email"), (newcomer.pk, "start", "sms")]
    assert Case.objects.get(outage=window).status == "new"

    with clock.frozen(END + dt.timedelta(seconds=2)):
        closed = outages.maintenance_windows_due()
        run_worker()

    window.refresh_from_db()
    assert (closed, window.status, window.ended_at) == (1, "resolved", END)
    assert len(notices(phase="end")) == 6
    assert Case.objects.get(outage=window).status == "resolved"
    assert set(ServiceOutage.objects.values_list("ended_at", flat=True)) == {END}


def test_an_alert_during_a_window_joins_it_and_opens_no_outage(network, noc, run_worker):
    window = outages.maintenance_schedule(element=network.tower, start=START, end=END, title="Tower work", by=noc)
    with clock.frozen(START + dt.timedelta(minutes=1)):
        outages.maintenance_windows_due()
        outages.lock_elements([network.north.pk])
        alert = outages.alert_fire(
            source="alertmanager",
            key="abc@2026-03-03T15:01:00Z",
            element=network.north,
            labels={},
            title="AP down",
            description="",
            severity="critical",
            began_at=clock.now(),
            at=clock.now(),
        )

    assert alert.outage == window
    assert Outage.objects.count() == 1


def test_a_window_ending_with_alerts_still_firing_becomes_an_outage_and_gives_no_all_clear(network, noc, run_worker):
    window = outages.maintenance_schedule(element=network.tower, start=START, end=END, title="Tower work", by=noc)
    run_worker()
    with clock.frozen(START + dt.timedelta(minutes=1)):
        outages.maintenance_windows_due()
        outages.lock_elements([network.north.pk])
        outages.alert_fire(
            source="alertmanager",
            key="abc@2026-03-03T15:01:00Z",
            element=network.north,
            labels={"device": "ap-7-north"},
            title="AP down",
            description="",
            severity="critical",
            began_at=clock.now(),
            at=clock.now(),
        )
        run_worker()

    with clock.frozen(END + dt.timedelta(seconds=1)):
        outages.maintenance_windows_due()
        run_worker()

    window.refresh_from_db()
    overrun = Outage.objects.get(kind="unplanned")
    assert (window.status, overrun.status, overrun.element, overrun.started_at) == (
        "resolved",
        "open",
        network.tower,
        END,
    )
    assert overrun.title == "Still down after maintenance: Tower work"
    assert OutageAlert.objects.get().outage == overrun
    assert OutageNotice.objects.filter(outage=window, phase="end").count() == 0  # nobody told it is back
    assert OutageNotice.objects.filter(outage=overrun, phase="start").count() == 6

    with clock.frozen(END + dt.timedelta(minutes=30)):
        outages.alert_resolve(
            source="alertmanager", key="abc@2026-03-03T15:01:00Z", ended_at=clock.now(), at=clock.now()
        )
        run_worker()

    overrun.refresh_from_db()
    assert overrun.status == "resolved"
    assert OutageNotice.objects.filter(outage=overrun, phase="end").count() == 6


def test_a_window_cancelled_before_its_announcements_went_tells_nobody(network, noc, run_worker):
    window = outages.maintenance_schedule(element=network.north, start=START, end=END, title="Radio swap", by=noc)
    run_worker()

    outages.maintenance_cancel(outage=window, by=noc)
    run_worker()

    assert OutageNotice.objects.count() == 0
    assert Outage.objects.get().status == "cancelled"


def test_a_window_cancelled_after_its_announcements_went_says_it_is_off(network, noc, run_worker):
    window = outages.maintenance_schedule(element=network.north, start=START, end=END, title="Radio swap", by=noc)
    run_worker()
    outage_response.notices_send_due()
    mail.outbox.clear()

    outages.maintenance_cancel(outage=window, by=noc)
    run_worker()
    outage_response.notices_send_due()

    assert len(notices(phase="end")) == 4
    assert sorted(message.subject for message in mail.outbox) == ["Headend Fiber: planned maintenance cancelled"] * 2
    with pytest.raises(Conflict):
        outages.maintenance_cancel(outage=window, by=noc)


@pytest.mark.parametrize(
    ("start", "end", "field", "code"),
    [
        (START, START, "end", "ends_before_start"),
        (FROZEN_AT - dt.timedelta(hours=3), FROZEN_AT - dt.timedelta(hours=1), "end", "in_the_past"),
    ],
)
def test_a_window_that_ends_before_it_starts_or_has_ended_is_refused(network, noc, start, end, field, code):
    with pytest.raises(ValidationError) as refused:
        outages.maintenance_schedule(element=network.north, start=start, end=end, title="Radio swap", by=noc)

    assert (refused.value.field, refused.value.code) == (field, code)
    assert Outage.objects.count() == 0


def test_overlapping_windows_on_one_element_are_refused(network, noc):
    outages.maintenance_schedule(element=network.north, start=START, end=END, title="Radio swap", by=noc)

    with pytest.raises(Conflict) as refused:
        outages.maintenance_schedule(
            element=network.north,
            start=END - dt.timedelta(minutes=1),
            end=END + dt.timedelta(hours=1),
            title="More",
            by=noc,
        )

    assert refused.value.code == "overlapping_window"
    adjacent = outages.maintenance_schedule(
        element=network.north, start=END, end=END + dt.timedelta(hours=1), title="Right after", by=noc
    )
    assert adjacent.status == "scheduled"


# --- Sending the notices ------------------------------------------------------------------------


def test_notices_are_sent_once_and_marked_row_by_row(network, noc, run_worker):
    outages.outage_open(element=network.north, title="Sector down", by=noc)
    run_worker()
    mail.outbox.clear()

    first, second = outage_response.notices_send_due(), outage_response.notices_send_due()

    assert (first, second) == (4, 0)
    assert len(mail.outbox) == 2
    assert sorted(to for to, _ in RecordedSms.sent) == ["+12075550134", "+12075550199"]
    assert OutageNotice.objects.filter(sent_at=FROZEN_AT, attempts=1, last_error="").count() == 4
    text = RecordedSms.sent[0][1]
    assert len(text) <= 160, text


def test_a_mail_server_failure_counts_an_attempt_and_pauses_email_until_it_works(network, noc, run_worker, settings):
    outages.outage_open(element=network.north, title="Sector down", by=noc)
    run_worker()
    settings.EMAIL_BACKEND = "tests.support.test_outage_response.BrokenSmtp"
    sender = outage_response.NoticeSender()

    sent = sender()
    paused = sender()

    assert (sent, paused) == (2, 0)  # the texts went; the first email failed and email waits
    failed = OutageNotice.objects.get(channel="email", attempts=1)
    assert (failed.sent_at, failed.last_error) == (None, "OSError: Connection refused")
    assert OutageNotice.objects.filter(channel="email", attempts=0).count() == 1  # not tried while paused

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outage_response.notices_send_due() == 2
    assert OutageNotice.objects.filter(sent_at=None).count() == 0
    assert OutageNotice.objects.get(pk=failed.pk).attempts == 2


def test_a_notice_failing_every_time_is_given_up_after_the_last_attempt(network, noc, run_worker, settings):
    outages.outage_open(element=network.north, title="Sector down", by=noc)
    run_worker()
    settings.EMAIL_BACKEND = "tests.support.test_outage_response.BrokenSmtp"

    for _ in range(2 * outage_response.MAX_ATTEMPTS + 3):  # a failure pauses email: one email per turn
        outage_response.notices_send_due()

    assert set(OutageNotice.objects.filter(channel="email").values_list("attempts", flat=True)) == {
        outage_response.MAX_ATTEMPTS
    }
    assert OutageNotice.objects.filter(channel="email", sent_at=None).count() == 2


def test_a_customer_with_neither_address_nor_mobile_gets_no_notice(network, noc, run_worker):
    quiet = make_account("business", email="")  # no contact, no address
    inventory_services.service_bind_element(
        service=make_live_service(quiet, make_product(tasks=[TaskSpec("Install")])),
        element=network.north,
        source="staff",
    )

    outages.outage_open(element=network.north, title="Sector down", by=noc)
    run_worker()

    assert Outage.objects.get().customers_impacted == 3
    assert OutageNotice.objects.filter(account=quiet).count() == 0
    assert OutageAlert.objects.count() == 0


def test_a_notice_read_by_two_worker_loops_is_sent_by_one(network):
    outage = outages.outage_open(element=network.north, title="Sector down", by=make_user("provisioning"))
    outage_response.outage_started(outage=outage)
    read_by_the_other_loop = list(OutageNotice.objects.filter(channel="email").order_by("id"))

    sent = outage_response.notices_send_due()

    assert sent == OutageNotice.objects.count() > 0
    assert not any(outage_response.claim(notice) for notice in read_by_the_other_loop)
    assert len(mail.outbox) == OutageNotice.objects.filter(channel="email").count()
    assert set(OutageNotice.objects.values_list("attempts", flat=True)) == {1}
