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

    radius.provision  {"auth": "pppoe" | "ipoe", "coa": "coa" | "disconnect", "realm": "isp.example",
                       "element": "olt-1/pon-3" | "{{ service.identifiers.pon_port }}"}
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
`element` (optional): the topology element the subscriber rides on (its PON port, sector),
by name or template; the service is bound to it (provisioning/elements.py), as it is to the
element its identifier `network_element` names.
"""

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from headend.catalog import code_actions
from headend.catalog.code_actions import ActionContext, PermanentError, RetryableError
from headend.core.errors import DomainError, ValidationError
from headend.provisioning import elements

# The rows (pure) and the store (rlm_sql) live in their own modules; their names stay importable
# from here, which is where the rest of the app reaches them.
from headend.provisioning.radius_rows import (
    VENDORS,
    WALLED_GARDEN_MBPS,
    WISPR_MAX_BPS,
    Plan,
    Row,
    UserEntry,
    framed_ip_of,
    framed_route_of,
    plan_of,
    rate_reply,
    user_entry,
    walled_garden_reply,
)
from headend.provisioning.radius_store import (
    RADIUS,
    RadiusUnavailable,
    group_reply_get,
    reading,
    schema_create,
    user_delete,
    user_get,
    user_write,
    users_write,
)

__all__ = [
    "AUTH_TYPES",
    "COA_MODES",
    "RADIUS",
    "VENDORS",
    "WALLED_GARDEN_MBPS",
    "WISPR_MAX_BPS",
    "Plan",
    "RadiusUnavailable",
    "Row",
    "UserEntry",
    "check_change_params",
    "check_provision_params",
    "check_remove_params",
    "framed_ip_of",
    "framed_route_of",
    "group_reply_get",
    "plan_of",
    "provision",
    "provision_many",
    "rate_reply",
    "reading",
    "remove",
    "restore",
    "routes",
    "schema_create",
    "suspend",
    "user_delete",
    "user_entry",
    "user_get",
    "user_write",
    "users_write",
    "walled_garden_reply",
]

AUTH_TYPES = ("pppoe", "ipoe")
COA_MODES = ("coa", "disconnect")


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
        elements.check_element_param(params)

    return check


check_provision_params = _check_params(("auth", "coa", "realm", "element"))
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
    (outcome,) = provision_many([context])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@code_actions.register_batch("radius.provision")
def provision_many(contexts: list[ActionContext]) -> list[code_actions.Outcome]:
    """`radius.provision` for many tasks: Headend's subscribers and FreeRADIUS's rows of them
    all in a statement per table (provisioning.services.subscribers_provision); one task's
    refusal (bad parameters, no speeds, a taken username) is its outcome alone."""
    from headend.provisioning import services

    outcomes: list[code_actions.Outcome | None] = [None] * len(contexts)
    asked = []
    for index, context in enumerate(contexts):
        try:
            params = _params(context, check_provision_params)
        except PermanentError as exc:
            outcomes[index] = exc
            continue
        request = services.ProvisionRequest(
            service=context.service,
            auth_type=params.get("auth", "pppoe"),
            realm=params.get("realm", ""),
            version=context.product_version,
        )
        asked.append((index, request))
    with _as_action_errors():
        provisioned = services.subscribers_provision(requests=[request for _, request in asked])
    for (index, _), outcome in zip(asked, provisioned, strict=True):
        if isinstance(outcome, DomainError):
            outcomes[index] = PermanentError(outcome.message)
            continue
        try:
            outcomes[index] = _provisioned(contexts[index], outcome)
        except Exception as exc:
            outcomes[index] = exc
    return [outcome for outcome in outcomes if outcome is not None]


def _provisioned(context: ActionContext, outcome: Any) -> dict[str, Any]:
    """What the provisioning of one task's subscriber records, binds and tells a live session."""
    from headend.provisioning import coa

    subscriber = outcome.subscriber
    context.record(
        request={"radius": "provision", **_summary(subscriber)},
        response={"subscriber": "created" if outcome.created else "updated" if outcome.changed else "unchanged"},
    )
    result: dict[str, Any] = {**_summary(subscriber), "created": outcome.created, "changed": outcome.changed}
    bound = elements.bind_known_elements(context)
    if bound is not None:
        result["elements"] = bound
    # A subscriber online before this run (an upgrade, or a re-run after a crash) learns its
    # rate now; a new one gets it when it first connects.
    if not outcome.created and subscriber.state == "active":
        plan = outcome.plan
        assert plan is not None
        with _as_action_errors():
            result["sessions"] = coa.push(
                context,
                username=subscriber.username,
                kind=context.params.get("coa", "coa"),
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
