"""The bodies of TMF621 troubleTicket: what the routes answer (`TroubleTicketOut`) and read
(`TroubleTicketIn`, `TroubleTicketPatchIn`), and our cases in TMF's words. api.py's docstring is
the mapping (with the values each attribute takes)."""

import base64
import binascii
import datetime as dt
import re
from collections.abc import Collection, Iterable
from typing import Annotated, Any, Literal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from ninja import Field
from pydantic import AfterValidator, StringConstraints

from headend.api import links
from headend.api.schemas import (
    Id,
    In,
    Out,
    QuantityOut,
    RefOut,
    Text40,
    Text100,
    Text200,
    customer_ref,
    service_ref,
    site_ref,
)
from headend.core.errors import ValidationError
from headend.core.models import OutboxEvent

from .cases import BODY_MAX
from .models import Case, CaseAttachment, CaseNote, Priority

# TMF621 TroubleTicketStatusType <-> our statuses. `held` and `rejected` are not ours.
STATUS: dict[str, str] = {
    Case.Status.NEW: "acknowledged",
    Case.Status.IN_PROGRESS: "inProgress",
    Case.Status.WAITING: "pending",  # waiting on the customer: the SLA clocks stop
    Case.Status.RESOLVED: "resolved",
    Case.Status.CLOSED: "closed",
    Case.Status.CANCELLED: "cancelled",
}
STATUS_IN: dict[str, str] = {theirs: ours for ours, theirs in STATUS.items()}
TmfStatus = Literal["acknowledged", "rejected", "pending", "held", "inProgress", "cancelled", "closed", "resolved"]

# Our four priorities as TMF's `priority` (its examples: Critical, High, Medium, Low) and
# `severity` (Critical, Major, Minor, and Warning as TMF642 alarms name the least).
PRIORITY: dict[str, str] = {Priority.P1: "Critical", Priority.P2: "High", Priority.P3: "Medium", Priority.P4: "Low"}
SEVERITY: dict[str, str] = {Priority.P1: "Critical", Priority.P2: "Major", Priority.P3: "Minor", Priority.P4: "Warning"}
_OURS = {value: value for value in Priority.values}  # p1..p4 are taken as they are
PRIORITY_IN: dict[str, str] = {name.lower(): ours for ours, name in PRIORITY.items()} | _OURS
SEVERITY_IN: dict[str, str] = {name.lower(): ours for ours, name in SEVERITY.items()} | _OURS

# ticketType <-> our type. Accepted in any case, with or without `_`, `-` or spaces
# (noService, no_service, "No service").
TICKET_TYPE: dict[str, str] = {
    Case.Type.NO_SERVICE: "noService",
    Case.Type.SLOW: "slow",
    Case.Type.BILLING: "billing",
    Case.Type.MOVE: "move",
    Case.Type.OUTAGE: "outage",  # an outage's parent case: made by the outage, not through the API
    Case.Type.OTHER: "other",
}
TICKET_TYPE_IN: dict[str, str] = {
    re.sub(r"[\s_-]", "", name).lower(): ours for ours, name in TICKET_TYPE.items() if ours != Case.Type.OUTAGE
}
# The channels a ticket can come by through the API (`monitoring` is an outage's own).
CHANNELS_IN = (Case.Channel.PHONE, Case.Channel.EMAIL, Case.Channel.PORTAL, Case.Channel.API)

# A note's kind (extension `noteType`): an internal note (the default), a reply to the customer
# (emailed with the case's reference), or what the customer said.
NoteType = Literal["internal", "reply", "customer"]

# How relatedEntity and relatedParty entries are told apart: by @referredType (any case).
SERVICE_TYPES = {"service"}
SITE_TYPES = {"geographicsite", "place", "geographicaddress", "geographiclocation"}
CUSTOMER_ROLES = {"customer"}
CONTACT_ROLES = {"contact", "reporter", "requester"}


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text cannot contain NUL characters")
    return value


Body = Annotated[str, StringConstraints(strip_whitespace=True, max_length=BODY_MAX), AfterValidator(_no_nul)]
Said = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=BODY_MAX), AfterValidator(_no_nul)
]  # not empty


