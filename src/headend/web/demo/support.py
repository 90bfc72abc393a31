"""The demo's support desk: three queues, and cases a support agent meets on a Monday morning
(a business without service, a resident with slow evenings waiting on her answer, a billing
question from the credit union), each with its SLA clocks running from when it opened."""

from typing import Any

from headend.crm.models import Account
from headend.inventory.models import Service
from headend.support import cases
from headend.support.models import Queue

QUEUES = [
    ("Tier 1", "Every new case: first answer, triage", True),
    ("Network operations", "Outages, faults on the network, field visits", False),
    ("Billing", "Invoices, payments, credits", False),
]


def desk(users: dict[str, Any]) -> None:
    queues = {name: Queue.objects.get_or_create(name=name, defaults={"description": words, "is_default": default})[0]
              for name, words, default in QUEUES}  # fmt: skip
    agent = users["support"]
    seafood = Account.objects.get(name="Cobscook Bay Seafood LLC")
    plant = Service.objects.filter(account=seafood).exclude(status="disconnected").order_by("id").first()
    cases.case_open(
        account=seafood,
        service=plant,
        type="no_service",
        channel="phone",
        priority="p2",
        subject="Processing plant offline since 6 am",
        description="Plant manager called: no Internet at the plant, the ONT shows a red LOS light.",
        queue=queues["Network operations"],
        by=agent,
    )
    ada = Account.objects.get(name="Ada Lovelace")
    slow = cases.case_open(
        account=ada,
        service=Service.objects.filter(account=ada).exclude(status="disconnected").order_by("id").first(),
        contact=ada.contacts.order_by("id").first(),
        type="slow",
        channel="portal",
        subject="Slow in the evenings",
        description="Speed drops to about 40 Mbps every evening between 7 and 10 pm.",
    )
    cases.case_note_add(
        case=slow,
        kind="reply",
        body="Thank you, Ada. Could you run a speed test on a wired computer this evening and reply with the result?",
        by=agent,
    )
    cases.case_transition(case=slow, to="waiting", by=agent)
    credit_union = Account.objects.get(name="Quoddy Bay Credit Union")
    cases.case_open(
        account=credit_union,
        type="billing",
        channel="email",
        priority="p4",
        subject="Question about the installation charge",
        description="Why does our last invoice carry an installation charge for the branch?",
        queue=queues["Billing"],
    )
