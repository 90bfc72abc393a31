"""TMF621 troubleTicket: support cases (`/tmf-api/troubleTicket/v4/troubleTicket`; GET, POST, PATCH).

- `id` is the case's uid (a UUID); `reference` (extension) the CS-000123 emails carry; `name`
  the subject (on create, the description's first line when left out); `description` what is
  wrong (required, as TroubleTicket_Create says).
- `ticketType`: noService, slow, billing, move, other (outage: an outage's parent case, made by
  the outage). Taken in any case, with or without `_`, `-`, spaces (`no_service`, "No service").
  Left out: other.
- `priority` Critical, High, Medium, Low = p1-p4 (`p1`..`p4` taken too); `severity` Critical,
  Major, Minor, Warning = p1-p4, used when `priority` is left out; both shown, from the one
  priority a case has. Neither given: Medium (p3).
- `status`: acknowledged = new, inProgress = in progress, pending = waiting on the customer (the
  SLA clocks stop), resolved (what was done in `statusChangeReason`, or the extension
  `resolution`: required), closed, cancelled; `held` and `rejected` are not used. A new ticket
  is acknowledged. `statusChange[]` is the history of moves, `expectedResolutionDate` the SLA's
  resolution due instant.
- `channel.name` (or `.id`): phone, email, portal, api (the default).
- `relatedParty`: role `customer` with a TMF629 customer id (the account), role `contact` with
  one of its contacts' ids. `relatedEntity`: `@referredType` Service (a TMF638 service id; the
  customer, location and product follow from it) and GeographicSite (a TMF674 site id). A
  service or site of another customer than the one named is a 400.
- `note[]`: text, author, and the extension `noteType`: internal (the default), reply (emailed
  to the customer with the reference in the subject), customer (the customer's words: a case
  waiting on them starts again). `attachment[]`: files by value (base64 `content`, `name`),
  their type decided from their bytes (photos, PDF, text); read back by reference.
- `externalId`: the other system's id; kept as given, it cannot change.
- PATCH is a JSON merge patch: `name`, `description`, `ticketType`, `priority`/`severity`,
  `status`, `relatedEntity` (the service), `relatedParty` (the contact; the customer stays),
  and notes and attachments without an id are added.

Reads: every staff member. Create: the roles that open cases (case.create); PATCH: those that
work them (case.work), checked first here and again by the use cases. Bad input is a 400 naming
the attribute, and nothing is written.
"""

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, matching, paginate
from headend.api.schemas import ERRORS
from headend.core import user_files
from headend.core.errors import NotFound, ValidationError
from headend.core.ids import parse_id
from headend.core.models import OutboxEvent
from headend.core.permissions import require
from headend.crm import selectors as crm_selectors
from headend.inventory import selectors as inventory_selectors

from . import cases, selectors
from .api_schemas import (
    STATUS,
    NoteIn,
    RefIn,
    TmfStatus,
    TroubleTicketIn,
    TroubleTicketOut,
    TroubleTicketPatchIn,
    channel_in,
    entities_in,
    parties_in,
    priority_in,
    status_in,
    ticket_type_in,
    uploads_in,
)
from .models import Case, CaseNote

router = Router(tags=["TMF621 troubleTicket"], by_alias=True, exclude_none=True)

CASE_TYPE = Case._meta.label_lower


def _cases(*, user: Any) -> models.QuerySet[Case]:
    """The cases `user` may see: staff see every customer's, and outages' parent cases."""
    return (
        selectors.case_scope(user=user)
        .select_related("account", "contact", "service__product_version__product", "location", "parent")
        .prefetch_related("notes__author", "attachments", "children")
    )


def _case_get(*, user: Any, case_id: Any) -> Case:
    try:
        uid = uuid.UUID(str(case_id))
    except ValueError:
        uid = None
    found = _cases(user=user).filter(uid=uid).first() if uid is not None else None
    if found is None:
        raise NotFound("No such trouble ticket.", field="id")
    return found


def _status_events(found: Iterable[Case]) -> dict[str, list[OutboxEvent]]:
    """Each case's status events, oldest first (one query for a page of cases)."""
    by_case: dict[str, list[OutboxEvent]] = defaultdict(list)
    ids = [str(case.pk) for case in found]
    if not ids:
        return by_case
    for event in OutboxEvent.objects.filter(
        subject_type=CASE_TYPE, subject_id__in=ids, name="case.status_changed"
    ).order_by("id"):
        by_case[event.subject_id].append(event)
    return by_case


def _out(request: HttpRequest, case: Case) -> TroubleTicketOut:
    return TroubleTicketOut.of(request, case, events=_status_events([case])[str(case.pk)])


# What the body names, read as the user may see it


