"""Self sign-up and the first order, for a new residential or small-business customer: the
same use cases staff use (CRM, serviceability, quoting, fulfilment), driven by the customer.

Each step of the portal's sign-up pages is checked here without writing anything: the address
is normalised as the CRM does and its serviceability read for an account and location held in
memory; the contact's details are checked by the CRM's own use cases inside a transaction that
is rolled back. Everything is written by `signup_complete`, in one transaction at the end, so a
customer who stops half-way leaves nothing behind.

An address where nothing can be sold is not an error: `lead_create` keeps the customer's email
as a prospect account with the address and an opportunity for sales to follow when coverage
arrives."""

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from headend.billing import accounts as billing_accounts
from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import Product, ProductVersion, TemplateTask
from headend.contracts import selectors as contracts_selectors
from headend.contracts.models import TermsVersion
from headend.core import clock, events
from headend.core.errors import ValidationError
from headend.core.ids import parse_id
from headend.core.models import OutboxEvent
from headend.crm import services as crm_services
from headend.crm.addresses import normalize_address, parse_coordinate
from headend.crm.models import Account, Contact, Location, Opportunity
from headend.fulfillment import appointments
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment.models import Appointment, Task
from headend.fulfillment.view_models import Slot
from headend.network import selectors as network_selectors
from headend.orders.models import Order
from headend.payments import methods as payment_methods
from headend.payments.models import PaymentMethod
from headend.quoting import services as quoting_services
from headend.quoting.models import Quote

from . import auth, labels, logins
from .models import PortalLogin

QUOTE_NAME = "Online sign-up"
LEAD_DAYS = 90  # when sales expect to follow a "not yet" address up


# The address


@dataclass(frozen=True)
class Place:
    """A normalised service address for a kind of customer, not stored yet (session-safe)."""

    kind: str
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    latitude: str = ""
    longitude: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Place":
        return cls(**{name: str(data.get(name) or "") for name in cls.__dataclass_fields__})

    @property
    def label(self) -> str:
        street = f"{self.line1} {self.line2}".strip()
        return f"{street}, {self.city}, {self.state} {self.postal_code}"

    def location_values(self) -> dict[str, Any]:
        return {
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "state": self.state,
            "postal_code": self.postal_code,
            "latitude": self.latitude or None,
            "longitude": self.longitude or None,
        }

    def draft_location(self) -> Location:
        """The location as it would be stored, with an account of this kind, in memory only:
        what serviceability reads."""
        address = normalize_address(
            line1=self.line1, line2=self.line2, city=self.city, state=self.state, postal_code=self.postal_code
        )
        values = self.location_values()
        return Location(
            account=Account(kind=self.kind),
            address_key=address.key,
            latitude=parse_coordinate(values["latitude"], field="latitude", limit=90),
            longitude=parse_coordinate(values["longitude"], field="longitude", limit=180),
            **{key: values[key] for key in ("line1", "line2", "city", "state", "postal_code")},
        )


def _kind(kind: Any) -> str:
    if kind not in Account.Kind.values:
        raise ValidationError("Choose home or business.", field="kind", code="invalid_choice")
    return str(kind)


def address_check(
    *,
    kind: Any,
    line1: str,
    city: str,
    state: str,
    postal_code: str,
    line2: str = "",
    latitude: Any = "",
    longitude: Any = "",
) -> Place:
    """The address normalised as the CRM stores it (USPS style). Raises ValidationError naming
    the part of the address that is wrong."""
    kind = _kind(kind)
    address = normalize_address(line1=line1, line2=line2, city=city, state=state, postal_code=postal_code)
    lat = parse_coordinate(latitude, field="latitude", limit=90)
    lon = parse_coordinate(longitude, field="longitude", limit=180)
    if (lat is None) != (lon is None):
        raise ValidationError("Give both latitude and longitude, or neither.", field="longitude", code="required")
    return Place(
        kind=kind,
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        state=address.state,
        postal_code=address.postal_code,
        latitude="" if lat is None else str(lat),
        longitude="" if lon is None else str(lon),
    )


# What can be sold there


@dataclass(frozen=True)
class PlanOffer:
    """A plan sellable at the address, with its broadband label."""

    version: ProductVersion
    label: labels.BroadbandLabel


