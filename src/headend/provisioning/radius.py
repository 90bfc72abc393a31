"""FreeRADIUS (rlm_sql): the tables it reads, written over the "radius" database alias, and the
code actions that provision, suspend, restore and remove a service's subscriber.

What FreeRADIUS gets for one subscriber (username U in plan group G):

    radcheck       U  Cleartext-Password := <password>   (PPPoE; IPoE: Auth-Type := Accept)
    radreply       U  Framed-IP-Address  := <address>    (only for a static IP)
    radusergroup   U  G, priority 1                      (suspended: the walled-garden group)
    radgroupreply  G  the plan's rate limit, per settings.HEADEND_RADIUS_VENDOR:
                      mikrotik  Mikrotik-Rate-Limit := "<up>M/<down>M"  (rx/tx seen by the router)
                      wispr     WISPr-Bandwidth-Max-Up/-Down := bits per second

The plan group is named from the product version, `plan-<product code>-<down>m-<up>m`. Each
write replaces the rows of one username (or group) in one transaction on the radius alias, so
running it twice leaves one set of rows; a database that cannot be reached raises
`RadiusUnavailable`, which the actions turn into a RetryableError.

The actions' parameters (checked when staff save a template):

    radius.provision  {"auth": "pppoe" | "ipoe", "coa": "coa" | "disconnect", "realm": "isp.example"}
    radius.suspend    {"coa": "coa" | "disconnect"}
    radius.restore    {"coa": "coa" | "disconnect"}
    radius.remove     {}
    radius.routes     {"coa": "coa" | "disconnect"}

`auth` (default pppoe): PPPoE gets a generated username (`s-000042`, plus `@realm` if given)
and password; IPoE authenticates the NAS's User-Name, the service's circuit id (Option 82) or
the MAC staff recorded as identifier `radius_username`. An identifier `radius_username` always
wins, and provisioning records the one it used there; `ipv4_address` becomes the framed IP.
`radius.routes` runs on an add-on (a static IP block): the base service's subscriber gets one
Framed-Route per block its live add-ons hold (radreply, op +=), and a live session learns of
the change by CoA (a Disconnect-Request when the last route goes, since a CoA cannot withdraw
one). A base with no RADIUS subscriber (a business hand-off) is routed by hand: nothing to do.
`coa` (default coa): how a live session learns of the change, a CoA-Request with the new
attributes or a Disconnect-Request so the subscriber reconnects; `radius.remove` always
disconnects. A session is one open row in radacct; with none, nothing is sent.
"""

import contextlib
import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from headend.catalog import code_actions
from headend.catalog.code_actions import ActionContext, PermanentError, RetryableError
from headend.core.errors import DomainError, ValidationError

RADIUS = "radius"
VENDORS = ("mikrotik", "wispr")
AUTH_TYPES = ("pppoe", "ipoe")
COA_MODES = ("coa", "disconnect")
WALLED_GARDEN_MBPS = 1  # enough for the captive portal and the payment page
WISPR_MAX_BPS = 2**32 - 1  # WISPr bandwidths are 32-bit integers

Row = tuple[str, str, str]  # attribute, op, value


class RadiusUnavailable(Exception):
    """FreeRADIUS's database could not be reached or refused the statement."""


# ---------------------------------------------------------------------------------------------
# What the rows say: pure, no database.


@dataclass(frozen=True)
class Plan:
    code: str
    download_mbps: int
    upload_mbps: int

    @property
    def group(self) -> str:
        return f"plan-{self.code}-{self.download_mbps}m-{self.upload_mbps}m"


def plan_of(*, code: str, name: str, download_mbps: int | None, upload_mbps: int | None) -> Plan:
    """The rate plan of a product version (its product's code and name, its speeds);
    ValidationError if it has no speeds."""
    if not download_mbps or not upload_mbps:
        raise ValidationError(
            f"{name} has no download and upload speeds: RADIUS cannot rate-limit it.",
            field="product_version",
            code="no_speeds",
        )
    return Plan(code=code, download_mbps=download_mbps, upload_mbps=upload_mbps)


