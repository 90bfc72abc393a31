"""The demo provider's payments and collections: a dunning policy for business and for residential
customers; the credit union paying its invoices (a cheque for the first, a bank transfer for the
other two that overpays, leaving a credit for the next); the marine supply store 60 days late on
$1,240.00 carried over from the previous billing system, so the approval rules on its quote read
real invoices; the clinic late on its make-ready charges with a promise to pay; and today's
dunning pass, so the queue shows the steps taken."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User

from headend.billing import invoices, invoicing
from headend.billing.models import BillingAccount, ChargeKind, Invoice
from headend.core import clock
from headend.crm.models import Account
from headend.payments import dunning
from headend.payments import payments as payment_cases
from headend.web.demo.billing import CREDIT_UNION, _at, bill_dates
from headend.web.demo.customers import BUSINESSES

# customer type: the policy's fields (dunning.policy_update)
POLICIES = {
    "business": {
        "grace_days": 15, "minimum_overdue_amount": "25.00", "reminder_days": [5, 15, 30], "late_fee_amount": "25.00",
        "late_fee_percent": "1.5", "suspend_after_days": 45, "waive_late_fee_on_payment": False,
    },
    "residential": {
        "grace_days": 10, "minimum_overdue_amount": "5.00", "reminder_days": [1, 7, 14], "late_fee_amount": "10.00",
        "late_fee_percent": "0", "suspend_after_days": 30, "waive_late_fee_on_payment": True,
    },
}  # fmt: skip
MARINE = BUSINESSES[2][0]
MARINE_BALANCE = ("Balance carried over from the previous billing system", Decimal("1240.00"), 60)
CLINIC = BUSINESSES[1][0]
AHEAD = Decimal("200.00")  # what the credit union's transfer pays beyond what it owes
# Under the approval rules' limits ($500 overdue, 45 days): the clinic's change quotes need no finance.
CLINIC_MAKE_READY = ("Make-ready: pole attachment and conduit for the clinic's fiber drop", Decimal("420.00"), 25)


def collections(users: dict[str, User]) -> None:
    """Policies, the credit union's payments, two customers past due (one promising to pay) and
    today's dunning pass."""
    billing = users["billing"]
    for customer_type, fields in POLICIES.items():
        dunning.policy_update(policy=dunning.policy_for(customer_type), updated_by=billing, **fields)
    credit_union_pays(billing)
    _past_due(MARINE, *MARINE_BALANCE, billing=billing)
    clinic = _past_due(CLINIC, *CLINIC_MAKE_READY, billing=billing)
    dunning.promise_create(
        billing_account=clinic,
        until=clock.today() + dt.timedelta(days=10),
        amount=CLINIC_MAKE_READY[1],
        note="The clinic's board approves the payment at its next meeting.",
        created_by=users["support"],
    )
    dunning.run(clock.today())


def credit_union_pays(billing: User) -> None:
    """A cheque two days before the first invoice was due; a bank transfer two days after the
    last bill date for the two invoices since and $200.00 ahead: that is credit the next invoice
    uses."""
    head_office = BillingAccount.objects.get(account__name=CREDIT_UNION[0], parent=None)
    first, *rest = Invoice.objects.filter(billing_account=head_office, kind=Invoice.Kind.INVOICE).order_by("bill_date")
    cheque_day = first.due_date - dt.timedelta(days=2)
    with clock.frozen(_at(cheque_day, 11)):
        payment_cases.payment_record(
            billing_account=head_office, amount=first.amount_due, means="cheque", reference="20417",
            received_on=cheque_day, invoices=[first.pk], recorded_by=billing,
        )  # fmt: skip
    transfer_day = min(bill_dates(clock.today())[-1] + dt.timedelta(days=2), clock.today())
    owed = sum((invoice.amount_due for invoice in rest), Decimal(0))
    with clock.frozen(min(_at(transfer_day, 14), clock.now())):
        payment_cases.payment_record(
            billing_account=head_office, amount=owed + AHEAD, means="bank_transfer",
            reference=f"QBCU transfer {transfer_day:%Y%m%d}", received_on=transfer_day,
            invoices=[invoice.pk for invoice in rest], recorded_by=billing,
        )  # fmt: skip


def _past_due(name: str, description: str, amount: Decimal, days: int, *, billing: User) -> BillingAccount:
    """An invoice of one charge for the customer, billed so that it is `days` past due today."""
    payer = BillingAccount.objects.get(account=Account.objects.get(name=name), is_default=True).payer
    bill_date = clock.today() - dt.timedelta(days=days + payer.payment_terms_days)
    with clock.frozen(_at(bill_date, 9)):
        invoices.charge_add(
            billing_account=payer, created_by=billing, description=description, amount=amount, kind=ChargeKind.CHARGE
        )
        draft = invoicing.draft_for(payer, bill_date, invoicing.Book([payer], up_to=bill_date))
        invoicing.write([draft], run_key=False)
    return payer