@dataclass(frozen=True)
class Availability:
    place: Place
    plans: tuple[PlanOffer, ...]
    reason: str = ""

    @property
    def serviceable(self) -> bool:
        return bool(self.plans)


def plans_at(*, place: Place, on: dt.date | None = None) -> Availability:
    """The internet plans that can be sold at `place` to its kind of customer, cheapest first;
    none (with the reason) where coverage is unknown or nothing fits."""
    on = on or clock.today()
    here = network_selectors.serviceability_for(location=place.draft_location(), on=on)
    plans = [
        PlanOffer(version=check.version, label=labels.label_for(version=check.version, on=on))
        for check in here.sellable
        if check.version.product.kind == Product.Kind.INTERNET
    ]
    plans.sort(key=lambda plan: (plan.label.lowest.mrc_amount if plan.label.lowest else 0, plan.version.pk))
    reason = here.unknown_reason or ("No plan fits the network here yet." if not plans else "")
    return Availability(place=place, plans=tuple(plans), reason=reason)


def plan_check(*, place: Place, version_id: Any, term_months: Any, on: dt.date | None = None) -> ProductVersion:
    """The plan chosen, if it is sellable at `place` on that term. A plan offered elsewhere (a
    tampered form) is refused with a message, never quietly sold."""
    on = on or clock.today()
    wanted = parse_id(version_id)
    plan = next((offer for offer in plans_at(place=place, on=on).plans if offer.version.pk == wanted), None)
    if plan is None:
        raise ValidationError(
            "That plan cannot be sold at this address; choose one listed.", field="plan", code="not_sellable"
        )
    _price_term(plan.version, term_months)
    return plan.version


def _price_term(version: ProductVersion, term_months: Any) -> int:
    try:
        term = int(term_months)
    except (TypeError, ValueError):
        raise ValidationError("Choose a contract term.", field="term_months", code="required") from None
    return catalog_selectors.price_for(version=version, term_months=term).term_months


@dataclass(frozen=True)
class AddonOffer:
    version: ProductVersion
    mrc_amount: Any
    nrc_amount: Any


def addons_for(*, place: Place, plan: ProductVersion, term_months: int, on: dt.date | None = None) -> list[AddonOffer]:
    """The add-ons that ride on `plan`, sellable at `place` and sold on the plan's term."""
    on = on or clock.today()
    location = place.draft_location()
    offers = []
    for version in catalog_selectors.sellable_versions(on=on, customer_type=place.kind):
        product = version.product
        if product.kind != Product.Kind.ADDON or not product.addon_of.filter(pk=plan.product_id).exists():
            continue
        if not network_selectors.offering_check(location, version, on=on).eligible:
            continue
        price = next((p for p in version.prices.all() if p.term_months == term_months), None)
        if price is not None:
            offers.append(AddonOffer(version=version, mrc_amount=price.mrc_amount, nrc_amount=price.nrc_amount))
    return offers


def addons_check(*, place: Place, plan: ProductVersion, term_months: int, addon_ids: list[Any]) -> list[ProductVersion]:
    offered = {offer.version.pk: offer.version for offer in addons_for(place=place, plan=plan, term_months=term_months)}
    chosen = []
    for raw in addon_ids:
        version = offered.get(parse_id(raw))
        if version is None:
            raise ValidationError(
                "That add-on is not offered with this plan here.", field="addons", code="not_sellable"
            )
        chosen.append(version)
    return chosen


# The installation visit


def visit_task(*, plan: ProductVersion) -> TemplateTask | None:
    """The task of the plan's installation the customer is booked for; None for a zero-touch plan."""
    template = catalog_selectors.template_for(product_id=plan.product_id, action="add")
    if template is None:
        return None
    return template.tasks.filter(needs_appointment=True).order_by("position").first()


def visit_slots(*, plan: ProductVersion) -> list[Slot]:
    """Free visit windows for the plan's installation, as they would be for its task once ordered."""
    task = visit_task(plan=plan)
    if task is None:
        return []
    return fulfillment_selectors.visit_slots(
        skill_id=task.skill_id, planned_minutes=task.planned_minutes, earliest=clock.now()
    )


