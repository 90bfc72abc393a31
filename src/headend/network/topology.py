"""The network topology: elements in a tree (a POP holds OLTs, an OLT its PON ports, a tower its
sectors), added and moved one at a time by staff or many at once from a CSV file.

Each element keeps its materialised `path`, the ids from the root down to itself ("/4/17/230/"),
and its `depth`, the number of elements above it. These use cases are the only writers of
both: a move rewrites the whole subtree in one statement (the paths that start with the old one
get the new prefix), so "everything below an element" stays one indexed prefix match.

The CSV (`topology_import`): a header naming the columns name, kind, parent (and optionally
description), in any order; then one element per line, its parent by name (empty for a root).
Parents may come after their children; an element that exists already (by name) takes the
file's kind, parent and description. The file is checked whole before anything is written: an
unknown parent, a loop, a name twice, a bad kind or a cell too long refuses it all, with every
error by line (the header is line 1)."""

import csv
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.db import IntegrityError, connections, models, router, transaction
from django.db.models.functions import Cast, Concat, Substr

from headend.core import clock
from headend.core.errors import Conflict, ValidationError
from headend.core.permissions import require
from headend.crm.models import Location
from headend.network.hooks import element_services
from headend.network.models import Alarm, Element, Outage

NAME_MAX = Element._meta.get_field("name").max_length or 100
DESCRIPTION_MAX = Element._meta.get_field("description").max_length or 200
# A path holds one id per level: 30 levels below a root keep even 11-digit ids within the
# column's 400 characters, and no real network is half as deep.
MAX_DEPTH = 30
COLUMNS = ("name", "kind", "parent", "description")
REQUIRED_COLUMNS = ("name", "kind", "parent")
MAX_ROWS = 200_000
CHUNK = 2000  # ids or names per query (well inside every database's parameter limit)
SUBTREE_QUERIES = 20  # moved subtrees read by prefix; more than this, the whole tree is read
KINDS = ", ".join(Element.Kind.values)


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()  # element_update: leave this field as it is


