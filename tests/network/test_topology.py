"""The network topology: elements in a tree with materialised paths, the CSV import (all or
nothing, errors by line), moves that carry a whole subtree, and the status and counts the
topology page reads."""

import time
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headend.catalog.services import TaskSpec
from headend.core.errors import Conflict, Forbidden, ValidationError
from headend.inventory import services as inventory_services
from headend.network import topology, topology_selectors
from headend.network.models import Element, Outage
from tests.conftest import FROZEN_AT
from tests.factories import make_account, make_live_service, make_product, make_user

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "network" / "topology-sample.csv"


def run(text: str) -> topology.TopologyImport:
    return topology.topology_import(file=text.encode(), actor=None)


def refused(text: str) -> list[str]:
    """The import's errors, as "line N (column): message"; asserts nothing was written."""
    before = list(Element.objects.order_by("pk").values_list("pk", "name", "parent_id", "path", "depth", "kind"))
    with pytest.raises(topology.TopologyFileError) as caught:
        run(text)
    after = list(Element.objects.order_by("pk").values_list("pk", "name", "parent_id", "path", "depth", "kind"))
    assert after == before
    return [str(error) for error in caught.value.errors]


def el(name: str) -> Element:
    return Element.objects.get(name=name)


def tree() -> dict[str, tuple[str | None, str, int]]:
    """name -> (parent's name, path with names for ids, depth): what the tree is, readably."""
    names = dict(Element.objects.values_list("pk", "name"))
    return {
        element.name: (
            names.get(element.parent_id),
            "/" + "".join(f"{names[int(part)]}/" for part in element.path.strip("/").split("/")),
            element.depth,
        )
        for element in Element.objects.all()
    }


def live_service(version=None):
    return make_live_service(make_account(), version or make_product(tasks=[TaskSpec("Install")]))


def make_element(name: str, kind: str = "pop", parent: Element | None = None) -> Element:
    return topology.element_create(name=name, kind=kind, parent=parent)


# --- The CSV import ----------------------------------------------------------------------------


def test_import_builds_the_tree_with_paths_of_ids_and_depths():
    result = topology.topology_import(file=SAMPLE.read_bytes(), actor=None)

    assert result == topology.TopologyImport(rows=8, created=8, moved=0, changed=0, unchanged=0, below_moved=0)
    pop, olt, pon = el("pop-machias"), el("olt-1"), el("olt-1/pon-2")
    assert (pop.path, pop.depth, pop.parent) == (f"/{pop.pk}/", 0, None)
    assert (olt.path, olt.depth, olt.parent) == (f"/{pop.pk}/{olt.pk}/", 1, pop)
    assert (pon.path, pon.depth, pon.parent, pon.kind) == (f"/{pop.pk}/{olt.pk}/{pon.pk}/", 2, olt, "pon_port")
    assert (pop.kind, pop.description) == ("pop", "Machias central office")
    assert tree()["ap-7-north"] == ("tower-7", "/pop-machias/tower-7/ap-7-north/", 2)


def test_import_takes_parents_named_after_their_children():
    result = run("name,kind,parent\nolt-1/pon-1,pon_port,olt-1\nolt-1,olt,pop-1\npop-1,pop,\n")

    assert result.created == 3
    assert tree() == {
        "pop-1": (None, "/pop-1/", 0),
        "olt-1": ("pop-1", "/pop-1/olt-1/", 1),
        "olt-1/pon-1": ("olt-1", "/pop-1/olt-1/olt-1/pon-1/", 2),
    }


def test_import_reads_columns_in_any_order_kinds_by_label_and_skips_blank_lines():
    run("Parent,Name,Kind\n,pop-1,POP\n\npop-1,olt-1,OLT\nolt-1,olt-1/pon-1,PON port\n")

    assert dict(Element.objects.values_list("name", "kind")) == {
        "pop-1": "pop",
        "olt-1": "olt",
        "olt-1/pon-1": "pon_port",
    }


def test_import_of_the_same_file_again_changes_nothing():
    first = topology.topology_import(file=SAMPLE.read_bytes(), actor=None)
    before = tree()

    again = topology.topology_import(file=SAMPLE.read_bytes(), actor=None)

    assert (first.created, again.created, again.unchanged, again.moved, again.changed) == (8, 0, 8, 0, 0)
    assert tree() == before