def slot_check(*, plan: ProductVersion, start: Any) -> dt.datetime:
    wanted = str(start or "")
    slot = next((slot for slot in visit_slots(plan=plan) if slot.start.isoformat() == wanted), None)
    if slot is None:
        raise ValidationError("Choose one of the free times listed.", field="start", code="slot_taken")
    return slot.start


# The customer


class _DryRun(Exception):
    """Raised to roll back a check made by running the real use cases."""


def contact_check(
    *,
    kind: str,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    password: str,
    company_name: str = "",
    tax_id: str = "",
) -> dict[str, str]:
    """The contact, account and login details checked by the CRM's own rules (run, then rolled
    back) and the password by the portal's; the password comes back only as its hash. A sign-up
    email that already has a login is refused."""
    email = auth.normal_email(email)
    if not email:
        raise ValidationError("Give your email address: it is how you sign in.", field="email", code="required")
    if logins.email_taken(email):
        raise ValidationError(
            "An account with this email exists already: sign in, or reset the password.", field="email", code="taken"
        )
    values = {
        "kind": kind,
        "first_name": (first_name or "").strip(),
        "last_name": (last_name or "").strip(),
        "email": email,
        "phone": phone or "",
        "company_name": (company_name or "").strip(),
        "tax_id": (tax_id or "").strip(),
    }
    _fits(values)
    try:
        with transaction.atomic():
            account = _account_create(values)
            contact = crm_services.contact_create(
                account=account,
                first_name=values["first_name"],
                last_name=values["last_name"],
                email=email,
                phone=values["phone"],
            )
            raise _DryRun
    except _DryRun:
        pass
    try:
        validate_password(password or "", user=PortalLogin(email=email))  # type: ignore[arg-type]  # only attributes read
    except DjangoValidationError as exc:
        raise ValidationError(" ".join(exc.messages), field="password", code="weak_password") from None
    return {**values, "phone": contact.phone, "password_hash": make_password(password)}


# What the CRM stores (Account.name 200, Contact names 100, emails 254, tax id 20): refused on
# the form rather than by the database.
LIMITS = {"first_name": 100, "last_name": 100, "company_name": 200, "email": 254, "tax_id": 20}


def _fits(values: dict[str, str]) -> None:
    for field, most in LIMITS.items():
        if len(values.get(field, "")) > most:
            raise ValidationError(f"At most {most} characters.", field=field, code="too_long")
        if any(ord(character) < 32 for character in values.get(field, "")):
            raise ValidationError("Only letters, digits and punctuation, please.", field=field, code="invalid")
    if len(f"{values['first_name']} {values['last_name']}") > 200:
        raise ValidationError("At most 200 characters in all.", field="last_name", code="too_long")


def _account_create(values: dict[str, str]) -> Account:
    if values["kind"] == Account.Kind.BUSINESS:
        if not values["company_name"]:
            raise ValidationError("Give the company's legal name.", field="company_name", code="required")
        try:
            return crm_services.account_create(
                kind=Account.Kind.BUSINESS,
                name=values["company_name"],
                legal_name=values["company_name"],
                tax_id=values["tax_id"],
                email=values["email"],
                phone=values["phone"],
            )
        except ValidationError as exc:
            if exc.field == "legal_name":
                raise ValidationError(exc.message, field="company_name", code=exc.code) from None
            raise
    return crm_services.account_create(
        kind=Account.Kind.RESIDENTIAL,
        first_name=values["first_name"],
        last_name=values["last_name"],
        email=values["email"],
        phone=values["phone"],
    )


def terms_current() -> TermsVersion:
    """The terms in force today; a sign-up cannot go on without them."""
    terms = contracts_selectors.terms_in_effect(on=clock.today())
    if terms is None:
        raise ValidationError(
            "Our terms of service are being updated: please call us to order.", field="terms", code="no_terms"
        )
    return terms


def consent_text(terms: TermsVersion) -> str:
    return f"I accept the {terms.label} and order the plan as summarised."


# "Not yet": a lead


SIGNUP_EVENTS = ("signup.completed", "signup.lead_created")


