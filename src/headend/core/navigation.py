"""The staff navigation: one definition of the sidebar's groups and links, who each link is for,
and which link the page being shown belongs to. base.html draws it (templates/includes/nav.html)
from the `staff_nav` that core/context_processors.py gives every page.

A link is shown when its page is part of the user's work, which is a question of relevance, not
of access: pages stay reachable by URL as before. What a page refuses a role (IP pools are the
network team's, the SLA settings the admins') is never shown to that role: every link a user
sees opens (tests/core/test_navigation.py opens every one, as each role). A link is for:

- `roles`: the roles whose work the page is (admin holds every role), and/or
- `uses`: those `may` allow a use case of PERMISSIONS (core/permissions.py), for pages that are
  a use case's (IP pools: "pool.manage", the support queue: "case.work"), and/or
- `audience`: a kind of person no role names, decided by a higher app that registers it
  (`register_audience`): "technician" (a fulfillment Technician profile, web registers it) and
  "site_admin" (Django's own admin site: a staff account).

A link appears once, in the first group that shows it to the user: a technician's "My work"
leads the sidebar, and is not repeated under Delivery. The link the page belongs to (aria-current)
is the one whose URL is the longest prefix of the page's path ("/work/board/" is Boards, "/work/12/"
Work orders); a page under none of them belongs to the link that claims its URL namespace
(`section`: an invoice or a billing account is Billing).

Who sees what (admin: everything; a user with several roles: the union, in this order):

=================  ==============================================================================
Role               Links
=================  ==============================================================================
sales              Accounts, Opportunities, Quotes, Upgrade offers, Catalog, Commissions, Orders,
                   Services, Billing, API tokens, API docs
sales_manager      sales' links and Approvals
provisioning       Support, Catalog (work-order templates), Orders, Work orders, Boards, Dispatch,
                   My work, Task queue, Services, Coverage, Topology, Outages, IP pools, API
technician         My work first (any role; a Technician profile)
support            Accounts, Support, Orders, Services, Billing, Payments, Dunning, Outages, API
billing            Accounts, Support, Services, Billing, Payments, Dunning, SLA credits, Ledger
                   export, Voice rating, API
finance            Accounts, Approvals, Commissions, Billing, Payments, Dunning, SLA credits, Ledger
                   export, API
director           Accounts, Opportunities, Support, Quotes, Approvals, Catalog, Commissions,
                   Orders, Work orders, Boards, Services, Billing, Payments, Dunning, SLA credits,
                   Coverage, Topology, Outages, API
product_manager    Catalog (products, versions, prices, templates), API
integration        API tokens, API docs
admin              everything, with SLA & queues, Webhooks and (a staff account) Admin
=================  ==============================================================================
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from headend.core.permissions import Role, has_role, may

SALES, SALES_MANAGER, PROVISIONING = Role.SALES, Role.SALES_MANAGER, Role.PROVISIONING
SUPPORT, BILLING, FINANCE, DIRECTOR = Role.SUPPORT, Role.BILLING, Role.FINANCE, Role.DIRECTOR
PRODUCT_MANAGER = Role.PRODUCT_MANAGER
SELLERS = (SALES, SALES_MANAGER)

TECHNICIAN = "technician"
SITE_ADMIN = "site_admin"


@dataclass(frozen=True)
class Item:
    label: str
    url_name: str
    roles: tuple[str, ...] = ()
    uses: str = ""
    audience: str = ""
    # The URL namespace the link stands for beyond its own path (Billing: every billing page).
    section: str = ""
    # A figure beside the label, from a function a higher app registers (`register_count`).
    count: str = ""
    hint: str = ""  # the figure's title

    def is_for(self, user: Any) -> bool:
        if self.roles and has_role(user, *self.roles):
            return True
        if self.uses and may(user, self.uses):
            return True
        return bool(self.audience) and in_audience(user, self.audience)


@dataclass(frozen=True)
class Group:
    label: str
    items: tuple[Item, ...]


GROUPS: tuple[Group, ...] = (
    Group("Field", (Item("My work", "fulfillment:my_work", audience=TECHNICIAN),)),
    Group(
        "Customers",
        (
            Item("Accounts", "crm:account_list", roles=(*SELLERS, SUPPORT, BILLING, FINANCE, DIRECTOR)),
            Item("Opportunities", "crm:opportunity_list", roles=(*SELLERS, DIRECTOR)),
            Item(
                "Support",
                "support:case_queue",
                roles=(DIRECTOR,),
                uses="case.work",
                count="support.breached",
                hint="Open cases past their SLA",
            ),
        ),
    ),
    Group(
        "Sales",
        (
            Item("Quotes", "quoting:quote_list", roles=(*SELLERS, DIRECTOR)),
            # Whoever approval rules name; the home page shows anyone else what waits for them.
            Item("Approvals", "quoting:approval_inbox", roles=(SALES_MANAGER, DIRECTOR, FINANCE)),
            Item("Upgrade offers", "quoting:upgrade_offer_list", uses="quote.edit"),
            # Read by sellers; products, versions and prices are the product manager's, the
            # work-order templates on each product's page provisioning's too.
            Item("Catalog", "catalog:product_list", roles=(*SELLERS, DIRECTOR, PRODUCT_MANAGER), uses="template.edit"),
            # A rep's own statements; every rep's for sales managers, finance and directors.
            Item("Commissions", "commissions:statement_list", uses="commission.view"),
        ),
    ),
    Group(
        "Delivery",
        (
            Item("Orders", "orders:order_list", roles=(*SELLERS, PROVISIONING, SUPPORT, DIRECTOR)),
            Item("Work orders", "fulfillment:work_order_list", roles=(PROVISIONING, DIRECTOR)),
            Item("Boards", "fulfillment:board", roles=(PROVISIONING, DIRECTOR)),
            Item("Dispatch", "fulfillment:dispatch", roles=(PROVISIONING,)),
            Item("My work", "fulfillment:my_work", roles=(PROVISIONING,)),
            Item("Task queue", "fulfillment:my_tasks", roles=(PROVISIONING,)),
            Item("Services", "inventory:service_list", roles=(*SELLERS, PROVISIONING, SUPPORT, BILLING, DIRECTOR)),
        ),
    ),
    Group(
        "Billing",
        (
            # Sellers and support read invoices (billing.read); money work is billing's and finance's.
            Item("Billing", "billing:invoice_list", uses="billing.read", section="billing"),
            Item("Payments", "payments:payment_list", roles=(BILLING, FINANCE, SUPPORT, DIRECTOR)),
            # Support holds dunning with a promise to pay ("dunning.promise").
            Item("Dunning", "payments:dunning_queue", roles=(BILLING, FINANCE, SUPPORT, DIRECTOR)),
            Item("SLA credits", "support:sla_credit_list", roles=(BILLING, FINANCE, DIRECTOR)),
            Item("Ledger export", "billing:ledger_export", uses="ledger.export"),
            # Rate decks, call imports and the unrated calls: billing staff's (readers reach them
            # from the invoice list).
            Item("Voice rating", "billing:rate_deck_list", uses="rating.manage"),
        ),
    ),
    Group(
        "Network",
        (
            Item("Coverage", "network:coverage", roles=(PROVISIONING, DIRECTOR)),
            Item("Topology", "network:topology", roles=(PROVISIONING, DIRECTOR)),
            Item("Outages", "network:outage_list", roles=(PROVISIONING, SUPPORT, DIRECTOR)),
            Item("IP pools", "ipam:pool_list", uses="pool.manage"),
        ),
    ),
    Group(
        "Settings",
        (
            Item("SLA & queues", "support:sla_settings", uses="sla_policy.manage"),
            Item("Webhooks", "hub:webhooks", uses="webhook.manage"),
            Item("API tokens", "api_ui:token_list", uses="token.manage"),
            Item("API docs", "tmf:openapi-view", uses="token.manage"),
            Item("Admin", "admin:index", audience=SITE_ADMIN),
        ),
    ),
)


# --- What higher apps tell the navigation ----------------------------------------------------

_audiences: dict[str, Callable[[Any], bool]] = {}
_counts: dict[str, Callable[[Any], int]] = {}


def register_audience(name: str) -> Callable[[Callable[[Any], bool]], Callable[[Any], bool]]:
    """`@navigation.register_audience("technician")` on a function `(user) -> bool`, in a higher
    app's AppConfig.ready(): who the links for `name` are for (nobody until one registers)."""

    def decorator(decide: Callable[[Any], bool]) -> Callable[[Any], bool]:
        _audiences[name] = decide
        return decide

    return decorator


