"""Write use cases for support cases: open, change, note, reply, attach, move through statuses.

Each is one transaction and returns the changed case. Staff callers pass themselves (`by`) and
the role rule is decided here; the portal and the mail reader pass `by=None` after checking the
customer owns what they name. The SLA clocks (support/sla.py) are kept as the case moves: the
targets are set when it opens (and again when its priority changes), a wait on the customer
pauses them, the first reply or move out of "new" stops the response clock, resolving stops
the resolution clock."""

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction

from headend.core import clock, events, user_files
from headend.core.errors import Conflict, ValidationError
from headend.core.permissions import may, require
from headend.crm.models import Account, Contact, Location
from headend.fulfillment.selectors import provider_calendar
from headend.inventory.models import Service, ServiceOutage
from headend.network.models import Outage

from . import sla
from .models import Case, CaseAttachment, CaseNote, CustomerType, Priority, Queue, SlaPolicy

SUBJECT_MAX = Case._meta.get_field("subject").max_length
BODY_MAX = 20_000


def targets_for(*, priority: str, customer_type: str) -> sla.Targets:
    """The SLA targets of a priority for a kind of customer: the policy staff set, else the defaults."""
    policy = SlaPolicy.objects.filter(priority=priority, customer_type=customer_type).first()
    if policy is None:
        return sla.default_targets(priority, customer_type)
    return sla.Targets(policy.response_minutes, policy.resolution_minutes, policy.round_the_clock, policy.warn_percent)


def _customer_type(case: Case) -> str:
    if case.account is not None and case.account.kind == Account.Kind.RESIDENTIAL:
        return CustomerType.RESIDENTIAL
    return CustomerType.BUSINESS  # business customers, and outages' parent cases


def _set_clocks(case: Case) -> None:
    """Set the targets for the case's priority and work out the due instants from them."""
    targets = targets_for(priority=case.priority, customer_type=_customer_type(case))
    case.sla_response_minutes = targets.response_minutes
    case.sla_resolution_minutes = targets.resolution_minutes
    case.sla_round_the_clock = targets.round_the_clock
    _set_due(case)


def _set_due(case: Case) -> None:
    calendar = provider_calendar()
    start, round_the_clock = case.created_at, case.sla_round_the_clock
    assert case.sla_response_minutes is not None
    assert case.sla_resolution_minutes is not None
    case.response_due_at = sla.due_at(
        calendar, start=start, minutes=case.sla_response_minutes, round_the_clock=round_the_clock
    )
    case.resolution_due_at = sla.due_at(
        calendar,
        start=start,
        minutes=case.sla_resolution_minutes,
        paused_minutes=case.paused_minutes,
        round_the_clock=round_the_clock,
    )


def _text(value: Any, *, field: str, required: bool = True, limit: int | None = None) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError("This field is required.", field=field, code="required")
    if limit is not None and len(text) > limit:
        raise ValidationError(f"At most {limit} characters (this has {len(text)}).", field=field, code="too_long")
    return text


