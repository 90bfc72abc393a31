"""Reads for support: the case queue sorted by SLA time left, one case as staff may see it, its
SLA clocks, and the whole customer beside it (services with their live and network status, open
orders and work orders, MRR and profit, balance and last invoices, related cases)."""

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db import models

from headend.billing.models import BillingAccount, Invoice
from headend.billing.standing import OPEN_STATUSES as OWED_STATUSES
from headend.billing.standing import payment_standing
from headend.core import clock
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.core.models import OutboxEvent
from headend.core.money import ZERO, line_amount
from headend.core.permissions import PERMISSIONS, Role, is_staff_member, may
from headend.crm.hooks import Standing
from headend.crm.models import Account
from headend.crm.selectors import account_scope
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment.models import WorkOrder
from headend.fulfillment.scheduling import BusinessCalendar
from headend.inventory.models import Service, ServiceElement
from headend.network import topology_selectors
from headend.network.models import Element, Outage
from headend.orders import selectors as orders_selectors
from headend.orders.models import Order

from . import sla
from .models import Case, CaseAttachment, CustomerType, Priority, Queue, SlaPolicy

OPEN = Case.OPEN_STATUSES
LIVE = (Service.Status.ACTIVE, Service.Status.SUSPENDED, Service.Status.PENDING_DISCONNECT)
OPEN_ORDERS = (Order.Status.ACKNOWLEDGED, Order.Status.IN_PROGRESS, Order.Status.PENDING_CANCELLATION)
OPEN_WORK = (WorkOrder.Status.PENDING, WorkOrder.Status.IN_PROGRESS)
MINE, NOBODY = "mine", "none"
SLA_FILTERS = (("breached", "Breached"), ("warning", "Warning"))


# --- Scope ------------------------------------------------------------------------------------


def case_scope(*, user: Any) -> models.QuerySet[Case]:
    """The cases `user` may see: staff see every customer case they may see the account of, and
    outages' parent cases (which have no account); nobody else sees any here."""
    if not is_staff_member(user):
        return Case.objects.none()
    return Case.objects.filter(models.Q(account__in=account_scope(user=user)) | models.Q(account__isnull=True))


def case_get_for(*, user: Any, case_id: Any) -> Case:
    """The case with what its page shows (notes with their attachments, the people, the
    service), if `user` may see it; NotFound otherwise, so foreign ids reveal nothing."""
    case = (
        case_scope(user=user)
        .filter(pk=parse_id(case_id))
        .select_related(
            "account",
            "contact",
            "service__product_version__product",
            "location",
            "product",
            "queue",
            "assignee",
            "created_by",
            "parent",
            "outage__element",
        )
        .prefetch_related(
            models.Prefetch(
                "notes__attachments", queryset=CaseAttachment.objects.select_related("uploaded_by").order_by("id")
            ),
            "notes__author",
            models.Prefetch("attachments", queryset=CaseAttachment.objects.select_related("uploaded_by", "note")),
        )
        .first()
    )
    if case is None:
        raise NotFound("No such case.", field="id")
    return case


def case_get_by_reference(*, user: Any, reference: Any) -> Case:
    """A case named the way staff write it ("CS-000042", "42"); NotFound (field `parent`) for
    anything else or a case `user` may not see."""
    text = str(reference or "").strip().upper()
    if text.startswith("CS-"):
        text = text[3:]
    case = case_scope(user=user).filter(pk=parse_id(text)).first() if text.isdigit() else None
    if case is None:
        raise NotFound(f"No case {reference!r}: give its reference, as CS-000042.", field="parent")
    return case


def attachment_get_for(*, user: Any, attachment_id: Any) -> CaseAttachment:
    """A case's file if `user` may see the case; NotFound otherwise."""
    attachment = (
        CaseAttachment.objects.filter(pk=parse_id(attachment_id), case__in=case_scope(user=user))
        .select_related("case")
        .first()
    )
    if attachment is None:
        raise NotFound("No such attachment.", field="id")
    return attachment


