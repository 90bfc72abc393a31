"""Staff roles are Django groups; PERMISSIONS says which roles may run each use case, and views,
API routes, use cases and templates all ask it (may, require, permission_required, Can)."""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponseBase

from headend.core.errors import Forbidden
from headend.core.prepared import Prepared


class Role(models.TextChoices):
    SALES = "sales", "Sales"
    SALES_MANAGER = "sales_manager", "Sales manager"
    PROVISIONING = "provisioning", "Provisioning"
    SUPPORT = "support", "Support"
    BILLING = "billing", "Billing"
    FINANCE = "finance", "Finance"
    DIRECTOR = "director", "Director"
    ADMIN = "admin", "Admin"
    # Owns the catalog: products, versions, prices, promotions, their rollout (issue 17).
    PRODUCT_MANAGER = "product_manager", "Product manager"
    # A program's account (an API token), not a person's: registers webhook listeners.
    INTEGRATION = "integration", "Integration"


# Who may do what, by capability; admin may do everything.
SELL = (Role.SALES, Role.SALES_MANAGER)
MANAGE_CUSTOMERS = (Role.SALES, Role.SALES_MANAGER, Role.SUPPORT, Role.BILLING)
FULFIL = (Role.PROVISIONING,)
MANAGE_CATALOG: tuple[Role, ...] = (Role.PRODUCT_MANAGER,)
# Work-order templates (and so what code tasks send and receive, shown in their attempt log).
EDIT_TEMPLATES = (*MANAGE_CATALOG, Role.PROVISIONING)
REGISTER_LISTENERS = (Role.INTEGRATION,)
SERVICE_ACTIONS = (Role.PROVISIONING, Role.SUPPORT, Role.BILLING)
BILL = (Role.BILLING,)

# In a rule: the role the record itself names (a task's role, an approval's approver role).
NAMED = "named"
# In a rule: every staff member (each acts only on what is theirs; others' records are 404).
EVERYONE = tuple(Role)

# The one answer to "may this user run this use case?", for the staff pages and the API alike:
# views check it with @permission_required or require(), API routes and use cases with
# require(), templates with `can.<app>.<verb>` or `{% may "..." %}`. Admin may run everything.
# tests/core/test_permission_matrix.py asks every mutating page and API route for every role.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    # A new customer (New account; POST /customer). Sales open accounts: the page let support
    # and billing too while the API did not; the API's answer stands.
    "account.create": SELL,
    # An account's details, contacts and sites (PATCH /customer, /geographicSite).
    "account.edit": MANAGE_CUSTOMERS,
    # A new service address (Add location; POST /geographicSite): sales, as the API had it
    # (the page let support and billing too).
    "site.create": SELL,
    "opportunity.edit": SELL,
    # Create a quote, its lines, discounts, sites file, transitions and revisions (PATCH /quote).
    "quote.edit": SELL,
    # Decide an approval: whoever holds the approval's approver role (maker-checker aside).
    "quote.approve": (NAMED,),
    "quote.send": SELL,  # the e-signature link
    # Let a quote be presented without the site survey its near-net or unplaced site needs.
    "survey.waive": (Role.SALES_MANAGER, Role.DIRECTOR),
    "qualification.create": SELL,  # POST /productOfferingQualification
    "order.place": SELL,
    # Asked for by the customer (sales) or forced by the field when a site cannot be served.
    "order.cancel": (*SELL, *FULFIL),
    # Suspend, restore or disconnect a live service: the service page, the service board and
    # PATCH /service. The board left out billing, which the page and the API let suspend (for
    # non-payment); billing may, everywhere.
    "service.action": SERVICE_ACTIONS,
    # Start, complete, block, assign, book, retry or skip a task: provisioning works every task,
    # and a task given to another role (a sales manager's approval) is theirs too. The API let
    # only provisioning; it now honours the task's role as the pages did.
    "task.work": (*FULFIL, NAMED),
    "work_order.move": FULFIL,  # the work-order board
    "template.edit": EDIT_TEMPLATES,
    # Products, versions, prices and promotions: the catalog pages' new version, copy, publish,
    # and TMF620 POST/PATCH of productSpecification, productOffering, productOfferingPrice.
    "catalog.manage": MANAGE_CATALOG,
    # The network team's: coverage files and staff areas; IP pools (their pages too).
    "coverage.manage": (Role.PROVISIONING,),
    "pool.manage": (Role.PROVISIONING,),
    "hub.register": REGISTER_LISTENERS,  # POST .../hub
    "hub.unregister": EVERYONE,  # DELETE .../hub/{id}: one's own listeners
    "webhook.manage": (),  # redeliver, delete a listener (Settings → Webhooks): admins
    "token.manage": EVERYONE,  # one's own API tokens
    # Billing: billing staff run it; sales, support, finance and directors read it.
    "billing.read": (Role.BILLING, Role.FINANCE, Role.SALES, Role.SALES_MANAGER, Role.SUPPORT, Role.DIRECTOR),
    # Billing accounts, one-time charges and credits, price revisions, invoices (finalise,
    # send, credit notes, void).
    "billing.manage": BILL,
    "billing.run": BILL,  # bill runs
    # Voice usage: upload rate decks, import call records, re-rate the unrated calls.
    "rating.manage": BILL,
    "tax.manage": (Role.BILLING, Role.FINANCE),  # the tax table
    "ledger.export": (Role.FINANCE, Role.BILLING),
    # Payments: money moves only by billing staff (take a payment, refund, reverse, write off).
    "payment.take": BILL,
    "payment.write_off": BILL,
    "payment_method.manage": BILL,  # store a card or bank account, autopay on or off
    "dunning.promise": (Role.BILLING, Role.SUPPORT),  # a promise to pay holds dunning
    "dunning.manage": (Role.BILLING, Role.FINANCE),  # the dunning policies
    # Support (issue 16): anyone who talks to customers opens a case; support works them, and
    # billing and provisioning work the cases queued to them.
    "case.create": (Role.SUPPORT, Role.SALES, Role.SALES_MANAGER, Role.BILLING, Role.PROVISIONING),
    "case.work": (Role.SUPPORT, Role.BILLING, Role.PROVISIONING),
    "sla_policy.manage": (),  # SLA targets and queues: admins
    # The network team's topology: elements, the CSV import, which elements a service rides on.
    "topology.manage": (Role.PROVISIONING,),
    # Open or close an outage by hand, schedule or cancel a maintenance window.
    "outage.manage": (Role.PROVISIONING, Role.SUPPORT),
    # TMF642 alarms from monitoring systems (an integration's token) or the network team.
    "alarm.manage": (Role.PROVISIONING, Role.INTEGRATION),
    # SLA credits proposed after an outage: billing and finance approve or reject them.
    "sla_credit.decide": (Role.BILLING, Role.FINANCE),
    # Commissions (issue 20): finance keeps the plans and accrues the months; a sales manager or
    # finance says who is credited for an opportunity (splits); a rep reads their own statements,
    # sales managers, finance and directors every rep's (decided in commissions/selectors.py).
    "commission.manage": (Role.FINANCE,),
    "commission.split": (Role.SALES_MANAGER, Role.FINANCE),
    "commission.view": (*SELL, Role.FINANCE, Role.DIRECTOR),
    "commission.view_all": (Role.SALES_MANAGER, Role.FINANCE, Role.DIRECTOR),
}