def throttle(*, ip_address: str | None) -> None:
    """Refuse a sign-up or a lead from an address that made `HEADEND_SIGNUPS_PER_HOUR` of them
    in the last hour (scripts filling the CRM with accounts); counted from the outbox events,
    so every server process sees the same count. No address (a test client): no limit."""
    if not ip_address:
        return
    recent = OutboxEvent.objects.filter(
        name__in=SIGNUP_EVENTS, occurred_at__gte=clock.now() - dt.timedelta(hours=1), data__ip_address=ip_address
    )
    if recent.count() >= settings.HEADEND_SIGNUPS_PER_HOUR:
        raise ValidationError(
            "Too many sign-ups from your network in the last hour: try again later, or call us.",
            code="too_many",
        )


@transaction.atomic
def lead_create(
    *,
    place: Place,
    email: Any,
    first_name: str = "",
    last_name: str = "",
    company_name: str = "",
    ip_address: str | None = None,
) -> Opportunity:
    """Keep the email of someone at an address we cannot serve yet: a prospect account with the
    address and an opportunity "Coverage wanted" for sales, with the reason coverage gave. The
    same email at the same address again returns the first opportunity (a second click or a
    return visit adds nothing).
    Raises ValidationError for a missing or malformed email (or name), or too many from one address."""
    email = auth.normal_email(email)
    if not email:
        raise ValidationError("Give your email address so we can tell you.", field="email", code="required")
    name = f"Coverage wanted: {place.label}"[:200]
    earlier = Opportunity.objects.filter(name=name, account__email=email, stage=Opportunity.Stage.PROSPECTING).first()
    if earlier is not None:
        return earlier
    throttle(ip_address=ip_address)
    values = {
        "kind": place.kind,
        "first_name": (first_name or "").strip(),
        "last_name": (last_name or "").strip(),
        "email": email,
        "phone": "",
        "company_name": (company_name or "").strip(),
        "tax_id": "",
    }
    _fits(values)
    if plans_at(place=place).serviceable:
        raise ValidationError(
            "Service can be ordered at this address now: choose a plan.", field="email", code="serviceable"
        )
    account = _account_create(values)
    if place.kind == Account.Kind.RESIDENTIAL:
        crm_services.contact_create(
            account=account, first_name=values["first_name"], last_name=values["last_name"], email=email
        )
    location = crm_services.location_create(account=account, **place.location_values())
    opportunity = crm_services.opportunity_create(
        account=account,
        name=name,
        close_date=clock.today() + dt.timedelta(days=LEAD_DAYS),
        stage=Opportunity.Stage.PROSPECTING,
    )
    reason = plans_at(place=place).reason
    events.emit(
        "signup.lead_created",
        subject=opportunity,
        data={
            "account_id": account.pk,
            "location_id": location.pk,
            "email": email,
            "reason": reason,
            "ip_address": ip_address or "",
        },
    )
    return opportunity


# The order


@dataclass(frozen=True)
class SignupRequest:
    """Everything the sign-up pages gathered, as plain values."""

    place: Place
    version_id: int
    term_months: int
    first_name: str
    last_name: str
    email: str
    password_hash: str
    terms_version_id: int
    accepted_by_name: str
    phone: str = ""
    company_name: str = ""
    tax_id: str = ""
    addon_ids: tuple[int, ...] = ()
    slot_start: dt.datetime | None = None
    ip_address: str | None = None
    user_agent: str = ""


@dataclass(frozen=True)
class SignupResult:
    account: Account
    contact: Contact
    location: Location
    login: PortalLogin
    quote: Quote
    order: Order
    appointment: Appointment | None = None