def test_import_moves_an_existing_element_with_everything_below_it():
    run(
        "name,kind,parent\npop-1,pop,\npop-2,pop,\nolt-1,olt,pop-1\nolt-1/pon-1,pon_port,olt-1\ncpe-9,cpe,olt-1/pon-1\n"
    )
    olt = el("olt-1")

    result = run("name,kind,parent,description\nolt-1,olt,pop-2,moved to the new POP\n")

    assert result == topology.TopologyImport(rows=1, created=0, moved=1, changed=0, unchanged=0, below_moved=2)
    assert tree() == {
        "pop-1": (None, "/pop-1/", 0),
        "pop-2": (None, "/pop-2/", 0),
        "olt-1": ("pop-2", "/pop-2/olt-1/", 1),
        "olt-1/pon-1": ("olt-1", "/pop-2/olt-1/olt-1/pon-1/", 2),
        "cpe-9": ("olt-1/pon-1", "/pop-2/olt-1/olt-1/pon-1/cpe-9/", 3),
    }
    assert (el("olt-1").pk, el("olt-1").description) == (olt.pk, "moved to the new POP")


def test_import_moves_a_subtree_up_to_the_root_and_adds_below_a_moved_element():
    run("name,kind,parent\npop-1,pop,\nolt-1,olt,pop-1\nolt-1/pon-1,pon_port,olt-1\n")

    result = run("name,kind,parent\ncpe-1,cpe,olt-1/pon-1\nolt-1,olt,\n")

    assert (result.created, result.moved, result.below_moved) == (1, 1, 1)
    assert tree() == {
        "pop-1": (None, "/pop-1/", 0),
        "olt-1": (None, "/olt-1/", 0),
        "olt-1/pon-1": ("olt-1", "/olt-1/olt-1/pon-1/", 1),
        "cpe-1": ("olt-1/pon-1", "/olt-1/olt-1/pon-1/cpe-1/", 2),
    }


def test_import_moves_an_element_and_one_below_it_elsewhere_in_one_file():
    run("name,kind,parent\npop-1,pop,\npop-2,pop,\nolt-1,olt,pop-1\npon-1,pon_port,olt-1\ncpe-1,cpe,pon-1\n")

    result = run("name,kind,parent\nolt-1,olt,pop-2\npon-1,pon_port,olt-2\nolt-2,olt,pop-1\n")

    assert (result.created, result.moved, result.below_moved) == (1, 2, 1)
    assert tree() == {
        "pop-1": (None, "/pop-1/", 0),
        "pop-2": (None, "/pop-2/", 0),
        "olt-1": ("pop-2", "/pop-2/olt-1/", 1),
        "olt-2": ("pop-1", "/pop-1/olt-2/", 1),
        "pon-1": ("olt-2", "/pop-1/olt-2/pon-1/", 2),
        "cpe-1": ("pon-1", "/pop-1/olt-2/pon-1/cpe-1/", 3),
    }


def test_import_moving_many_subtrees_reads_the_whole_tree_and_moves_them_all():
    many = topology.SUBTREE_QUERIES + 5
    olts = [f"olt-{n},olt,pop-1\nolt-{n}/pon-1,pon_port,olt-{n}" for n in range(many)]
    run("name,kind,parent\npop-1,pop,\npop-2,pop,\nsw-1,switch,pop-1\n" + "\n".join(olts) + "\n")

    result = run("name,kind,parent\n" + "\n".join(f"olt-{n},olt,pop-2" for n in range(many)) + "\n")

    assert (result.moved, result.below_moved) == (many, many)
    assert tree()[f"olt-{many - 1}/pon-1"] == (f"olt-{many - 1}", f"/pop-2/olt-{many - 1}/olt-{many - 1}/pon-1/", 2)
    assert tree()["sw-1"] == ("pop-1", "/pop-1/sw-1/", 1)
    assert Element.objects.filter(path__startswith=el("pop-2").path).count() == 1 + 2 * many


def test_import_changes_kind_and_description_without_a_description_column_keeping_descriptions():
    run("name,kind,parent,description\npop-1,pop,,Machias\nsw-1,olt,pop-1,Core\n")

    result = run("name,kind,parent\nsw-1,switch,pop-1\npop-1,pop,\n")

    assert (result.changed, result.unchanged) == (1, 1)
    assert list(Element.objects.order_by("name").values_list("name", "kind", "description")) == [
        ("pop-1", "pop", "Machias"),
        ("sw-1", "switch", "Core"),
    ]