def _key(value: str) -> str:
    return re.sub(r"[\s_-]", "", value).lower()


def ticket_type_in(value: str | None, *, field: str = "ticketType") -> str:
    if value is None or value == "":
        return Case.Type.OTHER
    ours = TICKET_TYPE_IN.get(_key(value))
    if ours is None:
        allowed = ", ".join(TICKET_TYPE[t] for t in TICKET_TYPE_IN.values())
        raise ValidationError(f"Not a ticket type: {value!r} (choose {allowed}).", field=field, code="invalid_choice")
    return ours


def priority_in(priority: str | None, severity: str | None) -> str:
    """Our priority from `priority` (Critical, High, Medium, Low; or p1-p4), else from
    `severity` (Critical, Major, Minor, Warning); p3 when neither is given."""
    if priority:
        ours = PRIORITY_IN.get(priority.strip().lower())
        if ours is None:
            raise ValidationError(
                f"Not a priority: {priority!r} (choose {', '.join(PRIORITY.values())}).",
                field="priority",
                code="invalid_choice",
            )
        return ours
    if severity:
        ours = SEVERITY_IN.get(severity.strip().lower())
        if ours is None:
            raise ValidationError(
                f"Not a severity: {severity!r} (choose {', '.join(SEVERITY.values())}).",
                field="severity",
                code="invalid_choice",
            )
        return ours
    return Priority.P3


def status_in(value: str, *, field: str = "status") -> str:
    ours = STATUS_IN.get(value)
    if ours is None:
        allowed = ", ".join(STATUS.values())
        raise ValidationError(
            f"A ticket cannot be made {value!r} here (choose {allowed}).", field=field, code="invalid_choice"
        )
    return ours


# Responses


class ChannelOut(Out):
    id: str
    name: str


class NoteOut(Out):
    """A Note; `noteType` (extension) says whose words: internal, reply (sent to the customer)
    or customer."""

    id: str
    author: str
    date: dt.datetime
    text: str
    note_type: str = Field(serialization_alias="noteType")
    type: str = Field(default="Note", serialization_alias="@type")


class AttachmentOut(Out):
    """An AttachmentRefOrValue by reference: the file's name, type and size; `url` is its
    download for signed-in staff."""

    id: str
    url: str | None = Field(default=None, description="The download, for signed-in staff.")
    name: str
    mime_type: str = Field(serialization_alias="mimeType")
    size: QuantityOut
    type: str = Field(default="Attachment", serialization_alias="@type")
    referred_type: str = Field(default="Attachment", serialization_alias="@referredType")


class StatusChangeOut(Out):
    status: str
    change_date: dt.datetime = Field(serialization_alias="changeDate")
    change_reason: str | None = Field(default=None, serialization_alias="changeReason")
    type: str = Field(default="StatusChange", serialization_alias="@type")


class RelationshipOut(Out):
    """The case this one is a child of (an outage's parent case, or the case it follows up)
    or one of its children: `relationshipType` isChild / isParent."""

    id: str
    href: str
    name: str
    relationship_type: str = Field(serialization_alias="relationshipType")
    type: str = Field(default="TroubleTicketRelationship", serialization_alias="@type")


def ticket_ref(request: HttpRequest, case: Case, relationship_type: str) -> RelationshipOut:
    return RelationshipOut(
        id=str(case.uid),
        href=links.TROUBLE_TICKET.href(request, case.uid),
        name=case.reference,
        relationship_type=relationship_type,
    )


def contact_ref(contact: Any) -> RefOut:
    return RefOut(id=str(contact.pk), name=str(contact), role="contact", referred_type="Individual")


def _note_author(note: CaseNote) -> str:
    if note.author_name:
        return note.author_name
    if note.author is not None:
        return note.author.get_full_name() or note.author.get_username()
    return "Headend"


