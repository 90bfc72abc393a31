"""Self-service changes to a customer's own service, each with its exact money effect shown
before the customer confirms: a plan change (upgrade or downgrade on the catalog's paths), an
add-on, a vacation hold, a move to a new address, a cancellation, a new time for a booked visit.

The figures come from the same engines as staff's: a change line is priced by quoting's pricing
(`price_new_line` on an unsaved line: what `quote_line_change` stores), and its effect on the next
invoice by billing's preview (what the staff quote page shows). Nothing is written while the
customer looks. Confirming runs staff's use cases with nobody staff behind them: a change quote
(`quote_create`, `quote_line_change`), presented and accepted under the contact's name, becomes
an order through the existing path; a hold and its end are work orders from the product's
suspend and restore templates; a new visit time is fulfilment's booking. Nothing here changes a
service directly.

The caller has already fetched the service through the customer's account (selectors), so
another customer's service never reaches these functions."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from headend.billing import preview as billing_preview
from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import EtfKind, Product, ProductRelation, ProductVersion, SuspendedCharge, WorkAction
from headend.core import clock
from headend.core.errors import Conflict, ValidationError
from headend.core.ids import parse_id
from headend.core.money import ZERO, total
from headend.crm import services as crm_services
from headend.crm.addresses import normalize_address
from headend.crm.models import Location
from headend.fulfillment import appointments, work_orders
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment.models import Appointment, Task, WorkOrder
from headend.fulfillment.view_models import Slot
from headend.inventory import selectors as inventory_selectors
from headend.inventory.models import Service
from headend.network import selectors as network_selectors
from headend.orders import selectors as orders_selectors
from headend.orders.models import Order
from headend.quoting import services as quoting_services
from headend.quoting.line_prices import PriceBook, price_new_line
from headend.quoting.line_pricing import months_remaining
from headend.quoting.models import Quote, QuoteLine

from . import auth, signup

VACATION_REASON = "Vacation hold requested by the customer"
VACATION_END_REASON = "Vacation hold ended by the customer"
QUOTE_NAME = "Online change"

# The words of each change the portal makes, for the quote's name and the messages.
CHANGE_WORDS: dict[str, str] = {
    QuoteLine.Action.UPGRADE: "Plan upgrade",
    QuoteLine.Action.DOWNGRADE: "Plan downgrade",
    QuoteLine.Action.MOVE: "Move",
    QuoteLine.Action.CANCEL: "Cancellation",
}


# --- Pricing and the next invoice -------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One service a change touches (the service, or an add-on a move or cancel carries), as its
    change line is priced and what it does to the service's next invoice (None before the service
    bills)."""

    service: Service
    line: QuoteLine
    preview: billing_preview.Preview | None

    @property
    def one_time_amount(self) -> Decimal:
        """Move or change fee and early-termination fee, charged once."""
        return self.line.nrc_amount + self.line.etf_amount

    @property
    def effect(self) -> Decimal:
        return self.preview.effect if self.preview is not None else self.one_time_amount

    @property
    def dropped(self) -> list[tuple[str, Decimal]]:
        """The lines the next invoice held without the change and no longer holds, each with what
        dropping it takes off (so the lines shown add up to the effect)."""
        if self.preview is None:
            return []
        after = {(line.description, line.amount) for line in self.preview.lines}
        return [
            (line.description, -line.amount)
            for line in self.preview.baseline
            if (line.description, line.amount) not in after
        ]

    @property
    def has_credit(self) -> bool:
        return self.preview is not None and any(line.amount < 0 for line in self.preview.changed)