def test_import_with_a_loop_in_the_file_is_refused_and_writes_nothing():
    errors = refused("name,kind,parent\npop-1,pop,\nA,olt,B\nB,olt,A\nC,olt,pop-1\n")

    assert errors == ["line 3 (parent): A loop: A under B under A (lines 3, 4); an element cannot be below itself."]
    assert Element.objects.count() == 0


def test_import_with_a_row_naming_itself_as_parent_is_refused():
    errors = refused("name,kind,parent\nolt-1,olt,olt-1\n")

    assert errors == ["line 2 (parent): olt-1 names itself as its parent."]


def test_import_moving_an_element_under_its_own_descendant_is_refused():
    run("name,kind,parent\npop-1,pop,\nolt-1,olt,pop-1\nolt-1/pon-1,pon_port,olt-1\n")

    errors = refused("name,kind,parent\npop-2,pop,\nolt-1,olt,olt-1/pon-1\n")

    assert errors == ["line 3 (parent): olt-1 cannot go under olt-1/pon-1: olt-1/pon-1 is below olt-1 in the topology."]
    assert not Element.objects.filter(name="pop-2").exists()


def test_import_with_an_unknown_parent_is_refused():
    run("name,kind,parent\npop-1,pop,\n")

    errors = refused("name,kind,parent\nolt-1,olt,pop-1\nolt-2,olt,pop-9\n")

    assert errors == ["line 3 (parent): No element named 'pop-9', in the file or in the topology."]
    assert list(Element.objects.values_list("name", flat=True)) == ["pop-1"]


def test_import_with_a_name_twice_is_refused():
    errors = refused("name,kind,parent\npop-1,pop,\nolt-1,olt,pop-1\nolt-1,olt,pop-1\n")

    assert errors == ["line 4 (name): olt-1 is on line 3 already: once per file."]


def test_import_with_a_bad_kind_is_refused_naming_the_kinds():
    errors = refused("name,kind,parent\npop-1,central office,\n")

    assert errors == [
        "line 2 (kind): Unknown kind 'central office'; one of: pop, olt, cmts, tower, pon_port, sector, switch, cpe."
    ]


def test_import_with_a_name_too_long_is_refused_at_100_characters_and_not_at_100():
    ok = "x" * 100

    errors = refused(f"name,kind,parent\n{ok}y,pop,\n")
    run(f"name,kind,parent\n{ok},pop,\n")

    assert errors == ["line 2 (name): The cell is 101 characters long; at most 100."]
    assert Element.objects.get().name == ok


def test_import_reports_every_error_of_the_file_by_line():
    errors = refused(
        "name,kind,parent,description\n"
        "pop-1,pop,,\n"
        ",olt,pop-1,\n"  # no name
        "olt-2,,pop-1,\n"  # no kind
        "olt-3,olt,pop-1," + "d" * 201 + "\n"
        "olt-4,olt,pop-1,,extra\n"
        "olt-5,olt,nowhere,\n"
    )

    assert errors == [
        "line 3 (name): The name is required.",
        "line 4 (kind): The kind is required: one of pop, olt, cmts, tower, pon_port, sector, switch, cpe.",
        "line 5 (description): The cell is 201 characters long; at most 200.",
        "line 6: The line has 5 cells; the header names 4 columns.",
        "line 7 (parent): No element named 'nowhere', in the file or in the topology.",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty: it needs a header line naming the columns name, kind, parent, description."),
        (b"name,kind\npop-1,pop\n", "The header line names the columns name, kind, parent (and optionally"),
        (b"name,kind,parent,site\n", "it has unknown column site"),
        (b"name,kind,parent\n\n", "The file has no elements under its header."),
        (b"name,kind,parent\n\xff,pop,\n", "The file is not UTF-8 text (byte 17)"),
    ],
)
def test_import_of_a_file_that_cannot_be_read_says_why_on_the_file(content, message):
    with pytest.raises(ValidationError) as caught:
        topology.topology_import(file=content, actor=None)

    assert caught.value.field == "file"
    assert message in caught.value.message
    assert Element.objects.count() == 0


