"""A benchmark's own FreeRADIUS database: a fresh PostgreSQL database with the package's schema,
as the "radius" alias (bench/radius.py, bench/usage.py), dropped afterwards."""

import os

RADIUS_URL = os.environ.get("HEADEND_BENCH_RADIUS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")


def create(name: str) -> dict:
    """Point the "radius" alias at a fresh database `name` holding the schema; its settings
    (their NAME and the rest, as Django holds them)."""
    import dj_database_url
    import psycopg
    from django.db import connections
    from tests.provisioning.freeradius import schema_sql

    with psycopg.connect(url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url(name), autocommit=True) as conn:
        conn.execute(schema_sql())
    connections["radius"].close()
    configured = connections.configure_settings(
        {"default": connections.settings["default"], "radius": dj_database_url.parse(url(name))}
    )
    connections.settings["radius"] = configured["radius"]
    del connections["radius"]
    return configured["radius"]


def url(name: str) -> str:
    """The URL of database `name` on the benchmark's PostgreSQL server."""
    return f"{RADIUS_URL.rstrip('/')}/{name}"


def drop(name: str) -> None:
    import psycopg
    from django.db import connections

    connections["radius"].close()
    with psycopg.connect(url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
