"""Timestamps read from PostgreSQL by psycopg's C loader (core/connections.py,
`utc_timestamps_in_c`): the same aware datetimes, in UTC, that Django's own loader gives."""

import datetime as dt

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from headend.core.models import OutboxEvent

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders are PostgreSQL's"),
]

TEXTS = [
    "2026-03-02 15:00:00.123456+00",
    "2026-03-02 10:00:00-05",  # another offset: the same instant in UTC
    "2026-07-01 00:00:00.5+05:30",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "1999-12-31 23:59:59.999999+00",
]


def _read(cursor) -> list:
    cursor.execute(
        "SELECT value::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS given(value, n) ORDER BY n", [TEXTS]
    )
    return [row[0] for row in cursor.fetchall()]


def test_each_value_is_what_djangos_loader_reads_in_utc():
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(cursor.cursor.adapters.types["timestamptz"].oid, Format.TEXT)
        assert loader.load is None, "the connection's loader hands values to psycopg's"
        ours = _read(cursor)
        register_tzloader(dt.UTC, cursor.cursor)  # Django's, on this cursor only
        djangos = _read(cursor)

    assert ours == djangos
    assert [value.tzinfo for value in ours] == [dt.UTC] * len(TEXTS)
    assert ours[1] == dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


def test_models_read_their_timestamps_in_utc():
    at = dt.datetime(2026, 3, 2, 10, 0, 0, 250000, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    event = OutboxEvent.objects.create(name="x.y", subject_type="a.b", subject_id="1", occurred_at=at)

    read = OutboxEvent.objects.get(pk=event.pk)

    assert read.occurred_at == at
    assert read.occurred_at.tzinfo is dt.UTC
    assert read.published_at is None
