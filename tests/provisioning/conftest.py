"""Fixtures for provisioning: FreeRADIUS's tables in the radius test database (PostgreSQL, the
package's own schema.sql), a real FreeRADIUS per test session (per xdist worker), a NAS stand-in,
and a way to run a code action for a service as the worker does."""

from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from headend.catalog.models import ProductVersion
from headend.catalog.services import TaskSpec
from headend.fulfillment import code_actions
from headend.fulfillment.code_actions import ActionContext
from headend.provisioning.models import Nas
from tests.factories import make_account, make_live_service, make_product
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


@pytest.fixture
def radius_tables(radius_schema, django_db_blocker) -> None:
    """Empty FreeRADIUS tables: Django's flush between tests does not know them."""
    with django_db_blocker.unblock(), connections["radius"].cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(RADIUS_TABLES)} RESTART IDENTITY")


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


def make_plan(*, code: str = "home", download_mbps: int | None = 300, upload_mbps: int | None = 100) -> Any:
    """A residential plan with these speeds and a one-task install; the same code, the same plan."""
    existing = ProductVersion.objects.filter(product__code=code, status="published").first()
    if existing is not None:
        return existing
    return make_product(
        code=code,
        customer_type="residential",
        download_mbps=download_mbps,
        upload_mbps=upload_mbps,
        tasks=[TaskSpec("Turn up")],
    )


def make_radius_service(version: Any = None, **identifiers: Any) -> Any:
    """A live residential service on a 300/100 plan (or `version`), with these identifiers."""
    service = make_live_service(make_account("residential"), version or make_plan())
    if identifiers:
        from headend.inventory import services as inventory_services

        service = inventory_services.service_set_identifiers(service=service, **identifiers)
    return service


def run_action(name: str, service: Any, **params: Any) -> tuple[dict[str, Any], ActionContext]:
    """Run a code action for the service as the worker does: a fresh context on one of its tasks."""
    task = service.work_orders.order_by("pk").first().tasks.order_by("pk").first()
    task.work_order.service.refresh_from_db()
    context = ActionContext(task=task, params=params)
    return code_actions.get(name)(context), context


def radius_rows(username: str) -> dict[str, list[tuple]]:
    """What FreeRADIUS would read for a username, and its groups' replies."""
    with connections["radius"].cursor() as cursor:
        rows: dict[str, list[tuple]] = {}
        for table in ("radcheck", "radreply"):
            cursor.execute(f"SELECT attribute, op, value FROM {table} WHERE username = %s ORDER BY id", [username])
            rows[table] = cursor.fetchall()
        cursor.execute("SELECT groupname, priority FROM radusergroup WHERE username = %s ORDER BY id", [username])
        rows["radusergroup"] = cursor.fetchall()
        cursor.execute(
            "SELECT groupname, attribute, op, value FROM radgroupreply WHERE groupname IN "
            "(SELECT groupname FROM radusergroup WHERE username = %s) ORDER BY id",
            [username],
        )
        rows["radgroupreply"] = cursor.fetchall()
    return rows