@dataclass(frozen=True)
class ChangeReview:
    """What a change will cost, shown before the customer confirms it."""

    service: Service
    action: str
    parts: list[Part]
    place: signup.Place | None = None  # a move's new address, normalised

    @property
    def main(self) -> Part:
        return self.parts[0]

    @property
    def version(self) -> ProductVersion:
        return self.main.line.product_version

    @property
    def mrc_before_amount(self) -> Decimal:
        return self.service.mrc_amount

    @property
    def mrc_amount(self) -> Decimal:
        """The service's monthly price after the change (nothing for a cancellation)."""
        return ZERO if self.action == QuoteLine.Action.CANCEL else self.main.line.mrc_amount

    @property
    def fee_amount(self) -> Decimal:
        """Move or change fees of every part (early-termination fees apart)."""
        return total(part.line.nrc_amount for part in self.parts)

    @property
    def etf_amount(self) -> Decimal:
        return total(part.line.etf_amount for part in self.parts)

    @property
    def effect(self) -> Decimal:
        """How much the next invoice changes, before tax."""
        return total(part.effect for part in self.parts)

    @property
    def effect_size(self) -> Decimal:
        """The effect without its sign (the page says "up" or "down")."""
        return abs(self.effect)

    @property
    def bill_date(self) -> dt.date | None:
        return self.main.preview.bill_date if self.main.preview is not None else None

    @property
    def effective(self) -> dt.date:
        return self.main.preview.effective if self.main.preview is not None else clock.today()

    @property
    def months_left(self) -> int:
        return months_remaining(self.service.term_end_date, clock.today())

    @property
    def etf_rule(self) -> str:
        return etf_rule_words(self.service.product_version)


def _priced(service: Service, action: str, *, version: ProductVersion | None = None,
            location: Location | None = None) -> QuoteLine:  # fmt: skip
    """The change line `quote_line_change` would store, priced the same way, never saved."""
    line = QuoteLine(
        quote=Quote(account=service.account),
        action=action,
        target_service=service,
        location=location or service.location,
        product_version=version or service.product_version,
    )
    line.term_months = None  # type: ignore[assignment]  # the service's term, as the quote does
    price_new_line(line, books=PriceBook(), on=clock.today())
    return line


def _part(service: Service, line: QuoteLine) -> Part:
    """The part with billing's preview of its next invoice (the staff quote page's figures)."""
    cancel = line.action == QuoteLine.Action.CANCEL
    found = billing_preview.preview_change(
        service=service,
        mrc_amount=None if cancel else line.mrc_amount,
        product_version=line.product_version,
        cancel=cancel,
        one_time=line.nrc_amount + line.etf_amount,
    )
    return Part(service=service, line=line, preview=found)


def _carried(service: Service, action: str, location: Location | None) -> list[Part]:
    """The add-ons a move or a cancellation takes with the service, each priced on its own."""
    return [
        _part(addon, _priced(addon, action, location=location))
        for addon in inventory_selectors.service_addons_live(service_id=service.pk)
        if addon.status != Service.Status.PENDING_DISCONNECT
    ]


def etf_rule_words(version: ProductVersion) -> str:
    """The catalog's early-termination rule in the customer's words."""
    kind = version.etf_kind
    if kind == EtfKind.NONE:
        return "No early-termination fee."
    if kind == EtfKind.PERCENT_OF_REMAINING:
        words = f"{(version.etf_percent or ZERO).normalize():f}% of the monthly price for each month left in the term"
    elif kind == EtfKind.PER_REMAINING_MONTH:
        words = f"{version.etf_amount} for each month left in the term"
    else:
        words = f"A flat {version.etf_amount} inside the term"
    if version.etf_cap_months:
        words += f", counting at most {version.etf_cap_months} months"
    if version.etf_cap_amount is not None:
        words += f", at most {version.etf_cap_amount} in all"
    return words + "."


def _check_live(service: Service) -> None:
    if service.status != Service.Status.ACTIVE:
        raise Conflict(
            f"Your {service.product_version.product.name} is {service.get_status_display().lower()}: "
            "it can change once it is active.",
            field="service",
            code="service_not_live",
        )
    busy = orders_selectors.change_in_flight(service_id=service.pk)
    if busy is not None:
        raise Conflict(
            f"Order {busy.number} is already changing this service; try again once it is done.",
            field="service",
            code="change_in_flight",
        )


# --- Plan change ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanOption:
    """A plan the catalog lets the service move to, at its monthly price on the service's term."""

    version: ProductVersion
    kind: str  # "upgrade" or "downgrade"
    mrc_amount: Decimal


