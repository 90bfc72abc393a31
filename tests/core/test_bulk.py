"""core/bulk.py: set-based writes keep the history a save() per row would."""

import datetime as dt
import uuid
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.contrib.auth.models import User
from django.db import DataError, transaction

from headend.core import audit, bulk, clock
from headend.core.models import OutboxEvent
from headend.crm.models import Contact, Location
from tests.factories import make_account


def test_created_rows_get_their_ids_and_one_created_history_row_each_naming_who_acted(db):
    rep = User.objects.create_user("rep")
    sites = _unsaved_sites(3)

    with audit.acting_for(rep):
        created = bulk.create_with_history(Location, sites)

    assert all(site.pk for site in created)
    history = Location.history.filter(id__in=[site.pk for site in created]).order_by("id")
    assert [(row.id, row.name, row.line1, row.history_type, row.history_user_id) for row in history] == [
        (site.pk, site.name, site.line1, "+", rep.pk) for site in created
    ]


def test_no_rows_write_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk.create_with_history(Location, []) == []


def _unsaved_sites(count: int) -> list[Location]:
    account = make_account()
    return [
        Location(
            account=account,
            name=f"Branch {n}",
            line1=f"{n} Water St",
            city="Eastport",
            state="ME",
            postal_code="04631",
            address_key=f"{n} WATER ST||EASTPORT|ME|04631",
            latitude=Decimal("44.900000"),
            geocoded_at=clock.now() - dt.timedelta(days=1),
            created_at=clock.now(),
        )
        for n in range(1, count + 1)
    ]


def _sites(count: int) -> list[Location]:
    return bulk.create_with_history(Location, _unsaved_sites(count))


def test_updated_columns_hold_each_rows_own_values_and_nothing_else_moves(db):
    first, second, _ = _sites(3)
    contact = Contact.objects.create(account=first.account, first_name="Ada", last_name="Li", created_at=clock.now())
    first.latitude, first.geocoded_at, first.site_contact = Decimal("44.715100"), clock.now(), contact
    second.latitude, second.geocoded_at, second.site_contact = None, None, None  # NULLs over values
    first.line1 = second.line1 = "changed, but not among the columns written"

    bulk.update_columns(Location, [first, second], ["latitude", "geocoded_at", "site_contact"])

    rows = Location.objects.order_by("pk").values_list("latitude", "geocoded_at", "site_contact_id", "line1")
    assert list(rows) == [
        (Decimal("44.715100"), clock.now(), contact.pk, "1 Water St"),
        (None, None, None, "2 Water St"),
        (Decimal("44.900000"), clock.now() - dt.timedelta(days=1), None, "3 Water St"),
    ]


def test_a_column_of_nulls_json_and_numbers_are_written_as_their_types(db):
    events = [OutboxEvent.objects.create(name="x.y", subject_type="crm.location", subject_id=str(n), data={},
                                         occurred_at=clock.now()) for n in (1, 2)]  # fmt: skip
    for n, event in enumerate(events):
        event.data, event.attempts, event.published_at = {"n": n, "tags": ["a", "b"]}, n + 3, None

    bulk.update_columns(OutboxEvent, events, ["data", "attempts", "published_at"])

    assert list(OutboxEvent.objects.order_by("pk").values_list("data", "attempts", "published_at")) == [
        ({"n": 0, "tags": ["a", "b"]}, 3, None),
        ({"n": 1, "tags": ["a", "b"]}, 4, None),
    ]


def test_a_row_given_twice_keeps_its_last_values_as_two_saves_would(db):
    (site,) = _sites(1)
    again = Location.objects.get(pk=site.pk)
    site.name, again.name = "First", "Last"

    bulk.update_columns(Location, [site, again], ["name"], history=True)

    assert Location.objects.get(pk=site.pk).name == "Last"
    assert list(Location.history.filter(id=site.pk).order_by("history_id").values_list("history_type", "name")) == [
        ("+", "Branch 1"),
        ("~", "Last"),
    ]


@pytest.mark.parametrize("count", [10, 100])
def test_updating_rows_costs_one_statement_per_chunk_whatever_their_number(db, django_assert_num_queries, count):
    sites = _sites(count)
    for site in sites:
        site.name = f"Store {site.pk}"

    with django_assert_num_queries(1):
        bulk.update_columns(Location, sites, ["name"])
    with django_assert_num_queries(2), patch.object(bulk, "CHUNK", count // 2 + 1):
        bulk.update_columns(Location, sites, ["name"])

    assert sorted(Location.objects.values_list("name", flat=True)) == sorted(f"Store {site.pk}" for site in sites)


def test_values_that_need_quoting_are_written_as_given(db):
    sites = _sites(3)
    names = ["O'Brien's 100% \\ café", "%s %(x)s $1 -- ;", 'quote " and \\n newline\n']
    for site, name in zip(sites, names, strict=True):
        site.name = name

    bulk.update_columns(Location, sites, ["name"])
    columns = ["event_id", "name", "subject_type", "subject_id", "data", "occurred_at", "attempts", "last_error"]
    rows = [(uuid.uuid4(), "x.y", "crm.location", name[:40], {"name": name}, clock.now(), 0, name) for name in names]
    bulk.insert_rows(OutboxEvent, columns, rows)

    assert list(Location.objects.order_by("pk").values_list("name", flat=True)) == names
    assert list(
        OutboxEvent.objects.filter(name="x.y").order_by("pk").values_list("subject_id", "data", "last_error")
    ) == [(name[:40], {"name": name}, name) for name in names]


def _refused(write) -> bool:
    """Whether the database refuses `write` (its transaction rolled back)."""
    try:
        with transaction.atomic():
            write()
    except DataError:
        return True
    return False


@pytest.mark.parametrize(("value", "kept"), [("MEE", "ME"), ("M\x00", "ME")])
def test_a_value_the_column_cannot_hold_is_refused_as_a_save_refuses_it(db, value, kept):
    """Too long for its column (PostgreSQL refuses it, SQLite keeps any length), or a NUL in text
    (PostgreSQL cannot store one): refused by a set-based update exactly when a save refuses it,
    with Django's error, never cut short."""
    (site,) = _sites(1)
    site.state = value

    saved = _refused(lambda: site.save(update_fields=["state"]))
    Location.objects.filter(pk=site.pk).update(state="ME")
    updated = _refused(lambda: bulk.update_columns(Location, [site], ["state"]))

    assert updated == saved
    assert Location.objects.get(pk=site.pk).state == (kept if saved else value)
