"""The topology's staff pages: the tree (roots, children by HTMX), an element's page, adding,
editing and removing elements, the CSV import with its errors by line; and binding a service to
an element from the service page. Every staff member reads; the network team changes."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headend.catalog.services import TaskSpec
from headend.inventory import services as inventory_services
from headend.inventory.models import ServiceElement
from headend.network import topology
from headend.network.models import Element, Outage
from tests.conftest import FROZEN_AT
from tests.factories import make_account, make_live_service, make_product, make_user

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "network" / "topology-sample.csv"


@pytest.fixture
def net():
    topology.topology_import(file=SAMPLE.read_bytes(), actor=None)
    return {element.name: element for element in Element.objects.all()}


@pytest.fixture
def network_client(client):
    client.force_login(make_user("provisioning"))
    return client


@pytest.fixture
def sales_client(client):
    client.force_login(make_user("sales"))
    return client


def live_service():
    return make_live_service(make_account(), make_product(tasks=[TaskSpec("Install")]))


def upload(content: str, name: str = "topology.csv"):
    return {"file": SimpleUploadedFile(name, content.encode(), content_type="text/csv")}


def test_topology_page_shows_the_roots_only_to_any_staff_member(sales_client, net):
    service = live_service()
    inventory_services.service_bind_element(service=service, element=net["olt-1/pon-1"], source="staff")

    response = sales_client.get(reverse("network:topology"))

    assert response.status_code == 200
    rows = [(row.element.name, row.status, row.children, row.services_below) for row in response.context["rows"]]
    assert rows == [("pop-machias", "up", 3, 1)]
    assert b'hx-get="/network/topology/elements/' in response.content
    assert b"Import a CSV" not in response.content  # the network team's
    assert b">Topology</a>" not in response.content  # the page opens; the menu lists it for the network team


def test_topology_search_finds_elements_anywhere_in_the_tree(sales_client, net):
    response = sales_client.get(reverse("network:topology"), {"q": "pon"})

    assert [row.element.name for row in response.context["rows"]] == ["olt-1/pon-1", "olt-1/pon-2", "olt-2/pon-1"]


def test_children_come_by_htmx_and_without_it_the_link_opens_the_element(sales_client, net):
    url = reverse("network:element_children", args=[net["pop-machias"].pk])

    partial = sales_client.get(url, headers={"HX-Request": "true"})
    plain = sales_client.get(url)

    assert [row.element.name for row in partial.context["rows"]] == ["olt-1", "olt-2", "tower-7"]
    assert b"<html" not in partial.content
    assert plain.status_code == 302
    assert plain.url == net["pop-machias"].get_absolute_url()


def test_element_page_shows_its_place_children_bound_services_and_outage_history(sales_client, net):
    service = live_service()
    inventory_services.service_bind_element(service=service, element=net["olt-1"], source="staff")
    Outage.objects.create(
        element=net["pop-machias"],
        status="open",
        source="staff",
        title="Fiber cut on Route 1",
        started_at=FROZEN_AT,
        created_at=FROZEN_AT,
    )

    response = sales_client.get(net["olt-1"].get_absolute_url())

    assert response.status_code == 200
    assert [element.name for element in response.context["ancestors"]] == ["pop-machias"]
    assert [row.element.name for row in response.context["children"]] == ["olt-1/pon-1", "olt-1/pon-2"]
    assert (response.context["row"].status, response.context["row"].services_below) == ("down", 1)
    content = response.content.decode()
    assert f'href="{service.get_absolute_url()}">{service.number}</a>' in content
    assert "Fiber cut on Route 1" in content
    assert response.context["child_form"] is None  # sales may not add


def test_unknown_element_is_404(sales_client):
    assert sales_client.get(reverse("network:element_detail", args=[987654])).status_code == 404


def test_import_as_a_role_without_topology_manage_is_refused_and_writes_nothing(sales_client):
    response = sales_client.post(reverse("network:topology_import"), upload("name,kind,parent\npop-1,pop,\n"))

    assert response.status_code == 403
    assert Element.objects.count() == 0


def test_import_adds_the_file_and_says_what_it_did(network_client):
    response = network_client.post(reverse("network:topology_import"), upload(SAMPLE.read_text()), follow=True)

    assert response.redirect_chain == [(reverse("network:topology"), 302)]
    assert Element.objects.count() == 8
    assert "topology.csv: 8 elements read; 8 added, 0 moved, 0 changed, 0 unchanged." in response.content.decode()


def test_import_with_errors_lists_them_by_line_and_writes_nothing(network_client):
    content = "name,kind,parent\npop-1,pop,\nA,olt,B\nB,olt,A\nolt-9,olt,pop-9\n"

    response = network_client.post(reverse("network:topology_import"), upload(content))

    assert response.status_code == 200
    assert [(error.line, error.column) for error in response.context["errors"]] == [(3, "parent"), (5, "parent")]
    page = response.content.decode()
    assert "2 errors in the file; nothing was imported." in page
    assert "A loop: A under B under A (lines 3, 4); an element cannot be below itself." in page
    assert "No element named &#x27;pop-9&#x27;, in the file or in the topology." in page
    assert Element.objects.count() == 0


def test_import_of_a_file_with_a_wrong_header_says_so_on_the_file(network_client):
    response = network_client.post(reverse("network:topology_import"), upload("element,type\npop-1,pop\n"))

    assert response.status_code == 200
    assert "it lacks name, kind, parent" in response.context["form"].errors["file"][0]
    assert Element.objects.count() == 0


def test_add_an_element_under_a_parent_named_in_the_form(network_client, net):
    response = network_client.post(
        reverse("network:element_create"), {"name": "olt-1/pon-3", "kind": "pon_port", "parent": "olt-1"}
    )

    created = Element.objects.get(name="olt-1/pon-3")
    assert response.url == net["olt-1"].get_absolute_url()
    assert (created.parent, created.path) == (net["olt-1"], f"{net['olt-1'].path}{created.pk}/")


def test_add_an_element_under_an_unknown_parent_says_so_on_the_field(network_client, net):
    response = network_client.post(
        reverse("network:element_create"), {"name": "olt-9", "kind": "olt", "parent": "pop-9"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"parent": ["No element named 'pop-9' in the topology."]}
    assert not Element.objects.filter(name="olt-9").exists()


def test_edit_moves_an_element_with_its_children_and_refuses_a_loop(network_client, net):
    url = reverse("network:element_edit", args=[net["olt-1"].pk])

    refused = network_client.post(url, {"name": "olt-1", "kind": "olt", "parent": "olt-1/pon-1"})
    moved = network_client.post(url, {"name": "olt-1", "kind": "olt", "parent": "tower-7", "description": ""})

    assert refused.status_code == 200
    assert refused.context["form"].errors["parent"] == [
        "olt-1 cannot move under olt-1/pon-1, which is below it: an element cannot be below itself."
    ]
    assert moved.url == net["olt-1"].get_absolute_url()
    pon = Element.objects.get(name="olt-1/pon-1")
    assert (pon.path, pon.depth) == (f"{net['tower-7'].path}{net['olt-1'].pk}/{pon.pk}/", 3)


def test_remove_a_leaf_and_a_refusal_for_an_element_with_children(network_client, net):
    refused = network_client.post(reverse("network:element_delete", args=[net["olt-2"].pk]), follow=True)
    removed = network_client.post(reverse("network:element_delete", args=[net["olt-2/pon-1"].pk]))

    assert "olt-2 has 1 element below it: move or delete it first." in refused.content.decode()
    assert removed.url == net["olt-2"].get_absolute_url()
    assert not Element.objects.filter(name="olt-2/pon-1").exists()


def test_service_page_shows_its_elements_and_the_network_team_binds_by_name(network_client, net):
    service = live_service()
    bind = reverse("inventory:service_element_bind", args=[service.pk])

    unknown = network_client.post(bind, {"element": "olt-9/pon-1"}, follow=True)
    bound = network_client.post(bind, {"element": "olt-1/pon-2"}, follow=True)

    assert "No element named &#x27;olt-9/pon-1&#x27; in the topology." in unknown.content.decode()
    assert list(ServiceElement.objects.values_list("service", "element__name", "source")) == [
        (service.pk, "olt-1/pon-2", "staff")
    ]
    page = bound.content.decode()
    assert f"{service.number} rides on olt-1/pon-2." in page
    assert f'href="{net["olt-1/pon-2"].get_absolute_url()}">olt-1/pon-2</a>' in page
    assert reverse("inventory:service_element_unbind", args=[service.pk, net["olt-1/pon-2"].pk]) in page


def test_service_page_unbind_removes_the_binding(network_client, net):
    service = live_service()
    inventory_services.service_bind_element(service=service, element=net["olt-1/pon-1"], source="staff")

    response = network_client.post(
        reverse("inventory:service_element_unbind", args=[service.pk, net["olt-1/pon-1"].pk])
    )

    assert response.url == service.get_absolute_url()
    assert ServiceElement.objects.count() == 0


def test_binding_as_sales_is_refused_and_the_form_is_not_shown(sales_client, net):
    service = live_service()

    page = sales_client.get(service.get_absolute_url())
    response = sales_client.post(
        reverse("inventory:service_element_bind", args=[service.pk]), {"element": "olt-1/pon-2"}
    )

    assert "Network elements" in page.content.decode()
    assert reverse("inventory:service_element_bind", args=[service.pk]) not in page.content.decode()
    assert response.status_code == 403
    assert ServiceElement.objects.count() == 0
