"""Reads of the network topology: elements, what is above and below them, and their status.

An element is "down" while an open unplanned outage is on it or on any element above it (a dead
OLT takes its PON ports with it), "maintenance" while an open maintenance window is (and none
of those), else "up"."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models

from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.network.hooks import element_services
from headend.network.models import Element, Outage

UP, DOWN, MAINTENANCE = "up", "down", "maintenance"
STATUS_LABELS = {UP: "Up", DOWN: "Down", MAINTENANCE: "Maintenance"}
CHILDREN_SHOWN = 200  # children drawn under a node of the tree; the element's page pages the rest
SEARCH_LIMIT = 50


def element_get(*, element_id: Any) -> Element:
    """The element with this id. Raises NotFound."""
    element = Element.objects.filter(pk=parse_id(element_id)).select_related("parent", "location").first()
    if element is None:
        raise NotFound("No such network element.", field="id")
    return element


def element_by_name(*, name: str) -> Element | None:
    """The element monitoring and provisioning call `name` (exactly), if the topology has it."""
    name = (name or "").strip()
    # No name holds NUL (topology refuses it), and PostgreSQL refuses it in a query.
    return Element.objects.filter(name=name).first() if name and "\x00" not in name else None


def _with_children(elements: models.QuerySet[Element]) -> models.QuerySet[Element]:
    return elements.annotate(child_count=models.Count("children")).order_by("name", "pk")


def element_roots() -> models.QuerySet[Element]:
    """The elements at the top of the tree (no parent), by name, each with `child_count`."""
    return _with_children(Element.objects.filter(parent=None))


def element_children(*, element: Element) -> models.QuerySet[Element]:
    """The elements right below `element`, by name, each with `child_count`."""
    return _with_children(Element.objects.filter(parent=element))


def element_search(*, query: str, limit: int = SEARCH_LIMIT) -> list[Element]:
    """Elements whose name or description holds `query`, by name, at most `limit`."""
    query = query.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a query
    if not query:
        return []
    found = Element.objects.filter(models.Q(name__icontains=query) | models.Q(description__icontains=query))
    return list(_with_children(found)[:limit])


def subtree(*, element: Element) -> models.QuerySet[Element]:
    """`element` and everything below it, however deep (one prefix match on the path)."""
    return Element.objects.filter(path__startswith=element.path)


def subtree_ids(*, element: Element) -> list[int]:
    """The ids of `element` and of everything below it."""
    return list(subtree(element=element).order_by().values_list("pk", flat=True))


def element_ancestors(*, element: Element) -> list[Element]:
    """The elements above `element`, root first (its breadcrumbs)."""
    ids = element.ancestor_ids
    by_id = Element.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def _path_ids(element: Element) -> list[int]:
    return [int(part) for part in element.path.strip("/").split("/") if part]


def element_statuses(*, elements: Sequence[Element]) -> dict[int, str]:
    """Each element's status by id, in one query for all of them: down, maintenance or up."""
    on_path = {pk for element in elements for pk in _path_ids(element)}
    down: set[int] = set()
    maintenance: set[int] = set()
    open_outages = Outage.objects.filter(element_id__in=on_path, status=Outage.Status.OPEN).values_list(
        "element_id", "kind"
    )
    for element_id, kind in open_outages:
        (down if kind == Outage.Kind.UNPLANNED else maintenance).add(element_id)
    statuses = {}
    for element in elements:
        ids = set(_path_ids(element))
        statuses[element.pk] = DOWN if ids & down else MAINTENANCE if ids & maintenance else UP
    return statuses


def element_status(*, element: Element) -> str:
    return element_statuses(elements=[element])[element.pk]


def open_outage_counts_below(*, elements: Sequence[Element]) -> dict[int, int]:
    """How many open outages and maintenance windows are on each element or below it, by id."""
    if not elements:
        return {}
    below = (
        Outage.objects.filter(status=Outage.Status.OPEN, element__path__startswith=models.OuterRef("path"))
        .order_by()
        .annotate(count=models.Func(models.F("pk"), function="COUNT"))
        .values("count")
    )
    counted = Element.objects.filter(pk__in=[element.pk for element in elements]).annotate(
        open_below=models.Subquery(below, output_field=models.IntegerField())
    )
    return {pk: count or 0 for pk, count in counted.values_list("pk", "open_below")}


def open_outages() -> list[Outage]:
    """Outages and maintenance windows open now, newest first, with their element."""
    return list(
        Outage.objects.filter(status=Outage.Status.OPEN).select_related("element").order_by("-started_at", "-pk")
    )


def element_outages(*, element: Element, limit: int = 50) -> list[Outage]:
    """The outages and maintenance windows that touched `element`: on it, above it (they took it
    down too) or below it; newest first, at most `limit`."""
    touching = Outage.objects.filter(
        models.Q(element_id__in=element.ancestor_ids) | models.Q(element__path__startswith=element.path)
    )
    return list(touching.select_related("element").order_by("-created_at", "-pk")[:limit])


@dataclass(frozen=True)
class TreeRow:
    """One element as the topology page draws it."""

    element: Element
    status: str
    children: int
    services_below: int
    open_outages_below: int

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def tree_rows(*, elements: Sequence[Element]) -> list[TreeRow]:
    """The rows of the topology tree for these elements (annotated with `child_count`): status,
    services and open outages below each, in a few queries for all of them."""
    elements = list(elements)
    statuses = element_statuses(elements=elements)
    services = element_services().counts_below(element_ids=[element.pk for element in elements])
    outages = open_outage_counts_below(elements=elements)
    return [
        TreeRow(
            element=element,
            status=statuses[element.pk],
            children=getattr(element, "child_count", 0),
            services_below=services.get(element.pk, 0),
            open_outages_below=outages.get(element.pk, 0),
        )
        for element in elements
    ]


def element_row(*, element: Element) -> TreeRow:
    """One element's row: its status, children, services and open outages below it."""
    annotated = _with_children(Element.objects.filter(pk=element.pk)).get()
    return tree_rows(elements=[annotated])[0]


def element_kind_counts() -> dict[str, int]:
    """How many elements of each kind the topology holds (label -> count), kinds in order."""
    counts = dict(Element.objects.order_by().values_list("kind").annotate(count=models.Count("pk")))
    return {label: counts[value] for value, label in Element.Kind.choices if counts.get(value)}