def _status_changes(case: Case, events: Iterable[OutboxEvent]) -> list[StatusChangeOut]:
    """The case's moves, from its outbox events: opened (acknowledged), then each change."""
    changes = [StatusChangeOut(status=STATUS[Case.Status.NEW], change_date=case.created_at)]
    for event in events:
        if event.name != "case.status_changed":
            continue
        to = str(event.data.get("to", ""))
        if to not in STATUS:
            continue
        reason = "The customer wrote back." if event.data.get("by_customer") else None
        if to == Case.Status.RESOLVED and case.resolution and case.status in (Case.Status.RESOLVED, Case.Status.CLOSED):
            reason = case.resolution
        changes.append(StatusChangeOut(status=STATUS[to], change_date=event.occurred_at, change_reason=reason))
    return changes


class TroubleTicketOut(Out):
    id: str
    href: str
    type: str = Field(default="TroubleTicket", serialization_alias="@type")
    reference: str = Field(description="Extension: the case's reference (CS-000123), as emails carry it.")
    name: str
    description: str
    ticket_type: str = Field(serialization_alias="ticketType")
    priority: str
    severity: str
    status: str
    status_change_date: dt.datetime = Field(serialization_alias="statusChangeDate")
    status_change_reason: str | None = Field(default=None, serialization_alias="statusChangeReason")
    creation_date: dt.datetime = Field(serialization_alias="creationDate")
    last_update: dt.datetime = Field(serialization_alias="lastUpdate")
    expected_resolution_date: dt.datetime | None = Field(default=None, serialization_alias="expectedResolutionDate")
    resolution_date: dt.datetime | None = Field(default=None, serialization_alias="resolutionDate")
    external_id: str | None = Field(default=None, serialization_alias="externalId")
    channel: ChannelOut
    related_party: list[RefOut] = Field(serialization_alias="relatedParty")
    related_entity: list[RefOut] = Field(serialization_alias="relatedEntity")
    note: list[NoteOut]
    attachment: list[AttachmentOut]
    status_change: list[StatusChangeOut] = Field(serialization_alias="statusChange")
    trouble_ticket_relationship: list[RelationshipOut] = Field(serialization_alias="troubleTicketRelationship")

    @classmethod
    def of(cls, request: HttpRequest, case: Case, *, events: Iterable[OutboxEvent] = ()) -> "TroubleTicketOut":
        """`case` with its account, contact, service (with its product), location, parent,
        children, notes (with authors) and attachments loaded; `events` its status events."""
        parties = []
        if case.account is not None:
            parties.append(customer_ref(request, case.account))
        if case.contact is not None:
            parties.append(contact_ref(case.contact))
        entities = []
        if case.service is not None:
            entities.append(service_ref(request, case.service, role="affectedService"))
        if case.location is not None:
            entities.append(site_ref(request, case.location).model_copy(update={"role": "location"}))
        if case.outage_id is not None:
            entities.append(
                RefOut(id=str(case.outage_id), name=f"Outage {case.outage_id}", role="outage", referred_type="Outage")
            )
        relationships = [ticket_ref(request, case.parent, "isChild")] if case.parent is not None else []
        relationships += [ticket_ref(request, child, "isParent") for child in case.children.all()]
        finished = case.status in (Case.Status.RESOLVED, Case.Status.CLOSED)
        return cls(
            id=str(case.uid),
            href=links.TROUBLE_TICKET.href(request, case.uid),
            reference=case.reference,
            name=case.subject,
            description=case.description,
            ticket_type=TICKET_TYPE[case.type],
            priority=PRIORITY[case.priority],
            severity=SEVERITY[case.priority],
            status=STATUS[case.status],
            status_change_date=case.status_changed_at,
            status_change_reason=(case.resolution or None) if finished else None,
            creation_date=case.created_at,
            last_update=case.updated_at,
            expected_resolution_date=case.resolution_due_at,
            resolution_date=case.resolved_at,
            external_id=case.external_id or None,
            channel=ChannelOut(id=case.channel, name=case.get_channel_display()),
            related_party=parties,
            related_entity=entities,
            note=[
                NoteOut(
                    id=str(note.pk),
                    author=_note_author(note),
                    date=note.created_at,
                    text=note.body,
                    note_type=note.kind,
                )
                for note in case.notes.all()
            ],
            attachment=[_attachment(request, attachment) for attachment in case.attachments.all()],
            status_change=_status_changes(case, events),
            trouble_ticket_relationship=relationships,
        )


