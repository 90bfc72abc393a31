"""Helpers for the usage tests: plans with a data cap, subscribers, radacct rows as FreeRADIUS's
rlm_sql writes them, and what the ingest made of them."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connections

from headend.catalog.models import ProductVersion
from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.provisioning.models import Subscriber
from headend.usage.models import DailyUsage
from tests.factories import make_product
from tests.radius_fixtures import RADIUS_DB  # noqa: F401  (the tests' marks use it)

NY = ZoneInfo("America/New_York")
GB = 10**9


def local(day: str, time: str) -> dt.datetime:
    """An instant in the provider's zone (the tests' HEADEND_TIME_ZONE, New York)."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=NY)


def make_capped_plan(cap_gb: int | None, action: str = "notify", **version: Any) -> ProductVersion:
    """A published plan (300/100 Mbps) with this data cap and action at the cap."""
    plan = make_product(
        download_mbps=300, upload_mbps=100, data_cap_action=action, tasks=[TaskSpec("Turn up")], **version
    )
    ProductVersion.objects.filter(pk=plan.pk).update(data_cap_gb=cap_gb)
    plan.refresh_from_db()
    return plan


def make_subscriber(service: Any, username: str, *, state: str = "active") -> Subscriber:
    """The service's RADIUS subscriber record (no FreeRADIUS rows: for tests of the ingest alone)."""
    now = clock.now()
    return Subscriber.objects.create(
        service=service, username=username, plan_group="plan-x", state=state, created_at=now, updated_at=now
    )


def radacct(
    unique_id: str,
    username: str,
    *,
    start: dt.datetime,
    updated: dt.datetime | None = None,
    stop: dt.datetime | None = None,
    octets_in: int = 0,
    octets_out: int = 0,
) -> None:
    """Insert or rewrite a session's radacct row, as rlm_sql does at Start, Interim-Update and Stop."""
    with connections["radius"].cursor() as cursor:
        cursor.execute(
            "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, acctstarttime, "
            "acctupdatetime, acctstoptime, acctinputoctets, acctoutputoctets) "
            "VALUES (%s, %s, %s, '127.0.0.1', %s, %s, %s, %s, %s) ON CONFLICT (acctuniqueid) DO UPDATE SET "
            "acctupdatetime = excluded.acctupdatetime, acctstoptime = excluded.acctstoptime, "
            "acctinputoctets = excluded.acctinputoctets, acctoutputoctets = excluded.acctoutputoctets",
            [unique_id, unique_id, username, start, updated or stop or start, stop, octets_in, octets_out],
        )


def daily(service: Any) -> dict[str, tuple[int, int]]:
    """The service's usage per day: {"2026-03-01": (input, output)}."""
    return {
        day.isoformat(): (octets_in, octets_out)
        for day, octets_in, octets_out in DailyUsage.objects.filter(service=service)
        .order_by("day")
        .values_list("day", "input_octets", "output_octets")
    }