@transaction.atomic
def signup_complete(*, request: SignupRequest) -> SignupResult:
    """Open the customer's account, contact, location and portal login (its verification email
    sent after commit), price the plan and add-ons in a quote the customer accepts under the
    terms in force (recorded with their version), and book the installation visit: the order
    goes to fulfilment, and a zero-touch plan goes live with nobody touching it. Without a slot
    (none was free) the visit is left for staff to book.

    Raises ValidationError naming the step's field (email taken, plan not sellable, terms
    changed, slot taken...) with nothing written."""
    throttle(ip_address=request.ip_address)
    place = request.place
    plan = plan_check(place=place, version_id=request.version_id, term_months=request.term_months)
    term = _price_term(plan, request.term_months)
    addons = addons_check(place=place, plan=plan, term_months=term, addon_ids=list(request.addon_ids))
    terms = terms_current()
    if terms.pk != request.terms_version_id:
        raise ValidationError(
            f"Our terms changed to the {terms.label}: read and accept them.", field="terms", code="terms_changed"
        )
    task = visit_task(plan=plan)
    if logins.email_taken(request.email):
        raise ValidationError(
            "An account with this email exists already: sign in, or reset the password.", field="email", code="taken"
        )
    values = {
        "kind": place.kind,
        "first_name": request.first_name,
        "last_name": request.last_name,
        "email": auth.normal_email(request.email),
        "phone": request.phone,
        "company_name": request.company_name,
        "tax_id": request.tax_id,
    }
    account = _account_create(values)
    contact = crm_services.contact_create(
        account=account,
        first_name=request.first_name,
        last_name=request.last_name,
        email=values["email"],
        phone=request.phone,
    )
    location = crm_services.location_create(account=account, **place.location_values())
    login = _login_create(contact=contact, email=values["email"], password_hash=request.password_hash)
    quote = quoting_services.quote_create(account=account, name=QUOTE_NAME)
    base = quoting_services.quote_line_add(quote=quote, location=location, product_version=plan, term_months=term)
    for addon in addons:
        quoting_services.quote_line_add(
            quote=quote, location=location, product_version=addon, term_months=term, rides_on=base
        )
    quote = quoting_services.quote_present(quote=quote)
    name = " ".join((request.accepted_by_name or "").split()) or f"{request.first_name} {request.last_name}"
    quote = quoting_services.quote_accept(quote=quote, accepted_by_name=name)
    events.emit(
        "quote.terms_accepted",
        subject=quote,
        data={
            "terms_version_id": terms.pk,
            "terms_label": terms.label,
            "signer_name": name,
            "signer_email": values["email"],
            "consent_text": consent_text(terms),
            "ip_address": request.ip_address or "",
            "user_agent": (request.user_agent or "")[:300],
            "channel": "portal_signup",
        },
    )
    order = Order.objects.get(quote=quote)
    appointment = None
    if task is not None and request.slot_start is not None:
        visit = (
            Task.objects.filter(work_order__order_line__order=order, needs_appointment=True)
            .order_by("work_order_id", "position")
            .first()
        )
        if visit is not None:
            appointment = appointments.appointment_book(task=visit, start=request.slot_start, booked_by=None)
    events.emit(
        "signup.completed",
        subject=account,
        data={"quote_id": quote.pk, "order_id": order.pk, "ip_address": request.ip_address or ""},
    )
    return SignupResult(
        account=account,
        contact=contact,
        location=location,
        login=login,
        quote=quote,
        order=order,
        appointment=appointment,
    )


def _login_create(*, contact: Contact, email: str, password_hash: str) -> PortalLogin:
    """The contact's portal login with the password hashed at the contact step (the raw password
    is never kept between pages), its verification link emailed after commit."""
    if not password_hash:
        raise ValidationError("Choose a password.", field="password", code="required")
    login = PortalLogin(
        contact=contact, account=contact.account, email=email, role=PortalLogin.Role.ADMIN, created_at=clock.now()
    )
    login.password = password_hash
    try:
        with transaction.atomic():
            login.save()
    except IntegrityError:  # the same email at the same moment
        raise ValidationError("An account with this email exists already.", field="email", code="taken") from None
    events.emit("portal_login.created", subject=login, data={"account_id": contact.account_id, "role": login.role})
    logins.send_verification(login)
    return login


def payment_method_store(*, account: Account, token: str) -> PaymentMethod | None:
    """After the sign-up commits: the card or bank account the gateway tokenised, stored for the
    account's default billing account with autopay on. The gateway is called outside any
    transaction; a failure leaves the order as it is (billing sends the first invoice) and is
    raised for the page to say so."""
    if not token:
        return None
    payer = billing_accounts.default_billing_account(account=account)
    return payment_methods.payment_method_add(billing_account=payer, token=token, added_by=None, autopay=True)
