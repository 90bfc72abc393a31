"""Write use cases for accounts, contacts, locations and opportunities."""

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from headend.core import bulk, clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.money import default_currency
from headend.core.numbers import parse_amount
from headend.core.phones import normalize_phone
from headend.crm.addresses import Address, normalize_address, parse_coordinate
from headend.crm.geocoding import Match
from headend.crm.models import Account, Contact, Location, Opportunity
from headend.crm.placing import placement_for_new, placement_for_update

ACCOUNT_FIELDS = ("name", "legal_name", "tax_id", "parent", "first_name", "last_name", "email", "phone", "owner")


def _clean_email(value: str, *, field: str = "email") -> str:
    value = (value or "").strip().lower()
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValidationError(f"Not an email address: {value!r}.", field=field, code="invalid_email") from exc
    return value


def _account_values(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise account fields for its kind; derive the display name."""
    clean = {key: values.get(key) for key in ACCOUNT_FIELDS if key in values}
    for key in ("name", "legal_name", "tax_id", "first_name", "last_name"):
        if key in clean:
            clean[key] = (clean[key] or "").strip()
    if "email" in clean:
        clean["email"] = _clean_email(clean["email"] or "")
    if "phone" in clean:
        clean["phone"] = normalize_phone(clean["phone"] or "")
    if kind == Account.Kind.BUSINESS:
        legal = clean.get("legal_name") or clean.get("name") or ""
        if not legal:
            raise ValidationError("A business account needs its legal name.", field="legal_name", code="required")
        clean["legal_name"] = legal
        clean["name"] = clean.get("name") or legal
        tax_id = clean.get("tax_id", "")
        if tax_id and not _is_ein(tax_id):
            raise ValidationError("An EIN has nine digits, as 12-3456789.", field="tax_id", code="invalid_tax_id")
    elif kind == Account.Kind.RESIDENTIAL:
        first, last = clean.get("first_name", ""), clean.get("last_name", "")
        if not first:
            raise ValidationError(
                "A residential account needs the person's first name.", field="first_name", code="required"
            )
        if not last:
            raise ValidationError(
                "A residential account needs the person's last name.", field="last_name", code="required"
            )
        clean["name"] = f"{first} {last}"
        if clean.get("parent") is not None or clean.get("tax_id"):
            raise ValidationError("Only business accounts have a parent account or a tax ID.", field="parent")
    else:
        raise ValidationError(f"Unknown account kind {kind!r}.", field="kind", code="invalid_choice")
    return clean


def _is_ein(value: str) -> bool:
    digits = value.replace("-", "")
    return len(digits) == 9 and digits.isdigit()


@transaction.atomic
def account_create(*, kind: str, created_by: Any = None, **values: Any) -> Account:
    """Open an account for a business or a residential customer."""
    clean = _account_values(kind, values)
    account = Account(kind=kind, created_at=clock.now(), **clean)
    account.full_clean(exclude=["parent", "owner"])
    account.save()
    events.emit("account.created", subject=account, data={"kind": kind})
    return account


@transaction.atomic
def account_update(*, account: Account, updated_by: Any = None, **values: Any) -> Account:
    """Change an account's details (its kind never changes), checked as when it was opened; the
    event names the fields that changed, and a change to nothing writes nothing."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    current = {key: getattr(account, key) for key in ACCOUNT_FIELDS}
    clean = _account_values(account.kind, {**current, **values})
    parent = clean.get("parent")
    while parent is not None:
        if parent.pk == account.pk:
            raise ValidationError("An account cannot be its own parent.", field="parent", code="parent_cycle")
        parent = parent.parent
    changed = sorted(key for key, value in clean.items() if current[key] != value)
    if not changed:
        return account
    for key in changed:
        setattr(account, key, clean[key])
    account.full_clean(exclude=["parent", "owner"])
    if updated_by is not None:
        account._history_user = updated_by  # type: ignore[attr-defined]  # who acted, in the history row
    account.save()
    events.emit("account.updated", subject=account, data={"fields": changed})
    return account


def account_activate(*, account: Account) -> Account:
    """A prospect becomes an active customer when its first order is placed."""
    if account.status == Account.Status.PROSPECT:
        Account.objects.filter(pk=account.pk).update(status=Account.Status.ACTIVE)
        account.status = Account.Status.ACTIVE
        events.emit("account.activated", subject=account)
    return account


def _contact_values(*, first_name: str, last_name: str, email: str, phone: str, role: str) -> dict[str, str]:
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not first_name:
        raise ValidationError("A contact needs a first name.", field="first_name", code="required")
    if not last_name:
        raise ValidationError("A contact needs a last name.", field="last_name", code="required")
    if role not in Contact.Role.values:
        raise ValidationError(f"Unknown contact role {role!r}.", field="role", code="invalid_choice")
    email, phone = _clean_email(email), normalize_phone(phone)
    if not email and not phone:
        raise ValidationError("Give an email address or a phone number.", field="email", code="required")
    return {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone, "role": role}


@transaction.atomic
def contact_create(
    *,
    account: Account,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    role: str = Contact.Role.PRIMARY,
) -> Contact:
    """Add a person to an account; email or phone is needed to reach them."""
    checked = _contact_values(first_name=first_name, last_name=last_name, email=email, phone=phone, role=role)
    return Contact.objects.create(account=account, created_at=clock.now(), **checked)


def _location_values(
    *,
    account_id: int,
    exclude_pk: int | None,
    line1: str,
    line2: str,
    city: str,
    state: str,
    postal_code: str,
    name: str,
    latitude: object,
    longitude: object,
    normalized: Address | None = None,
    taken: Collection[str] | None = None,
) -> dict[str, Any]:
    """Normalised location fields; the address must be new within the account (`taken`: the
    account's address keys, read once by a caller adding many; None: asked of the database)."""
    address = normalized or normalize_address(line1=line1, line2=line2, city=city, state=state, postal_code=postal_code)
    lat = parse_coordinate(latitude, field="latitude", limit=90)
    lon = parse_coordinate(longitude, field="longitude", limit=180)
    if (lat is None) != (lon is None):
        raise ValidationError("Give both latitude and longitude, or neither.", field="longitude")
    if taken is not None:
        duplicate = address.key in taken
    else:
        same_address = Location.objects.filter(account_id=account_id, address_key=address.key)
        if exclude_pk is not None:
            same_address = same_address.exclude(pk=exclude_pk)
        duplicate = same_address.exists()
    if duplicate:
        raise ValidationError(
            f"The account already has a location at {address.line1} {address.line2}".strip() + ".",
            field="line1",
            code="duplicate_location",
        )
    return {
        "name": (name or "").strip(),
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "state": address.state,
        "postal_code": address.postal_code,
        "address_key": address.key,
        "latitude": lat,
        "longitude": lon,
    }


def _save_location(location: Location) -> None:
    try:
        with transaction.atomic():
            location.save()
    except IntegrityError as exc:  # a concurrent write of the same address
        raise ValidationError("This location already exists.", field="line1", code="duplicate_location") from exc


def location_create(
    *,
    account: Account,
    line1: str,
    city: str,
    state: str,
    postal_code: str,
    line2: str = "",
    name: str = "",
    latitude: object = None,
    longitude: object = None,
    normalized: Address | None = None,
    geocoded: Match | None = None,
) -> Location:
    """Add a service address to an account, normalised; the same address twice is refused.
    Without coordinates the geocoders place it (crm/placing.py): one they cannot place is saved
    unplaced, for a pin. `normalized` is the address a caller already normalised (a file of
    sites), not parsed again; `geocoded` the match it already found for it."""
    at = clock.now()
    values = _location_values(
        account_id=account.pk,
        exclude_pk=None,
        line1=line1,
        line2=line2,
        city=city,
        state=state,
        postal_code=postal_code,
        name=name,
        latitude=latitude,
        longitude=longitude,
        normalized=normalized,
    )
    # Before the write: an online geocoder is a network call, never made inside our transaction.
    values.update(placement_for_new(values, geocoded=geocoded, at=at))
    with transaction.atomic():
        location = Location(account=account, created_at=at, **values)
        _save_location(location)
        events.emit("location.created", subject=location, data={"account_id": account.pk})
    return location


@dataclass(frozen=True)
class SiteAccess:
    """For the technician: who meets them at the site (one of the account's contacts, or None)
    and how to get in ("Gate code 4411; ask for the facilities desk")."""

    access_notes: str = ""
    site_contact: Contact | None = None


MAX_ACCESS_NOTES = 1000


def _site_access_values(account_id: int, site: SiteAccess) -> dict[str, Any]:
    """The site's access fields, checked: notes of at most MAX_ACCESS_NOTES characters, and a
    contact of the location's own account (another customer's person never shows there)."""
    notes = (site.access_notes or "").strip().replace("\r\n", "\n")
    if len(notes) > MAX_ACCESS_NOTES:
        raise ValidationError(
            f"Access notes are at most {MAX_ACCESS_NOTES:,} characters; these are {len(notes):,}.",
            field="access_notes",
            code="too_long",
        )
    contact = site.site_contact
    if contact is not None and contact.account_id != account_id:
        raise ValidationError(
            "The site contact must be one of this account's contacts.", field="site_contact", code="foreign_contact"
        )
    return {"access_notes": notes, "site_contact_id": contact.pk if contact is not None else None}


def location_update(
    *,
    location: Location,
    line1: str,
    city: str,
    state: str,
    postal_code: str,
    line2: str = "",
    name: str = "",
    latitude: object = None,
    longitude: object = None,
    site: SiteAccess | None = None,
    updated_by: Any = None,
) -> Location:
    """Correct a location's address or site name, normalised and checked as when it was added;
    it stays unique within its account. A new address is placed again by the geocoders unless a
    person placed the old one (crm/placing.py). With `site`, also its access notes and site
    contact (None: they stay as they are). The event names the fields that changed, and a
    change to nothing writes nothing.

    Raises ValidationError naming the field: a duplicate address, bad coordinates, access
    notes too long, a site contact of another account; nothing is written then."""
    location = Location.objects.get(pk=location.pk)
    values = _location_values(
        account_id=location.account_id,
        exclude_pk=location.pk,
        line1=line1,
        line2=line2,
        city=city,
        state=state,
        postal_code=postal_code,
        name=name,
        latitude=latitude,
        longitude=longitude,
    )
    if site is not None:
        values.update(_site_access_values(location.account_id, site))
    values.update(placement_for_update(location, values, at=clock.now()))  # may call out: before the lock
    with transaction.atomic():
        location = Location.objects.select_for_update().get(pk=location.pk)
        changed = sorted(key for key, value in values.items() if getattr(location, key) != value)
        if not changed or changed == ["geocoded_at"]:
            return location
        for key in changed:
            setattr(location, key, values[key])
        if updated_by is not None:
            location._history_user = updated_by  # type: ignore[attr-defined]  # who acted, in the history row
        _save_location(location)
        fields = [
            key.removesuffix("_id") for key in changed if key not in ("address_key", "geocoded_at")
        ]  # they follow the others
        events.emit("location.updated", subject=location, data={"account_id": location.account_id, "fields": fields})
    return location


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    role: str = Contact.Role.PRIMARY,
) -> Contact:
    """Correct a contact's name, role, email or phone."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    checked = _contact_values(first_name=first_name, last_name=last_name, email=email, phone=phone, role=role)
    for key, value in checked.items():
        setattr(contact, key, value)
    contact.save()
    return contact


def _opportunity_values(values: dict[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if "name" in clean:
        clean["name"] = (clean["name"] or "").strip()
        if not clean["name"]:
            raise ValidationError("An opportunity needs a name.", field="name", code="required")
    if "amount" in clean:
        clean["amount"] = parse_amount(clean["amount"] if clean["amount"] not in (None, "") else "0", field="amount")
    if "stage" in clean and clean["stage"] not in Opportunity.OPEN_STAGES:
        raise ValidationError(
            "Choose an open stage; an opportunity is won by accepting a quote, or marked lost.",
            field="stage",
            code="invalid_choice",
        )
    if "close_date" in clean and not isinstance(clean["close_date"], dt.date):
        raise ValidationError("Give the expected close date.", field="close_date", code="required")
    return clean


@transaction.atomic
def opportunity_create(
    *,
    account: Account,
    name: str,
    close_date: dt.date,
    owner: Any = None,
    amount: Decimal | str = "0",
    stage: str = Opportunity.Stage.PROSPECTING,
) -> Opportunity:
    """Open a sales opportunity for an account."""
    clean = _opportunity_values({"name": name, "amount": amount, "stage": stage, "close_date": close_date})
    opportunity = Opportunity.objects.create(
        account=account, owner=owner, currency=default_currency(), created_at=clock.now(), **clean
    )
    events.emit("opportunity.created", subject=opportunity)
    return opportunity


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, **values: Any) -> Opportunity:
    """Edit an open opportunity (stage, amount, close date, owner, name)."""
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if not opportunity.is_open:
        raise Conflict("A closed opportunity cannot be edited.", field="stage", code="opportunity_closed")
    allowed = {"name", "amount", "stage", "close_date", "owner"}
    clean = _opportunity_values({key: value for key, value in values.items() if key in allowed})
    for key, value in clean.items():
        setattr(opportunity, key, value)
    opportunity.save()
    return opportunity


def opportunity_win(
    *,
    opportunity: Opportunity,
    mrr_amount: Decimal,
    one_time_amount: Decimal,
    contract_value_amount: Decimal,
    at: dt.datetime,
) -> Opportunity:
    """Closed Won with the accepted quote's totals; called inside `quote_accept`."""
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if not opportunity.is_open:
        raise Conflict(
            f"The opportunity {opportunity} is already {opportunity.get_stage_display()}.",
            field="opportunity",
            code="opportunity_closed",
        )
    opportunity.stage = Opportunity.Stage.CLOSED_WON
    opportunity.amount, opportunity.one_time_amount = mrr_amount, one_time_amount
    opportunity.contract_value_amount = contract_value_amount
    opportunity.closed_at = at
    opportunity.close_date = clock.local_date(at)
    opportunity.save()
    events.emit("opportunity.won", subject=opportunity, data={"mrr": str(mrr_amount)})
    return opportunity