def plan_options(*, service: Service) -> list[PlanOption]:
    """The plans on the catalog's upgrade and downgrade paths from the service's product that are
    on sale to the account at the service's address, upgrades first."""
    today = clock.today()
    options = []
    for relation in catalog_selectors.upgrade_targets(product=service.product_version.product):
        version = catalog_selectors.version_current(product=relation.target, on=today)
        if version is None or not _sellable_here(service, version, today):
            continue
        try:
            line = _priced(service, relation.kind, version=version)
        except ValidationError:
            continue  # not sold on the service's term
        options.append(PlanOption(version=version, kind=relation.kind, mrc_amount=line.mrc_amount))
    return options


def _sellable_here(service: Service, version: ProductVersion, on: dt.date) -> bool:
    customer_type = version.product.customer_type
    if not version.is_sellable_on(on) or customer_type not in (Product.CustomerType.ANY, service.account.kind):
        return False
    return network_selectors.offering_check(service.location, version, on=on).eligible


def plan_review(*, service: Service, version_id: Any) -> ChangeReview:
    """The plan change to `version_id` with its proration: an upgrade from today, a downgrade
    from the next bill period (billing's policy). A plan not offered (a tampered form) is refused."""
    _check_live(service)
    wanted = parse_id(version_id)
    option = next((o for o in plan_options(service=service) if o.version.pk == wanted), None)
    if option is None:
        raise ValidationError(
            "That plan is not one this service can change to; choose one listed.", field="plan", code="not_on_path"
        )
    line = _priced(service, option.kind, version=option.version)
    return ChangeReview(service=service, action=option.kind, parts=[_part(service, line)])


# --- Move ---------------------------------------------------------------------------------------


def move_review(*, service: Service, address: dict[str, Any]) -> ChangeReview:
    """A move of the service to `address` (normalised as the CRM does) where the network can
    carry the same plan, with the catalog's move fee. An address without coverage is refused
    on the form."""
    _check_live(service)
    place = signup.address_check(kind=service.account.kind, **address)
    draft = place.draft_location()
    if draft.address_key == service.location.address_key:
        raise ValidationError("The service is at that address already.", field="line1", code="same_location")
    check = network_selectors.offering_check(draft, service.product_version, on=clock.today())
    if not check.eligible:
        raise ValidationError(
            f"We cannot carry {service.product_version.product.name} at {place.label} yet: {check.reason}",
            field="line1",
            code="not_serviceable",
        )
    draft.account = service.account
    line = _priced(service, QuoteLine.Action.MOVE, location=draft)
    parts = [_part(service, line), *_carried(service, QuoteLine.Action.MOVE, draft)]
    return ChangeReview(service=service, action=QuoteLine.Action.MOVE, parts=parts, place=place)


def _location_for(service: Service, place: signup.Place) -> Location:
    """The account's location at the address: the one it has there, or a new one."""
    key = normalize_address(
        line1=place.line1, line2=place.line2, city=place.city, state=place.state, postal_code=place.postal_code
    ).key
    found = Location.objects.filter(account=service.account, address_key=key).first()
    return found or crm_services.location_create(account=service.account, **place.location_values())


# --- Cancel -------------------------------------------------------------------------------------


def cancel_review(*, service: Service) -> ChangeReview:
    """Cancelling the service today: its early-termination fee from the catalog's rule over the
    months left in the term, the add-ons it takes with it, and the credit for the days unused."""
    _check_live(service)
    line = _priced(service, QuoteLine.Action.CANCEL)
    parts = [_part(service, line), *_carried(service, QuoteLine.Action.CANCEL, None)]
    return ChangeReview(service=service, action=QuoteLine.Action.CANCEL, parts=parts)


# --- Confirming a quoted change -----------------------------------------------------------------


@transaction.atomic
def change_order(*, customer: auth.Customer, review: ChangeReview, expected_effect: Any = None) -> Order:
    """The reviewed change as a quote the customer accepts (under the contact's name) and its
    order. `expected_effect` is the figure the customer saw: if the price moved since, nothing
    is written and Conflict asks them to look again."""
    service = review.service
    if service.account_id != customer.account.pk:
        raise ValidationError("No such service.", field="service", code="foreign_service")
    location = _location_for(service, review.place) if review.place is not None else None
    quote = quoting_services.quote_create(
        account=customer.account, name=f"{QUOTE_NAME}: {CHANGE_WORDS.get(review.action, review.action)}"
    )
    line = quoting_services.quote_line_change(
        quote=quote,
        service=service,
        action=review.action,
        product_version=review.version if review.action in (QuoteLine.Action.UPGRADE, QuoteLine.Action.DOWNGRADE)
        else None,
        location=location,
    )  # fmt: skip
    _check_same(review, line, expected_effect)
    return _accept(quote, customer)


