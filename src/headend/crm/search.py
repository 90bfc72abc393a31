"""What the staff search finds in the CRM (core/search.py): accounts by name, number, email or
phone; contacts by name, email or phone; locations by address."""

from typing import Any

from django.db import models

from headend.core import search
from headend.core.phones import display_phone
from headend.crm.models import Account, Contact, Location
from headend.crm.selectors import account_scope


def _words(query: str) -> list[str]:
    return query.split()[:6]  # "12 water st eastport": every word must match somewhere


def _account_hit(account: Account) -> search.Hit:
    return search.Hit(account.name, account.get_absolute_url(), f"{account.number} · {account.get_kind_display()}")


@search.register("accounts", label="Accounts", show=_account_hit, order=10)
def find_accounts(user: Any, query: str) -> models.QuerySet[Account]:
    q = models.Q(name__icontains=query) | models.Q(legal_name__icontains=query) | models.Q(email__icontains=query)
    digits = search.digits_of(query)
    if len(digits) >= 3:
        q |= models.Q(phone__contains=digits)
    account_id = search.number_id(query, "A")
    if account_id is not None:
        q |= models.Q(pk=account_id)
    return account_scope(user=user).filter(q).order_by("name", "id")


def _contact_hit(contact: Contact) -> search.Hit:
    reach = " · ".join(part for part in (contact.email, display_phone(contact.phone)) if part)
    return search.Hit(str(contact), contact.account.get_absolute_url(), f"{contact.account.name} · {reach}".strip(" ·"))


@search.register("contacts", label="Contacts", show=_contact_hit, order=20)
def find_contacts(user: Any, query: str) -> models.QuerySet[Contact]:
    by_name = models.Q()
    for word in _words(query):
        by_name &= models.Q(first_name__icontains=word) | models.Q(last_name__icontains=word)
    q = by_name | models.Q(email__icontains=query)
    digits = search.digits_of(query)
    if len(digits) >= 3:
        q |= models.Q(phone__contains=digits)
    return (
        Contact.objects.filter(account__in=account_scope(user=user))
        .filter(q)
        .select_related("account")
        .order_by("last_name", "first_name", "id")
    )


def _location_hit(location: Location) -> search.Hit:
    site = f" · {location.name}" if location.name else ""
    return search.Hit(location.one_line, location.get_absolute_url(), f"{location.account.name}{site}")


@search.register("locations", label="Locations", show=_location_hit, order=30)
def find_locations(user: Any, query: str) -> models.QuerySet[Location]:
    words = _words(query.replace(",", " "))
    if not words:
        return Location.objects.none()
    q = models.Q()
    for word in words:
        q &= (
            models.Q(line1__icontains=word)
            | models.Q(line2__icontains=word)
            | models.Q(city__icontains=word)
            | models.Q(name__icontains=word)
            | models.Q(postal_code__startswith=word)
            | models.Q(state__iexact=word)
        )
    return (
        Location.objects.filter(account__in=account_scope(user=user))
        .filter(q)
        .select_related("account")
        .order_by("account__name", "line1", "id")
    )
