"""core/bulk.py: set-based writes keep the history a save() per row would."""

from django.contrib.auth.models import User

from headend.core import audit, bulk, clock
from headend.crm.models import Location
from tests.factories import make_account


def test_created_rows_get_their_ids_and_one_created_history_row_each_naming_who_acted(db):
    account = make_account()
    rep = User.objects.create_user("rep")
    sites = [
        Location(
            account=account,
            name=f"Branch {n}",
            line1=f"{n} Water St",
            city="Eastport",
            state="ME",
            postal_code="04631",
            address_key=f"{n} WATER ST||EASTPORT|ME|04631",
            created_at=clock.now(),
        )
        for n in (1, 2, 3)
    ]

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