def _attachment(request: HttpRequest, attachment: CaseAttachment) -> AttachmentOut:
    try:
        url = request.build_absolute_uri(reverse("support:case_attachment", args=[attachment.pk]))
    except NoReverseMatch:  # the staff pages are not mounted
        url = None
    return AttachmentOut(
        id=str(attachment.pk),
        url=url,
        name=attachment.name,
        mime_type=attachment.content_type,
        size=QuantityOut(amount=attachment.size, units="bytes"),
    )


# Requests


class RefIn(In):
    """A RelatedEntity or RelatedParty: what it is (`@referredType`, `role`) and its `id`."""

    id: Id
    role: Text40 | None = None
    referred_type: Text40 | None = Field(default=None, alias="@referredType")
    name: Text200 | None = None


class ChannelIn(In):
    id: Text40 | None = None
    name: Text40 | None = None


class NoteIn(In):
    """A Note to add: `text`, `author` (for a customer's words: their name), `noteType`
    (extension: internal, the default; reply, emailed to the customer; customer). A note with
    the `id` of one the ticket has is left as it is."""

    id: Text40 | None = None
    text: Said
    author: Text200 | None = None
    note_type: NoteType | None = Field(default=None, alias="noteType")


class AttachmentIn(In):
    """A file by value: `content` (base64), `name`, `mimeType` (the type is decided from the
    bytes, not from this). An entry with the `id` of one the ticket has is left as it is."""

    id: Text40 | None = None
    name: Text200 | None = None
    mime_type: Text100 | None = Field(default=None, alias="mimeType")
    content: str | None = None
    url: Text200 | None = None


