"""The template editor's rows (issue 18): a problem is said in words on the row that caused it,
whose inputs are marked invalid; rows are deleted, moved and added without JavaScript and the
"After" numbers follow them; each row has its equipment."""

import re

import pytest
from django.urls import reverse

from headend.catalog.models import TemplateTask
from tests.catalog.test_template_editor import rows as editor_rows
from tests.factories import make_product, make_user

pytestmark = pytest.mark.django_db


def rows(*tasks: dict, **buttons: str) -> dict:
    """The editor's form data for these rows, with the button pressed (`save="1"`, `move="up-2"`)."""
    return {**editor_rows(*tasks), **buttons}


@pytest.fixture
def editor(client):
    """A provisioning user's client on a product's "add" template (Schedule, Install, Activate)."""
    client.force_login(make_user("provisioning"))
    product = make_product().product
    return client, product, reverse("catalog:template_edit", args=[product.pk, "add"])


def names(product) -> list[str]:
    return list(product.templates.get(action="add").tasks.values_list("name", flat=True))


def row_html(page: str, number: int) -> str:
    """The markup of row `number` and of the error row under it, if any."""
    start = page.index(f'<tr id="row-{number}"')
    end = page.find('<tr id="row-', start + 10)
    return page[start : end if end != -1 else len(page)]


def test_a_cycle_marks_each_row_in_it_and_names_the_tasks(editor):
    client, product, url = editor

    response = client.post(
        url,
        rows(
            {"name": "Survey"},
            {"name": "Splice", "depends_on": "3"},
            {"name": "Test", "depends_on": "2"},
            save="1",
        ),
    )

    page = response.content.decode()
    assert "row-invalid" not in row_html(page, 1)
    for number in (2, 3):
        row = row_html(page, number)
        assert 'class="row-invalid"' in row
        assert re.search(r'name="tasks-\d-depends_on"[^>]*aria-invalid="true"', row)
        assert "The dependencies form a cycle: Splice -&gt; Test -&gt; Splice; remove one of them." in row
    assert response.context["errors"] == ["Nothing was saved: fix rows 2, 3, marked below."]
    assert "tasks[" not in page
    assert names(product) == ["Schedule", "Install", "Activate"]


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"name": "Survey"}, "name", "Two tasks are named 'Survey' (also row 1); names must differ."),
        (
            {"name": "Allocate", "kind": "code", "code_action": "ipam.allocate", "code_params": '{"family": "ipx"}'},
            "code_params",
            "Parameter “family”: The family is ipv4 or ipv6.",
        ),
        (
            {"name": "Allocate", "kind": "code", "code_action": "ipam.allocate", "code_params": '{"family": }'},
            "code_params",
            'Not valid JSON (expecting value at character 12); write an object such as {"pool": "residential-v4"}.',
        ),
        (
            {"name": "Install", "checklist": "Light level; " + "x" * 201},
            "checklist",
            "Checklist item 2 is 201 characters long; at most 200: " + "x" * 40 + "…",
        ),
        ({"name": "Install", "equipment": "ONT; " + "y" * 250}, "equipment", None),
        ({"name": "Install", "depends_on": "7"}, "depends_on", "Row 7 is not a task: give the number of a filled row."),
        ({"name": "Install", "kind": "code"}, "code_action", "A code task needs a code action: pick one."),
    ],
)
def test_a_problem_is_said_in_words_on_the_row_that_caused_it(editor, row, field, message):
    client, product, url = editor

    response = client.post(url, rows({"name": "Survey"}, row, save="1"))

    forms = response.context["formset"].forms
    assert forms[0].errors == (
        {} if field != "name" else {"name": ["Two tasks are named 'Survey' (also row 2); names must differ."]}
    )
    errors = forms[1].errors[field]
    if message is not None:
        assert errors == [message]
    else:
        assert errors[0].startswith("Equipment 2 is 250 characters long; at most 200")
    assert f'id="id_tasks-1-{field}_error"' in response.content.decode()
    assert names(product) == ["Schedule", "Install", "Activate"]


