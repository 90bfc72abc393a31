"""Rendered bodies of resources, kept in each process under the rows they were built from.

A read first fetches the rows a body is made of (the values of exactly the columns its builder
reads: a resource's `.only()` lists, which a statement budget test holds to that) and serves the
kept body while those rows are what it was built from; otherwise it builds the body from model
instances as before and keeps it under the rows of those same instances. Nothing is invalidated,
so no write path (a use case, `.update()`, the admin, SQL by hand) has to remember the cache:
a changed column is a changed key. Reading the rows costs a few SQL statements that return
plain tuples; building the body (model instances, pydantic objects, JSON) is what is saved.

A body also depends on where it is read from (its hrefs are absolute) and on the provider's time
zone (the end of a quote's validity), so both are part of the key. Each process keeps at most
MAX_BYTES of bodies, the least recently read dropped first."""

import threading
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

from cachetools import LRUCache
from django.conf import settings
from django.db import models
from django.http import HttpRequest

from headend.api.links import absolute_root

MAX_BYTES = 32 * 1024 * 1024  # per process and resource; a 1,000-item quote's body is about 1.4 MB
SIZE_FACTOR = 3  # an entry's size: its body and its rows (below)

Row = tuple[Any, ...]


def source_fields(model: type[models.Model], reads: Iterable[str]) -> tuple[str, ...]:
    """What a body built from `reads` (the `.only()` paths of `model`) is made of: its pk, the
    paths, and the id of every forward relation they pass through (`account__name` shows the
    account's id too, which `.only()` loads without naming it: another account of the same name
    is another body)."""
    fields = ["pk", *reads]
    for path in reads:
        current, hops = model, path.split("__")[:-1]
        for depth, hop in enumerate(hops, start=1):
            field = current._meta.get_field(hop)
            prefix = "__".join(hops[:depth])
            if field.concrete and prefix not in fields and f"{prefix}__id" not in fields:
                fields.append(prefix)
            current = field.related_model  # type: ignore[assignment]
    return tuple(fields)


def row_of(instance: models.Model, fields: Iterable[str]) -> Row:
    """The values `values_list(*fields)` reads for `instance`, read from the instance and its
    related objects already loaded: a relation's id for a relation's name, None past a missing
    related object."""
    values: list[Any] = []
    for path in fields:
        *hops, last = path.split("__")
        target: Any = instance
        for hop in hops:
            target = getattr(target, hop, None)
            if target is None:
                break
        if target is None:
            values.append(None)
        elif last == "pk":
            values.append(target.pk)
        else:
            values.append(getattr(target, target._meta.get_field(last).attname))
    return tuple(values)


def grouped(rows: Iterable[Row], at: int) -> dict[Any, list[Row]]:
    """Rows by the value of their column `at` (the parent's id), each group in the rows' order."""
    groups: dict[Any, list[Row]] = {}
    for row in rows:
        groups.setdefault(row[at], []).append(row)
    return groups


class Representations:
    """One resource's kept bodies in this process (thread-safe: gunicorn serves with threads)."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        # An entry's size: its body, and the rows it is kept under counted as twice the body
        # (their values as Python objects: measured at 1.2 times a 100-item quote's body).
        self._kept: LRUCache[Hashable, tuple[Hashable, bytes]] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda entry: SIZE_FACTOR * len(entry[1])
        )
        self._lock = threading.Lock()

    @staticmethod
    def _where(request: HttpRequest) -> tuple[str, str]:
        """What a body depends on besides its rows: where it is read from, the provider's time zone."""
        return (absolute_root(request), settings.HEADEND_TIME_ZONE)

    def get(self, request: HttpRequest, pk: Any, source: Hashable) -> bytes | None:
        """The body kept for `pk` if it was built from `source`, else None."""
        return self.get_many(request, {pk: source}).get(pk)

    def get_many(self, request: HttpRequest, sources: Mapping[Any, Hashable]) -> dict[Any, bytes]:
        """The bodies kept for the pks of `sources` that were built from their source, by pk."""
        where = self._where(request)
        with self._lock:
            entries = {pk: self._kept.get((*where, pk)) for pk in sources}
        return {pk: entry[1] for pk, entry in entries.items() if entry is not None and entry[0] == sources[pk]}

    def peek(self, request: HttpRequest, pk: Any) -> tuple[Any, bytes] | None:
        """What is kept for `pk`, the source with the body, whatever it was built from (a reader that
        needs part of the source to read the rest compares it whole afterwards)."""
        where = self._where(request)
        with self._lock:
            return self._kept.get((*where, pk))

    def keep(self, request: HttpRequest, pk: Any, source: Hashable, body: bytes) -> None:
        if SIZE_FACTOR * len(body) > self._kept.maxsize:
            return
        with self._lock:
            self._kept[(*self._where(request), pk)] = (source, body)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