def _referenced(user: Any, *, parties: list[RefIn], entities: list[RefIn]) -> tuple[dict[str, Any], dict[str, str]]:
    """The account, contact, service and location the body names (as keyword arguments for the
    use cases), and where each is in the body (for their errors)."""
    customer, contact = parties_in(parties)
    service, site = entities_in(entities)
    found: dict[str, Any] = {}
    paths = {
        "account": customer[1] if customer else "relatedParty",
        "contact": contact[1] if contact else "relatedParty",
        "service": service[1] if service else "relatedEntity",
        "location": site[1] if site else "relatedEntity",
    }
    if customer is not None:
        with body_fields({"id": customer[1]}):
            found["account"] = crm_selectors.account_get_for(user=user, account_id=customer[0])
    if contact is not None:
        with body_fields({"id": contact[1]}):
            found["contact"] = crm_selectors.contact_get_for(user=user, contact_id=contact[0])
    if service is not None:
        with body_fields({"id": service[1]}):
            found["service"] = inventory_selectors.service_get_for(user=user, service_id=service[0])
    if site is not None:
        with body_fields({"id": site[1]}):
            found["location"] = crm_selectors.location_get_for(user=user, location_id=site[0])
    return found, paths


def _notes_in(entries: list[NoteIn], *, known: Collection[str] = ()) -> list[tuple[NoteIn, str]]:
    """The notes to add, each with where it is in the body; entries with the id of a note the
    ticket has stay as they are, other ids are refused."""
    found = []
    for index, entry in enumerate(entries):
        at = f"note[{index}]"
        if entry.id:
            if entry.id in known:
                continue
            raise ValidationError("The ticket has no such note.", field=f"{at}.id", code="unknown_reference")
        found.append((entry, at))
    return found


def _add(case: Case, *, user: Any, notes: list[tuple[NoteIn, str]], uploads: list[tuple[Any, str]]) -> None:
    """Add the body's notes and files to the case (inside the caller's transaction)."""
    for note, at in notes:
        with body_fields({"body": f"{at}.text", "kind": f"{at}.noteType", "author_name": f"{at}.author"}):
            cases.case_note_add(
                case=case,
                kind=note.note_type or CaseNote.Kind.INTERNAL,
                body=note.text,
                by=user,
                author_name=note.author or "",
                channel=Case.Channel.API,
            )
    for upload, at in uploads:
        with body_fields({"attachments": at}):
            cases.case_attach(case=case, upload=upload, by=user)


def _check_uploads(uploads: list[tuple[Any, str]]) -> None:
    """Refuse a file of a type or size cases do not take before anything is written."""
    for upload, at in uploads:
        user_files.check_upload(upload, kind=user_files.ATTACHMENT, field=at)


# Routes


@router.post("/troubleTicket", response={201: TroubleTicketOut, **ERRORS}, summary="Create a trouble ticket")
def ticket_create(request: ApiRequest, payload: TroubleTicketIn) -> Status:
    """Open a case for the customer in `relatedParty` (or the one whose service `relatedEntity`
    names). Needs a role that opens cases; notes other than the customer's and files need one
    that works them."""
    user = request.auth
    require(user, "case.create")
    payload.check_status()
    found, paths = _referenced(user, parties=payload.related_party, entities=payload.related_entity)
    if "account" not in found and "service" in found:  # the customer whose service it is
        found["account"] = found["service"].account
    type_ = ticket_type_in(payload.ticket_type)
    priority = priority_in(payload.priority, payload.severity)
    channel = channel_in(payload.channel)
    notes = _notes_in(payload.note)
    uploads = uploads_in(payload.attachment)
    _check_uploads(uploads)
    paths |= {
        "subject": "name" if payload.name else "description",
        "description": "description",
        "type": "ticketType",
        "priority": "priority" if payload.priority else "severity",
        "channel": "channel.name",
        "externalId": "externalId",
    }
    with body_fields(paths), transaction.atomic():
        case = cases.case_open(
            type=type_,
            channel=channel,
            subject=payload.subject(),
            description=payload.description,
            priority=priority,
            external_id=payload.external_id or "",
            by=user,
            **found,
        )
        _add(case, user=user, notes=notes, uploads=uploads)
    return Status(201, _out(request, _case_get(user=user, case_id=case.uid)))