def register_count(name: str) -> Callable[[Callable[[Any], int]], Callable[[Any], int]]:
    """`@navigation.register_count("support.breached")` on a function `(user) -> int`: the figure
    beside the links that name it (none is drawn for 0, or until one registers)."""

    def decorator(count: Callable[[Any], int]) -> Callable[[Any], int]:
        _counts[name] = count
        return count

    return decorator


def in_audience(user: Any, name: str) -> bool:
    decide = _audiences.get(name)
    return bool(decide is not None and decide(user))


@register_audience(SITE_ADMIN)
def _site_admin(user: Any) -> bool:
    """Django's admin site lets in active staff accounts only (a role alone is not enough)."""
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False))


# --- The sidebar for one request --------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: bool
    count: int
    hint: str


@dataclass(frozen=True)
class ShownGroup:
    label: str
    links: list[Link]


def items_for(user: Any) -> list[tuple[Group, list[Item]]]:
    """The groups and links `user` sees, each link once (in the first group that shows it)."""
    seen: set[str] = set()
    shown = []
    for group in GROUPS:
        items = [item for item in group.items if item.url_name not in seen and item.is_for(user)]
        seen.update(item.url_name for item in items)
        if items:
            shown.append((group, items))
    return shown


def current_item(items: list[Item], urls: dict[str, str], *, path: str, namespace: str) -> Item | None:
    """The link the page at `path` belongs to: the longest URL that prefixes the path, else the
    link that claims the page's URL namespace."""
    under = [item for item in items if path.startswith(urls[item.url_name])]
    if under:
        return max(under, key=lambda item: len(urls[item.url_name]))
    return next((item for item in items if item.section and item.section == namespace), None)


class Navigation:
    """The sidebar of one request, built when the template first reads it (an HTMX partial,
    which draws no sidebar, builds none)."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def groups(self) -> list[ShownGroup]:
        user = getattr(self.request, "user", None)
        shown = items_for(user)
        items = [item for _, group_items in shown for item in group_items]
        urls = {item.url_name: reverse(item.url_name) for item in items}
        match = getattr(self.request, "resolver_match", None)
        current = current_item(items, urls, path=self.request.path, namespace=match.namespace if match else "")
        return [
            ShownGroup(
                group.label,
                [
                    Link(
                        item.label,
                        urls[item.url_name],
                        item is current,
                        _count(item, user),
                        item.hint,
                    )
                    for item in group_items
                ],
            )
            for group, group_items in shown
        ]

    def __iter__(self) -> Iterator[ShownGroup]:
        return iter(self.groups)


def _count(item: Item, user: Any) -> int:
    count = _counts.get(item.count) if item.count else None
    return count(user) if count is not None else 0