def _choice(value: Any, choices: type[models.TextChoices], *, field: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationError(
            f"Not one of the choices: {value!r} (choose {allowed}).", field=field, code="invalid_choice"
        )
    return str(value)


def _outage_parent(service: Service | None) -> Case | None:
    """The parent case of an open outage the service is impacted by, for a new call about it."""
    if service is None:
        return None
    impact = (
        ServiceOutage.objects.filter(service=service, ended_at=None, outage__status=Outage.Status.OPEN)
        .order_by("-started_at")
        .values_list("outage_id", flat=True)
        .first()
    )
    return None if impact is None else Case.objects.filter(outage_id=impact).first()


@transaction.atomic
def case_open(
    *,
    type: str,
    channel: str,
    subject: str,
    account: Account | None = None,
    service: Service | None = None,
    location: Location | None = None,
    contact: Contact | None = None,
    description: str = "",
    priority: str = Priority.P3,
    queue: Queue | None = None,
    assignee: Any = None,
    external_id: str = "",
    outage: Outage | None = None,
    by: Any = None,
) -> Case:
    """Open a case about an account (and, when known, its service, location and contact), or an
    outage's parent case (`outage`, no account). A call about a service an open outage impacts
    is linked to the outage's parent case."""
    if by is not None:
        require(by, "case.create")
    subject = _text(subject, field="subject", limit=SUBJECT_MAX)
    description = _text(description, field="description", required=False, limit=BODY_MAX)
    type = _choice(type, Case.Type, field="type")
    channel = _choice(channel, Case.Channel, field="channel")
    priority = _choice(priority, Priority, field="priority")
    if outage is None and account is None:
        raise ValidationError("Name the customer's account.", field="account", code="required")
    if service is not None and account is not None and service.account_id != account.pk:
        raise ValidationError("This service is not the account's.", field="service", code="not_the_accounts")
    if account is None and service is not None:
        account = service.account
    if location is None and service is not None:
        location = service.location
    if location is not None and account is not None and location.account_id != account.pk:
        raise ValidationError("This location is not the account's.", field="location", code="not_the_accounts")
    if contact is not None and (account is None or contact.account_id != account.pk):
        raise ValidationError("This contact is not the account's.", field="contact", code="not_the_accounts")
    if assignee is not None and not may(assignee, "case.work"):
        raise ValidationError("Assign the case to someone who works cases.", field="assignee", code="not_a_worker")
    if queue is None:
        queue = Queue.objects.filter(is_default=True).first()
    now = clock.now()
    case = Case(
        account=account,
        service=service,
        location=location,
        contact=contact,
        product=service.product_version.product if service is not None else None,
        outage=outage,
        parent=None if outage is not None else _outage_parent(service),
        type=type,
        channel=channel,
        priority=priority,
        subject=subject,
        description=description,
        queue=queue,
        assignee=assignee,
        external_id=_text(external_id, field="externalId", required=False, limit=100),
        created_by=by if getattr(by, "pk", None) is not None else None,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    _set_clocks(case)
    case.save()
    events.emit(
        "case.created",
        subject=case,
        data={"type": type, "channel": channel, "priority": priority, "parent": case.parent_id},
    )
    return case


def lock(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("account").get(pk=case.pk)


UPDATABLE = ("subject", "description", "type", "priority", "queue", "assignee", "service", "contact")


@transaction.atomic
def case_update(*, case: Case, by: Any, **values: Any) -> Case:
    """Change a case's details; a new priority sets new SLA targets from when the case opened.
    A change to nothing writes nothing."""
    require(by, "case.work")
    unknown = sorted(set(values) - set(UPDATABLE))
    if unknown:
        raise ValidationError(f"Not a field of a case that can change: {', '.join(unknown)}.", field=unknown[0])
    case = lock(case)
    if not case.is_open:
        raise Conflict(f"Case {case.reference} is {case.get_status_display().lower()}: reopen it to change it.")
    clean = dict(values)
    if "subject" in clean:
        clean["subject"] = _text(clean["subject"], field="subject", limit=SUBJECT_MAX)
    if "description" in clean:
        clean["description"] = _text(clean["description"], field="description", required=False, limit=BODY_MAX)
    if "type" in clean:
        clean["type"] = _choice(clean["type"], Case.Type, field="type")
    if "priority" in clean:
        clean["priority"] = _choice(clean["priority"], Priority, field="priority")
    if clean.get("assignee") is not None and not may(clean["assignee"], "case.work"):
        raise ValidationError("Assign the case to someone who works cases.", field="assignee", code="not_a_worker")
    service = clean.get("service")
    if service is not None and service.account_id != case.account_id:
        raise ValidationError("This service is not the account's.", field="service", code="not_the_accounts")
    contact = clean.get("contact")
    if contact is not None and contact.account_id != case.account_id:
        raise ValidationError("This contact is not the account's.", field="contact", code="not_the_accounts")
    changed = sorted(key for key, value in clean.items() if getattr(case, key) != value)
    if not changed:
        return case
    for key in changed:
        setattr(case, key, clean[key])
    if "service" in changed and case.service is not None:
        case.location = case.service.location
        case.product = case.service.product_version.product
    if "priority" in changed:
        _set_clocks(case)
    case.updated_at = clock.now()
    case._history_user = by  # type: ignore[attr-defined]
    case.save()
    events.emit("case.updated", subject=case, data={"fields": changed})
    return case


@transaction.atomic
def case_transition(*, case: Case, to: str, by: Any = None, resolution: str = "") -> Case:
    """Move a case: start work, wait on the customer (the SLA clocks stop), resume, resolve (with
    what was done), close, cancel, or reopen a resolved case."""
    if by is not None:
        require(by, "case.work")
    case = lock(case)
    to = _choice(to, Case.Status, field="status")
    if to == case.status:
        return case
    if not case.can_transition(to):
        raise Conflict(
            f"Case {case.reference} is {case.get_status_display().lower()}: it cannot become "
            f"{Case.Status(to).label.lower()}.",
            code="invalid_transition",
        )
    now = clock.now()
    was = case.status
    if to == Case.Status.RESOLVED:
        case.resolution = _text(resolution, field="resolution", limit=BODY_MAX)
    _resume(case, now)
    if to == Case.Status.WAITING:
        case.paused_since = now
    if was == Case.Status.NEW and by is not None and case.first_response_at is None:
        case.first_response_at = now  # staff took it up
    if to == Case.Status.RESOLVED:
        case.resolved_at = now
    if was == Case.Status.RESOLVED and to == Case.Status.IN_PROGRESS:
        case.resolved_at = None  # reopened: the resolution clock runs again
    if to in (Case.Status.CLOSED, Case.Status.CANCELLED):
        case.closed_at = now
    case.status = to
    case.status_changed_at = case.updated_at = now
    if by is not None:
        case._history_user = by  # type: ignore[attr-defined]
    case.save()
    events.emit("case.status_changed", subject=case, data={"from": was, "to": to})
    return case


def _resume(case: Case, now: dt.datetime) -> None:
    """End a wait on the customer: its minutes move the resolution due instant."""
    if case.paused_since is None:
        return
    case.paused_minutes += max(
        0, sla.minutes_between(provider_calendar(), case.paused_since, now, round_the_clock=case.sla_round_the_clock)
    )
    case.paused_since = None
    _set_due(case)


@transaction.atomic
def case_note_add(
    *,
    case: Case,
    kind: str,
    body: str,
    by: Any = None,
    author_name: str = "",
    channel: str = "",
    uploads: list[UploadedFile] | None = None,
) -> CaseNote:
    """Add to a case: an internal note or a reply (staff; a reply is emailed to the customer with
    the case's reference), or what the customer wrote. A customer's words end a wait on them and
    reopen a resolved case; a closed case takes internal notes only."""
    kind = _choice(kind, CaseNote.Kind, field="kind")
    if kind != CaseNote.Kind.CUSTOMER:
        require(by, "case.work")
    body = _text(body, field="body", limit=BODY_MAX)
    if channel:
        channel = _choice(channel, Case.Channel, field="channel")
    checked = [
        user_files.check_upload(upload, kind=user_files.ATTACHMENT, field="attachments") for upload in uploads or []
    ]
    case = lock(case)
    if case.status in (Case.Status.CLOSED, Case.Status.CANCELLED) and kind != CaseNote.Kind.INTERNAL:
        raise Conflict(f"Case {case.reference} is {case.get_status_display().lower()}.", code="case_closed")
    now = clock.now()
    note = CaseNote.objects.create(
        case=case,
        kind=kind,
        body=body,
        author=by if getattr(by, "pk", None) is not None else None,
        author_name=_text(author_name, field="author_name", required=False, limit=200),
        channel=channel,
        created_at=now,
    )
    for upload, file in zip(uploads or [], checked, strict=True):
        CaseAttachment.objects.create(
            case=case,
            note=note,
            file=upload,
            name=file.name,
            content_type=file.content_type,
            size=file.size,
            uploaded_by=note.author,
            uploaded_at=now,
        )
    fields = ["updated_at"]
    if kind == CaseNote.Kind.REPLY and case.first_response_at is None:
        case.first_response_at = now
        fields.append("first_response_at")
    if kind == CaseNote.Kind.CUSTOMER and case.status in (Case.Status.WAITING, Case.Status.RESOLVED):
        was = case.status
        _resume(case, now)
        case.status, case.resolved_at, case.status_changed_at = Case.Status.IN_PROGRESS, None, now
        fields += ["status", "resolved_at", "status_changed_at", "paused_since", "paused_minutes", "resolution_due_at"]
        events.emit("case.status_changed", subject=case, data={"from": was, "to": case.status, "by_customer": True})
    case.updated_at = now
    case.save(update_fields=fields)
    events.emit("case.noted", subject=case, data={"note": note.pk, "kind": kind})
    return note


@transaction.atomic
def case_attach(*, case: Case, upload: UploadedFile, by: Any = None) -> CaseAttachment:
    """Keep a file with a case (staff, or the customer through the portal: `by=None`)."""
    if by is not None:
        require(by, "case.work")
    checked = user_files.check_upload(upload, kind=user_files.ATTACHMENT, field="attachments")
    case = lock(case)
    attachment = CaseAttachment.objects.create(
        case=case,
        file=upload,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by=by if getattr(by, "pk", None) is not None else None,
        uploaded_at=clock.now(),
    )
    events.emit("case.attached", subject=case, data={"attachment": attachment.pk})
    return attachment


@transaction.atomic
def case_link(*, case: Case, parent: Case | None, by: Any) -> Case:
    """Relate a case to another (an outage's parent case, or the case it repeats); None unlinks."""
    require(by, "case.work")
    case = lock(case)
    if parent is not None:
        if parent.pk == case.pk:
            raise ValidationError("A case cannot be its own parent.", field="parent", code="parent_cycle")
        ancestor_id: int | None = parent.pk
        while ancestor_id is not None:  # read from the database: the caller's copy may be stale
            ancestor_id = Case.objects.filter(pk=ancestor_id).values_list("parent_id", flat=True).first()
            if ancestor_id == case.pk:
                raise ValidationError("That case is already below this one.", field="parent", code="parent_cycle")
    if case.parent_id == (parent.pk if parent else None):
        return case
    case.parent = parent
    case.updated_at = clock.now()
    case.save(update_fields=["parent", "updated_at"])
    events.emit("case.linked", subject=case, data={"parent": parent.pk if parent else None})
    return case