def test_deleting_a_row_removes_the_dependencies_on_it_and_renumbers_the_rest(editor):
    client, product, url = editor
    data = rows(
        {"name": "Survey"},
        {"name": "Permit"},
        {"name": "Splice", "depends_on": "1, 2+480"},
        {"name": "Test", "depends_on": "3"},
        delete="0",
    )

    response = client.post(url, data)

    forms = response.context["formset"].forms
    assert [(form["name"].value(), form["depends_on"].value()) for form in forms] == [
        ("Permit", ""),
        ("Splice", "1+480"),
        ("Test", "2"),
    ]
    assert response.context["notice"] == (
        "“Survey” deleted; “Splice” no longer waits for it. Save the template to keep the change."
    )
    assert names(product) == ["Schedule", "Install", "Activate"]  # nothing saved yet

    saved = client.post(url, {**response.context["formset"].data, "name": "Install", "save": "1"})

    assert saved.status_code == 302
    template = product.templates.get(action="add")
    assert [(task.position, task.name, [d.name for d in task.depends_on.all()]) for task in template.tasks.all()] == [
        (1, "Permit", []),
        (2, "Splice", ["Permit"]),
        (3, "Test", ["Splice"]),
    ]
    assert template.tasks.get(name="Splice").dependencies.get().lag_minutes == 480
    deleted = TemplateTask.history.filter(template_id=template.pk, history_type="-").values_list("name", flat=True)
    assert sorted(deleted) == ["Activate", "Install", "Schedule"]


def test_moving_a_row_up_and_down_keeps_what_each_task_waits_for(editor):
    client, product, url = editor
    data = rows({"name": "Survey"}, {"name": "Permit"}, {"name": "Splice", "depends_on": "1, 2"})

    up = client.post(url, {**data, "move": "up-2"})
    down = client.post(url, {**up.context["formset"].data, "move": "down-0"})

    def order(response):
        return [(form["name"].value(), form["depends_on"].value()) for form in response.context["formset"].forms]

    assert order(up) == [("Survey", ""), ("Splice", "1, 3"), ("Permit", "")]
    assert up.context["notice"] == "“Splice” moved up to row 2. Save the template to keep the change."
    assert order(down) == [("Splice", "2, 3"), ("Survey", ""), ("Permit", "")]
    page = down.content.decode()
    assert re.search(r'<button type="submit" name="move" value="up-0"[^>]*disabled', page)
    assert 'aria-label="Move row 3 down"' in page

    client.post(url, {**down.context["formset"].data, "name": "Install", "save": "1"})

    template = product.templates.get(action="add")
    assert [(task.position, task.name) for task in template.tasks.all()] == [
        (1, "Splice"),
        (2, "Survey"),
        (3, "Permit"),
    ]
    assert sorted(d.name for d in template.tasks.get(name="Splice").depends_on.all()) == ["Permit", "Survey"]


def test_a_move_past_the_ends_or_of_no_row_changes_nothing(editor):
    client, _, url = editor
    data = rows({"name": "Survey"}, {"name": "Permit"})

    for value in ("up-0", "down-1", "sideways-1", "up-9", "up-x"):
        response = client.post(url, {**data, "move": value})
        assert [form["name"].value() for form in response.context["formset"].forms] == ["Survey", "Permit"]
        assert response.context["notice"] == ""


def test_add_a_row_gives_a_blank_manual_row_at_the_end(editor):
    client, _, url = editor

    response = client.post(url, rows({"name": "Survey"}, add="1"))

    forms = response.context["formset"].forms
    assert [(form["name"].value(), form["kind"].value()) for form in forms] == [("Survey", "manual"), (None, "manual")]
    assert response.context["errors"] == []


def test_equipment_is_edited_per_row_and_copied_onto_the_template(editor):
    client, product, url = editor

    client.post(url, rows({"name": "Install ONT", "equipment": "ONT; 2 m patch cord;  "}, save="1"))

    task = product.templates.get(action="add").tasks.get()
    assert task.equipment == ["ONT", "2 m patch cord"]
    form = client.get(url).context["formset"].forms[0]
    assert form.initial["equipment"] == "ONT; 2 m patch cord"
