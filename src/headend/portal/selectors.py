"""What the portal's account pages read: the customer's services, orders, quotes, contacts and
where their bills stand. Every query starts from the signed-in customer's account, so another
customer's id is NotFound (a 404), never a peek. Nothing here writes."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse

from headend.billing import views as billing_views
from headend.billing.models import BillingAccount
from headend.contracts import selectors as contracts_selectors
from headend.contracts import tokens as contracts_tokens
from headend.contracts.models import SigningLink
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.crm import hooks as crm_hooks
from headend.crm.models import Account, Contact
from headend.fulfillment.models import Appointment
from headend.inventory import selectors as inventory_selectors
from headend.inventory.models import Service
from headend.network.models import Outage
from headend.orders.models import Order, OrderLine
from headend.quoting import selectors as quoting_selectors
from headend.quoting.models import Quote, QuoteLine
from headend.support.models import Case, CaseAttachment, CaseNote
from headend.support.outage_reads import outages_over_account, outages_over_service

from . import changes
from .models import PortalLogin

# Orders still under way (the dashboard's "open orders").
OPEN_ORDER_STATUSES = (
    Order.Status.ACKNOWLEDGED,
    Order.Status.IN_PROGRESS,
    Order.Status.PENDING_CANCELLATION,
)


# --- Services ---------------------------------------------------------------------------------


def services_of(account: Account, *, current: bool = True) -> QuerySet[Service]:
    """The account's base services (add-ons listed under them), oldest first; `current` leaves
    out the disconnected ones."""
    found = (
        Service.objects.filter(account=account, base_service__isnull=True)
        .select_related("location", "product_version__product")
        .prefetch_related(
            Prefetch(
                "addons",
                queryset=Service.objects.exclude(status=Service.Status.DISCONNECTED)
                .select_related("product_version__product")
                .order_by("id"),
            )
        )
        .order_by("id")
    )
    return found.exclude(status=Service.Status.DISCONNECTED) if current else found


def service_get_for(*, account: Account, service_id: object) -> Service:
    """One of the account's services (a base service or an add-on); NotFound otherwise."""
    service = (
        Service.objects.filter(pk=parse_id(service_id), account=account)
        .select_related("location", "product_version__product", "base_service__product_version__product")
        .first()
    )
    if service is None:
        raise NotFound("No such service.", field="id")
    return service


@dataclass(frozen=True)
class ServiceAction:
    """A self-service change the customer may start on a service: its words and its page."""

    label: str
    url: str


@dataclass(frozen=True)
class ServicePage:
    """What the service page shows: the service, the add-ons riding on it, the orders that
    touched it (with what each did) and the self-service changes open to it."""

    service: Service
    addons: list[Service]
    orders: list[tuple[Order, str]]
    appointments: list[Appointment]
    changes: list[ServiceAction] = field(default_factory=list)
    outages: list[Outage] = field(default_factory=list)


def service_page(service: Service, *, may_order: bool = True) -> ServicePage:
    """The service page of one of the customer's services (already checked as theirs). The
    self-service changes open to it (plan change, add-on, hold, move, cancel, a new visit time)
    come from portal/changes.py, for a login that may order (a billing login sees none)."""
    return ServicePage(
        service=service,
        addons=inventory_selectors.service_addons_live(service_id=service.pk),
        orders=inventory_selectors.service_orders(service=service),
        appointments=_booked(Q(task__work_order__service_id=service.pk)),
        changes=[
            ServiceAction(label, reverse(name, args=[service.pk])) for label, name in changes.open_changes(service)
        ]
        if may_order
        else [],
        outages=outages_over_service(service),
    )


# --- Orders -----------------------------------------------------------------------------------


def orders_of(account: Account, *, open_only: bool = False) -> QuerySet[Order]:
    """The account's orders, newest first; `open_only` keeps those still under way."""
    found = Order.objects.filter(account=account).select_related("quote").order_by("-created_at", "-id")
    return found.filter(status__in=OPEN_ORDER_STATUSES) if open_only else found


def order_get_for(*, account: Account, order_id: object) -> Order:
    """One of the account's orders; NotFound otherwise."""
    order = orders_of(account).filter(pk=parse_id(order_id)).first()
    if order is None:
        raise NotFound("No such order.", field="id")
    return order


@dataclass(frozen=True)
class OrderLineRow:
    """An order line as the customer follows it: what it does, where, its work's forecast
    finish and the visit booked for it."""

    line: OrderLine
    forecast_finish: dt.datetime | None
    appointment: Appointment | None


