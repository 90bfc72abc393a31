"""The topology tree in a browser: roots first, a node's children fetched when it is opened
(HTMX, under the Content-Security-Policy), then an element's page."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from headend.network import topology
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "network" / "topology-sample.csv"
RESULTS = Path("test-results")


def test_open_the_tree_node_by_node_then_an_elements_page(page, live_server):
    make_user("provisioning", username="noor", first_name="Noor")
    topology.topology_import(file=SAMPLE.read_bytes(), actor=None)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("noor")
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Topology").click()
    tree = page.locator("ul.topology")
    expect(tree.get_by_role("link", name="pop-machias")).to_be_visible()
    expect(tree.get_by_role("link", name="olt-1", exact=True)).to_have_count(0)  # not drawn until opened

    tree.get_by_title("Show the 3 elements below pop-machias").click()
    expect(tree.get_by_role("link", name="olt-1", exact=True)).to_be_visible()
    tree.get_by_title("Show the 2 elements below olt-1").click()
    expect(tree.get_by_role("link", name="olt-1/pon-2")).to_be_visible()
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "topology-tree.png"), full_page=True)

    tree.get_by_role("link", name="olt-1/pon-2").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("olt-1/pon-2")
    expect(page.get_by_role("navigation", name="breadcrumb")).to_contain_text("pop-machias")
    page.screenshot(path=str(RESULTS / "topology-element.png"), full_page=True)
