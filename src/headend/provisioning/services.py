"""Use cases of provisioning: a service's RADIUS subscriber through its life.

Each writes the `Subscriber` row in Headend's database and FreeRADIUS's rows (radius.py) in one
call. The radius transaction commits inside Headend's, so a failure before it leaves neither
changed, and a crash between the two commits leaves FreeRADIUS ahead: running the use case again
writes the same rows (they are replaced, never added). No network I/O here: the code actions
send CoA and Disconnect-Requests after these return."""

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from headend.core import clock
from headend.core.errors import Conflict, ValidationError
from headend.inventory import services as inventory_services
from headend.inventory.models import Service
from headend.provisioning import radius, selectors
from headend.provisioning.models import Subscriber

PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # nothing to misread
PASSWORD_LENGTH = 16


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


def _save(subscriber: Subscriber) -> None:
    """Save, turning the database's refusal of a taken username into a Conflict."""
    subscriber.full_clean(exclude=["service"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            subscriber.save()
    except IntegrityError as exc:
        holder = selectors.username_holder(subscriber.username, exclude_pk=subscriber.pk)
        owner = f"service {holder.service.number}" if holder is not None else "another service"
        raise Conflict(
            f"RADIUS username {subscriber.username!r} is already used by {owner}.",
            field="username",
            code="duplicate_username",
        ) from exc


def _locked(service: Service, version: Any = None) -> tuple[Service, Subscriber | None, radius.Plan | ValidationError]:
    """Lock the service row, so two workers changing its subscriber take turns, and re-read
    under the lock what provisioning reads of it: identifiers, circuit id, its plan (or why it
    has none). `version`, when given, is the plan to set up instead of the service's own (an
    upgrade's new version, before its turn-up applies it to the service)."""
    row: dict[str, Any] = dict(
        Service.objects.select_for_update(of=("self",))
        .filter(pk=service.pk)
        .values(
            "identifiers",
            "circuit_id",
            code=F("product_version__product__code"),
            name=F("product_version__product__name"),
            download_mbps=F("product_version__download_mbps"),
            upload_mbps=F("product_version__upload_mbps"),
        )
        .get()
    )
    service.identifiers, service.circuit_id = row["identifiers"], row["circuit_id"]
    if version is not None:
        row.update(
            code=version.product.code,
            name=version.product.name,
            download_mbps=version.download_mbps,
            upload_mbps=version.upload_mbps,
        )
    try:
        plan: radius.Plan | ValidationError = radius.plan_of(
            code=row["code"], name=row["name"], download_mbps=row["download_mbps"], upload_mbps=row["upload_mbps"]
        )
    except ValidationError as exc:
        plan = exc  # only provisioning and restore need a plan
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


@transaction.atomic
def subscriber_provision(
    *, service: Service, auth_type: str = "pppoe", realm: str = "", version: Any = None
) -> Outcome:
    """Create or update the service's RADIUS subscriber (credentials, plan group with its rate,
    static IP) and write FreeRADIUS's rows; record the username on the service. A suspended
    subscriber stays in the walled garden with its new plan waiting.

    Raises ValidationError (no speeds, a bad ipv4_address, IPoE without an identity), Conflict
    (the username belongs to another service), radius.RadiusUnavailable."""
    if auth_type not in radius.AUTH_TYPES:
        raise ValidationError(f"Unknown RADIUS auth type {auth_type!r}.", field="auth", code="invalid_choice")
    service, subscriber, found_plan = _locked(service, version)
    plan = _plan(found_plan)
    framed_ip = radius.framed_ip_of(service.identifiers.get("ipv4_address"))
    username = _username(service=service, auth_type=auth_type, realm=realm, subscriber=subscriber)
    now = clock.now()
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
        _save(subscriber)
    groups = {plan.group: radius.rate_reply(plan)}
    if subscriber.state == Subscriber.State.SUSPENDED:
        groups[settings.HEADEND_RADIUS_WALLED_GARDEN_GROUP] = radius.walled_garden_reply()
    radius.user_write(_entry(subscriber), groups=groups, replaces=former_username)
    if service.identifiers.get("radius_username") != username:
        inventory_services.service_set_identifiers(service=service, radius_username=username)
    return Outcome(subscriber=subscriber, plan=plan, created=created, changed=changed)


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