@dataclass(frozen=True)
class LineError:
    """One thing wrong in a topology file: its line (the header is line 1), the column at fault
    ("" for the row as a whole) and what to do about it."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}{f' ({self.column})' if self.column else ''}: {self.message}"


class TopologyFileError(ValidationError):
    """The file was refused and nothing was written; `errors` lists every fault by line."""

    def __init__(self, errors: list[LineError]):
        count = len(errors)
        super().__init__(
            f"{count:,} error{'s' if count != 1 else ''} in the file; nothing was imported.",
            field="file",
            code="invalid_rows",
        )
        self.errors = sorted(
            errors, key=lambda error: (error.line, COLUMNS.index(error.column) if error.column else -1)
        )


@dataclass(frozen=True)
class TopologyImport:
    """What an import did: elements created, moved (a new parent), otherwise changed (kind or
    description), left as they were, and elements below moved ones whose path followed them."""

    rows: int
    created: int
    moved: int
    changed: int
    unchanged: int
    below_moved: int


# --- One element at a time ---------------------------------------------------------------------


def _spelling(text: str) -> str:
    return text.strip().casefold().replace("-", "_").replace(" ", "_")


# Every way a person writes a kind, folded: its value and its label ("PON port", "pon-port").
_KIND_SPELLINGS = {_spelling(spelling): kind.value for kind in Element.Kind for spelling in (kind.value, kind.label)}


def kind_of(value: str) -> str | None:
    """The element kind a person wrote: its value or its label, any case ("PON port", "pon_port")."""
    return _KIND_SPELLINGS.get(_spelling(value))


def _checked_name(name: str, *, taken_by_other: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("Name the element (what monitoring calls it).", field="name", code="required")
    if len(name) > NAME_MAX:
        raise ValidationError(f"The name is {len(name)} characters long; at most {NAME_MAX}.", field="name")
    if "\x00" in name:
        raise ValidationError("The name contains a NUL character.", field="name")
    clash = Element.objects.filter(name=name)
    if taken_by_other is not None:
        clash = clash.exclude(pk=taken_by_other)
    if clash.exists():
        raise ValidationError(f"An element named {name!r} exists already.", field="name", code="taken")
    return name


def _checked_kind(kind: str) -> str:
    value = kind_of(kind or "")
    if value is None:
        raise ValidationError(f"Unknown kind {kind!r}; one of: {KINDS}.", field="kind", code="invalid_choice")
    return value


def _checked_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError(
            f"The description is {len(description)} characters long; at most {DESCRIPTION_MAX}.", field="description"
        )
    return description


def _lock(elements: Iterable[Element | None]) -> dict[int, Element]:
    """Lock each element and every element above it (ids in their paths, in id order, so two
    moves queue instead of deadlocking), re-read; repeated until no one moved them meanwhile.
    Two moves that touch one subtree share an element on these chains, so they take turns."""
    wanted = [element for element in elements if element is not None]
    paths = {element.pk: element.path for element in wanted}
    while True:
        ids = sorted({int(part) for path in paths.values() for part in path.strip("/").split("/") if part} | set(paths))
        locked = {
            element.pk: element for element in Element.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }
        missing = [pk for pk in paths if pk not in locked]
        if missing:
            raise Conflict("The element was deleted meanwhile; reload the page.", code="gone")
        fresh = {pk: locked[pk].path for pk in paths}
        if fresh == paths:
            return locked
        paths = fresh


def _check_depth(depth: int, *, field: str = "parent") -> None:
    if depth > MAX_DEPTH:
        raise ValidationError(
            f"That puts an element {depth} levels below a root; at most {MAX_DEPTH}.", field=field, code="too_deep"
        )


@transaction.atomic
def element_create(
    *,
    name: str,
    kind: str,
    parent: Element | None = None,
    description: str = "",
    location: Location | None = None,
    actor: Any = None,
) -> Element:
    """Add an element to the topology, under `parent` or as a root. `actor` None is the system.

    Raises ValidationError (name taken or too long, unknown kind, too deep) or Forbidden."""
    if actor is not None:
        require(actor, "topology.manage")
    name, kind, description = _checked_name(name), _checked_kind(kind), _checked_description(description)
    if parent is not None:
        parent = _lock([parent])[parent.pk]
        _check_depth(parent.depth + 1)
    element = Element(
        name=name,
        kind=kind,
        parent=parent,
        path=parent.path if parent is not None else "/",  # its own id is added once it has one
        depth=parent.depth + 1 if parent is not None else 0,
        description=description,
        location=location,
        created_at=clock.now(),
    )
    try:
        with transaction.atomic():
            element.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError(f"An element named {name!r} exists already.", field="name", code="taken") from exc
    element.path = f"{element.path}{element.pk}/"
    element.save(update_fields=["path"])
    return element


@transaction.atomic
def element_update(
    *,
    element: Element,
    actor: Any = None,
    name: str = UNCHANGED,
    kind: str = UNCHANGED,
    parent: Element | None = UNCHANGED,
    description: str = UNCHANGED,
    location: Location | None = UNCHANGED,
) -> Element:
    """Rename an element, change its kind, description or place, or move it (with everything
    below it) under another parent (None: make it a root).

    Raises ValidationError (`parent` under itself or its own descendant, too deep; a name taken)
    or Forbidden."""
    if actor is not None:
        require(actor, "topology.manage")
    moving = parent is not UNCHANGED
    locked = _lock([element, parent if moving else None])
    element = locked[element.pk]
    if moving and parent is not None:
        parent = locked[parent.pk]
    fields = []
    if name is not UNCHANGED:
        element.name = _checked_name(name, taken_by_other=element.pk)
        fields.append("name")
    if kind is not UNCHANGED:
        element.kind = _checked_kind(kind)
        fields.append("kind")
    if description is not UNCHANGED:
        element.description = _checked_description(description)
        fields.append("description")
    if location is not UNCHANGED:
        element.location = location
        fields.append("location")
    if moving and (parent.pk if parent is not None else None) != element.parent_id:
        _move(element, parent)
        element.refresh_from_db(fields=["parent", "path", "depth"])
    if fields:
        try:
            with transaction.atomic():
                element.save(update_fields=fields)
        except IntegrityError as exc:
            raise ValidationError(f"An element named {element.name!r} exists already.", field="name") from exc
    return element


def _move(element: Element, parent: Element | None) -> None:
    """Put `element` under `parent`: one statement rewrites the path and depth of the element
    and of everything below it."""
    if parent is not None and (parent.pk == element.pk or parent.path.startswith(element.path)):
        where = "itself" if parent.pk == element.pk else f"{parent.name}, which is below it"
        raise ValidationError(
            f"{element.name} cannot move under {where}: an element cannot be below itself.", field="parent", code="loop"
        )
    old_path = element.path
    new_path = f"{parent.path if parent is not None else '/'}{element.pk}/"
    delta = (parent.depth + 1 if parent is not None else 0) - element.depth
    subtree = Element.objects.filter(path__startswith=old_path)
    deepest = subtree.aggregate(deepest=models.Max("depth"))["deepest"] or element.depth
    _check_depth(deepest + delta)
    subtree.update(
        path=Concat(models.Value(new_path), Substr("path", len(old_path) + 1), output_field=models.CharField()),
        depth=models.F("depth") + delta,
    )
    Element.objects.filter(pk=element.pk).update(parent=parent)


@transaction.atomic
def element_delete(*, element: Element, actor: Any = None) -> None:
    """Remove an element from the topology. Refused (Conflict) while elements are below it,
    services are bound to it, or outages or alarms name it: those are history."""
    if actor is not None:
        require(actor, "topology.manage")
    element = _lock([element])[element.pk]
    children = Element.objects.filter(parent=element).count()
    if children:
        raise Conflict(
            f"{element.name} has {children} element{'s' if children != 1 else ''} below it: move or delete "
            f"{'them' if children != 1 else 'it'} first.",
            code="has_children",
        )
    bound = element_services().bound_count(element_id=element.pk)
    if bound:
        raise Conflict(
            f"{bound} service{'s are' if bound != 1 else ' is'} bound to {element.name}: bind "
            f"{'them' if bound != 1 else 'it'} elsewhere first.",
            code="has_services",
        )
    if Outage.objects.filter(element=element).exists() or Alarm.objects.filter(element=element).exists():
        raise Conflict(
            f"{element.name} has outage history; an element with history stays in the topology.",
            code="has_history",
        )
    element.delete()


# --- The CSV import ----------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    name: str
    kind: str
    parent: str
    description: str | None  # None: the file has no description column (an element keeps its own)


@dataclass
class _Node:
    """An element as the import sees it: as stored (`id`, `old_*`) and as the file leaves it."""

    name: str
    parent: str | None  # the parent's name, after the file
    id: int | None = None  # None: new
    old_parent_id: int | None = None
    old_parent: str | None = None
    old_path: str = ""
    old_depth: int = 0
    kind: str = ""
    description: str = ""
    row: _Row | None = None
    changed: bool = False  # kind or description differ from what is stored


def _cell_errors(line: int, column: str, value: str, width: int) -> list[LineError]:
    if "\x00" in value:
        return [LineError(line, column, "The cell contains a NUL character (\\0); remove it.")]
    if len(value) > width:
        return [LineError(line, column, f"The cell is {len(value):,} characters long; at most {width}.")]
    return []


def _read_rows(data: bytes) -> tuple[list[_Row], list[LineError]]:
    """The file's rows and what is wrong with each on its own (no database). Raises
    ValidationError (`file`) when the file as a whole cannot be read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"The file is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' and upload it again.",
            field="file",
            code="bad_file",
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ValidationError(f"The header line cannot be read as CSV ({exc}).", field="file", code="bad_file") from exc
    columns = [cell.strip().lower() for cell in header or []]
    if not any(columns):
        raise ValidationError(
            f"The file is empty: it needs a header line naming the columns {', '.join(COLUMNS)}.",
            field="file",
            code="bad_file",
        )
    unknown = [column for column in columns if column not in COLUMNS]
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    twice = sorted(column for column, times in Counter(columns).items() if times > 1)  # once each: a wide header
    if unknown or missing or twice:
        problems = []
        if missing:
            problems.append(f"it lacks {', '.join(missing)}")
        if unknown:
            problems.append(f"it has unknown column{'s' if len(unknown) != 1 else ''} {', '.join(unknown)[:200]}")
        if twice:
            problems.append(f"it names {', '.join(twice)} twice")
        raise ValidationError(
            f"The header line names the columns name, kind, parent (and optionally description): "
            f"{'; '.join(problems)}.",
            field="file",
            code="bad_header",
        )
    index = {column: position for position, column in enumerate(columns)}
    widths = {"name": NAME_MAX, "kind": 40, "parent": NAME_MAX, "description": DESCRIPTION_MAX}
    rows: list[_Row] = []
    errors: list[LineError] = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(LineError(line, "", f"This line cannot be read as CSV ({exc})."))
            continue
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(rows) >= MAX_ROWS:
            raise ValidationError(f"At most {MAX_ROWS:,} elements per file; split it.", field="file", code="too_many")
        if len(cells) > len(columns):
            errors.append(
                LineError(line, "", f"The line has {len(cells)} cells; the header names {len(columns)} columns.")
            )
            continue
        values = {
            column: cells[position].strip() if position < len(cells) else "" for column, position in index.items()
        }
        cell_errors = [
            error for column, value in values.items() for error in _cell_errors(line, column, value, widths[column])
        ]
        if cell_errors:
            errors.extend(cell_errors)
            name = values["name"] if len(values["name"]) <= NAME_MAX and "\x00" not in values["name"] else ""
            rows.append(_Row(line, name, "", "", None))  # a NUL never reaches a query (PostgreSQL refuses it)
            continue
        row = _Row(line, values["name"], values["kind"], values["parent"], values.get("description"))
        if not row.name:
            errors.append(LineError(line, "name", "The name is required."))
        if not row.kind:
            errors.append(LineError(line, "kind", f"The kind is required: one of {KINDS}."))
        elif kind_of(row.kind) is None:
            errors.append(LineError(line, "kind", f"Unknown kind {row.kind!r}; one of: {KINDS}."))
        else:
            row.kind = kind_of(row.kind) or ""
        if row.name and row.parent == row.name:
            errors.append(LineError(line, "parent", f"{row.name} names itself as its parent."))
            row.parent = ""
        rows.append(row)
    if not rows and not errors:
        raise ValidationError("The file has no elements under its header.", field="file", code="empty")
    return rows, errors


