"""An account's activity, newest first: quotes created, presented and decided, orders placed and
completed, cases opened and closed, notes, and (for the roles that read billing) payments. The
web app sits on top of the stack, so it reads them all.

A page of `per_page` entries costs one query per kind of entry, however many there are: each
kind gives its newest `page * per_page + 1` and the merge keeps the page asked for."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from headend.core.money import format_amount
from headend.core.permissions import may
from headend.crm import notes
from headend.crm.models import Account
from headend.orders import selectors as orders_selectors
from headend.payments.models import Payment
from headend.quoting import selectors as quoting_selectors
from headend.quoting.models import Quote
from headend.support import selectors as support_selectors

PER_PAGE = 15
MAX_PAGE = 40  # 600 entries back: past that, each record's own list is the place to look


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    kind: str  # quote, order, case, note, payment
    text: str
    url: str
    who: Any = None  # the user who did it, when known


@dataclass(frozen=True)
class TimelinePage:
    entries: list[Entry]
    page: int
    has_more: bool


def _quote_entries(user: Any, account: Account, limit: int) -> list[Entry]:
    quotes = quoting_selectors.quote_list(user=user, account_id=account.pk).select_related("created_by", "decided_by")
    entries = [
        Entry(
            quote.created_at,
            "quote",
            f"Quote {quote.number} created{_named(quote.name)}",
            quote.get_absolute_url(),
            quote.created_by,
        )
        for quote in quotes.order_by("-created_at", "-id")[:limit]
    ]
    entries += [
        Entry(
            quote.presented_at, "quote", f"Quote {quote.number} presented{_named(quote.name)}", quote.get_absolute_url()
        )
        for quote in quotes.filter(presented_at__isnull=False).order_by("-presented_at", "-id")[:limit]
        if quote.presented_at is not None
    ]
    decided = quotes.filter(status__in=[Quote.Status.ACCEPTED, Quote.Status.REJECTED], decided_at__isnull=False)
    entries += [
        Entry(
            quote.decided_at,
            "quote",
            f"Quote {quote.number} {quote.get_status_display().lower()}"
            + (f" by {quote.accepted_by_name}" if quote.accepted_by_name else ""),
            quote.get_absolute_url(),
            quote.decided_by,
        )
        for quote in decided.order_by("-decided_at", "-id")[:limit]
        if quote.decided_at is not None
    ]
    return entries


def _named(name: str) -> str:
    return f": {name}" if name else ""


def _order_entries(user: Any, account: Account, limit: int) -> list[Entry]:
    orders = orders_selectors.order_list(user=user, account_id=account.pk)
    entries = [
        Entry(order.created_at, "order", f"Order {order.number} placed", order.get_absolute_url())
        for order in orders.order_by("-created_at", "-id")[:limit]
    ]
    entries += [
        Entry(
            order.completed_at,
            "order",
            f"Order {order.number} {order.get_status_display().lower()}",
            order.get_absolute_url(),
        )
        for order in orders.filter(completed_at__isnull=False).order_by("-completed_at", "-id")[:limit]
        if order.completed_at is not None
    ]
    return entries


def _case_entries(user: Any, account: Account, limit: int) -> list[Entry]:
    cases = support_selectors.case_scope(user=user).filter(account=account)
    entries = [
        Entry(
            case.created_at,
            "case",
            f"Case {case.reference} opened: {case.subject}",
            case.get_absolute_url(),
            case.created_by,
        )
        for case in cases.select_related("created_by").order_by("-created_at", "-id")[:limit]
    ]
    entries += [
        Entry(case.closed_at, "case", f"Case {case.reference} closed: {case.subject}", case.get_absolute_url())
        for case in cases.filter(closed_at__isnull=False).order_by("-closed_at", "-id")[:limit]
        if case.closed_at is not None
    ]
    return entries


def _note_entries(account: Account, limit: int) -> list[Entry]:
    return [
        Entry(note.created_at, "note", note.body, f"{account.get_absolute_url()}#notes", note.author)
        for note in notes.note_list_newest(account_id=account.pk, limit=limit)
    ]


def _payment_entries(account: Account, limit: int) -> list[Entry]:
    payments = (
        Payment.objects.filter(billing_account__account=account)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        Entry(
            payment.created_at,
            "payment",
            f"Payment {payment.number} of {format_amount(payment.amount, payment.currency)}"
            f" ({payment.get_means_display().lower()}, received {payment.received_on:%b} {payment.received_on.day}):"
            f" {payment.get_status_display().lower()}",
            payment.get_absolute_url(),
            payment.created_by,
        )
        for payment in payments
    ]


def account_timeline(*, user: Any, account: Account, page: int = 1, per_page: int = PER_PAGE) -> TimelinePage:
    """Page `page` (from 1) of what happened on the account, newest first."""
    page = min(max(page, 1), MAX_PAGE)
    limit = page * per_page + 1
    entries = [
        *_quote_entries(user, account, limit),
        *_order_entries(user, account, limit),
        *_case_entries(user, account, limit),
        *_note_entries(account, limit),
    ]
    if may(user, "billing.read"):
        entries += _payment_entries(account, limit)
    entries.sort(key=lambda entry: entry.at, reverse=True)
    start = (page - 1) * per_page
    return TimelinePage(
        entries=entries[start : start + per_page],
        page=page,
        has_more=len(entries) > start + per_page and page < MAX_PAGE,
    )
