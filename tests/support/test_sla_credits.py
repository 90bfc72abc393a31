"""SLA credits after an outage: the month's availability against the version's credit table,
exact amounts, one credit per service and outage, the increment within a month, approval that
books the credit through billing once, and who may decide."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from headend.billing.models import ChargeKind, OneTimeCharge
from headend.catalog.services import TaskSpec
from headend.core import clock, events
from headend.core.errors import Conflict, Forbidden
from headend.inventory.models import Service, ServiceOutage
from headend.network import topology
from headend.network.models import Outage
from headend.support import sla_credits
from headend.support.models import SlaCredit
from headend.support.sla_credits import increment, month_credit
from tests.conftest import FROZEN_AT, outbox_names
from tests.factories import make_account, make_live_service, make_product, make_user

UTC = dt.UTC
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
CREDITS = [
    {"below": "99.9", "credit_percent": "10"},
    {"below": "99.5", "credit_percent": "25"},
    {"below": "99.0", "credit_percent": "50"},
]
# March 2026 where the provider is (New York; the clocks go forward on the 8th) has 743 hours.


# --- The arithmetic ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mrc", "percent", "credit"),
    [
        ("123.45", "10", "12.35"),  # 12.345: half-up, not to even
        ("123.45", "25", "30.86"),  # 30.8625
        ("650.00", "50", "325.00"),
        ("0.05", "10", "0.01"),  # 0.005
        ("0.04", "10", "0.00"),  # 0.004
    ],
)
def test_month_credit_rounds_half_up_to_the_cent_once(mrc, percent, credit):
    assert month_credit(mrc=Decimal(mrc), credit_percent=Decimal(percent)) == Decimal(credit)


def test_increment_is_what_is_owed_beyond_what_was_proposed_and_never_negative():
    assert increment(owed=Decimal("30.86"), already=Decimal("12.35")) == Decimal("18.51")
    assert increment(owed=Decimal("12.35"), already=Decimal("30.86")) == Decimal("0.00")


# --- Proposing ---------------------------------------------------------------------------------


def business_service(*, kind: str = "business", mrc: str = "123.45", credits=CREDITS, target="99.9") -> Service:
    """A live service since January on a version promising `target` % with `credits`."""
    with clock.frozen(dt.datetime(2026, 1, 5, 15, tzinfo=UTC)):
        version = make_product(
            tasks=[TaskSpec("Turn up")],
            prices={12: (mrc, "0.00")},
            availability_target=target,
            availability_credits=credits,
        )
        return make_live_service(make_account(kind), version)


_elements = iter(range(1, 1000))


def ended_outage(
    services: list[Service], start: dt.datetime, length: dt.timedelta, *, kind: str = "unplanned"
) -> Outage:
    """An outage that ran from `start` for `length` on a new element, impacting `services` (their
    impact rows still open, as when "outage.ended" is handled first)."""
    element = topology.element_create(name=f"PON-{next(_elements)}", kind="pon_port")
    outage = Outage.objects.create(
        element=element,
        kind=kind,
        status="resolved",
        source="alertmanager",
        title="PON port down",
        started_at=start,
        ended_at=start + length,
        created_at=start,
    )
    for service in services:
        ServiceOutage.objects.create(
            outage=outage,
            service=service,
            account=service.account,
            mrc_amount=service.mrc_amount,
            currency=service.currency,
            started_at=start,
            ended_at=None,
        )
    return outage


MAR_2_NOON = dt.datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.mark.django_db
def test_an_hour_down_in_march_proposes_ten_percent_of_the_month_charge():
    service = business_service()
    outage = ended_outage([service], MAR_2_NOON, HOUR)

    proposed = sla_credits.sla_credits_propose(outage=outage)

    assert len(proposed) == 1
    credit = SlaCredit.objects.get()
    # 1 - 1/743 = 99.8654...% < 99.9: 10 % of 123.45 = 12.345 -> 12.35.
    assert (
        credit.service,
        credit.outage,
        credit.period_start,
        credit.period_end,
        credit.availability_percent,
        credit.target_percent,
        credit.credit_percent,
        credit.amount,
        credit.currency,
        credit.status,
    ) == (
        service,
        outage,
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 31),
        Decimal("99.8654"),
        Decimal("99.900"),
        Decimal("10.00"),
        Decimal("12.35"),
        "USD",
        "proposed",
    )
    assert outbox_names(subject=credit) == ["sla_credit.proposed"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("down", "found"),
    [
        # 0.1 % of March is 2,674.8 s: exactly 99.9000 % is not under 99.9.
        (dt.timedelta(seconds=2674.8), []),
        (dt.timedelta(seconds=2674.8, microseconds=1), [("99.8999", "10.00", "12.35")]),
        (dt.timedelta(seconds=13374), [("99.5000", "10.00", "12.35")]),  # under 99.9, not under 99.5
        (dt.timedelta(seconds=13374, microseconds=1), [("99.4999", "25.00", "30.86")]),  # 30.8625
        (dt.timedelta(seconds=26748), [("99.0000", "25.00", "30.86")]),
        (dt.timedelta(seconds=26748, microseconds=1), [("98.9999", "50.00", "61.73")]),  # 61.725
    ],
)
def test_the_lowest_level_the_month_is_under_decides_the_credit(down, found):
    service = business_service()
    outage = ended_outage([service], MAR_2_NOON - 10 * HOUR, down)

    sla_credits.sla_credits_propose(outage=outage)

    assert list(SlaCredit.objects.values_list("availability_percent", "credit_percent", "amount")) == [
        tuple(Decimal(value) for value in row) for row in found
    ]


@pytest.mark.django_db
def test_proposing_again_for_the_same_outage_proposes_nothing_twice():
    service = business_service()
    outage = ended_outage([service], MAR_2_NOON, HOUR)
    sla_credits.sla_credits_propose(outage=outage)

    again = sla_credits.sla_credits_propose(outage=outage)

    assert again == []
    assert SlaCredit.objects.count() == 1


@pytest.mark.django_db
def test_a_later_outage_in_the_month_proposes_only_the_increment():
    service = business_service()
    sla_credits.sla_credits_propose(outage=ended_outage([service], MAR_2_NOON, HOUR))

    # Four hours more on Mar 1: five in all, 99.3270 %, under 99.5: 25 % = 30.86, of which
    # 12.35 was proposed already.
    later = ended_outage([service], dt.datetime(2026, 3, 1, 6, tzinfo=UTC), 4 * HOUR)
    sla_credits.sla_credits_propose(outage=later)

    credit = SlaCredit.objects.get(outage=later)
    assert (credit.availability_percent, credit.credit_percent, credit.amount) == (
        Decimal("99.3270"),
        Decimal("25.00"),
        Decimal("18.51"),
    )
    assert sum(SlaCredit.objects.values_list("amount", flat=True)) == Decimal("30.86")


@pytest.mark.django_db
def test_a_later_outage_owing_nothing_more_proposes_nothing():
    service = business_service()
    sla_credits.sla_credits_propose(outage=ended_outage([service], MAR_2_NOON, HOUR))
    later = ended_outage([service], dt.datetime(2026, 3, 1, 6, tzinfo=UTC), 5 * MINUTE)  # still the 10 % tier

    assert sla_credits.sla_credits_propose(outage=later) == []
    assert SlaCredit.objects.count() == 1


@pytest.mark.django_db
def test_a_rejected_credit_is_not_deducted_from_the_next_one():
    service = business_service()
    first = sla_credits.sla_credits_propose(outage=ended_outage([service], MAR_2_NOON, HOUR))[0]
    sla_credits.sla_credit_reject(credit=first, decided_by=make_user("billing"))

    later = ended_outage([service], dt.datetime(2026, 3, 1, 6, tzinfo=UTC), 4 * HOUR)
    sla_credits.sla_credits_propose(outage=later)

    assert SlaCredit.objects.get(outage=later).amount == Decimal("30.86")


@pytest.mark.django_db
def test_a_month_already_credited_by_an_earlier_month_is_apart():
    """February's credit does not reduce March's."""
    service = business_service()
    sla_credits.sla_credits_propose(outage=ended_outage([service], dt.datetime(2026, 2, 10, tzinfo=UTC), HOUR))

    sla_credits.sla_credits_propose(outage=ended_outage([service], MAR_2_NOON, HOUR))

    assert list(SlaCredit.objects.order_by("period_start").values_list("period_start", "amount")) == [
        (dt.date(2026, 2, 1), Decimal("12.35")),
        (dt.date(2026, 3, 1), Decimal("12.35")),
    ]


@pytest.mark.django_db
def test_residential_services_maintenance_and_versions_without_a_promise_get_none():
    business = business_service()
    residential = business_service(kind="residential")
    no_promise = business_service(credits=[], target=None)
    outage = ended_outage([business, residential, no_promise], MAR_2_NOON, 10 * HOUR)
    maintenance = ended_outage([business], MAR_2_NOON - 20 * HOUR, 10 * HOUR, kind="maintenance")

    sla_credits.sla_credits_propose(outage=outage)
    sla_credits.sla_credits_propose(outage=maintenance)

    assert list(SlaCredit.objects.values_list("service", flat=True)) == [business.pk]


@pytest.mark.django_db
def test_an_outage_still_open_proposes_nothing():
    service = business_service()
    outage = ended_outage([service], MAR_2_NOON, HOUR)
    Outage.objects.filter(pk=outage.pk).update(status="open", ended_at=None)

    assert sla_credits.sla_credits_propose(outage=outage) == []


@pytest.mark.django_db
def test_the_outage_ended_event_proposes_the_credits():
    service = business_service()
    outage = ended_outage([service], MAR_2_NOON, HOUR)
    event = events.emit("outage.ended", subject=outage, data={})

    assert sla_credits.on_outage_ended in events._handlers["outage.ended"]
    sla_credits.on_outage_ended(event)

    assert SlaCredit.objects.get().amount == Decimal("12.35")


# --- Deciding ----------------------------------------------------------------------------------


def proposed_credit() -> SlaCredit:
    service = business_service()
    return sla_credits.sla_credits_propose(outage=ended_outage([service], MAR_2_NOON, HOUR))[0]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["billing", "finance"])
def test_approving_books_the_credit_through_billing_once(role):
    credit = proposed_credit()
    approver = make_user(role)

    approved = sla_credits.sla_credit_approve(credit=credit, decided_by=approver)
    again = sla_credits.sla_credit_approve(credit=credit, decided_by=approver)

    charge = OneTimeCharge.objects.get()
    assert (charge.kind, charge.amount, charge.subscription.service, charge.incurred_on, charge.created_by) == (
        ChargeKind.CREDIT,
        Decimal("-12.35"),
        credit.service,
        FROZEN_AT.date(),
        approver,
    )
    assert charge.description == (
        f"SLA credit: {credit.service.product_version.product.name} {credit.service.number}, "
        "99.8654 % available in March 2026"
    )
    assert (approved.status, approved.decided_by, approved.decided_at) == ("applied", approver, FROZEN_AT)
    assert approved.billing_reference == f"{charge.billing_account.number} charge {charge.pk}"
    assert again.billing_reference == approved.billing_reference
    assert outbox_names(subject=credit) == ["sla_credit.proposed", "sla_credit.approved", "sla_credit.applied"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["support", "sales", "provisioning"])
def test_only_billing_and_finance_decide_credits(role):
    credit = proposed_credit()

    with pytest.raises(Forbidden):
        sla_credits.sla_credit_approve(credit=credit, decided_by=make_user(role))
    with pytest.raises(Forbidden):
        sla_credits.sla_credit_reject(credit=credit, decided_by=make_user(role))

    credit.refresh_from_db()
    assert (credit.status, OneTimeCharge.objects.count()) == ("proposed", 0)


@pytest.mark.django_db
def test_a_rejected_credit_cannot_be_approved_and_books_nothing():
    credit = proposed_credit()
    sla_credits.sla_credit_reject(credit=credit, decided_by=make_user("finance"))

    with pytest.raises(Conflict):
        sla_credits.sla_credit_approve(credit=credit, decided_by=make_user("billing"))

    credit.refresh_from_db()
    assert (credit.status, OneTimeCharge.objects.count()) == ("rejected", 0)


@pytest.mark.django_db
def test_an_applied_credit_cannot_be_rejected():
    credit = proposed_credit()
    sla_credits.sla_credit_approve(credit=credit, decided_by=make_user("billing"))

    with pytest.raises(Conflict):
        sla_credits.sla_credit_reject(credit=credit, decided_by=make_user("billing"))

    credit.refresh_from_db()
    assert credit.status == "applied"


@pytest.mark.django_db
def test_with_an_external_biller_an_approved_credit_waits_to_be_credited_there(settings):
    settings.HEADEND_BILLER = "lago"
    credit = proposed_credit()

    approved = sla_credits.sla_credit_approve(credit=credit, decided_by=make_user("billing"))

    assert (approved.status, approved.billing_reference, OneTimeCharge.objects.count()) == ("approved", "", 0)


# --- The pages ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_shows_proposed_credits_with_their_service_and_buttons(client):
    credit = proposed_credit()
    client.force_login(make_user("billing"))

    response = client.get(reverse("support:sla_credit_list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert credit.service.get_absolute_url() in html
    assert "99.8654 %" in html
    assert "$12.35" in html
    assert reverse("support:sla_credit_decide", args=[credit.pk]) in html


@pytest.mark.django_db
def test_the_list_filters_by_status(client):
    credit = proposed_credit()
    sla_credits.sla_credit_reject(credit=credit, decided_by=make_user("billing"))
    client.force_login(make_user("support"))

    proposed = client.get(reverse("support:sla_credit_list")).content.decode()
    rejected = client.get(reverse("support:sla_credit_list"), {"status": "rejected"}).content.decode()

    assert "No proposed credits." in proposed
    assert credit.service.number in rejected
    assert "$12.35" in rejected
    assert reverse("support:sla_credit_decide", args=[credit.pk]) not in rejected  # support sees, no buttons


@pytest.mark.django_db
def test_approving_on_the_page_books_it_and_returns_to_the_list(client):
    credit = proposed_credit()
    client.force_login(make_user("billing"))

    response = client.post(
        reverse("support:sla_credit_decide", args=[credit.pk]),
        {"decision": "approve", "next": "/support/sla-credits/?status=all"},
    )

    assert (response.status_code, response["Location"]) == (302, "/support/sla-credits/?status=all")
    credit.refresh_from_db()
    assert credit.status == "applied"
    assert OneTimeCharge.objects.get().amount == Decimal("-12.35")


@pytest.mark.django_db
def test_the_page_refuses_a_role_that_may_not_decide(client):
    credit = proposed_credit()
    client.force_login(make_user("support"))

    response = client.post(reverse("support:sla_credit_decide", args=[credit.pk]), {"decision": "approve"})

    assert response.status_code == 403
    credit.refresh_from_db()
    assert credit.status == "proposed"


@pytest.mark.django_db
def test_the_page_sends_a_foreign_next_back_to_the_list(client):
    credit = proposed_credit()
    client.force_login(make_user("billing"))

    response = client.post(
        reverse("support:sla_credit_decide", args=[credit.pk]), {"decision": "reject", "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("support:sla_credit_list")
    credit.refresh_from_db()
    assert credit.status == "rejected"