def _stored(queryset: models.QuerySet[Element]) -> list[tuple[int, str, int | None, str, int, str, str]]:
    return list(
        queryset.select_for_update().values_list("id", "name", "parent_id", "path", "depth", "kind", "description")
    )


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _load(nodes: dict[str, _Node], names_by_id: dict[int, str], stored: list[tuple]) -> None:
    """Add stored elements to `nodes`, each under its stored parent (named once all are read)."""
    for pk, name, parent_id, path, depth, kind, description in stored:
        names_by_id[pk] = name
        nodes.setdefault(
            name,
            _Node(
                name=name,
                parent=None,
                id=pk,
                old_parent_id=parent_id,
                old_path=path,
                old_depth=depth,
                kind=kind,
                description=description,
            ),
        )


def _name_parents(nodes: dict[str, _Node], names_by_id: dict[int, str]) -> None:
    for node in nodes.values():
        if node.old_parent_id is not None and node.old_parent is None:
            node.old_parent = names_by_id[node.old_parent_id]
            if node.row is None:
                node.parent = node.old_parent


def _load_stored(names: set[str]) -> tuple[dict[str, _Node], dict[int, str]]:
    """The stored elements the file names (as elements or parents) and every element above them."""
    nodes: dict[str, _Node] = {}
    names_by_id: dict[int, str] = {}
    for chunk in _chunks(sorted(names)):
        _load(nodes, names_by_id, _stored(Element.objects.filter(name__in=chunk)))
    above = {int(part) for node in nodes.values() for part in node.old_path.strip("/").split("/")[:-1] if part}
    for chunk in _chunks(sorted(above - set(names_by_id))):
        _load(nodes, names_by_id, _stored(Element.objects.filter(pk__in=chunk)))
    _name_parents(nodes, names_by_id)
    return nodes, names_by_id


