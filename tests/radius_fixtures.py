"""FreeRADIUS for any test: its tables in the radius test database (PostgreSQL, the package's own
schema.sql), a real FreeRADIUS per test session (per xdist worker) and a NAS stand-in. Imported
by tests/conftest.py so every test directory may use them."""

import pytest
from django.conf import settings
from django.db import connections

from headend.provisioning.models import Nas
from tests.provisioning.freeradius import Database, FreeRadius, FreeRadiusMissing, schema_sql
from tests.provisioning.nas_standin import NasStandin

RADIUS_TABLES = ("radcheck", "radreply", "radusergroup", "radgroupreply", "radgroupcheck", "radacct", "radpostauth")
RADIUS_DB = {"databases": ["default", "radius"]}


@pytest.fixture(scope="session")
def radius_schema(django_db_setup, django_db_blocker) -> None:
    """Load the schema.sql the installed freeradius-postgresql ships into the radius test database."""
    connection = connections["radius"]
    if connection.vendor != "postgresql":
        pytest.fail(f"The RADIUS tests need PostgreSQL for the radius database, not {connection.vendor}.")
    try:
        sql = schema_sql()
    except FreeRadiusMissing as exc:
        pytest.fail(str(exc))  # never a skip: CI must install FreeRADIUS (scripts/ensure-freeradius)
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        if "radcheck" not in connection.introspection.table_names(cursor):
            cursor.execute(sql)


@pytest.fixture(scope="session")
def freeradius(radius_schema, django_db_blocker):
    """A real FreeRADIUS on free loopback ports, reading the radius test database."""
    with django_db_blocker.unblock():
        database = Database.from_settings(connections["radius"].settings_dict)
    server = FreeRadius(database, secret=settings.HEADEND_SECRETS["NAS"])
    try:
        server.start()
    except FreeRadiusMissing as exc:
        pytest.fail(str(exc))
    yield server
    server.cleanup()  # before the test database is dropped: its connections would block that


def empty_radius_tables() -> None:
    """Empty the FreeRADIUS tables: Django's flush between tests does not know them."""
    with connections["radius"].cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(RADIUS_TABLES)} RESTART IDENTITY")


@pytest.fixture
def radius_tables(radius_schema, django_db_blocker) -> None:
    """Empty FreeRADIUS tables for the test."""
    with django_db_blocker.unblock():
        empty_radius_tables()


@pytest.fixture
def nas_standin():
    standin = NasStandin(secret=settings.HEADEND_SECRETS["NAS"].encode()).start()
    yield standin
    standin.stop()


@pytest.fixture
def nas(nas_standin) -> Nas:
    """The NAS the test sessions are on: 127.0.0.1, whose CoA port is the stand-in's."""
    return Nas.objects.create(name="bng-1", ip_address="127.0.0.1", coa_port=nas_standin.port, secret_name="NAS")


@pytest.fixture
def fast_coa(settings):
    settings.HEADEND_RADIUS_COA_TIMEOUT = 0.2
    settings.HEADEND_RADIUS_COA_RETRIES = 2
