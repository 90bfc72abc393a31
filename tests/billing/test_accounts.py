"""Billing accounts: opening, changing, and the default one the system opens at turn-up."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from headend.billing import accounts
from headend.billing.accounts import billing_account_create, billing_account_update, default_billing_account
from headend.billing.models import BillingAccount, Invoice
from headend.core.errors import Forbidden, ValidationError
from headend.core.models import OutboxEvent
from headend.crm import services as crm_services
from tests.conftest import FROZEN_AT, outbox_names
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    return make_user("billing")


def contact_of(account):
    return crm_services.contact_create(account=account, first_name="Ada", last_name="Lovelace", email="ada@example.com")


def test_create_takes_the_customers_name_the_providers_currency_and_becomes_the_default(clerk):
    account = make_account(legal_name="Eastport Marine Supply LLC")

    billing_account = billing_account_create(account=account, created_by=clerk)

    billing_account.refresh_from_db()
    assert (
        billing_account.account,
        billing_account.name,
        billing_account.currency,
        billing_account.cycle,
        billing_account.bill_day,
        billing_account.payment_terms_days,
        billing_account.delivery,
        billing_account.tax_exempt,
        billing_account.parent,
        billing_account.contact,
        billing_account.proration,
        billing_account.is_default,
        billing_account.status,
        billing_account.created_at,
    ) == (
        account,
        account.name,
        "USD",
        "calendar",
        1,
        15,
        "email",
        False,
        None,
        None,
        "",
        True,
        "active",
        FROZEN_AT,
    )
    assert outbox_names(subject=billing_account) == ["billing_account.created"]
    assert billing_account.history.get().history_user == clerk


def test_create_with_every_field(clerk):
    account = make_account()
    contact = contact_of(account)
    parent = billing_account_create(account=account, created_by=clerk, name="Head office")

    child = billing_account_create(
        account=account,
        created_by=clerk,
        name="  Cannery site  ",
        currency="usd",
        cycle="anniversary",
        bill_day=28,
        payment_terms_days=120,
        delivery="portal",
        tax_exempt=True,
        tax_exempt_certificate=" ME-EX-4471 ",
        parent=parent,
        contact=contact,
        proration="none",
    )

    child.refresh_from_db()
    assert (
        child.name,
        child.currency,
        child.cycle,
        child.bill_day,
        child.payment_terms_days,
        child.delivery,
        child.tax_exempt,
        child.tax_exempt_certificate,
        child.parent,
        child.contact,
        child.proration,
        child.is_default,
    ) == ("Cannery site", "USD", "anniversary", 28, 120, "portal", True, "ME-EX-4471", parent, contact, "none", False)


def test_only_the_first_account_is_the_default_unless_another_is_made_the_default(clerk):
    account = make_account()
    first = billing_account_create(account=account, created_by=clerk, is_default=False)
    second = billing_account_create(account=account, created_by=clerk)
    assert list(account.billing_accounts.filter(is_default=True)) == [first]

    third = billing_account_create(account=account, created_by=clerk, is_default=True)

    assert list(account.billing_accounts.filter(is_default=True)) == [third]
    assert second.is_default is False


def test_only_billing_staff_open_billing_accounts():
    account = make_account()

    with pytest.raises(Forbidden):
        billing_account_create(account=account, created_by=make_user("sales"))

    assert not BillingAccount.objects.exists()
    billing_account_create(account=account, created_by=make_user("admin"))
    assert BillingAccount.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"bill_day": 0}, "bill_day", "invalid_bill_day"),
        ({"bill_day": 29}, "bill_day", "invalid_bill_day"),
        ({"bill_day": 40}, "bill_day", "invalid_bill_day"),
        ({"bill_day": True}, "bill_day", "invalid_bill_day"),
        ({"payment_terms_days": -1}, "payment_terms_days", "invalid_payment_terms"),
        ({"payment_terms_days": 121}, "payment_terms_days", "invalid_payment_terms"),
        ({"tax_exempt": True}, "tax_exempt_certificate", "certificate_required"),
        ({"tax_exempt": True, "tax_exempt_certificate": "   "}, "tax_exempt_certificate", "certificate_required"),
        ({"currency": "US"}, "currency", "invalid_currency"),
        ({"currency": "US1"}, "currency", "invalid_currency"),
        ({"currency": "EURO"}, "currency", "invalid_currency"),
        ({"currency": ""}, "currency", "invalid_currency"),
        ({"cycle": "weekly"}, "cycle", "invalid_choice"),
        ({"delivery": "fax"}, "delivery", "invalid_choice"),
        ({"proration": "hourly"}, "proration", "invalid_choice"),
        ({"name": "x" * 201}, "name", "too_long"),
    ],
)
def test_bad_values_are_refused_by_field_and_nothing_is_written(clerk, values, field, code):
    account = make_account()

    with pytest.raises(ValidationError) as caught:
        billing_account_create(account=account, created_by=clerk, **values)

    assert (caught.value.field, caught.value.code) == (field, code)
    assert not BillingAccount.objects.exists()
    assert not OutboxEvent.objects.filter(name__startswith="billing_account").exists()


def test_a_parent_belongs_to_the_same_customer_and_has_no_parent_of_its_own(clerk):
    account, other = make_account(), make_account()
    foreign = billing_account_create(account=other, created_by=clerk)
    parent = billing_account_create(account=account, created_by=clerk)
    child = billing_account_create(account=account, created_by=clerk, parent=parent)
    euro = billing_account_create(account=account, created_by=clerk, currency="EUR")
    before = BillingAccount.objects.count()

    for bad_parent, code in [(foreign, "foreign_parent"), (child, "nested_parent")]:
        with pytest.raises(ValidationError) as caught:
            billing_account_create(account=account, created_by=clerk, parent=bad_parent)
        assert (caught.value.field, caught.value.code) == ("parent", code)
    with pytest.raises(ValidationError) as caught:
        billing_account_create(account=account, created_by=clerk, parent=euro)
    assert (caught.value.field, caught.value.code) == ("parent", "currency_mismatch")

    assert BillingAccount.objects.count() == before


def test_the_contact_is_one_of_the_customers(clerk):
    account, other = make_account(), make_account()

    with pytest.raises(ValidationError) as caught:
        billing_account_create(account=account, created_by=clerk, contact=contact_of(other))

    assert (caught.value.field, caught.value.code) == ("contact", "foreign_contact")
    assert not BillingAccount.objects.exists()


def test_update_changes_what_it_is_given_and_keeps_the_rest(clerk):
    account = make_account()
    contact = contact_of(account)
    billing_account = billing_account_create(
        account=account, created_by=clerk, name="Head office", bill_day=5, contact=contact, proration="daily"
    )

    updated = billing_account_update(billing_account=billing_account, updated_by=clerk, bill_day=12, delivery="portal")

    updated.refresh_from_db()
    assert (updated.name, updated.bill_day, updated.delivery, updated.contact, updated.proration) == (
        "Head office",
        12,
        "portal",
        contact,
        "daily",
    )
    event = OutboxEvent.objects.filter(name="billing_account.updated").get()
    assert event.data == {"fields": ["bill_day", "delivery"]}


def test_an_update_that_changes_nothing_writes_nothing(clerk):
    billing_account = billing_account_create(account=make_account(), created_by=clerk, bill_day=5)

    billing_account_update(billing_account=billing_account, updated_by=clerk, bill_day=5, name="")

    assert outbox_names(subject=billing_account) == ["billing_account.created"]
    assert billing_account.history.count() == 1


def test_update_is_checked_as_create_is_and_writes_nothing_when_refused(clerk):
    billing_account = billing_account_create(account=make_account(), created_by=clerk, bill_day=5)

    with pytest.raises(ValidationError) as caught:
        billing_account_update(billing_account=billing_account, updated_by=clerk, bill_day=12, tax_exempt=True)

    assert (caught.value.field, caught.value.code) == ("tax_exempt_certificate", "certificate_required")
    billing_account.refresh_from_db()
    assert (billing_account.bill_day, billing_account.tax_exempt) == (5, False)
    with pytest.raises(Forbidden):
        billing_account_update(billing_account=billing_account, updated_by=make_user("support"), bill_day=12)
    with pytest.raises(TypeError):
        billing_account_update(billing_account=billing_account, updated_by=clerk, status="closed")


def test_update_cannot_make_a_cycle_or_a_second_level(clerk):
    account = make_account()
    a = billing_account_create(account=account, created_by=clerk)
    b = billing_account_create(account=account, created_by=clerk, parent=a)
    c = billing_account_create(account=account, created_by=clerk)

    cases = [
        (a, a, "parent_cycle"),  # itself
        (a, b, "nested_parent"),  # its own child: b is paid by a
        (a, c, "nested_parent"),  # a pays for b, so it cannot be paid for
        (c, b, "nested_parent"),  # b is itself paid by a
    ]
    for billing_account, parent, code in cases:
        with pytest.raises(ValidationError) as caught:
            billing_account_update(billing_account=billing_account, updated_by=clerk, parent=parent)
        assert (caught.value.field, caught.value.code) == ("parent", code), (billing_account, parent)

    assert [x.parent_id for x in BillingAccount.objects.order_by("id")] == [None, a.pk, None]
    moved = billing_account_update(billing_account=b, updated_by=clerk, parent=c)
    assert moved.parent == c
    cleared = billing_account_update(billing_account=b, updated_by=clerk, parent=None)
    assert cleared.parent is None


def test_ending_an_exemption_drops_its_certificate(clerk):
    billing_account = billing_account_create(
        account=make_account(), created_by=clerk, tax_exempt=True, tax_exempt_certificate="ME-1"
    )

    updated = billing_account_update(billing_account=billing_account, updated_by=clerk, tax_exempt=False)

    assert (updated.tax_exempt, updated.tax_exempt_certificate) == (False, "")


def test_the_default_moves_but_is_never_left_without_one(clerk):
    account = make_account()
    first = billing_account_create(account=account, created_by=clerk)
    second = billing_account_create(account=account, created_by=clerk)

    with pytest.raises(ValidationError) as caught:
        billing_account_update(billing_account=first, updated_by=clerk, is_default=False)
    assert (caught.value.field, caught.value.code) == ("is_default", "default_required")

    billing_account_update(billing_account=second, updated_by=clerk, is_default=True)

    assert list(account.billing_accounts.filter(is_default=True)) == [second]
    assert OutboxEvent.objects.filter(name="billing_account.updated").get().data == {"fields": ["is_default"]}


def test_the_currency_stays_once_invoiced(clerk):
    billing_account = billing_account_create(account=make_account(), created_by=clerk)
    assert billing_account_update(billing_account=billing_account, updated_by=clerk, currency="CAD").currency == "CAD"
    Invoice.objects.create(
        billing_account=billing_account,
        bill_date=dt.date(2026, 3, 1),
        due_date=dt.date(2026, 3, 16),
        currency="CAD",
        total_amount=Decimal("10.00"),
        created_at=FROZEN_AT,
    )

    with pytest.raises(ValidationError) as caught:
        billing_account_update(billing_account=billing_account, updated_by=clerk, currency="USD")

    assert (caught.value.field, caught.value.code) == ("currency", "currency_locked")


def test_default_billing_account_opens_one_with_the_providers_defaults_without_asking_anyone(settings):
    settings.HEADEND_BILLING_BILL_DAY = 12
    settings.HEADEND_CURRENCY = "CAD"
    account = make_account()

    opened = default_billing_account(account=account)

    opened.refresh_from_db()
    assert (
        opened.name,
        opened.currency,
        opened.cycle,
        opened.bill_day,
        opened.payment_terms_days,
        opened.delivery,
        opened.contact,
        opened.is_default,
        opened.created_at,
    ) == (account.name, "CAD", "calendar", 12, 15, "email", None, True, FROZEN_AT)
    assert default_billing_account(account=account) == opened
    assert BillingAccount.objects.count() == 1


def test_default_billing_account_bills_on_the_first_without_a_setting(settings):
    del settings.HEADEND_BILLING_BILL_DAY
    assert default_billing_account(account=make_account()).bill_day == 1


def test_default_billing_account_returns_the_present_default(clerk):
    account = make_account()
    billing_account_create(account=account, created_by=clerk)
    chosen = billing_account_create(account=account, created_by=clerk, is_default=True)

    assert default_billing_account(account=account) == chosen
    assert BillingAccount.objects.count() == 2


def test_default_billing_account_loses_a_race_gracefully(clerk, monkeypatch):
    """Another transaction opened the default between our look and our insert: the insert breaks
    the one-default constraint, is rolled back to its savepoint, and theirs is returned."""
    account = make_account()
    theirs = billing_account_create(account=account, created_by=clerk)
    real = accounts._default_of
    looks = []

    def too_early(account):  # the first look happens before their commit
        looks.append(account)
        return None if len(looks) == 1 else real(account)

    monkeypatch.setattr(accounts, "_default_of", too_early)

    with transaction.atomic():
        found = default_billing_account(account=account)
        assert BillingAccount.objects.count() == 1  # the transaction is still usable

    assert found == theirs
    assert len(looks) == 2
    assert outbox_names(subject=theirs) == ["billing_account.created"]
    assert OutboxEvent.objects.filter(name="billing_account.created").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
def test_two_turn_ups_at_once_open_one_default():
    account = make_account()
    looked = threading.Barrier(2, timeout=10)
    real = accounts._default_of
    results, errors = [], []
    local = threading.local()

    def look_then_wait(account):
        found = real(account)
        if not getattr(local, "waited", False):
            local.waited = True
            looked.wait()  # both have seen no default before either inserts
        return found

    def turn_up():
        try:
            with transaction.atomic():
                results.append(default_billing_account(account=account).pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    accounts._default_of = look_then_wait
    try:
        threads = [threading.Thread(target=turn_up) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
    finally:
        accounts._default_of = real

    assert errors == []
    assert len(results) == 2
    assert results[0] == results[1]
    assert BillingAccount.objects.filter(account=account).count() == 1