def _vendor(vendor: str | None = None) -> str:
    vendor = vendor or settings.HEADEND_RADIUS_VENDOR
    if vendor not in VENDORS:
        raise ValidationError(
            f"Unknown RADIUS vendor {vendor!r}; HEADEND_RADIUS_VENDOR is one of {', '.join(VENDORS)}.",
            field="vendor",
            code="invalid_choice",
        )
    return vendor


def _rate(download_mbps: int, upload_mbps: int, vendor: str) -> list[Row]:
    if _vendor(vendor) == "mikrotik":
        # RouterOS reads rx-rate/tx-rate from the router's side: it receives the upload.
        return [("Mikrotik-Rate-Limit", ":=", f"{upload_mbps}M/{download_mbps}M")]
    return [
        ("WISPr-Bandwidth-Max-Up", ":=", str(min(upload_mbps * 1_000_000, WISPR_MAX_BPS))),
        ("WISPr-Bandwidth-Max-Down", ":=", str(min(download_mbps * 1_000_000, WISPR_MAX_BPS))),
    ]


def rate_reply(plan: Plan, vendor: str | None = None) -> list[Row]:
    """The reply attributes that carry a plan's rate limit for a vendor (default: the settings')."""
    return _rate(plan.download_mbps, plan.upload_mbps, _vendor(vendor))


def walled_garden_reply(vendor: str | None = None) -> list[Row]:
    """What a suspended subscriber gets: a small rate and the walled-garden filter."""
    vendor = _vendor(vendor)
    group = settings.HEADEND_RADIUS_WALLED_GARDEN_GROUP
    tag = ("Mikrotik-Address-List", ":=", group) if vendor == "mikrotik" else ("Filter-Id", ":=", group)
    return [tag, *_rate(WALLED_GARDEN_MBPS, WALLED_GARDEN_MBPS, vendor)]


@dataclass(frozen=True)
class UserEntry:
    username: str
    check: list[Row]
    reply: list[Row]
    groups: list[tuple[str, int]]  # group name, priority


def user_entry(
    *,
    username: str,
    auth_type: str,
    password: str,
    group: str,
    framed_ip: str | None = None,
    framed_routes: list[str] | None = None,
) -> UserEntry:
    check = [("Cleartext-Password", ":=", password)] if auth_type == "pppoe" else [("Auth-Type", ":=", "Accept")]
    reply = [("Framed-IP-Address", ":=", framed_ip)] if framed_ip else []
    reply += [("Framed-Route", "+=", route) for route in framed_routes or []]
    return UserEntry(username=username, check=check, reply=reply, groups=[(group, 1)])


def framed_route_of(value: Any) -> str | None:
    """The Framed-Route (RFC 2865: "<prefix> <gateway> <metric>", gateway 0.0.0.0 being the
    subscriber's own address) for a routed block recorded as "a.b.c.d/nn"; None for a single
    address or anything that is no IPv4 block."""
    try:
        network = ipaddress.ip_interface(str(value)).network
    except ValueError:
        return None
    if not isinstance(network, ipaddress.IPv4Network) or network.prefixlen >= 32:
        return None
    return f"{network} 0.0.0.0 1"


def framed_ip_of(value: Any) -> str | None:
    """The IPv4 address to pin a subscriber to, from identifier `ipv4_address` ("a.b.c.d" or
    "a.b.c.d/nn"); ValidationError if it is not one."""
    if value in (None, ""):
        return None
    try:
        address = ipaddress.ip_interface(str(value)).ip
    except ValueError:
        address = None
    if not isinstance(address, ipaddress.IPv4Address):
        raise ValidationError(
            f"Identifier ipv4_address {value!r} is not an IPv4 address.", field="ipv4_address", code="invalid"
        )
    return str(address)


# ---------------------------------------------------------------------------------------------
# The store: raw SQL over the radius alias (PostgreSQL or SQLite).


