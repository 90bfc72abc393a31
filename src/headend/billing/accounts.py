"""Billing accounts: who pays for a customer's services, how often and how (TMF666 billingAccount).

A customer account has one or more billing accounts; exactly one is its default, where new
services bill (the first one opened, or the one the system opens when a service turns up and
there is none). A billing account may be paid by a parent billing account of the same customer
(one level only: a parent has no parent), whose invoice then carries its charges."""

import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from headend.billing.models import BillingAccount, Cycle, Delivery, Invoice, InvoiceLine, LineKind
from headend.catalog.models import Proration
from headend.core import clock, events
from headend.core.errors import ValidationError
from headend.core.permissions import require
from headend.crm.models import Account, Contact

# What billing_account_update may change (status aside: closing an account is its own use case).
FIELDS = (
    "name",
    "currency",
    "cycle",
    "bill_day",
    "payment_terms_days",
    "delivery",
    "tax_exempt",
    "tax_exempt_certificate",
    "parent",
    "contact",
    "proration",
)
CURRENCY = re.compile(r"[A-Z]{3}")
NAME_LENGTH = BillingAccount._meta.get_field("name").max_length or 200
CERTIFICATE_LENGTH = BillingAccount._meta.get_field("tax_exempt_certificate").max_length or 60


def _whole(value: Any, *, field: str, low: int, high: int, message: str, code: str) -> int:
    """An int from low to high (a bool or anything else is refused with `message`)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(message, field=field, code=code)
    return value


def _checked(*, account: Account, values: dict[str, Any], billing_account: BillingAccount | None) -> dict[str, Any]:
    """The billing account's fields from `values` (all of FIELDS), checked; ValidationError names
    the field at fault. `billing_account` is the one being changed (None: a new one)."""
    clean: dict[str, Any] = {}
    name = (values["name"] or "").strip()
    if len(name) > NAME_LENGTH:
        raise ValidationError(f"A name has at most {NAME_LENGTH} characters.", field="name", code="too_long")
    clean["name"] = name or account.name

    currency = values["currency"]
    currency = currency.strip().upper() if isinstance(currency, str) else ""
    if not CURRENCY.fullmatch(currency):
        raise ValidationError(
            "A currency is a three-letter ISO 4217 code, such as USD.", field="currency", code="invalid_currency"
        )
    clean["currency"] = currency

    if values["cycle"] not in Cycle.values:
        raise ValidationError(
            f"The bill cycle is one of: {', '.join(Cycle.values)}.", field="cycle", code="invalid_choice"
        )
    clean["cycle"] = values["cycle"]
    clean["bill_day"] = _whole(
        values["bill_day"],
        field="bill_day",
        low=1,
        high=28,
        message="The bill day is a day of the month from 1 to 28.",
        code="invalid_bill_day",
    )
    clean["payment_terms_days"] = _whole(
        values["payment_terms_days"],
        field="payment_terms_days",
        low=0,
        high=120,
        message="Payment terms are 0 to 120 days after the bill date.",
        code="invalid_payment_terms",
    )
    if values["delivery"] not in Delivery.values:
        raise ValidationError(
            f"Invoices are delivered by one of: {', '.join(Delivery.values)}.", field="delivery", code="invalid_choice"
        )
    clean["delivery"] = values["delivery"]
    if values["proration"] not in ("", *Proration.values):
        raise ValidationError(
            f"Proration is one of: {', '.join(Proration.values)}, or empty for each product's own.",
            field="proration",
            code="invalid_choice",
        )
    clean["proration"] = values["proration"]

    clean["tax_exempt"] = bool(values["tax_exempt"])
    certificate = (values["tax_exempt_certificate"] or "").strip()
    if len(certificate) > CERTIFICATE_LENGTH:
        raise ValidationError(
            f"A certificate number has at most {CERTIFICATE_LENGTH} characters.",
            field="tax_exempt_certificate",
            code="too_long",
        )
    if clean["tax_exempt"] and not certificate:
        raise ValidationError(
            "A tax-exempt account needs the number of its exemption certificate.",
            field="tax_exempt_certificate",
            code="certificate_required",
        )
    clean["tax_exempt_certificate"] = certificate if clean["tax_exempt"] else ""

    clean["parent"] = _checked_parent(account=account, parent=values["parent"], billing_account=billing_account)
    if clean["parent"] is not None and clean["parent"].currency != currency:
        raise ValidationError(
            f"The parent bills in {clean['parent'].currency}; a child account bills in the same currency.",
            field="parent",
            code="currency_mismatch",
        )
    contact = values["contact"]
    if contact is not None and contact.account_id != account.pk:
        raise ValidationError(
            "The billing contact must be a contact of the same customer.", field="contact", code="foreign_contact"
        )
    clean["contact"] = contact
    return clean


def _checked_parent(
    *, account: Account, parent: BillingAccount | None, billing_account: BillingAccount | None
) -> BillingAccount | None:
    """A parent pays for its children: same customer, open, itself without a parent, and never
    the account itself or one of its children (one level only, so no cycle)."""
    if parent is None:
        return None
    parent = BillingAccount.objects.get(pk=parent.pk)  # as it is now, not as the caller loaded it
    if parent.account_id != account.pk:
        raise ValidationError(
            "A parent billing account must belong to the same customer.", field="parent", code="foreign_parent"
        )
    if billing_account is not None and parent.pk == billing_account.pk:
        raise ValidationError("A billing account cannot pay for itself.", field="parent", code="parent_cycle")
    if parent.parent_id is not None:
        raise ValidationError(
            "The parent is itself paid by another billing account; name that one (one level only).",
            field="parent",
            code="nested_parent",
        )
    if parent.status != BillingAccount.Status.ACTIVE:
        raise ValidationError("The parent billing account is closed.", field="parent", code="parent_closed")
    if billing_account is not None and billing_account.children.exists():
        raise ValidationError(
            "This billing account pays for others, so it cannot be paid by another (one level only).",
            field="parent",
            code="nested_parent",
        )
    return parent


def _default_of(account: Account) -> BillingAccount | None:
    return BillingAccount.objects.filter(account=account, is_default=True).first()


def _save(billing_account: BillingAccount, *, by: Any) -> None:
    # The database backs the constraints (one default per customer): a race is an IntegrityError.
    billing_account.full_clean(exclude=["account", "parent", "contact"], validate_constraints=False)
    if by is not None:
        billing_account._history_user = by  # type: ignore[attr-defined]  # who acted, in the history row
    billing_account.save()


@transaction.atomic
def billing_account_create(
    *,
    account: Account,
    created_by: Any,
    name: str = "",
    currency: str | None = None,
    cycle: str = Cycle.CALENDAR,
    bill_day: int = 1,
    payment_terms_days: int = 15,
    delivery: str = Delivery.EMAIL,
    tax_exempt: bool = False,
    tax_exempt_certificate: str = "",
    parent: BillingAccount | None = None,
    contact: Contact | None = None,
    proration: str = "",
    is_default: bool | None = None,
) -> BillingAccount:
    """Open a billing account for a customer; `name` defaults to the customer's name, `currency`
    to the provider's. The customer's first billing account is its default whatever is asked;
    `is_default=True` makes a later one the default in place of the present one."""
    require(created_by, "billing.manage")
    account = Account.objects.select_for_update().get(pk=account.pk)  # one default per customer at a time
    values = {
        "name": name,
        "currency": settings.HEADEND_CURRENCY if currency is None else currency,
        "cycle": cycle,
        "bill_day": bill_day,
        "payment_terms_days": payment_terms_days,
        "delivery": delivery,
        "tax_exempt": tax_exempt,
        "tax_exempt_certificate": tax_exempt_certificate,
        "parent": parent,
        "contact": contact,
        "proration": proration,
    }
    clean = _checked(account=account, values=values, billing_account=None)
    present = _default_of(account)
    make_default = present is None or bool(is_default)
    if make_default and present is not None:
        BillingAccount.objects.filter(pk=present.pk).update(is_default=False)
    billing_account = BillingAccount(account=account, is_default=make_default, created_at=clock.now(), **clean)
    _save(billing_account, by=created_by)
    events.emit("billing_account.created", subject=billing_account, data={"account_id": account.pk})
    return billing_account


@transaction.atomic
def billing_account_update(*, billing_account: BillingAccount, updated_by: Any, **fields: Any) -> BillingAccount:
    """Change a billing account: what `fields` gives (any of FIELDS, and `is_default=True` to make
    it the customer's default) replaces what it had, checked as on create. A change to nothing
    writes nothing; otherwise the event names the fields that changed."""
    require(updated_by, "billing.manage")
    unknown = set(fields) - {*FIELDS, "is_default"}
    if unknown:
        raise TypeError(f"billing_account_update() got unexpected fields: {', '.join(sorted(unknown))}")
    billing_account = BillingAccount.objects.select_related("account").select_for_update().get(pk=billing_account.pk)
    current = {key: getattr(billing_account, key) for key in FIELDS}
    given = {key: value for key, value in fields.items() if key != "is_default"}
    clean = _checked(account=billing_account.account, values={**current, **given}, billing_account=billing_account)
    if clean["currency"] != current["currency"]:
        if billing_account.invoices.exists():
            raise ValidationError(
                "The account has invoices in its currency; open a new billing account instead.",
                field="currency",
                code="currency_locked",
            )
        if billing_account.children.exclude(currency=clean["currency"]).exists():
            raise ValidationError(
                "The accounts this one pays for bill in its present currency.",
                field="currency",
                code="currency_mismatch",
            )
    changed = sorted(key for key, value in clean.items() if current[key] != value)
    for key in ("bill_day", "parent"):
        if key in changed and _has_billed(billing_account):
            # What was billed is kept per bill cycle: a new cycle would bill some days twice.
            raise ValidationError(
                "Services of this account have been invoiced on its present cycle: open a new billing account "
                "for the new one.",
                field=key,
                code="already_billed",
            )
    is_default = fields.get("is_default")
    if is_default is not None and not is_default and billing_account.is_default:
        raise ValidationError(
            "A customer always has a default billing account: make another one the default instead.",
            field="is_default",
            code="default_required",
        )
    if is_default and not billing_account.is_default:
        BillingAccount.objects.filter(account=billing_account.account, is_default=True).update(is_default=False)
        billing_account.is_default = True
        changed.append("is_default")
    if not changed:
        return billing_account
    for key in changed:
        if key in clean:
            setattr(billing_account, key, clean[key])
    _save(billing_account, by=updated_by)
    events.emit("billing_account.updated", subject=billing_account, data={"fields": changed})
    return billing_account


def _has_billed(billing_account: BillingAccount) -> bool:
    return (
        InvoiceLine.objects.filter(subscription__billing_account=billing_account, kind=LineKind.RECURRING)
        .exclude(invoice__status=Invoice.Status.VOID)
        .exists()
    )


def default_billing_account(*, account: Account) -> BillingAccount:
    """The customer's default billing account, opened when it has none (the system's call when a
    service turns up; no permission is asked): calendar cycle on settings.HEADEND_BILLING_BILL_DAY
    (default 1), net 15 days, the provider's currency, invoices by email, no contact.

    Safe when two callers race: the second one's insert breaks the one-default constraint, is
    rolled back to its savepoint, and the row the first one wrote is returned."""
    found = _default_of(account)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            values = {
                "name": "",
                "currency": settings.HEADEND_CURRENCY,
                "cycle": Cycle.CALENDAR,
                "bill_day": getattr(settings, "HEADEND_BILLING_BILL_DAY", 1),
                "payment_terms_days": 15,
                "delivery": Delivery.EMAIL,
                "tax_exempt": False,
                "tax_exempt_certificate": "",
                "parent": None,
                "contact": None,
                "proration": "",
            }
            clean = _checked(account=account, values=values, billing_account=None)
            billing_account = BillingAccount(account=account, is_default=True, created_at=clock.now(), **clean)
            _save(billing_account, by=None)
            events.emit(
                "billing_account.created", subject=billing_account, data={"account_id": account.pk, "automatic": True}
            )
            return billing_account
    except IntegrityError:
        found = _default_of(account)
        if found is None:
            raise
        return found