def test_import_deeper_than_the_limit_is_refused():
    lines = ["name,kind,parent", "e0,pop,"] + [f"e{n},switch,e{n - 1}" for n in range(1, topology.MAX_DEPTH + 2)]

    errors = refused("\n".join(lines) + "\n")

    assert errors == [f"line {topology.MAX_DEPTH + 3} (parent): That puts e31 31 levels below a root; at most 30."]


def test_import_needs_the_topology_role():
    with pytest.raises(Forbidden):
        topology.topology_import(file=SAMPLE.read_bytes(), actor=make_user("sales"))

    assert Element.objects.count() == 0


def _big_file(pops: int, olts: int, ports: int, cpes: int) -> str:
    """pops * (1 + olts * (1 + ports * (1 + cpes))) elements, children before their parents."""
    lines = ["name,kind,parent"]
    for p in range(pops):
        for o in range(olts):
            for n in range(ports):
                lines += [f"cpe-{p}-{o}-{n}-{c},cpe,pon-{p}-{o}-{n}" for c in range(cpes)]
                lines.append(f"pon-{p}-{o}-{n},pon_port,olt-{p}-{o}")
            lines.append(f"olt-{p}-{o},olt,pop-{p}")
        lines.append(f"pop-{p},pop,")
    return "\n".join(lines) + "\n"


def test_import_of_20000_elements_and_a_move_among_them_take_a_few_statements(capsys):
    content = _big_file(pops=4, olts=5, ports=16, cpes=61)  # 4 * (1 + 5 * (1 + 16 * 62)) = 19,864
    rows = content.count("\n") - 1

    with CaptureQueriesContext(connection) as first:
        started = time.perf_counter()
        result = run(content)
        import_seconds = time.perf_counter() - started
    with CaptureQueriesContext(connection) as moving:
        started = time.perf_counter()
        moved = run("name,kind,parent\nolt-0-0,olt,pop-3\n")
        move_seconds = time.perf_counter() - started

    assert (rows, result.created, Element.objects.count()) == (19864, 19864, 19864)
    assert Element.objects.filter(depth=3).count() == 4 * 5 * 16 * 61
    cpe = el("cpe-3-4-15-60")
    assert cpe.path == f"/{el('pop-3').pk}/{el('olt-3-4').pk}/{el('pon-3-4-15').pk}/{cpe.pk}/"
    # Set-based: name lookups, one insert per level and batch (SQLite's 999 parameters make a
    # batch 124 rows there, 500 elsewhere), one path update per 2,000 rows.
    assert len(first.captured_queries) <= rows / 100 + 40
    assert (moved.moved, moved.below_moved) == (1, 16 * 62)
    assert el("cpe-0-0-0-0").path.startswith(f"/{el('pop-3').pk}/{el('olt-0-0').pk}/")
    assert len(moving.captured_queries) <= 40  # the whole tree read once, changed rows written in batches
    with capsys.disabled():
        print(
            f"\n[topology import: {rows:,} elements in {import_seconds:.2f} s, {len(first.captured_queries)} queries; "
            f"moving an OLT with {moved.below_moved:,} below: {move_seconds:.2f} s, "
            f"{len(moving.captured_queries)} queries, {connection.vendor}]"
        )


# --- One element at a time ---------------------------------------------------------------------


def test_element_create_under_a_parent_takes_its_path_and_depth():
    pop = make_element("pop-1")

    olt = topology.element_create(name=" olt-1 ", kind="OLT", parent=pop, description="Machias", actor=None)

    assert (olt.name, olt.kind, olt.path, olt.depth, olt.description) == (
        "olt-1",
        "olt",
        f"/{pop.pk}/{olt.pk}/",
        1,
        "Machias",
    )
    olt.refresh_from_db()
    assert olt.path == f"/{pop.pk}/{olt.pk}/"


def test_element_create_with_a_name_taken_is_refused_on_the_name():
    make_element("pop-1")

    with pytest.raises(ValidationError) as caught:
        topology.element_create(name="pop-1", kind="pop")

    assert (caught.value.field, caught.value.code) == ("name", "taken")
    assert Element.objects.count() == 1