def case_workers() -> list[Any]:
    """The people a case can be given to: active users in a role that works cases, and admins."""
    roles = [role for role in PERMISSIONS["case.work"] if role in Role.values] + [Role.ADMIN]
    users = get_user_model().objects.filter(is_active=True)
    return list(
        users.filter(models.Q(groups__name__in=roles) | models.Q(is_superuser=True))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def case_worker_get(*, user_id: Any) -> Any:
    """Who a case is given to: '' is nobody; NotFound (field `assignee`) for anyone who does
    not work cases."""
    if user_id in (None, ""):
        return None
    worker = next((user for user in case_workers() if user.pk == parse_id(user_id)), None)
    if worker is None:
        raise NotFound("Choose someone who works cases.", field="assignee")
    return worker


def queue_list() -> models.QuerySet[Queue]:
    return Queue.objects.annotate(open_cases=models.Count("cases", filter=models.Q(cases__status__in=OPEN))).order_by(
        "name"
    )


def queue_get(*, queue_id: Any) -> Queue:
    queue = Queue.objects.filter(pk=parse_id(queue_id)).first()
    if queue is None:
        raise NotFound("No such queue.", field="queue")
    return queue


def sla_policy_list() -> models.QuerySet[SlaPolicy]:
    return SlaPolicy.objects.order_by("customer_type", "priority")


def sla_policy_get(*, policy_id: Any) -> SlaPolicy:
    policy = SlaPolicy.objects.filter(pk=parse_id(policy_id)).first()
    if policy is None:
        raise NotFound("No such SLA policy.", field="id")
    return policy


def sla_targets_table() -> list[dict[str, Any]]:
    """Every priority for every kind of customer with the targets that apply: the policy row
    staff set, else the built-in default (support/sla.py)."""
    policies = {(policy.customer_type, policy.priority): policy for policy in sla_policy_list()}
    rows = []
    for customer_type, customer_label in CustomerType.choices:
        for priority, priority_label in Priority.choices:
            policy = policies.get((customer_type, priority))
            targets = (
                sla.Targets(
                    policy.response_minutes, policy.resolution_minutes, policy.round_the_clock, policy.warn_percent
                )
                if policy
                else sla.default_targets(priority, customer_type)
            )
            rows.append(
                {
                    "customer_type": customer_type,
                    "customer_label": customer_label,
                    "priority": priority,
                    "priority_label": priority_label,
                    "policy": policy,
                    "targets": targets,
                }
            )
    return rows


# --- SLA clocks -------------------------------------------------------------------------------


def duration_text(minutes: int, *, per_day: int) -> str:
    """Minutes as staff say them: "1 d 2 h", "3 h 20 min", "45 min" (a day is `per_day` minutes)."""
    days, rest = divmod(abs(minutes), per_day)
    hours, mins = divmod(rest, 60)
    parts = [f"{value} {unit}" for value, unit in ((days, "d"), (hours, "h"), (mins, "min")) if value]
    if days:  # past a day, minutes are noise
        parts = parts[:2]
    return " ".join(parts) or "0 min"


@dataclass(frozen=True)
class ClockView:
    """One SLA clock of a case as the pages show it."""

    name: str  # "Response" or "Resolution"
    clock: sla.Clock
    round_the_clock: bool
    per_day: int

    @property
    def state(self) -> str:
        return self.clock.state

    @property
    def minutes_left(self) -> int:
        return self.clock.minutes_left

    @property
    def due_at(self) -> dt.datetime:
        return self.clock.due_at

    @property
    def text(self) -> str:
        """What the badge says after the state: "2 h 10 min left", "late by 35 min", "met"."""
        left = duration_text(self.clock.minutes_left, per_day=self.per_day)
        state = self.clock.state
        if state == "met":
            return "met"
        if state == "breached":
            return "breached" if self.clock.minutes_left >= 0 else f"late by {left}"
        return f"{left} left"

    @property
    def unit(self) -> str:
        return "round the clock" if self.round_the_clock else "working time"


@dataclass(frozen=True)
class CaseClocks:
    response: ClockView | None
    resolution: ClockView | None
    waiting_on_response: bool  # no first response yet: the response clock is the one that counts

    @property
    def both(self) -> list[ClockView]:
        return [view for view in (self.response, self.resolution) if view is not None]

    @property
    def active(self) -> ClockView | None:
        """The clock the queue sorts by: the response clock until the first response, then the
        resolution clock."""
        if self.waiting_on_response and self.response is not None and self.response.state != "met":
            return self.response
        return self.resolution

    @property
    def state(self) -> str:
        return self.active.state if self.active is not None else ""


def _customer_type(case: Case) -> str:
    if case.account is not None and case.account.kind == Account.Kind.RESIDENTIAL:
        return CustomerType.RESIDENTIAL
    return CustomerType.BUSINESS


def _warn_percents() -> dict[tuple[str, str], int]:
    return {(policy.priority, policy.customer_type): policy.warn_percent for policy in SlaPolicy.objects.all()}


class ClockReader:
    """Reads the SLA clocks of many cases against one calendar, one instant and one read of the
    policies' warning levels."""

    def __init__(self, *, now: dt.datetime | None = None, calendar: BusinessCalendar | None = None) -> None:
        self.now = now or clock.now()
        self.calendar = calendar or fulfillment_selectors.provider_calendar()
        self.warn = _warn_percents()

    def clocks(self, case: Case) -> CaseClocks:
        warn = self.warn.get((case.priority, _customer_type(case)), sla.DEFAULT_WARN_PERCENT)
        per_day = 24 * 60 if case.sla_round_the_clock else self.calendar.working_minutes_per_day
        ended = case.resolved_at or (case.closed_at if not case.is_open else None)
        now, round_the_clock = self.now, case.sla_round_the_clock
        response = resolution = None
        if case.sla_response_minutes:
            response = ClockView(
                "Response",
                sla.clock(
                    self.calendar,
                    started_at=case.created_at,
                    minutes=case.sla_response_minutes,
                    stopped_at=case.first_response_at or ended,
                    now=now,
                    round_the_clock=round_the_clock,
                    warn_percent=warn,
                ),
                case.sla_round_the_clock,
                per_day,
            )
        if case.sla_resolution_minutes:
            resolution = ClockView(
                "Resolution",
                sla.clock(
                    self.calendar,
                    started_at=case.created_at,
                    minutes=case.sla_resolution_minutes,
                    paused_minutes=case.paused_minutes,
                    paused_since=case.paused_since if ended is None else None,
                    stopped_at=ended,
                    now=now,
                    round_the_clock=round_the_clock,
                    warn_percent=warn,
                ),
                case.sla_round_the_clock,
                per_day,
            )
        return CaseClocks(response, resolution, waiting_on_response=case.first_response_at is None)


def case_clocks(*, case: Case, now: dt.datetime | None = None) -> CaseClocks:
    """A case's response and resolution clocks now (support/sla.py on the business calendar)."""
    return ClockReader(now=now).clocks(case)


# --- The queue --------------------------------------------------------------------------------


def _breached(now: dt.datetime) -> models.Q:
    """Open cases whose clock that counts is past due: the response clock until the first
    response, then the resolution clock, read when the wait on the customer began if paused."""
    no_response_late = models.Q(first_response_at__isnull=True, response_due_at__lt=now)
    running_late = models.Q(paused_since__isnull=True, resolution_due_at__lt=now)
    paused_late = models.Q(paused_since__isnull=False, paused_since__gt=models.F("resolution_due_at"))
    return models.Q(status__in=OPEN) & (no_response_late | running_late | paused_late)


def breached_count(*, user: Any, now: dt.datetime | None = None) -> int:
    """How many open cases `user` may see are past their SLA (the navigation's figure)."""
    return case_scope(user=user).filter(_breached(now or clock.now())).count()


@dataclass(frozen=True)
class QueueFilters:
    queue: str = ""  # a queue's id
    assignee: str = ""  # "mine", "none" or a user's id
    status: str = "open"  # "open", "all" or one status
    priority: str = ""
    sla: str = ""  # "breached" or "warning"

    @classmethod
    def from_query(cls, params: Any) -> "QueueFilters":
        """Filters from a query string; what is not one of the choices is left out."""
        status = params.get("status", "open")
        sla_filter = params.get("sla", "")
        priority = params.get("priority", "")
        assignee = params.get("assignee", "")
        queue = params.get("queue", "")
        return cls(
            queue=queue if parse_id(queue) else "",
            assignee=assignee if assignee in (MINE, NOBODY) or parse_id(assignee) else "",
            status=status if status in ("open", "all", *Case.Status.values) else "open",
            priority=priority if priority in _priority_values() else "",
            sla=sla_filter if sla_filter in dict(SLA_FILTERS) else "",
        )


def _priority_values() -> list[str]:
    return list(Priority.values)


def case_queue(*, user: Any, filters: QueueFilters, now: dt.datetime | None = None) -> Sequence[Case]:
    """The cases to work, soonest due first: by the due instant of the clock that counts (the
    response clock until the first response, then the resolution clock), so breached cases lead
    and time left grows down the list; cases waiting on the customer (clocks paused) after the
    running ones; closed ones last, latest first."""
    now = now or clock.now()
    cases = case_scope(user=user).select_related("account", "service", "queue", "assignee")
    if filters.queue:
        cases = cases.filter(queue_id=parse_id(filters.queue))
    if filters.assignee == MINE:
        cases = cases.filter(assignee_id=getattr(user, "pk", None))
    elif filters.assignee == NOBODY:
        cases = cases.filter(assignee__isnull=True)
    elif filters.assignee:
        cases = cases.filter(assignee_id=parse_id(filters.assignee))
    if filters.status == "open":
        cases = cases.filter(status__in=OPEN)
    elif filters.status != "all":
        cases = cases.filter(status=filters.status)
    if filters.priority:
        cases = cases.filter(priority=filters.priority)
    if filters.sla == "breached":
        cases = cases.filter(_breached(now))
    elif filters.sla == "warning":
        cases = cases.filter(status__in=OPEN, paused_since__isnull=True).exclude(_breached(now))
    is_open = models.Q(status__in=OPEN)
    ordered = cases.annotate(
        is_closed=models.Case(models.When(is_open, then=0), default=1),
        is_paused=models.Case(models.When(paused_since__isnull=False, then=1), default=0),
        due=models.Case(
            models.When(is_open & models.Q(first_response_at__isnull=True), then=models.F("response_due_at")),
            models.When(is_open, then=models.F("resolution_due_at")),
            default=None,
            output_field=models.DateTimeField(),
        ),
    ).order_by("is_closed", "is_paused", models.F("due").asc(nulls_last=True), "-status_changed_at", "-id")
    if filters.sla == "warning":
        reader = ClockReader(now=now)
        return [case for case in ordered if reader.clocks(case).state == "warning"]
    return cast(Sequence[Case], ordered)


@dataclass(frozen=True)
class CaseRow:
    case: Case
    clocks: CaseClocks


def case_rows(cases: Iterable[Case], *, now: dt.datetime | None = None) -> list[CaseRow]:
    """Cases with their clocks, for a list (the queue's page, an account's cases)."""
    reader = ClockReader(now=now)
    return [CaseRow(case, reader.clocks(case)) for case in cases]


def queue_counts(*, user: Any, now: dt.datetime | None = None) -> dict[str, int]:
    """The queue's headline figures: open cases, breached ones, mine, nobody's."""
    now = now or clock.now()
    open_cases = case_scope(user=user).filter(status__in=OPEN)
    return open_cases.aggregate(
        open=models.Count("id"),
        breached=models.Count("id", filter=_breached(now)),
        mine=models.Count("id", filter=models.Q(assignee_id=getattr(user, "pk", None))),
        unassigned=models.Count("id", filter=models.Q(assignee__isnull=True)),
    )


# --- Network status ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ElementStatus:
    """An element's status now: "down" under an open outage on it or above it, "maintenance"
    under an open maintenance window, else "up"; `outage` is the one that decides it."""

    element: Element
    state: str
    outage: Outage | None = None


def element_statuses(elements: Iterable[Element]) -> dict[int, ElementStatus]:
    """The status of each element (network.topology_selectors: down under an open outage on it
    or above it, maintenance under an open window) with the outage that decides it."""
    elements = list(elements)
    states = topology_selectors.element_statuses(elements=elements)
    affected = [element for element in elements if states[element.pk] != topology_selectors.UP]
    ids = {pk for element in affected for pk in (*element.ancestor_ids, element.pk)}
    open_outages = (
        list(
            Outage.objects.filter(element_id__in=ids, status=Outage.Status.OPEN)
            .select_related("element")
            .order_by("element__depth", "started_at", "id")
        )
        if ids
        else []
    )
    statuses = {}
    for element in elements:
        state = states[element.pk]
        over = [outage for outage in open_outages if element.path.startswith(outage.element.path)]
        if state == topology_selectors.DOWN:
            over = [outage for outage in over if outage.kind == Outage.Kind.UNPLANNED]
        statuses[element.pk] = ElementStatus(element, state, over[0] if over else None)
    return statuses


def _bindings(service_ids: Sequence[int]) -> dict[int, list[Element]]:
    bound: dict[int, list[Element]] = {}
    rows = ServiceElement.objects.filter(service_id__in=service_ids).select_related("element").order_by("element__path")
    for row in rows:
        bound.setdefault(row.service_id, []).append(row.element)
    return bound


def service_network(services: Sequence[Service]) -> dict[int, list[ElementStatus]]:
    """For each service, the status of each element it rides on (its PON port, sector, CPE)."""
    bound = _bindings([service.pk for service in services])
    statuses = element_statuses({element.pk: element for elements in bound.values() for element in elements}.values())
    return {service.pk: [statuses[element.pk] for element in bound.get(service.pk, [])] for service in services}


# --- The whole customer -----------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRow:
    """One of the customer's services with its network status and what it earns."""

    service: Service
    network: list[ElementStatus]
    cost_amount: Decimal | None  # a month, for its quantity; None: the product's cost is not known
    is_live: bool

    @property
    def profit_amount(self) -> Decimal | None:
        if self.cost_amount is None:
            return None
        return self.service.mrc_amount - self.cost_amount

    @property
    def network_state(self) -> str:
        """The worst of its elements: down, maintenance, up ("" when bound to none)."""
        states = {status.state for status in self.network}
        return next((state for state in ("down", "maintenance", "up") if state in states), "")

    @property
    def outages(self) -> list[Outage]:
        seen: dict[int, Outage] = {}
        for status in self.network:
            if status.outage is not None:
                seen.setdefault(status.outage.pk, status.outage)
        return list(seen.values())


@dataclass(frozen=True)
class Money:
    """What the customer is worth a month: MRR of the live services, and profit where the cost
    of each is known."""

    currency: str
    mrr_amount: Decimal
    profit_amount: Decimal | None  # over the live services whose cost is known; None: none is
    cost_unknown: int  # live services whose product has no cost

    @property
    def margin_percent(self) -> Decimal | None:
        if self.profit_amount is None or self.cost_unknown or not self.mrr_amount:
            return None
        return (self.profit_amount * 100 / self.mrr_amount).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Billing:
    standing: Standing
    invoices: list[dict[str, Any]]
    currency: str


@dataclass
class Customer:
    """Everything support sees about the customer a case is about."""

    account: Account
    services: list[ServiceRow]
    money: Money
    orders: list[Order]
    work_orders: list[dict[str, Any]]
    billing: Billing | None  # None: the user may not read billing
    outages: list[Outage] = field(default_factory=list)

    @property
    def live_count(self) -> int:
        return sum(1 for row in self.services if row.is_live)


def _service_rows(services: Sequence[Service]) -> list[ServiceRow]:
    network = service_network(services)
    rows = []
    for service in services:
        cost = service.product_version.monthly_cost_amount
        rows.append(
            ServiceRow(
                service=service,
                network=network.get(service.pk, []),
                cost_amount=None if cost is None else line_amount(cost, service.quantity),
                is_live=service.status in LIVE,
            )
        )
    return rows


def customer_money(rows: Sequence[ServiceRow], *, currency: str) -> Money:
    """MRR of the live services; profit = MRR minus each product's monthly cost times quantity, over
    the services whose cost is known (how many are not is said beside it)."""
    live = [row for row in rows if row.is_live]
    known = [row.profit_amount for row in live if row.profit_amount is not None]
    return Money(
        currency=currency,
        mrr_amount=sum((row.service.mrc_amount for row in live), ZERO),
        profit_amount=sum(known, ZERO) if known else None,
        cost_unknown=sum(1 for row in live if row.cost_amount is None),
    )


def account_billing(*, account: Account, today: dt.date, limit: int = 5) -> Billing:
    """What the customer owes (billing's standing: balance, overdue, days past due) and their
    last invoices (not drafts: what they were sent)."""
    standing = payment_standing(account_ids=[account.pk], today=today)[account.pk]
    invoices = list(
        Invoice.objects.filter(billing_account__account=account)
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("billing_account")
        .order_by("-bill_date", "-id")[:limit]
    )
    rows = [
        {
            "invoice": invoice,
            "overdue": invoice.status in OWED_STATUSES and invoice.amount_due > 0 and invoice.due_date < today,
        }
        for invoice in invoices
    ]
    currency = invoices[0].currency if invoices else ""
    if not currency:
        currency = BillingAccount.objects.filter(account=account).values_list("currency", flat=True).first() or ""
    return Billing(standing=standing, invoices=rows, currency=currency)


def customer_for(*, user: Any, account: Account) -> Customer:
    """The whole customer: services (not disconnected ones) with live and network status,
    money, open orders and work orders with their forecast dates, and billing for those who
    may read it."""
    services = list(
        Service.objects.filter(account=account)
        .exclude(status=Service.Status.DISCONNECTED)
        .select_related("location", "product_version__product")
        .order_by("location__line1", "id")
    )
    rows = _service_rows(services)
    currency = services[0].currency if services else ""
    orders = list(orders_selectors.order_list(user=user, account_id=account.pk, statuses=OPEN_ORDERS))
    work_orders = [
        {
            "work_order": work_order,
            "slip": fulfillment_selectors.slip_label(
                planned=work_order.planned_finish, forecast=work_order.forecast_finish
            ),
        }
        for work_order in fulfillment_selectors.work_order_list(user=user, account_id=account.pk, statuses=OPEN_WORK)
    ]
    billing = account_billing(account=account, today=clock.today()) if may(user, "billing.read") else None
    outages: dict[int, Outage] = {}
    for row in rows:
        for outage in row.outages:
            outages.setdefault(outage.pk, outage)
    return Customer(
        account=account,
        services=rows,
        money=customer_money(rows, currency=currency or (billing.currency if billing else "")),
        orders=orders,
        work_orders=work_orders,
        billing=billing,
        outages=list(outages.values()),
    )


# --- Related cases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Related:
    parent: Case | None
    children: list[Case]
    account_open: list[Case]  # the account's other open cases
    account_recent: list[Case]  # its other cases closed in the last 90 days


def related_cases(*, user: Any, case: Case, recent_days: int = 90, limit: int = 10) -> Related:
    """The cases around this one: its parent (an outage's case, or the case it repeats), its
    children, and the same account's other open and recently closed cases."""
    scope = case_scope(user=user).select_related("account", "assignee")
    children = list(scope.filter(parent=case).order_by("-created_at", "-id"))
    parent = scope.filter(pk=case.parent_id).first() if case.parent_id else None
    others = scope.none()
    if case.account_id is not None:
        others = scope.filter(account_id=case.account_id).exclude(pk=case.pk)
        others = others.exclude(pk__in=[child.pk for child in children])
        if parent is not None:
            others = others.exclude(pk=parent.pk)
    since = clock.now() - dt.timedelta(days=recent_days)
    return Related(
        parent=parent,
        children=children,
        account_open=list(others.filter(status__in=OPEN).order_by("-created_at", "-id")[:limit]),
        account_recent=list(
            others.exclude(status__in=OPEN).filter(status_changed_at__gte=since).order_by("-status_changed_at")[:limit]
        ),
    )


def account_cases(*, user: Any, account_id: int, open_only: bool = True) -> models.QuerySet[Case]:
    """An account's cases, newest first."""
    # The account too: each row's SLA clock reads its kind (ClockReader).
    cases = case_scope(user=user).filter(account_id=account_id)
    cases = cases.select_related("account", "service", "assignee", "queue")
    if open_only:
        cases = cases.filter(status__in=OPEN)
    return cases.order_by("-created_at", "-id")


def service_cases(*, user: Any, service_id: int, limit: int = 20) -> list[Case]:
    """A service's cases, open ones first, newest first."""
    cases = case_scope(user=user).filter(service_id=service_id).select_related("account", "assignee", "queue")
    is_open = models.Case(models.When(status__in=OPEN, then=0), default=1)
    return list(cases.annotate(closed=is_open).order_by("closed", "-created_at", "-id")[:limit])


# --- History ----------------------------------------------------------------------------------

TRACKED = {
    "status": "Status",
    "priority": "Priority",
    "queue": "Queue",
    "assignee": "Assignee",
    "type": "Type",
    "subject": "Subject",
    "service": "Service",
    "contact": "Contact",
}
EVENTS_SHOWN = {"case.created", "case.noted", "case.attached", "case.linked"}


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    what: str
    who: Any  # a user, a customer's name, or None: the system


def _display(name: str, value: Any, labels: dict[str, dict[Any, str]]) -> str:
    if value in (None, ""):
        return "—"
    if name in labels:
        return labels[name].get(value, str(value))
    return str(value)


def case_history(*, case: Case, limit: int = 60) -> list[HistoryEntry]:
    """What happened to the case, newest first: each change of its fields (its audit history)
    and the notes, files and links added (its events)."""
    records = list(case.history.select_related("history_user").order_by("history_date", "history_id"))
    users = {
        user.pk: user
        for user in get_user_model().objects.filter(
            pk__in={value for record in records for value in (record.assignee_id,) if value}
        )
    }
    queues = dict(Queue.objects.values_list("pk", "name"))
    labels: dict[str, dict[Any, str]] = {
        "status": dict(Case.Status.choices),
        "priority": dict(Priority.choices),
        "type": dict(Case.Type.choices),
        "queue": queues,
        "assignee": {pk: (user.get_full_name() or user.username) for pk, user in users.items()},
        "service": {},
        "contact": {},
    }
    entries: list[HistoryEntry] = []
    for before, after in itertools.pairwise(records):
        changes = []
        for name, label in TRACKED.items():
            attname = f"{name}_id" if name in ("queue", "assignee", "service", "contact") else name
            old, new = getattr(before, attname), getattr(after, attname)
            if old != new:
                if name in ("service", "contact"):
                    changes.append(f"{label} changed")
                else:
                    changes.append(f"{label}: {_display(name, old, labels)} → {_display(name, new, labels)}")
        if changes:
            entries.append(HistoryEntry(after.history_date, "; ".join(changes), after.history_user))
    events = OutboxEvent.objects.filter(
        subject_type=Case._meta.label_lower, subject_id=str(case.pk), name__in=EVENTS_SHOWN
    ).select_related("actor")
    noted = {"internal": "Internal note added", "reply": "Reply sent", "customer": "Customer wrote"}
    authors = {note.pk: note.author or note.author_name or None for note in case.notes.all()}
    for event in events:
        who: Any = event.actor
        if event.name == "case.created":
            what = f"Opened by {event.data.get('channel', '')}".strip()
            who = who or case.created_by
        elif event.name == "case.noted":
            what = noted.get(event.data.get("kind", ""), "Note added")
            who = who or authors.get(event.data.get("note"))
        elif event.name == "case.attached":
            what = "File attached"
        else:
            parent = event.data.get("parent")
            what = f"Linked under CS-{parent:06d}" if isinstance(parent, int) else "Unlinked from its parent"
        entries.append(HistoryEntry(event.occurred_at, what, who))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


# --- The account's status strip ----------------------------------------------------------------


@dataclass(frozen=True)
class AccountStatus:
    services_live: int
    services_total: int
    outages: list[Outage]
    open_cases: int
    breached_cases: int


def account_status(*, user: Any, account: Account) -> AccountStatus:
    """The account page's strip: services live of all (not disconnected), open outages over any
    of them, open and breached cases (what the customer owes and how late: payments' standing,
    drawn above it)."""
    services = list(
        Service.objects.filter(account=account)
        .exclude(status=Service.Status.DISCONNECTED)
        .only("pk", "status", "currency")
    )
    network = service_network(services)
    outages: dict[int, Outage] = {}
    for statuses in network.values():
        for status in statuses:
            if status.outage is not None:
                outages.setdefault(status.outage.pk, status.outage)
    now = clock.now()
    cases = case_scope(user=user).filter(account=account, status__in=OPEN)
    counts = cases.aggregate(open=models.Count("id"), breached=models.Count("id", filter=_breached(now)))
    return AccountStatus(
        services_live=sum(1 for service in services if service.status in LIVE),
        services_total=len(services),
        outages=list(outages.values()),
        open_cases=counts["open"],
        breached_cases=counts["breached"],
    )
