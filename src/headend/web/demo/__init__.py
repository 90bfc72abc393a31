"""The demo provider: Headend Fiber, a fiber ISP in Washington County, Maine.

`manage.py load_demo` builds it through the use cases, so the demo obeys every rule the
product does. Running it again creates nothing twice.

The demo is built by job: `staff` (logins, technicians, approval rules), `network` (coverage,
IP pools, the BNG), `tasks` and `catalog` (the products and their work), `customers` (accounts,
quotes and orders), `billing` (how products bill, Maine's taxes, billing accounts, and a
customer with three months of invoices), `payments` (dunning policies, the credit union's
payments, two customers past due, one with a promise to pay, and today's dunning pass)."""

from django.db import transaction

from headend.core import events
from headend.crm.models import Account
from headend.provisioning import radius
from headend.web.demo import (
    billing,
    catalog,
    commissions,
    customers,
    network,
    payments,
    portal,
    staff,
    support,
    topology,
)
from headend.web.demo.customers import BUSINESSES
from headend.web.demo.staff import DEMO_PASSWORD, USERS, ensure_users
from headend.web.demo.tasks import RADIUS_RESTORE, RADIUS_SPEED_CHANGE, RADIUS_SUSPEND, ZERO_TOUCH_INSTALL

__all__ = [
    "DEMO_PASSWORD",
    "RADIUS_RESTORE",
    "RADIUS_SPEED_CHANGE",
    "RADIUS_SUSPEND",
    "USERS",
    "ZERO_TOUCH_INSTALL",
    "ensure_users",
    "load",
]


def load(*, stdout=None) -> bool:
    """Load the demo provider; False (and no change) when it is already there."""
    if Account.objects.filter(name=BUSINESSES[0][0]).exists():
        return False
    radius.schema_create()  # FreeRADIUS's tables, in their own database, for the code tasks
    with transaction.atomic():
        users = staff.users()
        staff.workforce(users)
        network.coverage()
        staff.approval_rules()
        network.pools_and_nas()
        versions = catalog.products()
        catalog.construction()  # the build to a site near the network, after its survey
        billing.products(versions)
        billing.tax_table(users["billing"])
        billing.history(users, versions)
        commissions.plans_in_force(users)  # before the orders, which earn under them
        customers.accounts_and_orders(users, versions)
        billing.accounts(users)
        payments.collections(users)
        portal.logins(DEMO_PASSWORD)
        topology.topology_and_bindings()  # the network's elements, and what the live services ride on
        support.desk(users)
    # The worker would relay the outbox and run code tasks; the demo runs them now so the
    # demo's services are in the state the text promises.
    events.relay()
    customers.run_ready_code_tasks()
    events.relay()
    billing.recognise_to_date()
    return True