def test_element_create_needs_the_topology_role():
    with pytest.raises(Forbidden):
        topology.element_create(name="pop-1", kind="pop", actor=make_user("support"))

    topology.element_create(name="pop-1", kind="pop", actor=make_user("provisioning"))
    assert Element.objects.count() == 1


def test_element_update_moves_the_whole_subtree_in_one_statement():
    pop_1, pop_2 = make_element("pop-1"), make_element("pop-2")
    olt = make_element("olt-1", "olt", pop_1)
    pon = make_element("olt-1/pon-1", "pon_port", olt)
    make_element("cpe-1", "cpe", pon)

    with CaptureQueriesContext(connection) as queries:
        topology.element_update(element=olt, parent=pop_2, name="olt-9")

    assert tree() == {
        "pop-1": (None, "/pop-1/", 0),
        "pop-2": (None, "/pop-2/", 0),
        "olt-9": ("pop-2", "/pop-2/olt-9/", 1),
        "olt-1/pon-1": ("olt-9", "/pop-2/olt-9/olt-1/pon-1/", 2),
        "cpe-1": ("olt-1/pon-1", "/pop-2/olt-9/olt-1/pon-1/cpe-1/", 3),
    }
    assert sum('UPDATE "network_element" SET "path"' in query["sql"] for query in queries.captured_queries) == 1


def test_element_update_to_the_root_and_back_under_a_sibling():
    pop = make_element("pop-1")
    olt = make_element("olt-1", "olt", pop)
    pon = make_element("pon-1", "pon_port", olt)

    topology.element_update(element=olt, parent=None)
    topology.element_update(element=pop, parent=pon)

    assert tree() == {
        "olt-1": (None, "/olt-1/", 0),
        "pon-1": ("olt-1", "/olt-1/pon-1/", 1),
        "pop-1": ("pon-1", "/olt-1/pon-1/pop-1/", 2),
    }


@pytest.mark.parametrize("target", ["itself", "child", "grandchild"])
def test_element_update_under_itself_or_a_descendant_is_refused(target):
    pop = make_element("pop-1")
    olt = make_element("olt-1", "olt", pop)
    pon = make_element("pon-1", "pon_port", olt)
    before = tree()

    with pytest.raises(ValidationError) as caught:
        topology.element_update(element=pop, parent={"itself": pop, "child": olt, "grandchild": pon}[target])

    assert (caught.value.field, caught.value.code) == ("parent", "loop")
    assert tree() == before


def test_element_update_rename_to_a_taken_name_is_refused():
    make_element("pop-1")
    pop_2 = make_element("pop-2")

    with pytest.raises(ValidationError) as caught:
        topology.element_update(element=pop_2, name="pop-1")

    assert caught.value.field == "name"
    assert el("pop-2").pk == pop_2.pk


def test_element_delete_removes_a_leaf():
    pop = make_element("pop-1")
    olt = make_element("olt-1", "olt", pop)

    topology.element_delete(element=olt, actor=make_user("provisioning"))

    assert list(Element.objects.values_list("name", flat=True)) == ["pop-1"]


def test_element_delete_with_children_is_refused():
    pop = make_element("pop-1")
    make_element("olt-1", "olt", pop)

    with pytest.raises(Conflict) as caught:
        topology.element_delete(element=pop)

    assert caught.value.message == "pop-1 has 1 element below it: move or delete it first."
    assert Element.objects.count() == 2


def test_element_delete_with_a_service_bound_is_refused():
    pon = make_element("pon-1", "pon_port")
    service = live_service()
    inventory_services.service_bind_element(service=service, element=pon, source="staff")

    with pytest.raises(Conflict) as caught:
        topology.element_delete(element=pon)

    assert (caught.value.code, caught.value.message) == (
        "has_services",
        "1 service is bound to pon-1: bind it elsewhere first.",
    )
    assert Element.objects.filter(pk=pon.pk).exists()


def test_element_delete_with_outage_history_is_refused():
    pon = make_element("pon-1", "pon_port")
    _outage(pon, status="resolved")

    with pytest.raises(Conflict) as caught:
        topology.element_delete(element=pon)

    assert caught.value.code == "has_history"
    assert Element.objects.filter(pk=pon.pk).exists()


def test_element_delete_needs_the_topology_role():
    pop = make_element("pop-1")

    with pytest.raises(Forbidden):
        topology.element_delete(element=pop, actor=make_user("billing"))

    assert Element.objects.count() == 1