@dataclass(frozen=True)
class OrderRow:
    """An order with its go-live forecast (the latest of its work orders') and its next visit."""

    order: Order
    lines: list[OrderLineRow]

    @property
    def forecast_finish(self) -> dt.datetime | None:
        open_lines = [row.forecast_finish for row in self.lines if row.forecast_finish is not None]
        return max(open_lines) if open_lines else self.order.forecast_go_live

    @property
    def appointment(self) -> Appointment | None:
        booked = sorted((row.appointment for row in self.lines if row.appointment), key=lambda a: a.start)
        return booked[0] if booked else None


def _booked(where: Q) -> list[Appointment]:
    return list(
        Appointment.objects.filter(where, status=Appointment.Status.BOOKED)
        .select_related("task__work_order")
        .order_by("start", "id")
    )


def order_rows(orders: list[Order] | QuerySet[Order]) -> list[OrderRow]:
    """Each order with its lines, their work orders' forecasts and booked visits (three queries
    in all, whatever the number of orders)."""
    orders = list(orders)
    lines = list(
        OrderLine.objects.filter(order__in=orders)
        .select_related("location", "product_version__product", "work_order", "target_service")
        .order_by("order", "position")
    )
    visits = {a.task.work_order.order_line_id: a for a in reversed(_booked(Q(task__work_order__order_line__in=lines)))}
    by_order: dict[int, list[OrderLineRow]] = {}
    for line in lines:
        work = getattr(line, "work_order", None)
        by_order.setdefault(line.order_id, []).append(
            OrderLineRow(
                line=line,
                forecast_finish=work.forecast_finish if work is not None and work.completed_at is None else None,
                appointment=visits.get(line.pk),
            )
        )
    return [OrderRow(order=order, lines=by_order.get(order.pk, [])) for order in orders]


# --- Quotes -----------------------------------------------------------------------------------


def quotes_of(account: Account) -> QuerySet[Quote]:
    """The quotes the provider presented to the account (drafts are not the customer's yet),
    latest versions only, newest first."""
    return (
        Quote.objects.filter(account=account)
        .exclude(status__in=[Quote.Status.DRAFT, Quote.Status.SUPERSEDED])
        .order_by("-presented_at", "-id")
    )


def quotes_waiting(account: Account, *, today: dt.date) -> QuerySet[Quote]:
    """Presented quotes the customer can still sign (not past their last valid day)."""
    return (
        quotes_of(account)
        .filter(status=Quote.Status.PRESENTED)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    )


def quote_get_for(*, account: Account, quote_id: object) -> Quote:
    """One of the quotes presented to the account, any version; NotFound for a draft or another
    account's quote."""
    quote = (
        Quote.objects.filter(pk=parse_id(quote_id), account=account)
        .exclude(status=Quote.Status.DRAFT)
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=QuoteLine.objects.select_related(
                    "location", "product_version__product", "target_service"
                ).order_by("position"),
            )
        )
        .first()
    )
    if quote is None:
        raise NotFound("No such quote.", field="id")
    return quote


def quote_versions(quote: Quote) -> list[Quote]:
    """The versions of the quote the customer was shown, oldest first."""
    return [
        version for version in quoting_selectors.quote_versions(quote=quote) if version.status != Quote.Status.DRAFT
    ]


def quote_compare(*, quote: Quote, other: Quote) -> list[quoting_selectors.CompareRow]:
    """The lines of two versions of one quote side by side (older first)."""
    old, new = (other, quote) if (other.revision, other.pk) < (quote.revision, quote.pk) else (quote, other)
    return quoting_selectors.quote_compare(old=old, new=new)


def signing_path(quote: Quote) -> str:
    """The signing page of the quote's current document if its link was made (the link staff
    emailed), else ""."""
    document = contracts_selectors.current_document(quote=quote)
    if document is None:
        return ""
    link = SigningLink.objects.filter(document=document, revoked_at=None).order_by("created_at", "pk").first()
    if link is None:
        return ""
    return contracts_tokens.path(document, expires_at=link.expires_at, link_id=link.pk)


# --- Bills (a summary; the bill pages have the rest) ----------------------------------------


@dataclass(frozen=True)
class NextInvoice:
    billing_account: BillingAccount
    bill_date: dt.date
    total: Decimal