# The roles work is given to (template and work-order tasks, quote approvals): people's roles
# that work orders and quotes (the product manager owns the catalog, not its orders' work).
WORK_ROLES = [role for role in Role if role not in (Role.INTEGRATION, Role.PRODUCT_MANAGER)]
WORK_ROLE_CHOICES = [(role.value, role.label) for role in WORK_ROLES]


ROLE_ROWS = Prepared()  # every page and API call reads its user's roles: compiled once (core/prepared.py)
ROLE_NAMES = frozenset(Role.values)


def user_roles(user: Any) -> frozenset[str]:
    """The user's role names (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_headend_roles", None)
    if cached is None:
        held = ROLE_ROWS.rows(
            "roles", lambda: user.groups.filter(name__in=Role.values).values_list("name"), [user.pk, *Role.values]
        )
        cached = roles_read(user, [name for (name,) in held])
    return cached


def roles_read(user: Any, group_names: Iterable[str | None]) -> frozenset[str]:
    """The roles of `user`, an active user whose groups' names are `group_names` (read with the
    user, as the API's token is: no statement of their own), kept for the request as user_roles
    keeps them; names that are no role (and None, a user of no group read through a join) are left out."""
    held = ROLE_NAMES.intersection(group_names)
    if user.is_superuser:
        held = held | {Role.ADMIN.value}
    user._headend_roles = held
    return held


def is_staff_member(user: Any) -> bool:
    return bool(user_roles(user))


def has_role(user: Any, *roles: str) -> bool:
    held = user_roles(user)
    return Role.ADMIN in held or any(role in held for role in roles)


def staff_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """View decorator: logged in and a staff member (what each role may do is PERMISSIONS')."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_staff_member(request.user):
            raise PermissionDenied("Staff only.")
        return view(request, *args, **kwargs)

    return wrapped


def may(user: Any, use_case: str, *, named: str = "") -> bool:
    """Whether `user` may run `use_case` (a key of PERMISSIONS); `named` is the role the record
    names, for rules that hold NAMED. An unknown use case is a KeyError: a typo, not a refusal."""
    rule = PERMISSIONS[use_case]
    held = user_roles(user)
    if not held:
        return False
    if Role.ADMIN in held or any(role in held for role in rule if role != NAMED):
        return True
    return NAMED in rule and bool(named) and named in held


def require(user: Any, use_case: str, *, named: str = "") -> None:
    """Raise Forbidden (code role_required) unless `user` may run `use_case`."""
    if may(user, use_case, named=named):
        return
    rule = PERMISSIONS[use_case]
    wanted = [Role(role).label for role in rule if role != NAMED and role != Role.ADMIN]
    if NAMED in rule:
        wanted.append(Role(named).label if named in Role.values else "the role it is given to")
    if set(rule) >= set(EVERYONE):
        wanted = ["a staff role"]
    raise Forbidden(f"This needs one of these roles: {', '.join(wanted) or 'Admin'}.", code="role_required")


def permission_required(use_case: str) -> Callable:
    """View decorator: a staff member allowed `use_case` by PERMISSIONS. A rule that holds NAMED
    is decided on the record, by the view's own require(...)."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        @staff_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if NAMED not in PERMISSIONS[use_case] and not may(request.user, use_case):
                raise PermissionDenied("Your role may not do this.")
            return view(request, *args, **kwargs)

        wrapped.use_case = use_case  # type: ignore[attr-defined]
        return wrapped

    return decorate


class Can:
    """`can.quote.edit` in templates: may the user run "quote.edit"?"""

    def __init__(self, user: Any, prefix: str = ""):
        self._user, self._prefix = user, prefix

    def __getitem__(self, name: str) -> "Can | bool":
        use_case = f"{self._prefix}.{name}" if self._prefix else name
        if use_case in PERMISSIONS:
            return may(self._user, use_case)
        if any(key.startswith(f"{use_case}.") for key in PERMISSIONS):
            return Can(self._user, use_case)
        raise KeyError(use_case)