# --- Selectors ---------------------------------------------------------------------------------


def _outage(element: Element, *, kind: str = "unplanned", status: str = "open") -> Outage:
    return Outage.objects.create(
        element=element,
        kind=kind,
        status=status,
        source="staff",
        title=f"{kind} on {element.name}",
        started_at=FROZEN_AT,
        created_at=FROZEN_AT,
    )


@pytest.fixture
def sample():
    topology.topology_import(file=SAMPLE.read_bytes(), actor=None)
    return {element.name: element for element in Element.objects.all()}


def test_subtree_and_ancestors(sample):
    olt = sample["olt-1"]

    below = topology_selectors.subtree_ids(element=olt)
    above = topology_selectors.element_ancestors(element=sample["olt-1/pon-2"])

    assert sorted(below) == sorted(sample[name].pk for name in ("olt-1", "olt-1/pon-1", "olt-1/pon-2"))
    assert [element.name for element in above] == ["pop-machias", "olt-1"]
    assert topology_selectors.element_ancestors(element=sample["pop-machias"]) == []


def test_status_is_down_below_an_open_outage_and_maintenance_below_an_open_window(sample):
    _outage(sample["olt-1"])
    _outage(sample["pop-machias"], kind="maintenance")
    _outage(sample["ap-7-north"], status="resolved")
    _outage(sample["olt-2"], kind="maintenance", status="scheduled")

    statuses = topology_selectors.element_statuses(elements=list(sample.values()))

    assert {name: statuses[element.pk] for name, element in sample.items()} == {
        "pop-machias": "maintenance",
        "olt-1": "down",
        "olt-1/pon-1": "down",
        "olt-1/pon-2": "down",
        "olt-2": "maintenance",
        "olt-2/pon-1": "maintenance",
        "tower-7": "maintenance",
        "ap-7-north": "maintenance",
    }


def test_status_is_up_without_open_outages_above(sample):
    _outage(sample["olt-1/pon-1"])

    statuses = topology_selectors.element_statuses(elements=[sample["olt-1"], sample["olt-1/pon-2"]])

    assert statuses == {sample["olt-1"].pk: "up", sample["olt-1/pon-2"].pk: "up"}
    assert topology_selectors.element_status(element=sample["olt-1/pon-1"]) == "down"


def test_tree_rows_count_children_services_and_open_outages_below(sample):
    version = make_product(tasks=[TaskSpec("Install")])
    services = [live_service(version) for _ in range(3)]
    for service in services[:2]:
        inventory_services.service_bind_element(service=service, element=sample["olt-1/pon-1"], source="staff")
    inventory_services.service_bind_element(service=services[2], element=sample["ap-7-north"], source="staff")
    _outage(sample["olt-1/pon-1"])
    _outage(sample["olt-1/pon-2"], status="resolved")

    rows = topology_selectors.tree_rows(elements=list(topology_selectors.element_roots()))
    olt_rows = topology_selectors.tree_rows(elements=list(topology_selectors.element_children(element=sample["olt-1"])))

    assert [
        (row.element.name, row.status, row.children, row.services_below, row.open_outages_below) for row in rows
    ] == [("pop-machias", "up", 3, 3, 1)]
    assert [(row.element.name, row.status, row.services_below, row.open_outages_below) for row in olt_rows] == [
        ("olt-1/pon-1", "down", 2, 1),
        ("olt-1/pon-2", "up", 0, 0),
    ]


def test_element_outages_are_those_on_above_and_below_it(sample):
    above = _outage(sample["pop-machias"])
    on = _outage(sample["olt-1"], status="resolved")
    below = _outage(sample["olt-1/pon-2"], status="resolved")
    _outage(sample["olt-2"])

    touching = topology_selectors.element_outages(element=sample["olt-1"])

    assert sorted(outage.pk for outage in touching) == sorted([above.pk, on.pk, below.pk])


def test_element_search_finds_by_name_and_description(sample):
    found = topology_selectors.element_search(query="pon")
    by_description = topology_selectors.element_search(query="central office")

    assert [element.name for element in found] == ["olt-1/pon-1", "olt-1/pon-2", "olt-2/pon-1"]
    assert [element.name for element in by_description] == ["pop-machias"]
