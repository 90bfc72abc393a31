"""Reads for accounts, contacts, locations and opportunities."""

from typing import Any

from django.db import models

from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.core.permissions import is_staff_member
from headend.crm.models import Account, Contact, Location, Opportunity


def account_scope(*, user: Any) -> models.QuerySet[Account]:
    """The accounts `user` may see: every account for staff, none for anybody else."""
    if is_staff_member(user):
        return Account.objects.all()
    return Account.objects.none()


def account_search_filter(query: str) -> models.Q:
    """Match by name, legal name, email, phone digits or account number (A-000042)."""
    query = query.strip()
    q = models.Q(name__icontains=query) | models.Q(legal_name__icontains=query) | models.Q(email__icontains=query)
    digits = "".join(ch for ch in query if ch.isdigit())
    if digits and len(digits) >= 3:
        q |= models.Q(phone__contains=digits)
    if digits and (query.upper().startswith("A-") or query.isdigit()):
        q |= models.Q(pk=int(digits))
    return q


def account_list(*, user: Any, query: str = "", kind: str = "", status: str = "") -> models.QuerySet[Account]:
    accounts = account_scope(user=user).select_related("parent")
    if query:
        accounts = accounts.filter(account_search_filter(query))
    if kind:
        accounts = accounts.filter(kind=kind)
    if status:
        accounts = accounts.filter(status=status)
    return accounts.order_by("name", "id")


def account_get_for(*, user: Any, account_id: Any) -> Account:
    """The account if `user` may see it; NotFound otherwise, so foreign ids reveal nothing."""
    account = account_scope(user=user).select_related("parent", "owner").filter(pk=parse_id(account_id)).first()
    if account is None:
        raise NotFound("No such account.", field="id")
    return account


def location_get_for(*, user: Any, location_id: Any) -> Location:
    location = (
        Location.objects.filter(pk=parse_id(location_id), account__in=account_scope(user=user))
        .select_related("account")
        .first()
    )
    if location is None:
        raise NotFound("No such location.", field="id")
    return location


def location_list(*, user: Any, account_id: Any = None, query: str = "") -> models.QuerySet[Location]:
    locations = Location.objects.filter(account__in=account_scope(user=user)).select_related("account")
    if account_id not in (None, ""):
        locations = locations.filter(account_id=parse_id(account_id))
    if query:
        locations = locations.filter(
            models.Q(line1__icontains=query)
            | models.Q(city__icontains=query)
            | models.Q(name__icontains=query)
            | models.Q(postal_code__startswith=query)
        )
    return locations.order_by("account__name", "name", "line1", "id")


def opportunity_get_for(*, user: Any, opportunity_id: Any) -> Opportunity:
    opportunity = (
        Opportunity.objects.filter(pk=parse_id(opportunity_id), account__in=account_scope(user=user))
        .select_related("account", "owner")
        .first()
    )
    if opportunity is None:
        raise NotFound("No such opportunity.", field="id")
    return opportunity


def opportunity_list(
    *, user: Any, query: str = "", stage: str = "", open_only: bool = False
) -> models.QuerySet[Opportunity]:
    opportunities = Opportunity.objects.filter(account__in=account_scope(user=user)).select_related("account", "owner")
    if query:
        opportunities = opportunities.filter(models.Q(name__icontains=query) | models.Q(account__name__icontains=query))
    if stage:
        opportunities = opportunities.filter(stage=stage)
    if open_only:
        opportunities = opportunities.filter(stage__in=Opportunity.OPEN_STAGES)
    return opportunities.order_by("close_date", "id")


def contact_get_for(*, user: Any, contact_id: Any) -> Contact:
    contact = (
        Contact.objects.filter(pk=parse_id(contact_id), account__in=account_scope(user=user))
        .select_related("account")
        .first()
    )
    if contact is None:
        raise NotFound("No such contact.", field="id")
    return contact


def contact_known(*, account_id: int, email: str, phone: str) -> bool:
    """Whether the account already has a contact with this email or phone."""
    q = models.Q(pk__in=[])
    if email:
        q |= models.Q(email__iexact=email)
    if phone:
        q |= models.Q(phone=phone)
    return Contact.objects.filter(q, account_id=account_id).exists()


def contacts_known(*, account_id: int) -> tuple[set[str], set[str]]:
    """`contact_known` for many people at once: the account's contacts' emails (lower case)
    and phones, read in one query."""
    emails, phones = set(), set()
    for email, phone in Contact.objects.filter(account_id=account_id).values_list("email", "phone"):
        if email:
            emails.add(email.lower())
        if phone:
            phones.add(phone)
    return emails, phones