@transaction.atomic
def opportunity_lose(*, opportunity: Opportunity) -> Opportunity:
    """Mark an open opportunity Closed Lost."""
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if not opportunity.is_open:
        raise Conflict("The opportunity is already closed.", field="stage", code="opportunity_closed")
    now = clock.now()
    opportunity.stage, opportunity.closed_at = Opportunity.Stage.CLOSED_LOST, now
    opportunity.save()
    events.emit("opportunity.lost", subject=opportunity)
    return opportunity


def opportunity_follow_quote(
    *,
    opportunity: Opportunity,
    mrr_amount: Decimal,
    one_time_amount: Decimal,
    contract_value_amount: Decimal,
    stage: str = "",
) -> Opportunity:
    """An open opportunity takes its primary quote's totals; presenting moves it to Proposal,
    a declined quote closes it lost. Called by quoting inside its use cases."""
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if not opportunity.is_open:
        return opportunity
    opportunity.amount, opportunity.one_time_amount = mrr_amount, one_time_amount
    opportunity.contract_value_amount = contract_value_amount
    if stage == Opportunity.Stage.CLOSED_LOST:
        opportunity.stage, opportunity.closed_at = Opportunity.Stage.CLOSED_LOST, clock.now()
        events.emit("opportunity.lost", subject=opportunity)
    elif stage:
        opportunity.stage = stage
    opportunity.save()
    return opportunity