@contextlib.contextmanager
def _writing(*lock_keys: str) -> Iterator[Any]:
    """A cursor in one transaction on the radius alias, holding a lock per key on PostgreSQL so
    two workers writing the same username take turns (SQLite has one writer at a time)."""
    try:
        with transaction.atomic(using=RADIUS), connections[RADIUS].cursor() as cursor:
            if connections[RADIUS].vendor == "postgresql" and lock_keys:
                # One statement, the locks taken left to right in a fixed order (no deadlock).
                keys = sorted(lock_keys)
                locks = ", ".join(["pg_advisory_xact_lock(hashtext(%s))"] * len(keys))
                cursor.execute(f"SELECT {locks}", [f"headend-radius:{key}" for key in keys])
            yield cursor
    except DatabaseError as exc:
        raise RadiusUnavailable(_database_error(exc)) from exc


@contextlib.contextmanager
def reading() -> Iterator[Any]:
    """A cursor on the radius alias, outside any transaction of ours."""
    try:
        with connections[RADIUS].cursor() as cursor:
            yield cursor
    except DatabaseError as exc:
        raise RadiusUnavailable(_database_error(exc)) from exc


def _database_error(exc: Exception) -> str:
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"The RADIUS database is unavailable: {first_line}"


def _delete_user(cursor: Any, username: str) -> None:
    for table in ("radcheck", "radreply", "radusergroup"):
        cursor.execute(f"DELETE FROM {table} WHERE username = %s", [username])  # noqa: S608 (fixed names)


def _insert_user(cursor: Any, entry: UserEntry) -> None:
    for table, rows in (("radcheck", entry.check), ("radreply", entry.reply)):
        if rows:
            cursor.executemany(
                f"INSERT INTO {table} (username, attribute, op, value) VALUES (%s, %s, %s, %s)",  # noqa: S608
                [(entry.username, *row) for row in rows],
            )
    cursor.executemany(
        "INSERT INTO radusergroup (username, groupname, priority) VALUES (%s, %s, %s)",
        [(entry.username, group, priority) for group, priority in entry.groups],
    )


def _group_rows(cursor: Any, group: str) -> list[Row]:
    cursor.execute("SELECT attribute, op, value FROM radgroupreply WHERE groupname = %s ORDER BY id", [group])
    return [tuple(row) for row in cursor.fetchall()]


def _set_group_reply(cursor: Any, group: str, rows: list[Row]) -> bool:
    if _group_rows(cursor, group) == list(rows):
        return False
    cursor.execute("DELETE FROM radgroupreply WHERE groupname = %s", [group])
    cursor.executemany(
        "INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES (%s, %s, %s, %s)",
        [(group, *row) for row in rows],
    )
    return True


def user_write(entry: UserEntry, *, groups: dict[str, list[Row]] | None = None, replaces: str = "") -> None:
    """In one transaction: make each of `groups` reply exactly its rows, and replace every row of
    `entry.username` (and of `replaces`, a former username)."""
    groups = groups or {}
    former = replaces if replaces and replaces != entry.username else ""
    # A plan's group rows rarely change: read them unlocked, and lock (and rewrite) only a group
    # that differs, so workers provisioning subscribers of one plan do not queue on its lock.
    with reading() as cursor:
        stale = {group: rows for group, rows in groups.items() if _group_rows(cursor, group) != list(rows)}
    keys = [f"user:{entry.username}", *(f"group:{group}" for group in stale)] + ([f"user:{former}"] if former else [])
    with _writing(*keys) as cursor:
        for group, rows in stale.items():
            _set_group_reply(cursor, group, rows)
        if former:
            _delete_user(cursor, former)
        _delete_user(cursor, entry.username)
        _insert_user(cursor, entry)


def user_delete(username: str) -> None:
    """Remove a username's rows: FreeRADIUS rejects it from now on."""
    with _writing(f"user:{username}") as cursor:
        _delete_user(cursor, username)