def _stored_below(paths: list[str]) -> list[tuple]:
    """The stored elements below these paths (sorted), each subtree once: a prefix match each,
    or the whole tree when there are many."""
    tops: list[str] = []
    for path in paths:
        if not tops or not path.startswith(tops[-1]):
            tops.append(path)
    if len(tops) > SUBTREE_QUERIES:
        return _stored(Element.objects.all())
    below: models.Q = models.Q()
    for path in tops:
        below |= models.Q(path__startswith=path)
    return _stored(Element.objects.filter(below))


def _loops(nodes: dict[str, _Node], rows: list[_Row]) -> list[LineError]:
    """Each loop the file makes (A under B under A, through stored elements too), once, on the
    first of its lines."""
    errors, done = [], set[str]()
    for row in rows:
        chain: list[str] = []
        on_chain: set[str] = set()
        name: str | None = row.name
        while name is not None and name in nodes and name not in done:
            if name in on_chain:
                errors.append(_loop_error(nodes, chain[chain.index(name) :]))
                break
            chain.append(name)
            on_chain.add(name)
            name = nodes[name].parent
        done.update(chain)
    return errors


def _loop_error(nodes: dict[str, _Node], loop: list[str]) -> LineError:
    """The error for one loop (each member under the next, the last under the first): it holds
    a line of the file, since the stored tree has none."""
    lines = sorted(nodes[member].row.line for member in loop if nodes[member].row is not None)  # type: ignore[union-attr]
    if len(lines) == 1:
        # One line moves an element under something already below it.
        first = next(index for index, member in enumerate(loop) if nodes[member].row is not None)
        moved, under = loop[first], loop[(first + 1) % len(loop)]
        return LineError(
            lines[0], "parent", f"{moved} cannot go under {under}: {under} is below {moved} in the topology."
        )
    named = " under ".join([*loop, loop[0]])
    return LineError(
        lines[0],
        "parent",
        f"A loop: {named} (lines {', '.join(map(str, lines))}); an element cannot be below itself.",
    )