def _upload(entry: AttachmentIn, *, at: str) -> SimpleUploadedFile:
    if entry.url or not entry.content:
        raise ValidationError(
            "Send the file by value: its bytes in base64 as `content`, with its `name`.",
            field=f"{at}.content",
            code="required",
        )
    try:
        data = base64.b64decode(entry.content, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("Not base64.", field=f"{at}.content", code="invalid_base64") from None
    return SimpleUploadedFile(entry.name or "attachment", data, content_type=entry.mime_type or "")


def uploads_in(entries: list[AttachmentIn], *, known: Collection[str] = ()) -> list[tuple[SimpleUploadedFile, str]]:
    """The files to attach, each with where it is in the body; entries naming an attachment
    the ticket has (`known` ids) stay as they are, other ids are refused."""
    found = []
    for index, entry in enumerate(entries):
        at = f"attachment[{index}]"
        if entry.id:
            if entry.id in known:
                continue
            raise ValidationError("The ticket has no such attachment.", field=f"{at}.id", code="unknown_reference")
        found.append((_upload(entry, at=at), at))
    return found


def channel_in(channel: ChannelIn | None) -> str:
    """The channel the ticket came by: `channel.name` (or `id`): phone, email, portal or api."""
    given = (channel.name or channel.id or "") if channel is not None else ""
    if not given:
        return Case.Channel.API
    ours = given.strip().lower()
    if ours not in CHANNELS_IN:
        raise ValidationError(
            f"Not a channel: {given!r} (choose {', '.join(CHANNELS_IN)}).",
            field="channel.name" if channel and channel.name else "channel.id",
            code="invalid_choice",
        )
    return ours


def entities_in(entries: list[RefIn]) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """(id, path) of the Service and of the GeographicSite the body names (None when it names
    none); anything else, or two of one kind, is refused."""
    service = site = None
    for index, entry in enumerate(entries):
        kind = (entry.referred_type or "").lower()
        at = f"relatedEntity[{index}]"
        if kind in SERVICE_TYPES:
            if service is not None:
                raise ValidationError("A ticket is about one service.", field=at, code="one_service")
            service = (entry.id, f"{at}.id")
        elif kind in SITE_TYPES:
            if site is not None:
                raise ValidationError("A ticket is about one location.", field=at, code="one_location")
            site = (entry.id, f"{at}.id")
        else:
            raise ValidationError(
                "A related entity is a Service (TMF638) or a GeographicSite (TMF674): say which in @referredType.",
                field=f"{at}.@referredType",
                code="unsupported_entity",
            )
    return service, site


def parties_in(entries: list[RefIn]) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """(id, path) of the customer (role customer: a TMF629 customer id) and of the contact
    (role contact) the body names; other roles are refused."""
    customer = contact = None
    for index, entry in enumerate(entries):
        role = (entry.role or "").lower()
        at = f"relatedParty[{index}]"
        if role in CUSTOMER_ROLES:
            if customer is not None:
                raise ValidationError("A ticket is about one customer.", field=at, code="one_customer")
            customer = (entry.id, f"{at}.id")
        elif role in CONTACT_ROLES:
            if contact is not None:
                raise ValidationError("A ticket has one contact.", field=at, code="one_contact")
            contact = (entry.id, f"{at}.id")
        else:
            raise ValidationError(
                "A related party's role is customer (a TMF629 customer id) or contact (one of its contacts).",
                field=f"{at}.role",
                code="unsupported_party",
            )
    return customer, contact


class TroubleTicketIn(In):
    """TroubleTicket_Create: `description` (required), `name` (the subject; the description's
    first line when left out), `ticketType`, `priority` or `severity`, `channel`, `externalId`,
    `relatedParty` (customer, contact), `relatedEntity` (Service, GeographicSite), `note`,
    `attachment` (by value)."""

    description: Said
    name: Text200 | None = None
    ticket_type: Text40 | None = Field(default=None, alias="ticketType")
    priority: Text40 | None = None
    severity: Text40 | None = None
    status: Text40 | None = None
    external_id: Text100 | None = Field(default=None, alias="externalId")
    channel: ChannelIn | None = None
    related_party: list[RefIn] = Field(default_factory=list, alias="relatedParty")
    related_entity: list[RefIn] = Field(default_factory=list, alias="relatedEntity")
    note: list[NoteIn] = Field(default_factory=list)
    attachment: list[AttachmentIn] = Field(default_factory=list)

    def subject(self) -> str:
        if self.name:
            return self.name
        first = next((line.strip() for line in self.description.splitlines() if line.strip()), "")
        return first[:200]

    def check_status(self) -> None:
        if self.status not in (None, "", STATUS[Case.Status.NEW]):
            raise ValidationError(
                "A new ticket is acknowledged; move it with PATCH once it exists.", field="status", code="read_only"
            )


class TroubleTicketPatchIn(In):
    """TroubleTicket_Update as a JSON merge patch (RFC 7396): what is left out stays. `status`
    moves the case (`statusChangeReason`, or the extension `resolution`, says what was done when
    it is resolved); `note` and `attachment` entries without an id are added (nothing is removed);
    `relatedEntity` (a Service) and `relatedParty` (a contact) replace what the case has."""

    id: Text40 | None = None
    name: Text200 | None = None
    description: Body | None = None
    ticket_type: Text40 | None = Field(default=None, alias="ticketType")
    priority: Text40 | None = None
    severity: Text40 | None = None
    status: TmfStatus | None = None
    status_change_reason: Body | None = Field(default=None, alias="statusChangeReason")
    resolution: Body | None = None
    external_id: Text100 | None = Field(default=None, alias="externalId")
    channel: ChannelIn | None = None
    related_party: list[RefIn] | None = Field(default=None, alias="relatedParty")
    related_entity: list[RefIn] | None = Field(default=None, alias="relatedEntity")
    note: list[NoteIn] | None = None
    attachment: list[AttachmentIn] | None = None

    def check_unchanged(self, case: Case) -> None:
        """What a patch cannot change: the id, the channel it came by, the external id."""
        given = self.model_fields_set
        if "id" in given and self.id != str(case.uid):
            raise ValidationError("The id of a ticket cannot change.", field="id", code="immutable")
        if "channel" in given and channel_in(self.channel) != case.channel:
            raise ValidationError("The channel a ticket came by cannot change.", field="channel", code="immutable")
        if "external_id" in given and (self.external_id or "") != case.external_id:
            raise ValidationError("The external id cannot change.", field="externalId", code="immutable")