@dataclass(frozen=True)
class BillSummary:
    """Where the account's bills stand today: what it owes, of it overdue (and how late), and
    the next invoice of each billing account that pays for itself."""

    currency: str
    balance_amount: Decimal
    overdue_amount: Decimal
    days_past_due: int
    next_invoices: list[NextInvoice]

    @property
    def overdue(self) -> bool:
        return self.overdue_amount > 0


def bill_summary(account: Account, *, today: dt.date) -> BillSummary:
    """The account's own standing (crm.hooks: over its own billing accounts) and next invoices."""
    standing = crm_hooks.standing_of(account.pk, today)
    billing_accounts = list(BillingAccount.objects.filter(account=account).order_by("-is_default", "id"))
    next_invoices = []
    for billing_account in billing_accounts:
        preview = billing_views.preview(billing_account)
        if preview is not None:
            next_invoices.append(
                NextInvoice(billing_account=billing_account, bill_date=preview.bill_date, total=preview.total)
            )
    currency = billing_accounts[0].currency if billing_accounts else settings.HEADEND_CURRENCY
    return BillSummary(
        currency=currency,
        balance_amount=standing.balance_amount,
        overdue_amount=standing.overdue_amount,
        days_past_due=standing.days_past_due,
        next_invoices=next_invoices,
    )


# --- Dashboard --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    services: list[Service]
    open_orders: list[OrderRow]
    quotes_waiting: list[Quote]
    bills: BillSummary | None  # None for a login that does not see bills
    open_cases: list[Case] = field(default_factory=list)
    outages: list[Outage] = field(default_factory=list)  # open over their services, or planned


def dashboard_of(login: PortalLogin, *, today: dt.date) -> Dashboard:
    """Everything the customer's home page shows, all of it of the login's account."""
    account = login.account
    return Dashboard(
        services=list(services_of(account)),
        open_orders=order_rows(orders_of(account, open_only=True)),
        quotes_waiting=list(quotes_waiting(account, today=today)),
        bills=bill_summary(account, today=today) if login.may_pay else None,
        open_cases=list(cases_of(account, open_only=True)[:10]),
        outages=outages_over_account(account),
    )


# --- Cases -----------------------------------------------------------------------------------

# What the customer reads of a case: the replies and their own words, never internal notes.
CUSTOMER_NOTE_KINDS = (CaseNote.Kind.REPLY, CaseNote.Kind.CUSTOMER)


def cases_of(account: Account, *, open_only: bool = False) -> QuerySet[Case]:
    """The account's cases, newest first (an outage's parent case is staff's, never listed)."""
    found = Case.objects.filter(account=account).select_related("service__product_version__product", "location")
    if open_only:
        found = found.filter(status__in=Case.OPEN_STATUSES)
    return found.order_by("-created_at", "-id")


def case_get_for(*, account: Account, case_id: object) -> Case:
    """One of the account's cases; NotFound otherwise."""
    case = cases_of(account).filter(pk=parse_id(case_id)).first()
    if case is None:
        raise NotFound("No such case.", field="id")
    return case


def case_notes_for_customer(case: Case) -> list[CaseNote]:
    """The case's replies and customer messages, oldest first, each with its attachments."""
    return list(
        case.notes.filter(kind__in=CUSTOMER_NOTE_KINDS)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def case_attachment_for_customer(*, case: Case, attachment_id: object) -> CaseAttachment:
    """A file the customer may download: theirs (no note: sent with the case) or on a reply."""
    attachment = (
        CaseAttachment.objects.filter(case=case, pk=parse_id(attachment_id))
        .filter(Q(note__isnull=True, uploaded_by__isnull=True) | Q(note__kind__in=CUSTOMER_NOTE_KINDS))
        .first()
    )
    if attachment is None:
        raise NotFound("No such file.", field="id")
    return attachment


# --- Contacts and their logins (admins) -------------------------------------------------------


def contacts_of(account: Account) -> QuerySet[Contact]:
    """The account's contacts, each with its portal login if it has one."""
    return (
        Contact.objects.filter(account=account).select_related("portal_login").order_by("last_name", "first_name", "id")
    )


def login_get_for(*, account: Account, login_id: object) -> PortalLogin:
    """One of the account's portal logins; NotFound otherwise."""
    login = PortalLogin.objects.filter(pk=parse_id(login_id), account=account).select_related("contact").first()
    if login is None:
        raise NotFound("No such login.", field="id")
    return login
