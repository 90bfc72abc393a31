import pytest
from django.urls import reverse

from headend.fulfillment.models import WorkOrder
from tests.factories import make_product, make_quote, make_user

pytestmark = pytest.mark.django_db


def rows(*tasks: dict) -> dict:
    data = {"name": "Install", "tasks-TOTAL_FORMS": str(len(tasks)), "tasks-INITIAL_FORMS": "0"}
    for index, task in enumerate(tasks):
        values = {"kind": "manual", "planned_minutes": "60", **task}
        data.update({f"tasks-{index}-{key}": value for key, value in values.items()})
    return data


@pytest.fixture
def editor(client):
    client.force_login(make_user("provisioning"))
    version = make_product()
    return client, version.product, reverse("catalog:template_edit", args=[version.product.pk, "add"])


def test_the_editor_shows_the_current_tasks(editor):
    client, _, url = editor

    response = client.get(url)

    assert [form.initial["name"] for form in response.context["formset"].forms[:3]] == [
        "Schedule",
        "Install",
        "Activate",
    ]
    assert response.context["formset"].forms[1].initial["depends_on"] == "1"


def test_preview_schedules_the_rows_without_saving(editor):
    client, product, url = editor

    response = client.post(
        url,
        {
            **rows(
                {"name": "Survey", "planned_minutes": "240"},
                {"name": "Build", "planned_minutes": "540", "depends_on": "1+60"},
            ),
            "preview": "1",
        },
    )

    preview = response.context["preview"]
    assert [(row.name, row.critical) for row in preview] == [("Survey", True), ("Build", True)]
    # Monday 2 March 10:00: survey to 14:00, 60 min lag, then 540 min = to 15:00 on Tuesday.
    assert response.context["go_live"].isoformat() == "2026-03-03T20:00:00+00:00"
    assert list(product.templates.get(action="add").tasks.values_list("name", flat=True)) == [
        "Schedule",
        "Install",
        "Activate",
    ]


def test_a_cycle_is_refused_and_named(editor):
    client, product, url = editor

    response = client.post(
        url, {**rows({"name": "A", "depends_on": "2"}, {"name": "B", "depends_on": "1"}), "save": "1"}
    )

    forms = response.context["formset"].forms
    assert [form.errors["depends_on"] for form in forms[:2]] == [
        ["The dependencies form a cycle: A -> B -> A; remove one of them."]
    ] * 2
    assert response.context["errors"] == ["Nothing was saved: fix rows 1, 2, marked below."]
    assert product.templates.get(action="add").tasks.count() == 3


def test_saving_replaces_the_template_but_not_existing_work_orders(editor):
    client, product, url = editor
    quote = make_quote(status="accepted", version=product.versions.get())

    response = client.post(url, {**rows({"name": "Turn up only"}), "save": "1"})

    assert response.status_code == 302
    assert list(product.templates.get(action="add").tasks.values_list("name", flat=True)) == ["Turn up only"]
    work_order = WorkOrder.objects.get(order_line__order__quote=quote)
    assert list(work_order.tasks.values_list("name", flat=True)) == ["Schedule", "Install", "Activate"]


def test_sales_may_not_edit_templates(client):
    client.force_login(make_user("sales"))
    version = make_product()

    assert client.get(reverse("catalog:template_edit", args=[version.product.pk, "add"])).status_code == 403


def test_code_task_parameters_are_saved_as_json_and_checked_by_their_action(editor):
    client, product, url = editor

    response = client.post(
        url,
        {
            **rows(
                {
                    "name": "Allocate",
                    "kind": "code",
                    "code_action": "ipam.allocate",
                    "code_params": '{"family": "ipv6"}',
                },
                {"name": "Bad", "kind": "code", "code_action": "ipam.allocate", "code_params": '{"family": "ipx"}'},
            ),
            "save": "1",
        },
    )

    assert response.status_code == 200  # refused: the second row's family is wrong
    assert response.context["formset"].forms[1].errors["code_params"] == [
        "Parameter “family”: The family is ipv4 or ipv6."
    ]
    assert list(product.templates.get(action="add").tasks.values_list("name", flat=True)) == [
        "Schedule",
        "Install",
        "Activate",
    ]

    client.post(
        url,
        {
            **rows(
                {
                    "name": "Allocate",
                    "kind": "code",
                    "code_action": "ipam.allocate",
                    "code_params": '{"family": "ipv6"}',
                }
            ),
            "save": "1",
        },
    )

    task = product.templates.get(action="add").tasks.get()
    assert (task.code_action, task.code_params) == ("ipam.allocate", {"family": "ipv6"})
    assert client.get(url).context["formset"].forms[0].initial["code_params"] == {"family": "ipv6"}


def test_parameters_that_are_not_json_are_a_field_error(editor):
    client, _, url = editor

    response = client.post(
        url,
        {
            **rows({"name": "Allocate", "kind": "code", "code_action": "ipam.allocate", "code_params": "{family"}),
            "save": "1",
        },
    )

    assert response.context["formset"].forms[0].errors["code_params"] == [
        "Not valid JSON (expecting property name enclosed in double quotes at character 2); "
        'write an object such as {"pool": "residential-v4"}.'
    ]