def _depths(nodes: dict[str, _Node]) -> dict[str, int]:
    """Each node's depth in the tree the file leaves (no loops by now)."""
    depth: dict[str, int] = {}
    for start in nodes:
        chain: list[str] = []
        name: str | None = start
        while name is not None and name not in depth:
            chain.append(name)
            name = nodes[name].parent
        level = -1 if name is None else depth[name]
        for member in reversed(chain):
            level += 1
            depth[member] = level
    return depth


def _row_of(nodes: dict[str, _Node], name: str) -> _Row:
    """The file's row at or nearest above `name` (whose line a fault below it is reported on)."""
    node = nodes[name]
    while node.row is None:
        node = nodes[node.parent]  # type: ignore[index]
    return node.row


@transaction.atomic
def topology_import(*, file: IO[bytes] | bytes, actor: Any = None) -> TopologyImport:
    """Add and move many elements from a CSV file (see the module's text), all or nothing:
    checked whole first, then written in a few statements (one insert per level of the tree,
    one update per batch of changed rows).

    Raises TopologyFileError (every fault by line), ValidationError (`file`: not UTF-8, a wrong
    header, no rows) or Forbidden; nothing is written then."""
    if actor is not None:
        require(actor, "topology.manage")
    data = file if isinstance(file, bytes) else file.read()
    rows, errors = _read_rows(data)
    first_line: dict[str, int] = {}
    unique_rows = []
    for row in rows:
        if not row.name:
            continue
        if row.name in first_line:
            errors.append(
                LineError(row.line, "name", f"{row.name} is on line {first_line[row.name]} already: once per file.")
            )
            continue
        first_line[row.name] = row.line
        unique_rows.append(row)
    in_file = set(first_line)
    nodes, names_by_id = _load_stored(in_file | {row.parent for row in unique_rows if row.parent})
    for row in unique_rows:
        node = nodes.get(row.name)
        if node is None:
            node = nodes[row.name] = _Node(name=row.name, parent=None, kind=row.kind, description="")
        node.row = row
        if row.parent and row.parent not in nodes and row.parent not in in_file:
            errors.append(
                LineError(row.line, "parent", f"No element named {row.parent!r}, in the file or in the topology.")
            )
            node.parent = None
        else:
            node.parent = row.parent or None
    errors += _loops(nodes, unique_rows)
    if errors:
        raise TopologyFileError(errors)

    moved = [node for node in nodes.values() if node.row and node.id and node.parent != node.old_parent]
    if moved:
        # Whatever is below a moved element follows it: read those subtrees (or, for many
        # moves, the whole tree), work the new paths out here, write only the rows that change.
        _load(nodes, names_by_id, _stored_below(sorted(node.old_path for node in moved)))
        _name_parents(nodes, names_by_id)
    depth = _depths(nodes)
    too_deep = {_row_of(nodes, name).line: name for name, level in depth.items() if level > MAX_DEPTH}
    if too_deep:
        raise TopologyFileError(
            [
                LineError(line, "parent", f"That puts {name} {depth[name]} levels below a root; at most {MAX_DEPTH}.")
                for line, name in too_deep.items()
            ]
        )
    for node in nodes.values():
        if node.row is not None and node.id is not None:
            description = node.row.description if node.row.description is not None else node.description
            node.changed = (node.row.kind, description) != (node.kind, node.description)
            node.kind, node.description = node.row.kind, description
    return _write(nodes, depth, rows=len(unique_rows))