def _check_same(review: ChangeReview, line: QuoteLine, expected_effect: Any) -> None:
    seen = review.main.line
    moved = (line.mrc_amount, line.nrc_amount, line.etf_amount) != (seen.mrc_amount, seen.nrc_amount, seen.etf_amount)
    shown: Decimal | None = None
    try:
        shown = None if expected_effect in (None, "") else Decimal(str(expected_effect))
    except InvalidOperation:
        moved = True  # a figure that is not a number was not what the customer saw
    if moved or (shown is not None and (not shown.is_finite() or shown != review.effect)):
        raise Conflict("The price changed while you were looking: check it again.", field="plan", code="price_changed")


def _accept(quote: Quote, customer: auth.Customer) -> Order:
    quote = quoting_services.quote_present(quote=quote)
    name = f"{customer.contact.first_name} {customer.contact.last_name}".strip()
    quote = quoting_services.quote_accept(quote=quote, accepted_by_name=name)
    return Order.objects.get(quote=quote)


# --- Add-ons ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddonOffer:
    """An add-on the service can take, on the service's term."""

    version: ProductVersion
    term_months: int
    mrc_amount: Decimal
    nrc_amount: Decimal


def addon_options(*, service: Service) -> list[AddonOffer]:
    """The add-ons for the service's product, on sale to the account, carried at its address and
    priced on its term; the ones it has already left out."""
    today = clock.today()
    product = service.product_version.product
    have = {
        addon.product_version.product_id for addon in inventory_selectors.service_addons_live(service_id=service.pk)
    }
    offers = []
    for version in catalog_selectors.sellable_versions(on=today, customer_type=service.account.kind):
        addon = version.product
        if addon.kind != Product.Kind.ADDON or addon.pk in have or not addon.addon_of.filter(pk=product.pk).exists():
            continue
        if not network_selectors.offering_check(service.location, version, on=today).eligible:
            continue
        price = next((p for p in version.prices.all() if p.term_months == service.term_months), None)
        if price is not None:
            offers.append(AddonOffer(version, price.term_months, price.mrc_amount, price.nrc_amount))
    return offers


@dataclass(frozen=True)
class AddonReview:
    """An add-on about to be ordered: its monthly and one-time charges, and the base service's
    next bill date (it bills by the day from the day it is live)."""

    service: Service
    offer: AddonOffer
    bill_date: dt.date | None

    @property
    def mrc_after_amount(self) -> Decimal:
        """What the service and its add-ons cost a month with this one."""
        addons = inventory_selectors.service_addons_live(service_id=self.service.pk)
        return self.service.mrc_amount + total(a.mrc_amount for a in addons) + self.offer.mrc_amount


def addon_review(*, service: Service, version_id: Any) -> AddonReview:
    _check_live(service)
    wanted = parse_id(version_id)
    offer = next((o for o in addon_options(service=service) if o.version.pk == wanted), None)
    if offer is None:
        raise ValidationError("That add-on is not offered for this service; choose one listed.", field="addon")
    now = billing_preview.preview_change(service=service)
    return AddonReview(service=service, offer=offer, bill_date=now.bill_date if now is not None else None)


@transaction.atomic
def addon_order(*, customer: auth.Customer, review: AddonReview) -> Order:
    """The add-on as a quote the customer accepts, riding on the service, and its order."""
    service = review.service
    quote = quoting_services.quote_create(account=customer.account, name=f"{QUOTE_NAME}: add-on")
    quoting_services.quote_line_add(
        quote=quote,
        location=service.location,
        product_version=review.offer.version,
        term_months=review.offer.term_months,
        rides_on=service,
    )
    return _accept(quote, customer)


# --- Vacation hold ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldReview:
    """A vacation hold from today: what the service costs a month while held (its product's
    policy) and what that does to the next invoice."""

    service: Service
    policy: str
    hold_mrc_amount: Decimal
    preview: billing_preview.Preview | None