def opportunity_reopen(*, opportunity: Opportunity) -> Opportunity:
    """A lost opportunity comes back to Negotiation when its quote is revised."""
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if opportunity.stage == Opportunity.Stage.CLOSED_WON:
        raise Conflict(
            "A won opportunity cannot be reopened; open a new one.", field="stage", code="opportunity_closed"
        )
    if opportunity.stage == Opportunity.Stage.CLOSED_LOST:
        opportunity.stage, opportunity.closed_at = Opportunity.Stage.NEGOTIATION, None
        opportunity.save(update_fields=["stage", "closed_at"])
        events.emit("opportunity.reopened", subject=opportunity)
    return opportunity


# Many at once (a file of sites on a quote): the single use cases' rules, one insert each.


@dataclass(frozen=True)
class NewContact:
    """A person to add to an account: what `contact_create` takes."""

    first_name: str
    last_name: str
    email: str = ""
    phone: str = ""
    role: str = Contact.Role.PRIMARY


@transaction.atomic
def contacts_create(*, account: Account, people: Sequence[NewContact]) -> list[Contact]:
    """`contact_create` for many people of one account: each checked by its rules, one insert
    (and one of history). Raises the first person's ValidationError; nothing is written then."""
    at = clock.now()
    contacts = [
        Contact(
            account=account,
            created_at=at,
            **_contact_values(
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                phone=person.phone,
                role=person.role,
            ),
        )
        for person in people
    ]
    return bulk.create_with_history(Contact, contacts)


