"""Use cases of provisioning: a service's RADIUS subscriber through its life.

Each writes the `Subscriber` row in Headend's database and FreeRADIUS's rows (radius.py) in one
call. The radius transaction commits inside Headend's, so a failure before it leaves neither
changed, and a crash between the two commits leaves FreeRADIUS ahead: running the use case again
writes the same rows (they are replaced, never added). No network I/O here: the code actions
send CoA and Disconnect-Requests after these return."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from simple_history.utils import bulk_create_with_history

from headend.core import bulk, clock
from headend.core.errors import Conflict, DomainError, ValidationError
from headend.inventory import services as inventory_services
from headend.inventory.models import Service
from headend.provisioning import radius, selectors
from headend.provisioning.models import Subscriber

PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # nothing to misread
PASSWORD_LENGTH = 16
# What `subscriber_provision` may change on an existing subscriber.
SUBSCRIBER_FIELDS = ["username", "auth_type", "password", "plan_group", "framed_ip", "state", "updated_at"]


@dataclass(frozen=True)
class Outcome:
    subscriber: Subscriber
    plan: radius.Plan | None
    created: bool = False
    changed: bool = False


def _new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def _username(*, service: Service, auth_type: str, realm: str, subscriber: Subscriber | None) -> str:
    recorded = str(service.identifiers.get("radius_username") or "").strip()
    if recorded:
        return recorded
    if subscriber is not None and subscriber.username:
        return subscriber.username
    if auth_type == Subscriber.AuthType.IPOE:
        if service.circuit_id:
            return service.circuit_id
        raise ValidationError(
            f"IPoE needs the NAS's User-Name for {service.number}: assign its circuit id (Option 82) "
            "or record its MAC as identifier radius_username.",
            field="identifiers",
            code="no_ipoe_identity",
        )
    return service.number.lower() + (f"@{realm}" if realm else "")


def _entry(subscriber: Subscriber) -> radius.UserEntry:
    suspended = subscriber.state == Subscriber.State.SUSPENDED
    return radius.user_entry(
        username=subscriber.username,
        auth_type=subscriber.auth_type,
        password=subscriber.password,
        group=settings.HEADEND_RADIUS_WALLED_GARDEN_GROUP if suspended else subscriber.plan_group,
        framed_ip=subscriber.framed_ip,
        framed_routes=subscriber.framed_routes,
    )


def _plans_locked(services: Sequence[Service], versions: Sequence[Any]) -> list[radius.Plan | ValidationError]:
    """Lock the services' rows in one statement, in key order (so two workers changing a
    service's subscriber take turns, and two batches never wait on each other in a circle), and
    re-read under the lock what provisioning reads of each: identifiers, circuit id, its plan (or
    why it has none). A version, when given, is the plan to set up instead of the service's own
    (an upgrade's new version, before its turn-up applies it to the service)."""
    rows = {
        row["pk"]: row
        for row in Service.objects.select_for_update(of=("self",))
        .filter(pk__in={service.pk for service in services})
        .order_by("pk")
        .values(
            "pk",
            "identifiers",
            "circuit_id",
            code=F("product_version__product__code"),
            name=F("product_version__product__name"),
            download_mbps=F("product_version__download_mbps"),
            upload_mbps=F("product_version__upload_mbps"),
        )
    }
    plans: list[radius.Plan | ValidationError] = []
    for service, version in zip(services, versions, strict=True):
        row: dict[str, Any] = dict(rows[service.pk])
        service.identifiers, service.circuit_id = row["identifiers"], row["circuit_id"]
        if version is not None:
            row.update(
                code=version.product.code,
                name=version.product.name,
                download_mbps=version.download_mbps,
                upload_mbps=version.upload_mbps,
            )
        try:
            plans.append(
                radius.plan_of(
                    code=row["code"],
                    name=row["name"],
                    download_mbps=row["download_mbps"],
                    upload_mbps=row["upload_mbps"],
                )
            )
        except ValidationError as exc:
            plans.append(exc)  # only provisioning and restore need a plan
    return plans


def _locked(service: Service, version: Any = None) -> tuple[Service, Subscriber | None, radius.Plan | ValidationError]:
    """`_plans_locked` for one service, with its subscriber."""
    (plan,) = _plans_locked([service], [version])
    return service, Subscriber.objects.filter(service=service).first(), plan


def _plan(plan: radius.Plan | ValidationError) -> radius.Plan:
    if isinstance(plan, ValidationError):
        raise plan
    return plan


def _require(service: Service, subscriber: Subscriber | None) -> Subscriber:
    if subscriber is None or subscriber.state == Subscriber.State.REMOVED:
        raise Conflict(
            f"{service.number} has no RADIUS subscriber: provision it first.", field="service", code="not_provisioned"
        )
    return subscriber


@dataclass(frozen=True)
class ProvisionRequest:
    """A service whose RADIUS subscriber is to be set up, as `subscriber_provision` takes it."""

    service: Service
    auth_type: str = "pppoe"
    realm: str = ""
    version: Any = None


@dataclass
class _Planned:
    """A request's subscriber as it is to be (unsaved), with what its write needs."""

    index: int
    subscriber: Subscriber
    plan: radius.Plan
    former_username: str
    created: bool
    changed: bool


@transaction.atomic
def subscriber_provision(
    *, service: Service, auth_type: str = "pppoe", realm: str = "", version: Any = None
) -> Outcome:
    """Create or update the service's RADIUS subscriber (credentials, plan group with its rate,
    static IP) and write FreeRADIUS's rows; record the username on the service. A suspended
    subscriber stays in the walled garden with its new plan waiting.

    Raises ValidationError (no speeds, a bad ipv4_address, IPoE without an identity), Conflict
    (the username belongs to another service), radius.RadiusUnavailable."""
    (outcome,) = subscribers_provision(requests=[ProvisionRequest(service, auth_type, realm, version)])
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


@transaction.atomic
def subscribers_provision(*, requests: Sequence[ProvisionRequest]) -> list[Outcome | DomainError]:
    """`subscriber_provision` for many services at once (the worker's batch): one outcome per
    request, in order, the refusal of one (no speeds, a taken username) being its outcome and
    leaving it unwritten. Headend's rows, FreeRADIUS's and the services' usernames are written
    a statement per table however many there are.

    Raises radius.RadiusUnavailable (for them all)."""
    outcomes: list[Outcome | DomainError | None] = [None] * len(requests)
    plans = _plans_locked([request.service for request in requests], [request.version for request in requests])
    subscribers = {
        subscriber.service_id: subscriber
        for subscriber in Subscriber.objects.filter(service_id__in={request.service.pk for request in requests})
    }
    now = clock.now()
    planned = []
    for index, (request, found_plan) in enumerate(zip(requests, plans, strict=True)):
        try:
            planned.append(_plan_subscriber(index, request, subscribers.get(request.service.pk), found_plan, now))
        except DomainError as exc:
            outcomes[index] = exc
    planned = _refuse_taken_usernames(requests, planned, outcomes)
    try:
        with transaction.atomic():  # a savepoint: a username taken meanwhile undoes only these writes
            _save_many(
                [item.subscriber for item in planned if item.created],
                [item.subscriber for item in planned if item.changed and not item.created],
            )
    except IntegrityError as exc:
        if len(requests) == 1:
            raise _taken(planned[0].subscriber) from exc
        # Another worker took one of the usernames since the check: each alone, so only that
        # one is refused.
        return [_provision_alone(request) for request in requests]
    _write_radius(planned)
    usernames = {
        requests[item.index].service.pk: {"radius_username": item.subscriber.username}
        for item in planned
        if requests[item.index].service.identifiers.get("radius_username") != item.subscriber.username
    }
    if usernames:
        inventory_services.services_set_identifiers(values=usernames)
    for item in planned:
        outcomes[item.index] = Outcome(
            subscriber=item.subscriber, plan=item.plan, created=item.created, changed=item.changed
        )
    return [outcome for outcome in outcomes if outcome is not None]


def _provision_alone(request: ProvisionRequest) -> Outcome | DomainError:
    try:
        return subscribers_provision(requests=[request])[0]
    except DomainError as exc:
        return exc


def _plan_subscriber(
    index: int, request: ProvisionRequest, subscriber: Subscriber | None, found_plan: Any, now: Any
) -> _Planned:
    """The service's subscriber as it is to be (unsaved). Raises ValidationError (see
    subscriber_provision)."""
    service, auth_type = request.service, request.auth_type
    if auth_type not in radius.AUTH_TYPES:
        raise ValidationError(f"Unknown RADIUS auth type {auth_type!r}.", field="auth", code="invalid_choice")
    plan = _plan(found_plan)
    framed_ip = radius.framed_ip_of(service.identifiers.get("ipv4_address"))
    username = _username(service=service, auth_type=auth_type, realm=request.realm, subscriber=subscriber)
    created = subscriber is None
    if subscriber is None:
        subscriber = Subscriber(service=service, created_at=now, updated_at=now)
    before = (subscriber.username, subscriber.auth_type, subscriber.plan_group, subscriber.state, subscriber.framed_ip)
    former_username = subscriber.username
    subscriber.username = username
    subscriber.auth_type = auth_type
    if auth_type == Subscriber.AuthType.IPOE:
        subscriber.password = ""
    elif not subscriber.password:
        subscriber.password = _new_password()  # generated once; a re-run keeps it
    subscriber.plan_group = plan.group
    subscriber.framed_ip = framed_ip
    if subscriber.state == Subscriber.State.REMOVED:
        subscriber.state = Subscriber.State.ACTIVE
    changed = created or before != (username, auth_type, plan.group, subscriber.state, framed_ip)
    if changed:
        subscriber.updated_at = now
    return _Planned(index, subscriber, plan, former_username, created, changed)


def _refuse_taken_usernames(
    requests: Sequence[ProvisionRequest], planned: list[_Planned], outcomes: list[Any]
) -> list[_Planned]:
    """The planned subscribers whose username no other live subscriber holds (one query for
    them all, and the first of two in the batch); the others' outcome is the Conflict a taken
    username gets."""
    holders = dict(
        Subscriber.objects.filter(username__in={item.subscriber.username for item in planned})
        .exclude(state=Subscriber.State.REMOVED)
        .exclude(service_id__in={requests[item.index].service.pk for item in planned})
        .values_list("username", "service_id")
    )
    kept, seen = [], set()
    for item in planned:
        username = item.subscriber.username
        if username in holders or username in seen:
            holder = holders.get(username)
            owner = f"service {Service(pk=holder).number}" if holder is not None else "another service"
            outcomes[item.index] = _duplicate(username, owner)
            continue
        seen.add(username)
        kept.append(item)
    return kept


def _duplicate(username: str, owner: str) -> Conflict:
    return Conflict(
        f"RADIUS username {username!r} is already used by {owner}.", field="username", code="duplicate_username"
    )


def _taken(subscriber: Subscriber) -> Conflict:
    """The database refused a subscriber's username: who holds it."""
    holder = selectors.username_holder(subscriber.username, exclude_pk=subscriber.pk)
    return _duplicate(
        subscriber.username, f"service {holder.service.number}" if holder is not None else "another service"
    )


def _save_many(new: list[Subscriber], changed: list[Subscriber]) -> None:
    """Insert the new subscribers and update the changed ones, with their history."""
    for subscriber in [*new, *changed]:
        subscriber.full_clean(exclude=["service"], validate_unique=False, validate_constraints=False)
    if new:
        bulk_create_with_history(new, Subscriber)
    bulk.update_columns(Subscriber, changed, SUBSCRIBER_FIELDS, history=True)


def _write_radius(planned: list[_Planned]) -> None:
    """FreeRADIUS's rows for the planned subscribers: their plans' groups (and the walled
    garden for a suspended one), their users, a former username's rows gone."""
    if not planned:
        return
    groups: dict[str, list[radius.Row]] = {}
    for item in planned:
        groups[item.plan.group] = radius.rate_reply(item.plan)
        if item.subscriber.state == Subscriber.State.SUSPENDED:
            groups[settings.HEADEND_RADIUS_WALLED_GARDEN_GROUP] = radius.walled_garden_reply()
    radius.users_write(
        [_entry(item.subscriber) for item in planned],
        groups=groups,
        replaces={item.subscriber.username: item.former_username for item in planned if item.former_username},
    )


def _move(service: Service, *, to: str) -> tuple[Subscriber, bool, radius.Plan | ValidationError]:
    service, found, plan = _locked(service)
    subscriber = _require(service, found)
    changed = subscriber.state != to
    if changed:
        subscriber.state, subscriber.updated_at = to, clock.now()
        subscriber.save(update_fields=["state", "updated_at"])
    return subscriber, changed, plan


@transaction.atomic
def subscriber_suspend(*, service: Service) -> Outcome:
    """Move the service's subscriber to the walled-garden group (small rate, portal filter).

    Raises Conflict if it was never provisioned or was removed; radius.RadiusUnavailable."""
    subscriber, changed, _ = _move(service, to=Subscriber.State.SUSPENDED)
    garden = {settings.HEADEND_RADIUS_WALLED_GARDEN_GROUP: radius.walled_garden_reply()}
    radius.user_write(_entry(subscriber), groups=garden)
    return Outcome(subscriber=subscriber, plan=None, changed=changed)


@transaction.atomic
def subscriber_restore(*, service: Service) -> Outcome:
    """Put the service's subscriber back in its plan's group (the plan of its product version now).

    Raises Conflict if it was never provisioned or was removed; ValidationError if the plan has
    no speeds; radius.RadiusUnavailable."""
    subscriber, changed, found_plan = _move(service, to=Subscriber.State.ACTIVE)
    plan = _plan(found_plan)
    if subscriber.plan_group != plan.group:
        subscriber.plan_group = plan.group
        subscriber.save(update_fields=["plan_group"])
    radius.user_write(_entry(subscriber), groups={plan.group: radius.rate_reply(plan)})
    return Outcome(subscriber=subscriber, plan=plan, changed=changed)


@transaction.atomic
def subscriber_remove(*, service: Service) -> Outcome | None:
    """Delete the service's rows from FreeRADIUS (it rejects the username from now on) and mark
    the subscriber removed, which frees the username. None if it was never provisioned.

    Raises radius.RadiusUnavailable."""
    service, subscriber, _ = _locked(service)
    if subscriber is None:
        return None
    if subscriber.state == Subscriber.State.REMOVED:
        # Removed before: its rows are gone, and the username may belong to another service now.
        return Outcome(subscriber=subscriber, plan=None, changed=False)
    subscriber.state, subscriber.updated_at = Subscriber.State.REMOVED, clock.now()
    subscriber.save(update_fields=["state", "updated_at"])
    radius.user_delete(subscriber.username)
    return Outcome(subscriber=subscriber, plan=None, changed=True)


@transaction.atomic
def subscriber_routes_sync(*, service: Service) -> Outcome | None:
    """Route every IP block the add-ons of `service`'s base hold (or of `service`, a base) on the
    base's RADIUS subscriber, as Framed-Route rows; a block released or an add-on disconnected
    drops its route. Idempotent. None when the base has no live RADIUS subscriber.

    Raises radius.RadiusUnavailable."""
    base_id = service.base_service_id or service.pk
    _base, subscriber, _ = _locked(Service(pk=base_id))
    if subscriber is None or subscriber.state == Subscriber.State.REMOVED:
        return None
    blocks = (
        Service.objects.filter(base_service_id=base_id)
        .exclude(status=Service.Status.DISCONNECTED)
        .order_by("pk")
        .values_list("identifiers", flat=True)
    )
    routes = sorted({route for ids in blocks if (route := radius.framed_route_of(ids.get("ipv4_address")))})
    changed = routes != list(subscriber.framed_routes)
    if changed:
        subscriber.framed_routes, subscriber.updated_at = routes, clock.now()
        subscriber.save(update_fields=["framed_routes", "updated_at"])
    radius.user_write(_entry(subscriber))
    return Outcome(subscriber=subscriber, plan=None, changed=changed)