def hold_review(*, service: Service) -> HoldReview:
    """Refused (with the reason) when the product cannot be put on hold."""
    _check_live(service)
    product = service.product_version.product
    if catalog_selectors.template_for(product_id=product.pk, action=WorkAction.SUSPEND) is None:
        raise Conflict(
            f"{product.name} cannot be put on hold online: call us and we will help.",
            field="service",
            code="no_hold",
        )
    if product.while_suspended == SuspendedCharge.FULL:
        rate = service.mrc_amount
    elif product.while_suspended == SuspendedCharge.HOLD and product.hold_mrc_amount is not None:
        rate = product.hold_mrc_amount
    else:
        rate = ZERO
    found = billing_preview.preview_change(service=service, suspend=True)
    return HoldReview(service=service, policy=product.while_suspended, hold_mrc_amount=rate, preview=found)


def hold_request(*, service: Service) -> WorkOrder:
    """Put the service on hold from today: the suspend work of its product."""
    hold_review(service=service)
    return work_orders.service_action_request(
        service=service, action=WorkAction.SUSPEND, reason=VACATION_REASON, requested_by=None
    )


def on_vacation(service: Service) -> bool:
    """Whether the service is suspended by the customer's own hold (never one for non-payment)."""
    if service.status != Service.Status.SUSPENDED:
        return False
    last = WorkOrder.objects.filter(service=service, action=WorkAction.SUSPEND).order_by("-created_at", "-id").first()
    return last is not None and last.reason == VACATION_REASON


def hold_end(*, service: Service) -> WorkOrder:
    """End the customer's vacation hold: the restore work of its product."""
    if not on_vacation(service):
        raise Conflict("This service is not on a vacation hold.", field="service", code="not_on_hold")
    return work_orders.service_action_request(
        service=service, action=WorkAction.RESTORE, reason=VACATION_END_REASON, requested_by=None
    )


# --- Rescheduling a visit -------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    appointment: Appointment
    slots: list[Slot] = field(default_factory=list)


def visit_of(service: Service) -> Appointment | None:
    """The service's booked visit that can still move (its task not started)."""
    return (
        Appointment.objects.filter(
            task__work_order__service=service,
            status=Appointment.Status.BOOKED,
            task__status__in=[Task.Status.PENDING, Task.Status.READY, Task.Status.BLOCKED],
        )
        .select_related("task", "technician__user")
        .order_by("start", "id")
        .first()
    )


def visit_options(*, service: Service) -> Visit:
    appointment = visit_of(service)
    if appointment is None:
        raise Conflict("No visit is booked for this service that can be moved.", field="start", code="no_visit")
    slots = [s for s in fulfillment_selectors.appointment_slots(task=appointment.task) if s.start != appointment.start]
    return Visit(appointment=appointment, slots=slots)


def visit_move(*, service: Service, start: Any) -> Appointment:
    """Book the visit at another free time (fulfilment's booking: the old one is cancelled)."""
    visit = visit_options(service=service)
    slot = next((s for s in visit.slots if s.start.isoformat() == str(start or "")), None)
    if slot is None:
        raise ValidationError("Choose one of the free times listed.", field="start", code="slot_taken")
    return appointments.appointment_book(task=visit.appointment.task, start=slot.start, booked_by=None)


# --- What the service page offers ---------------------------------------------------------------


def open_changes(service: Service) -> list[tuple[str, str]]:
    """The changes the service page links to, as (words, URL name)."""
    found: list[tuple[str, str]] = []
    live = service.status == Service.Status.ACTIVE
    if live and service.base_service_id is None:
        product = service.product_version.product
        kinds = [ProductRelation.Kind.UPGRADE, ProductRelation.Kind.DOWNGRADE]
        if product.relations.filter(kind__in=kinds).exists():
            found.append(("Change plan", "portal:change_plan"))
        found.append(("Add an add-on", "portal:change_addon"))
        found.append(("Vacation hold", "portal:change_hold"))
        found.append(("Move to a new address", "portal:change_move"))
    if on_vacation(service):
        found.append(("End the vacation hold", "portal:change_hold"))
    if visit_of(service) is not None:
        found.append(("Choose another visit time", "portal:change_visit"))
    if live:
        found.append(("Cancel the service", "portal:change_cancel"))
    return found
