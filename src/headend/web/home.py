"""The home page by role: each role lands on the few things it acts on, read from the apps'
selectors. A panel is shown for a role the user holds (a user with several gets each, in the
order of PANELS); approvals are shown to whoever has some waiting, and to approvers even when
none wait; a technician (a Technician profile, whatever the role) gets the day's visits.

Every panel reads a bounded number of queries (tests/web/test_home_by_role.py counts them), so
the page costs the same with ten quotes or ten thousand: lists are cut to a few rows, with the
count of all and a link to the page that lists them."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models

from headend.billing import views as billing_views
from headend.billing.models import Invoice
from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import ProductVersion
from headend.core import clock
from headend.core.permissions import Role, may, user_roles
from headend.crm import selectors as crm_selectors
from headend.crm.models import Opportunity
from headend.fulfillment import field_work, workload
from headend.fulfillment import selectors as fulfillment_selectors
from headend.inventory import selectors as inventory_selectors
from headend.orders import selectors as orders_selectors
from headend.payments import dunning
from headend.payments import views as payment_views
from headend.payments.models import Payment
from headend.quoting import selectors as quoting_selectors
from headend.quoting.models import Quote
from headend.support import selectors as support_selectors
from headend.support import sla_credits
from headend.support.models import SlaCredit

ROWS = 6  # rows a panel lists before "all N"
# Whose inbox leads their page even when empty: the roles the approval rules name.
APPROVERS = (Role.SALES_MANAGER, Role.DIRECTOR, Role.FINANCE)
# Who sees the whole team's quotes and pipeline rather than their own.
TEAM_VIEW = (Role.SALES_MANAGER, Role.DIRECTOR)


@dataclass
class Home:
    """What the page draws: the panels' templates in order, and each one's context."""

    user: Any
    at: dt.datetime
    panels: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)


def _held(user: Any) -> frozenset[str]:
    return user_roles(user)


# --- Approvers ---------------------------------------------------------------------------------


def approvals(home: Home) -> bool:
    """The approvals waiting for the user (approval_inbox: whatever roles the rules name)."""
    waiting = quoting_selectors.approval_inbox(user=home.user)
    rows = list(waiting[:ROWS])
    count = len(rows) if len(rows) < ROWS else waiting.count()
    if not count and not _held(home.user) & {*APPROVERS, Role.ADMIN}:
        return False
    home.context.update(approvals=rows, approval_count=count)
    return True


# --- Technicians -------------------------------------------------------------------------------


def visits(home: Home) -> bool:
    if not workload.is_technician(user=home.user):
        return False
    # My work for today (fulfillment/field_work.py): the visits booked and the tasks given to them.
    today = clock.local_date(home.at)
    home.context["visits"] = [
        item for day in field_work.my_work(user=home.user, first=today, last=today) for item in day.items
    ]
    return True


# --- Provisioning ------------------------------------------------------------------------------


def delivery(home: Home) -> bool:
    if Role.PROVISIONING not in _held(home.user):
        return False
    home.context["delivery"] = workload.delivery_work(user=home.user, at=home.at, limit=ROWS)
    return True


# --- Support -----------------------------------------------------------------------------------


def cases(home: Home) -> bool:
    """The top of the queue while its clocks are breached or near it, and the newest cases."""
    if Role.SUPPORT not in _held(home.user):
        return False
    user, now = home.user, home.at
    queue = support_selectors.case_queue(user=user, filters=support_selectors.QueueFilters(), now=now)
    urgent = [
        row
        for row in support_selectors.case_rows(queue[:ROWS], now=now)
        if row.case.is_open and row.clocks.state in ("breached", "warning")
    ]
    newest = (
        support_selectors.case_scope(user=user)
        .filter(status__in=support_selectors.OPEN)
        .select_related("account", "service", "queue", "assignee")
        .order_by("-created_at", "-id")[:ROWS]
    )
    home.context.update(
        case_counts=support_selectors.queue_counts(user=user, now=now),
        urgent_cases=urgent,
        newest_cases=support_selectors.case_rows(newest, now=now),
    )
    return True


# --- Sales -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    value: str
    label: str
    count: int
    amounts: list[tuple[Decimal, str]]  # (expected MRR, currency): a sum per currency


def _pipeline(opportunities: models.QuerySet[Opportunity]) -> list[Stage]:
    """Open opportunities by stage, in the stages' order, with their expected MRR: one query."""
    sums: dict[str, list[tuple[Decimal, str]]] = {}
    counts: dict[str, int] = {}
    grouped = (
        opportunities.filter(stage__in=Opportunity.OPEN_STAGES)
        .values("stage", "currency")
        .annotate(n=models.Count("id"), amount=models.Sum("amount"))
        .order_by("stage", "currency")
    )
    for row in grouped:
        counts[row["stage"]] = counts.get(row["stage"], 0) + row["n"]
        sums.setdefault(row["stage"], []).append((row["amount"], row["currency"]))
    return [
        Stage(value, label, counts.get(value, 0), sums.get(value, []))
        for value, label in Opportunity.Stage.choices
        if value in Opportunity.OPEN_STAGES
    ]


