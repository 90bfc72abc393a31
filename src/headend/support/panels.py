"""What support shows on the pages of the apps below it (core/panels.py): a banner on the
account and service pages while an outage impacts them (or a maintenance window is planned over
them), and on the network's outage page who it impacts, the revenue at risk, the notices and
the parent case."""

from decimal import Decimal
from typing import Any

from django.db import models
from django.http import HttpRequest

from headend.core import panels
from headend.core.money import default_currency as currency
from headend.core.pagination import paginate
from headend.core.permissions import may
from headend.crm.models import Account
from headend.inventory import outage_impact
from headend.inventory.models import Service
from headend.network.models import Outage

from . import selectors as case_selectors
from .models import Case, OutageNotice
from .outage_reads import outages_over_account, outages_over_service
from .outage_response import MAX_ATTEMPTS

IMPACT_PAGE = 50


@panels.register("account.cards", template="support/panels/outage_cards.html", order=0)
def account_outage_banner(request: HttpRequest, account: Account) -> dict[str, Any] | None:
    found = outages_over_account(account)
    return {"outages": found} if found else None


@panels.register("service.network", template="support/panels/outage_facts.html", order=0)
def service_outage_banner(request: HttpRequest, service: Service) -> dict[str, Any] | None:
    found = outages_over_service(service)
    return {"outages": found} if found else None


def notice_counts(outage: Outage) -> list[dict[str, Any]]:
    """Per phase and channel: queued, sent, and given up after MAX_ATTEMPTS failed tries."""
    phases, channels = dict(OutageNotice.Phase.choices), dict(OutageNotice.Channel.choices)
    rows = (
        OutageNotice.objects.filter(outage=outage)
        .values("phase", "channel")
        .annotate(
            queued=models.Count("pk"),
            sent=models.Count("pk", filter=models.Q(sent_at__isnull=False)),
            failed=models.Count("pk", filter=models.Q(sent_at=None, attempts__gte=MAX_ATTEMPTS)),
        )
    )
    order = list(phases)
    return [
        {**row, "phase_label": phases[row["phase"]], "channel_label": channels[row["channel"]]}
        for row in sorted(rows, key=lambda row: (order.index(row["phase"]), row["channel"]))
    ]


@panels.register("outage.sections", template="support/panels/outage_impact.html", order=10)
def outage_impact_panel(request: HttpRequest, outage: Outage) -> dict[str, Any]:
    """Who the outage impacts (paged), the revenue at risk, the notices and the parent case; for
    a window not started yet, whom it would take down now."""
    planned = outage.status == Outage.Status.SCHEDULED
    if planned:
        rows: Any = outage_impact.planned_impact_list(element=outage.element)
    else:
        rows = outage_impact.impact_list(outage=outage)
    revenue = outage_impact.revenue_at_risk(outage=outage) or [outage_impact.Revenue(Decimal("0.00"), currency())]
    return {
        "outage": outage,
        "planned": planned,
        "revenue": revenue,
        "notices": notice_counts(outage),
        "parent_case": Case.objects.filter(outage=outage).first(),
        "linked_cases": Case.objects.filter(parent__outage=outage).count(),
        **paginate(request, rows, per_page=IMPACT_PAGE),
    }


# --- Cases on the account and service pages (and the account's status strip) ------------------


@panels.register("account.status", template="support/panels/account_status.html", order=10)
def account_status_strip(request: HttpRequest, account: Account) -> dict[str, Any]:
    """The strip at the top of the account page: services live of all, open outages over them,
    open and breached cases (what the customer owes: payments' standing, above it)."""
    return {"account": account, "status": case_selectors.account_status(user=request.user, account=account)}


@panels.register("account.sections", template="support/panels/account_cases.html", order=12)
def account_cases(request: HttpRequest, account: Account) -> dict[str, Any]:
    """The account's open cases, newest first, with their SLA state; a link to open one."""
    cases = list(case_selectors.account_cases(user=request.user, account_id=account.pk)[:20])
    return {
        "account": account,
        "rows": case_selectors.case_rows(cases),
        "closed_count": case_selectors.account_cases(user=request.user, account_id=account.pk, open_only=False)
        .exclude(status__in=Case.OPEN_STATUSES)
        .count(),
        "can_create": may(request.user, "case.create"),
    }


@panels.register("service.sections", template="support/panels/service_cases.html", order=15)
def service_cases(request: HttpRequest, service: Service) -> dict[str, Any]:
    """The service's cases (open first, then the latest closed) and a link to open one on it."""
    cases = case_selectors.service_cases(user=request.user, service_id=service.pk)
    return {"service": service, "rows": case_selectors.case_rows(cases), "can_create": may(request.user, "case.create")}