def _update_rows(rows: list[tuple[int | None, str, int, str, str, int]]) -> None:
    """Write (parent id, path, depth, kind, description) to each element (the last value its
    id): one prepared statement for all rows, which the driver batches (bulk_update's CASE
    expressions cost seconds for thousands of rows, as fulfillment/forecast.py found)."""
    if not rows:
        return
    connection = connections[router.db_for_write(Element)]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(column)} = %s" for column in ("parent_id", "path", "depth", "kind", "description"))
    sql = f"UPDATE {quote(Element._meta.db_table)} SET {columns} WHERE {quote('id')} = %s"  # noqa: S608 (fixed names)
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _write(nodes: dict[str, _Node], depth: dict[str, int], *, rows: int) -> TopologyImport:
    """Insert the new elements level by level (a child needs its parent's id and path), then
    update the stored ones whose parent, path, depth, kind or description change."""
    now = clock.now()
    paths: dict[str, str] = {}
    levels: dict[int, list[_Node]] = {}
    for node in nodes.values():
        levels.setdefault(depth[node.name], []).append(node)
    created: list[int] = []
    for level in sorted(levels):
        new = []
        for node in levels[level]:
            prefix = paths[node.parent] if node.parent is not None else "/"
            if node.id is not None:
                paths[node.name] = f"{prefix}{node.id}/"
            else:
                row = node.row
                assert row is not None
                parent_id = nodes[node.parent].id if node.parent is not None else None
                new.append(
                    Element(
                        name=node.name,
                        kind=row.kind,
                        parent_id=parent_id,
                        path=prefix,  # its own id is added below
                        depth=level,
                        description=row.description or "",
                        created_at=now,
                    )
                )
        try:
            with transaction.atomic():
                inserted = Element.objects.bulk_create(new, batch_size=500)
        except IntegrityError as exc:
            raise Conflict("Elements were added meanwhile under the same names; import the file again.") from exc
        for element in inserted:
            node = nodes[element.name]
            node.id = element.pk
            paths[node.name] = f"{element.path}{element.pk}/"
            created.append(element.pk)
    for chunk in _chunks(created):
        Element.objects.filter(pk__in=chunk).update(
            path=Concat("path", Cast("id", models.CharField()), models.Value("/"), output_field=models.CharField())
        )
    new_ids = set(created)
    changed: list[tuple[int | None, str, int, str, str, int]] = []
    moved = changed_rows = unchanged = below = 0
    for node in nodes.values():
        if node.id is None or node.id in new_ids:
            continue
        path_moved = paths[node.name] != node.old_path
        parent_moved = node.parent != node.old_parent
        if node.row is not None:
            if parent_moved:
                moved += 1
            elif node.changed:
                changed_rows += 1
            else:
                unchanged += 1
        elif path_moved:
            below += 1
        if path_moved or parent_moved or node.changed:
            parent_id = nodes[node.parent].id if node.parent is not None else None
            changed.append((parent_id, paths[node.name], depth[node.name], node.kind, node.description, node.id))
    _update_rows(changed)
    return TopologyImport(
        rows=rows, created=len(created), moved=moved, changed=changed_rows, unchanged=unchanged, below_moved=below
    )
