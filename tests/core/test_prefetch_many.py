"""A forward relation prefetched for many rows (Django 5.2 reads it with a TupleIn, which on
SQLite wrote one `id = %s OR` per row and failed past 1,000: core/connections.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headend.core import clock
from headend.crm.models import Account, Location

pytestmark = pytest.mark.django_db


def _sites(count):
    now = clock.now()
    accounts = Account.objects.bulk_create(
        Account(name=f"Customer {n}", kind="business", created_at=now) for n in range(count)
    )
    return Location.objects.bulk_create(
        Location(
            account=account,
            line1=f"{n} Water St",
            city="Eastport",
            state="ME",
            postal_code="04631",
            address_key=f"{n} WATER ST||EASTPORT|ME|04631",
            created_at=now,
        )
        for n, account in enumerate(accounts)
    )


def test_a_forward_relation_of_more_than_a_thousand_rows_is_prefetched(django_assert_num_queries):
    _sites(1001)

    with django_assert_num_queries(2):
        sites = list(Location.objects.order_by("pk").prefetch_related("account"))

    assert len({site.account.pk for site in sites}) == 1001
    assert all(site.account.name == f"Customer {n}" for n, site in enumerate(sites))


def test_the_prefetch_names_its_rows_in_one_list():
    _sites(3)
    with CaptureQueriesContext(connection) as queries:
        list(Location.objects.prefetch_related("account"))
    prefetch = queries.captured_queries[-1]["sql"]
    assert " IN (" in prefetch
    assert " OR " not in prefetch