def selling(home: Home) -> bool:
    """Quotes waiting on the customer, on approval, and drafts; the pipeline by stage. A seller's
    own; a sales manager's (or director's) the team's."""
    held = _held(home.user)
    if not held & {Role.SALES, Role.SALES_MANAGER}:
        return False
    team = bool(held & set(TEAM_VIEW))
    quotes = quoting_selectors.quote_list(user=home.user)
    opportunities = crm_selectors.opportunity_list(user=home.user)
    if not team:
        quotes = quotes.filter(created_by_id=home.user.pk)
        opportunities = opportunities.filter(owner_id=home.user.pk)
    draft, presented = Quote.Status.DRAFT, Quote.Status.PRESENTED
    submitted = models.Q(submitted_at__isnull=False)
    counts = quotes.aggregate(
        presented=models.Count("id", filter=models.Q(status=presented)),
        awaiting=models.Count("id", filter=models.Q(status=draft) & submitted),
        drafts=models.Count("id", filter=models.Q(status=draft) & ~submitted),
    )
    home.context.update(
        team=team,
        quote_counts=counts,
        quotes_presented=list(quotes.filter(status=presented).order_by("presented_at", "pk")[:ROWS]),
        quotes_awaiting=list(quotes.filter(models.Q(status=draft) & submitted).order_by("submitted_at", "pk")[:ROWS]),
        quotes_drafts=list(quotes.filter(models.Q(status=draft) & ~submitted)[:ROWS]),
        pipeline=_pipeline(opportunities),
        awaiting_filter=quoting_selectors.AWAITING_APPROVAL,
    )
    return True


# --- Billing and finance -----------------------------------------------------------------------


@dataclass(frozen=True)
class Owed:
    currency: str
    open_count: int
    open_amount: Decimal
    overdue_count: int
    overdue_amount: Decimal


def money(home: Home) -> bool:
    """Receivables (open and overdue, per currency), the oldest overdue invoices, the dunning
    queue's head, today's payments, and SLA credits waiting for a decision."""
    held = _held(home.user)
    if not held & {Role.BILLING, Role.FINANCE}:
        return False
    today = clock.local_date(home.at)
    overdue_q = models.Q(due_date__lt=today)
    owed = [
        Owed(row["currency"], row["n"], row["amount"], row["overdue_n"], row["overdue"] or Decimal(0))
        for row in billing_views.open_invoices()
        .values("currency")
        .annotate(
            n=models.Count("id"),
            amount=models.Sum("amount_due"),
            overdue_n=models.Count("id", filter=overdue_q),
            overdue=models.Sum("amount_due", filter=overdue_q),
        )
        .order_by("currency")
    ]
    oldest = (
        billing_views.open_invoices()
        .filter(overdue_q, kind=Invoice.Kind.INVOICE)
        .select_related("billing_account__account")
        .order_by("due_date", "id")[:ROWS]
    )
    paid_today = payment_views.payment_list(date_from=today, date_to=today)
    taken = list(paid_today[:ROWS])
    queue = dunning.queue(today)
    home.context.update(
        owed=owed,
        overdue_invoices=list(oldest),
        dunning_rows=queue[:ROWS],
        dunning_count=len(queue),
        payments_today=taken,
        payments_today_count=len(taken) if len(taken) < ROWS else paid_today.count(),
        payments_today_sums=list(
            paid_today.filter(status=Payment.Status.SUCCEEDED)
            .values("currency")
            .annotate(amount=models.Sum("amount"))
            .order_by("currency")
        ),
        today=today,
    )
    if may(home.user, "sla_credit.decide"):
        proposed = sla_credits.sla_credit_list(status=SlaCredit.Status.PROPOSED)
        home.context.update(sla_credits=list(proposed[:ROWS]), sla_credit_count=proposed.count())
    return True


# --- Product managers --------------------------------------------------------------------------


def catalog_drafts(home: Home) -> bool:
    """Product versions drafted and not yet published, soonest effective first."""
    if Role.PRODUCT_MANAGER not in _held(home.user):
        return False
    drafts = catalog_selectors.offering_list_for(user=home.user, statuses=[ProductVersion.Status.DRAFT]).order_by(
        "effective_from", "product__name", "id"
    )
    home.context["catalog_drafts"] = list(drafts[:ROWS])
    home.context["catalog_draft_count"] = drafts.count()
    return True


# --- Directors and admins: the figures ---------------------------------------------------------


def overview(home: Home) -> bool:
    """The business at a glance, for directors and admins (and anyone no other panel is for)."""
    held = _held(home.user)
    if not held & {Role.DIRECTOR, Role.ADMIN} and home.panels:
        return False
    user, at = home.user, home.at
    open_work = fulfillment_selectors.work_order_list(user=user, statuses=workload.OPEN, at=at)
    figures = {
        "open_quotes": quoting_selectors.quote_list(
            user=user, statuses=[Quote.Status.DRAFT, Quote.Status.PRESENTED]
        ).count(),
        "open_orders": orders_selectors.order_list(user=user, statuses=["acknowledged", "in_progress"]).count(),
        **open_work.aggregate(
            open_work=models.Count("id"), late_work=models.Count("id", filter=models.Q(is_late=True))
        ),
        "active_services": inventory_selectors.service_list(user=user, status="active").count(),
        "breached_cases": support_selectors.breached_count(user=user, now=at),
    }
    home.context["figures"] = figures
    return True


# The panels in the order a user with several roles sees them, each with its template.
PANELS: list[tuple[Callable[[Home], bool], str]] = [
    (approvals, "web/home/approvals.html"),
    (visits, "web/home/visits.html"),
    (delivery, "web/home/delivery.html"),
    (cases, "web/home/cases.html"),
    (selling, "web/home/selling.html"),
    (money, "web/home/money.html"),
    (catalog_drafts, "web/home/catalog_drafts.html"),
    (overview, "web/home/overview.html"),
]


def home_for(*, user: Any, at: dt.datetime) -> Home:
    home = Home(user=user, at=at)
    for shown, template in PANELS:
        if shown(home):
            home.panels.append(template)
    return home
