"""The staff search: each app registers, in its AppConfig.ready(), a function that finds its own
records for a query (accounts, services, quotes...), and the web app's search page draws what
they return, grouped by kind. The app that owns the records owns the query (its indexes, its
numbers such as Q-000042); the registry lives here, low, so no app imports one above it.

A query is cleaned once here: NUL removed (PostgreSQL refuses it), cut at MAX_QUERY characters,
and under MIN_QUERY characters it finds nothing. Each kind gives at most `limit` hits and a count
of its matches capped at MAX_COUNT, so a search costs two bounded queries per kind."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from headend.core.permissions import is_staff_member, may

MIN_QUERY = 2
MAX_QUERY = 100
LIMIT = 10
MAX_COUNT = 100  # "100+": counting further would read the whole table for a common word


@dataclass(frozen=True)
class Hit:
    title: str
    url: str
    detail: str = ""


@dataclass(frozen=True)
class Group:
    kind: str
    label: str
    hits: list[Hit]
    count: int  # up to MAX_COUNT

    @property
    def more(self) -> bool:
        return self.count > len(self.hits)

    @property
    def count_label(self) -> str:
        return f"{MAX_COUNT}+" if self.count >= MAX_COUNT else str(self.count)


# (user, cleaned query) -> the matching rows, ordered, and how to show one: not yet evaluated,
# so the registry slices and counts it.
Finder = Callable[[Any, str], models.QuerySet[Any]]
Shower = Callable[[Any], Hit]


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    order: int
    find: Finder
    show: Shower
    use_case: str  # a PERMISSIONS key the user needs, or "" for every staff member


_kinds: dict[str, Kind] = {}


def register(key: str, *, label: str, show: Shower, order: int = 100, use_case: str = "") -> Callable[[Finder], Finder]:
    """`@search.register("quotes", label="Quotes", show=quote_hit, order=40)` on a function
    `(user, query) -> QuerySet`; registering a kind again replaces it (a reload, a test)."""

    def decorator(find: Finder) -> Finder:
        _kinds[key] = Kind(key, label, order, find, show, use_case)
        return find

    return decorator


def clean(query: object) -> str:
    """The query as searched: text without NUL, trimmed, at most MAX_QUERY characters."""
    text = query if isinstance(query, str) else ""
    return text.replace("\x00", "")[:MAX_QUERY].strip()


def kinds_for(user: Any) -> list[Kind]:
    """The kinds `user` may search, in their order: none for a non-staff user."""
    if not is_staff_member(user):
        return []
    allowed = [kind for kind in _kinds.values() if not kind.use_case or may(user, kind.use_case)]
    return sorted(allowed, key=lambda kind: (kind.order, kind.key))


def search(*, user: Any, query: str, limit: int = LIMIT) -> list[Group]:
    """The kinds with a match for `query` (cleaned), each with its first `limit` hits and a count
    of its matches; nothing for a query under MIN_QUERY characters."""
    query = clean(query)
    if len(query) < MIN_QUERY:
        return []
    groups = []
    for kind in kinds_for(user):
        found = kind.find(user, query)
        hits = [kind.show(row) for row in found[:limit]]
        if not hits:
            continue
        count = len(hits) if len(hits) < limit else found[:MAX_COUNT].count()
        groups.append(Group(kind.key, kind.label, hits, count))
    return groups


def digits_of(query: str) -> str:
    """The ASCII digits of a query ("Q-000042" -> "000042"): record numbers are ids."""
    return "".join(ch for ch in query if "0" <= ch <= "9")


def number_id(query: str, prefix: str) -> int | None:
    """The id a record number stands for: "Q-000042", "q-42", "q42" or "42" with prefix "Q";
    None when the query is not one (or too large for an id)."""
    text = query.strip().upper().replace(" ", "")
    if text.startswith(f"{prefix}-"):
        text = text[len(prefix) + 1 :]
    elif text.startswith(prefix):
        text = text[len(prefix) :]
    if not text or not text.isascii() or not text.isdigit() or len(text) > 12:
        return None
    value = int(text)
    return value if 0 < value < 2**31 else None
