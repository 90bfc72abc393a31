"""Helpers for provisioning tests: plans, services with RADIUS identities, and a way to run a code
action for a service as the worker does (the FreeRADIUS fixtures are in tests/radius_fixtures.py)."""

from typing import Any

from django.db import connections

from headend.catalog import code_actions
from headend.catalog.code_actions import ActionContext
from headend.catalog.models import ProductVersion
from headend.catalog.services import TaskSpec
from tests.factories import make_account, make_live_service, make_product
from tests.radius_fixtures import RADIUS_DB, RADIUS_TABLES  # noqa: F401  (fixtures live there)


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