def user_get(username: str) -> UserEntry | None:
    """The rows FreeRADIUS holds for a username, or None if it has none."""
    with reading() as cursor:
        rows = {}
        for table in ("radcheck", "radreply"):
            cursor.execute(
                f"SELECT attribute, op, value FROM {table} WHERE username = %s ORDER BY id",  # noqa: S608
                [username],
            )
            rows[table] = [tuple(row) for row in cursor.fetchall()]
        cursor.execute(
            "SELECT groupname, priority FROM radusergroup WHERE username = %s ORDER BY priority, id", [username]
        )
        groups = [(str(group), int(priority)) for group, priority in cursor.fetchall()]
    if not (rows["radcheck"] or rows["radreply"] or groups):
        return None
    return UserEntry(username=username, check=rows["radcheck"], reply=rows["radreply"], groups=groups)


def group_reply_get(group: str) -> list[Row]:
    with reading() as cursor:
        cursor.execute("SELECT attribute, op, value FROM radgroupreply WHERE groupname = %s ORDER BY id", [group])
        return [(str(a), str(o), str(v)) for a, o, v in cursor.fetchall()]


# ---------------------------------------------------------------------------------------------
# The schema, for a database FreeRADIUS's own schema.sql has not been loaded into.


def _schema(connection: BaseDatabaseWrapper) -> dict[str, list[str]]:
    pg = connection.vendor == "postgresql"
    pk = "serial PRIMARY KEY" if pg else "integer PRIMARY KEY AUTOINCREMENT"
    big_pk = "bigserial PRIMARY KEY" if pg else "integer PRIMARY KEY AUTOINCREMENT"
    inet = "inet" if pg else "text"
    instant = "timestamp with time zone" if pg else "timestamp"

    def attribute_table(name: str, key: str, op: str) -> list[str]:
        return [
            f"CREATE TABLE {name} (id {pk}, {key} text NOT NULL DEFAULT '', attribute text NOT NULL DEFAULT '', "
            f"op varchar(2) NOT NULL DEFAULT '{op}', value text NOT NULL DEFAULT '')",
            f"CREATE INDEX {name}_{key} ON {name} ({key}, attribute)",
        ]

    return {
        "radcheck": attribute_table("radcheck", "username", "=="),
        "radreply": attribute_table("radreply", "username", "="),
        "radgroupcheck": attribute_table("radgroupcheck", "groupname", "=="),
        "radgroupreply": attribute_table("radgroupreply", "groupname", "="),
        "radusergroup": [
            f"CREATE TABLE radusergroup (id {pk}, username text NOT NULL DEFAULT '', "
            "groupname text NOT NULL DEFAULT '', priority integer NOT NULL DEFAULT 0)",
            "CREATE INDEX radusergroup_username ON radusergroup (username)",
        ],
        # Every column FreeRADIUS's accounting queries write.
        "radacct": [
            f"CREATE TABLE radacct (radacctid {big_pk}, acctsessionid text NOT NULL, "
            f"acctuniqueid text NOT NULL UNIQUE, username text, realm text, nasipaddress {inet} NOT NULL, "
            f"nasportid text, nasporttype text, acctstarttime {instant}, acctupdatetime {instant}, "
            f"acctstoptime {instant}, acctinterval bigint, acctsessiontime bigint, acctauthentic text, "
            "connectinfo_start text, connectinfo_stop text, acctinputoctets bigint, acctoutputoctets bigint, "
            "calledstationid text, callingstationid text, acctterminatecause text, servicetype text, "
            f"framedprotocol text, framedipaddress {inet}, framedipv6address {inet}, framedipv6prefix {inet}, "
            f"framedinterfaceid text, delegatedipv6prefix {inet}, class text)",
            "CREATE INDEX radacct_open_username ON radacct (username) WHERE acctstoptime IS NULL",
            "CREATE INDEX radacct_bulk_close ON radacct (nasipaddress, acctstarttime) WHERE acctstoptime IS NULL",
        ],
        "radpostauth": [
            f"CREATE TABLE radpostauth (id {big_pk}, username text NOT NULL, pass text, reply text, "
            f"calledstationid text, callingstationid text, authdate {instant} NOT NULL DEFAULT CURRENT_TIMESTAMP, "
            "class text)",
        ],
        "nasreload": [f"CREATE TABLE nasreload (nasipaddress {inet} PRIMARY KEY, reloadtime {instant} NOT NULL)"],
    }