@dataclass(frozen=True)
class NewLocation:
    """A service address to add to an account: what `location_create` takes."""

    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""
    name: str = ""
    latitude: object = None
    longitude: object = None
    normalized: Address | None = None
    geocoded: Match | None = None


def locations_create(*, account: Account, sites: Sequence[NewLocation]) -> list[Location]:
    """`location_create` for many addresses of one account (a file of sites): each normalised,
    checked and placed by its rules, the account's addresses read once, one insert (and one of
    history), one `location.created` event each in one insert. The same address twice, here or
    on the account, is refused as it is one at a time: the first site's ValidationError, and
    nothing is written."""
    if not sites:
        return []
    at = clock.now()

    def values_of(site: NewLocation, taken: Collection[str]) -> dict[str, Any]:
        return _location_values(
            account_id=account.pk,
            exclude_pk=None,
            line1=site.line1,
            line2=site.line2,
            city=site.city,
            state=site.state,
            postal_code=site.postal_code,
            name=site.name,
            latitude=site.latitude,
            longitude=site.longitude,
            normalized=site.normalized,
            taken=taken,
        )

    checked = [values_of(site, ()) for site in sites]
    # The account's addresses among these, in one query; the first site already there (or
    # earlier in `sites`) is refused as `location_create` refuses it.
    keys = {values["address_key"] for values in checked}
    taken = set(
        Location.objects.filter(account_id=account.pk, address_key__in=keys).values_list("address_key", flat=True)
    )
    locations = []
    for site, values in zip(sites, checked, strict=True):
        if values["address_key"] in taken:
            values_of(site, taken)
        taken.add(values["address_key"])
        # Before the write: an online geocoder is a network call, never made inside our transaction.
        values.update(placement_for_new(values, geocoded=site.geocoded, at=at))
        locations.append(Location(account=account, created_at=at, **values))
    with transaction.atomic():
        try:
            with transaction.atomic():
                created = bulk.create_with_history(Location, locations)
        except IntegrityError as exc:  # a concurrent write of the same address
            raise ValidationError("This location already exists.", field="line1", code="duplicate_location") from exc
        events.emit_many("location.created", subjects=list(created), data=[{"account_id": account.pk} for _ in created])
    return created
