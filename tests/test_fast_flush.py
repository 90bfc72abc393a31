"""The flush after a transactional test (tests/fast_flush.py) empties every table on PostgreSQL,
whatever order the rows reference each other in."""

import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection

from headend.crm.models import Account, Location
from headend.quoting.models import Quote, QuoteLine
from tests.factories import make_quote

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the DELETE flush is PostgreSQL's")


def test_every_foreign_key_is_deferred_so_the_deletes_may_run_in_any_order(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'f' AND NOT condeferred")
        assert cursor.fetchall() == []


@pytest.mark.django_db(transaction=True)
def test_the_flush_empties_tables_that_reference_each_other():
    assert "DELETE FROM" in connection.ops.sql_flush(no_style(), ["crm_account"])[1]
    make_quote()  # an account, its location, a product and a quote line
    assert QuoteLine.objects.exists()

    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)

    assert [model.objects.count() for model in (QuoteLine, Quote, Location, Account)] == [0, 0, 0, 0]