def schema_create(using: str = RADIUS) -> list[str]:
    """Create the FreeRADIUS tables a database lacks; return the names created. For `make run`
    without FreeRADIUS (SQLite); a real server's database gets the package's schema.sql."""
    connection = connections[using]
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            existing = set(connection.introspection.table_names(cursor))
            created = []
            for table, statements in _schema(connection).items():
                if table in existing:
                    continue
                for statement in statements:
                    cursor.execute(statement)
                created.append(table)
    except DatabaseError as exc:
        raise RadiusUnavailable(_database_error(exc)) from exc
    return created


# ---------------------------------------------------------------------------------------------
# Code actions.


def _check_params(allowed: tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
    def check(params: dict[str, Any]) -> None:
        for key in params:
            if key not in allowed:
                known = ", ".join(allowed) or "none"
                raise ValidationError(f"Unknown parameter {key!r} (known: {known}).", field=key, code="unknown")
        if "auth" in params and params["auth"] not in AUTH_TYPES:
            raise ValidationError(f"auth must be one of {', '.join(AUTH_TYPES)}.", field="auth", code="invalid_choice")
        if "coa" in params and params["coa"] not in COA_MODES:
            raise ValidationError(f"coa must be one of {', '.join(COA_MODES)}.", field="coa", code="invalid_choice")
        realm = params.get("realm", "")
        if not isinstance(realm, str) or any(c in realm for c in "@ \t\r\n"):
            raise ValidationError("realm is a domain name such as isp.example.", field="realm", code="invalid")

    return check


check_provision_params = _check_params(("auth", "coa", "realm"))
check_change_params = _check_params(("coa",))
check_remove_params = _check_params(())


def _params(context: ActionContext, check: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    try:
        check(context.params)
    except ValidationError as exc:
        raise PermanentError(f"Parameter {exc.field}: {exc.message}") from exc
    return context.params


@contextlib.contextmanager
def _as_action_errors() -> Iterator[None]:
    """Domain refusals (duplicate username, no speeds) cannot be retried; a database that is down can."""
    try:
        yield
    except DomainError as exc:
        raise PermanentError(exc.message) from exc
    except RadiusUnavailable as exc:
        raise RetryableError(str(exc)) from exc


def _summary(subscriber: Any) -> dict[str, Any]:
    return {
        "username": subscriber.username,
        "auth": subscriber.auth_type,
        "group": subscriber.plan_group,
        "state": subscriber.state,
        "framed_ip": subscriber.framed_ip,
    }


@code_actions.register("radius.provision", "RADIUS: provision the subscriber", check_params=check_provision_params)
def provision(context: ActionContext) -> dict[str, Any]:
    from headend.provisioning import coa, services

    params = _params(context, check_provision_params)
    with _as_action_errors():
        outcome = services.subscriber_provision(
            service=context.service,
            auth_type=params.get("auth", "pppoe"),
            realm=params.get("realm", ""),
            version=context.product_version,
        )
    subscriber = outcome.subscriber
    context.record(
        request={"radius": "provision", **_summary(subscriber)},
        response={"subscriber": "created" if outcome.created else "updated" if outcome.changed else "unchanged"},
    )
    result: dict[str, Any] = {**_summary(subscriber), "created": outcome.created, "changed": outcome.changed}
    # A subscriber online before this run (an upgrade, or a re-run after a crash) learns its
    # rate now; a new one gets it when it first connects.
    if not outcome.created and subscriber.state == "active":
        plan = outcome.plan
        assert plan is not None
        with _as_action_errors():
            result["sessions"] = coa.push(
                context,
                username=subscriber.username,
                kind=params.get("coa", "coa"),
                attributes=lambda vendor: rate_reply(plan, vendor),
            )
    return result


@code_actions.register("radius.suspend", "RADIUS: suspend to the walled garden", check_params=check_change_params)
def suspend(context: ActionContext) -> dict[str, Any]:
    from headend.provisioning import coa, services

    params = _params(context, check_change_params)
    with _as_action_errors():
        outcome = services.subscriber_suspend(service=context.service)
    subscriber = outcome.subscriber
    context.record(request={"radius": "suspend", **_summary(subscriber)}, response={"changed": outcome.changed})
    with _as_action_errors():
        sessions = coa.push(
            context, username=subscriber.username, kind=params.get("coa", "coa"), attributes=walled_garden_reply
        )
    return {**_summary(subscriber), "changed": outcome.changed, "sessions": sessions}


@code_actions.register("radius.restore", "RADIUS: restore the plan", check_params=check_change_params)
def restore(context: ActionContext) -> dict[str, Any]:
    from headend.provisioning import coa, services

    params = _params(context, check_change_params)
    with _as_action_errors():
        outcome = services.subscriber_restore(service=context.service)
    subscriber, plan = outcome.subscriber, outcome.plan
    assert plan is not None
    context.record(request={"radius": "restore", **_summary(subscriber)}, response={"changed": outcome.changed})
    with _as_action_errors():
        sessions = coa.push(
            context,
            username=subscriber.username,
            kind=params.get("coa", "coa"),
            attributes=lambda vendor: rate_reply(plan, vendor),
        )
    return {**_summary(subscriber), "changed": outcome.changed, "sessions": sessions}


@code_actions.register("radius.remove", "RADIUS: remove the subscriber", check_params=check_remove_params)
def remove(context: ActionContext) -> dict[str, Any]:
    from headend.provisioning import coa, selectors, services

    _params(context, check_remove_params)
    with _as_action_errors():
        outcome = services.subscriber_remove(service=context.service)
    if outcome is None:
        note = f"{context.service.number} was never provisioned in RADIUS: nothing to remove."
        context.record(note=note)
        return {"changed": False, "note": note}
    subscriber = outcome.subscriber
    context.record(request={"radius": "remove", "username": subscriber.username}, response={"changed": outcome.changed})
    result: dict[str, Any] = {"username": subscriber.username, "state": subscriber.state, "changed": outcome.changed}
    if not outcome.changed and selectors.username_in_use(subscriber.username):
        # Removed before, and the username is another service's now: its sessions are not ours.
        note = f"{subscriber.username} belongs to another subscriber now: nothing sent."
        context.record(note=note)
        result["sessions"] = {"sent": [], "note": note}
        return result
    with _as_action_errors():
        result["sessions"] = coa.push(context, username=subscriber.username, kind="disconnect")
    return result


@code_actions.register(
    "radius.routes", "RADIUS: route the add-on's IP block on the base's subscriber", check_params=check_change_params
)
def routes(context: ActionContext) -> dict[str, Any]:
    from headend.provisioning import coa, services

    params = _params(context, check_change_params)
    with _as_action_errors():
        outcome = services.subscriber_routes_sync(service=context.service)
    if outcome is None:
        note = f"The service {context.service.number} rides on has no RADIUS subscriber: route the block by hand."
        context.record(note=note)
        return {"changed": False, "note": note}
    subscriber = outcome.subscriber
    routes = list(subscriber.framed_routes)
    context.record(
        request={"radius": "routes", "username": subscriber.username, "routes": routes},
        response={"changed": outcome.changed},
    )
    result: dict[str, Any] = {"username": subscriber.username, "routes": routes, "changed": outcome.changed}
    if outcome.changed and subscriber.state == "active":
        kind = params.get("coa", "coa") if routes else "disconnect"
        with _as_action_errors():
            result["sessions"] = coa.push(
                context,
                username=subscriber.username,
                kind=kind,
                attributes=lambda vendor: [("Framed-Route", "+=", route) for route in routes],
            )
    return result
