"""What billing shows on the pages of the apps below it (core/panels.py): the customer account
page's Billing section, for the roles that may read billing."""

from typing import Any

from django.http import HttpRequest

from headend.billing import views
from headend.billing.models import BillingAccount, Invoice
from headend.billing.standing import payment_standing
from headend.core import clock, panels
from headend.core.permissions import may
from headend.crm.models import Account


@panels.register("account.sections", template="billing/panels/account_billing.html", order=15)
def account_billing(request: HttpRequest, account: Account) -> dict[str, Any] | None:
    """The account's billing accounts, what they owe, their last invoices and, for each one that
    pays for itself, its next invoice as it stands today (the upcoming charges)."""
    if not may(request.user, "billing.read"):
        return None
    billing_accounts = list(BillingAccount.objects.filter(account=account).select_related("parent", "contact"))
    invoices = list(
        Invoice.objects.filter(billing_account__in=billing_accounts)
        .select_related("billing_account")
        .order_by("-bill_date", "-id")[:10]
    )
    today = clock.today()
    return {
        "account": account,
        "billing_accounts": [
            {"billing_account": billing_account, "preview": views.preview(billing_account)}
            for billing_account in billing_accounts
        ],
        "balance": views.balance(billing_accounts),
        "standing": payment_standing(account_ids=[account.pk], today=today)[account.pk],
        "currency": billing_accounts[0].currency if billing_accounts else None,
        "invoices": [{"invoice": invoice, "overdue": views.is_overdue(invoice, today=today)} for invoice in invoices],
        "can_manage": may(request.user, "billing.manage"),
    }
