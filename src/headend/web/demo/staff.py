"""The demo provider's people and policy: staff logins and their roles, the technicians with
their skills, regions and hours, the holidays, and the quote approval rules."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction

from headend.fulfillment.models import Holiday, Skill, Technician
from headend.quoting.models import ApprovalRule

DEMO_PASSWORD = "headend-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]
    superuser: bool = False


USERS = [
    DemoUser("admin", "Avery", "Admin", ("admin",), superuser=True),
    DemoUser("sales", "Sam", "Seller", ("sales",)),
    DemoUser("manager", "Morgan", "Manager", ("sales_manager",)),
    DemoUser("provisioning", "Pat", "Provisioner", ("provisioning",)),
    DemoUser("maria", "Maria", "Splicer", ("provisioning",)),
    DemoUser("tom", "Tom", "Installer", ("provisioning",)),
    DemoUser("support", "Sky", "Support", ("support",)),
    DemoUser("billing", "Blair", "Billing", ("billing",)),
    DemoUser("finance", "Frankie", "Finance", ("finance",)),
    DemoUser("director", "Dale", "Director", ("director",)),
    DemoUser("product", "Parker", "Product", ("product_manager",)),
    DemoUser("integration", "Ivy", "Integration", ("integration",)),
]

APPROVAL_RULES = [
    ("Discount above 15%", "discount_above", "15", "sales_manager"),
    ("Priced below the floor", "below_floor", "0", "sales_manager"),
    ("Contract value above $100,000", "contract_value_above", "100000", "director"),
    ("Customer more than 45 days past due", "days_past_due_above", "45", "finance"),
    ("Customer owes more than $500 overdue", "overdue_balance_above", "500", "finance"),
]

SKILLS = [("splicing", "Fiber splicing"), ("install", "Customer installation"), ("voice", "Voice porting")]
# Technicians: username -> (skills, region, working hours)
TECHNICIANS = {
    "provisioning": (["install", "voice"], "Machias", (dt.time(8), dt.time(17))),
    "maria": (["splicing", "install"], "Eastport", (dt.time(7), dt.time(16))),
    "tom": (["install"], "Calais", (dt.time(9), dt.time(18))),
}
# The provider's holidays (US federal, observed) for the next year of scheduling.
HOLIDAYS = [
    (dt.date(2026, 11, 26), "Thanksgiving"),
    (dt.date(2026, 12, 25), "Christmas Day"),
    (dt.date(2027, 1, 1), "New Year's Day"),
    (dt.date(2027, 1, 18), "Martin Luther King Jr. Day"),
    (dt.date(2027, 2, 15), "Presidents' Day"),
    (dt.date(2027, 5, 31), "Memorial Day"),
    (dt.date(2027, 6, 18), "Juneteenth (observed)"),
    (dt.date(2027, 7, 5), "Independence Day (observed)"),
    (dt.date(2027, 9, 6), "Labor Day"),
    (dt.date(2027, 11, 25), "Thanksgiving"),
]


def ensure_users() -> None:
    with transaction.atomic():
        users()


def users() -> dict[str, User]:
    users = {}
    for spec in USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User.objects.create_user(
                username=spec.username,
                password=DEMO_PASSWORD,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@headend-fiber.example",
                is_staff=spec.superuser,
                is_superuser=spec.superuser,
            )
        user.groups.add(*Group.objects.filter(name__in=spec.roles))
        users[spec.username] = user
    return users


def approval_rules() -> None:
    for name, kind, threshold, role in APPROVAL_RULES:
        ApprovalRule.objects.get_or_create(
            name=name, defaults={"kind": kind, "threshold": Decimal(threshold), "approver_role": role}
        )


def workforce(users: dict[str, User]) -> None:
    for code, name in SKILLS:
        Skill.objects.get_or_create(code=code, defaults={"name": name})
    for username, (skills, region, (start, end)) in TECHNICIANS.items():
        technician, _ = Technician.objects.get_or_create(
            user=users[username], defaults={"region": region, "day_start": start, "day_end": end}
        )
        technician.skills.set(Skill.objects.filter(code__in=skills))
    for day, name in HOLIDAYS:
        Holiday.objects.get_or_create(date=day, defaults={"name": name})


# The early-termination fee the standard terms (section 8) promise: the monthly charge times the