@router.get("/troubleTicket", response={200: list[TroubleTicketOut], **ERRORS}, summary="List trouble tickets")
def ticket_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    status: TmfStatus | None = None,
    priority: str | None = Query(None, description="Critical, High, Medium or Low."),
    severity: str | None = Query(None, description="Critical, Major, Minor or Warning."),
    ticket_type: str | None = Query(
        None, alias="ticketType", description="noService, slow, billing, move, outage or other."
    ),
    related_party_id: str | None = Query(None, alias="relatedParty.id", description="The customer's id."),
    related_entity_id: str | None = Query(None, alias="relatedEntity.id", description="The service's id."),
    external_id: str | None = Query(None, alias="externalId", description="The other system's id."),
) -> list[TroubleTicketOut]:
    found = _cases(user=request.auth)
    statuses = matching(STATUS, status)
    if statuses is not None:
        found = found.filter(status__in=statuses)
    if priority or severity:
        found = found.filter(priority=priority_in(priority, None if priority else severity))
    if ticket_type:
        found = found.filter(
            type=Case.Type.OUTAGE if ticket_type.strip().lower() == "outage" else ticket_type_in(ticket_type)
        )
    if related_party_id is not None:
        found = found.filter(account_id=parse_id(related_party_id))
    if related_entity_id is not None:
        found = found.filter(service_id=parse_id(related_entity_id))
    if external_id is not None:
        if "\x00" in external_id:
            raise ValidationError("Text cannot contain NUL characters.", field="externalId", code="invalid")
        found = found.filter(external_id=external_id)
    chunk = paginate(response, found, page)
    events = _status_events(chunk)
    return [TroubleTicketOut.of(request, case, events=events[str(case.pk)]) for case in chunk]


@router.get("/troubleTicket/{id}", response={200: TroubleTicketOut, **ERRORS}, summary="Retrieve a trouble ticket")
def ticket_get(request: ApiRequest, id: str, fields: str | None = None) -> TroubleTicketOut:
    return _out(request, _case_get(user=request.auth, case_id=id))


def _patch_values(user: Any, case: Case, payload: TroubleTicketPatchIn) -> tuple[dict[str, Any], dict[str, str]]:
    """Keyword arguments for `case_update` (only what the patch gives) and where each is."""
    given = payload.model_fields_set
    values: dict[str, Any] = {}
    if "name" in given:
        values["subject"] = payload.name or ""
    if "description" in given:
        values["description"] = payload.description or ""
    if "ticket_type" in given:
        values["type"] = ticket_type_in(payload.ticket_type)
    if given & {"priority", "severity"}:
        if not (payload.priority or payload.severity):
            raise ValidationError("A ticket always has a priority.", field="priority", code="required")
        values["priority"] = priority_in(payload.priority, payload.severity)
    found, paths = _referenced(user, parties=payload.related_party or [], entities=payload.related_entity or [])
    if "related_entity" in given:
        service = found.get("service")
        values["service"] = service
        location = found.get("location")
        expected = service.location_id if service is not None else case.location_id
        if location is not None and location.pk != expected:
            raise ValidationError(
                "The location is the service's; name the service to change it.",
                field=paths["location"],
                code="read_only",
            )
    if "related_party" in given:
        account = found.get("account")
        if account is not None and account.pk != case.account_id:
            raise ValidationError(
                "A ticket stays with its customer; open a new one for another.",
                field=paths["account"],
                code="immutable",
            )
        values["contact"] = found.get("contact")
    return values, paths | {
        "subject": "name",
        "description": "description",
        "type": "ticketType",
        "priority": "priority" if payload.priority else "severity",
    }


@router.patch(
    "/troubleTicket/{id}",
    response={200: TroubleTicketOut, **ERRORS},
    summary="Update a trouble ticket",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/TroubleTicketPatchIn"}}
            }
        }
    },
)
def ticket_patch(request: ApiRequest, id: str, payload: TroubleTicketPatchIn) -> TroubleTicketOut:
    """Change a ticket, move it (`status`), add notes and files, as a JSON merge patch
    (application/merge-patch+json or application/json). Needs a role that works cases."""
    user = request.auth
    require(user, "case.work")
    case = _case_get(user=user, case_id=id)
    payload.check_unchanged(case)
    given = payload.model_fields_set
    if "status" in given and payload.status is None:
        raise ValidationError("A ticket always has a status.", field="status", code="required")
    target = status_in(payload.status) if payload.status else None
    resolution = payload.resolution or payload.status_change_reason or ""
    values, paths = _patch_values(user, case, payload)
    notes = _notes_in(payload.note or [], known={str(note.pk) for note in case.notes.all()})
    uploads = uploads_in(payload.attachment or [], known={str(file.pk) for file in case.attachments.all()})
    _check_uploads(uploads)
    paths |= {"resolution": "resolution" if payload.resolution else "statusChangeReason", "status": "status"}
    # A closed ticket takes no changes: reopen first; a ticket being closed takes them first.
    reopening = target is not None and target in Case.OPEN_STATUSES and not case.is_open
    with body_fields(paths), transaction.atomic():
        if reopening and target is not None:
            case = cases.case_transition(case=case, to=target, by=user)
        if values:
            case = cases.case_update(case=case, by=user, **values)
        _add(case, user=user, notes=notes, uploads=uploads)
        if target is not None and not reopening:
            cases.case_transition(case=case, to=target, by=user, resolution=resolution)
    return _out(request, _case_get(user=user, case_id=case.uid))
