"""Every staff page, as each role, on a phone and at a desk (issue 18's acceptance).

Each staff role (every core.permissions.Role but integration, a program's account) logs in to the
demo provider and walks the staff UI from its home page: the navigation's links first, then the
same-origin links found on the pages, one address per Django route (the first seen; `resolve()`
names it), so the walk is bounded however many records there are and finds the pages other work
adds without a list to keep. On every page: it opens (200; a navigation link the role may not
open fails, naming the role and the link), the body does not scroll sideways at 390 px nor,
after widening the same page, at 1440 px, and every form control has a label. On the home
page: the skip link is the first tab stop and moves focus to the content, the first five tab
stops show a focus ring, and on a phone the menu folds behind a button that opens and closes it.

The demo is loaded once for the module (web/demo, through the use cases: every page has records
to show) and served by a live server of the module's own: pytest-django's `live_server` would
make every test transactional, flushing the demo after each role. The tests do not write; what
logging in writes is rolled back with each test, and the module empties the databases after."""

import os
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connections
from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, ViewportSize
from pytest_django.live_server_helper import LiveServer

from headend.core.permissions import Role
from headend.web import demo
from tests.radius_fixtures import empty_radius_tables

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases=["default", "radius"])]

PHONE: ViewportSize = {"width": 390, "height": 844}
DESK: ViewportSize = {"width": 1440, "height": 900}
ROLES = [role for role in Role if role != Role.INTEGRATION]
# Layout, labels and menus do not depend on the database: every role walks on the SQLite pass;
# the PostgreSQL pass walks as admin only, who opens every page (each page's queries run there).
if connections["default"].vendor != "sqlite":
    ROLES = [Role.ADMIN]
# Not the staff UI, or not a page: the API and its docs, Django's admin, the customer portal and
# signing pages, files.
NOT_WALKED_PREFIXES = ("/tmf-api/", "/admin/", "/portal/", "/sign/", "/static/", "/media/", "/logout/")
FILE_SUFFIXES = (".pdf", ".csv", ".ics", ".json", ".xml", ".zip", ".txt", ".png", ".jpg")

# The element that makes the page wider than the window, to name it when it does.
OVERFLOW = """() => {
  const root = document.documentElement;
  const limit = root.clientWidth;
  if (root.scrollWidth <= limit) return null;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + [...el.classList].map((c) => "." + c).join("");
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= limit + 1 || clipped(el)) continue;
    const parent = el.parentElement && el.parentElement.getBoundingClientRect();
    if (parent && parent.right > limit + 1) continue;  // its parent is named already
    const path = [];
    for (let up = el; up && up !== document.body && path.length < 4; up = up.parentElement) path.unshift(name(up));
    wide.push(path.join(" > ") + " (" + Math.round(box.right) + " px)");
    if (wide.length === 3) break;
  }
  return root.scrollWidth + " px wide in " + limit + ": " + (wide.join("; ") || "(no single element)");
}"""

# What the focused element shows: a ring (outline or box-shadow) while :focus-visible.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== "none" && !/^(rgba\\(0, 0, 0, 0\\)|transparent)/.test(style.boxShadow);
  return {
    name: el.tagName.toLowerCase() + (el.className ? "." + String(el.className).trim().split(/\\s+/).join(".") : ""),
    text: (el.innerText || el.getAttribute("aria-label") || el.value || "").trim().slice(0, 40),
    id: el.id,
    ring: el.matches(":focus-visible") && (outline || shadow),
    onScreen: box.bottom > 0 && box.top < window.innerHeight && box.right > 0 && box.left < window.innerWidth,
  };
}"""

# Form controls nobody could name: no <label> (a duplicate id gives the label to the other one),
# no aria-label or aria-labelledby.
UNLABELLED = """() => [...document.querySelectorAll("input, select, textarea")]
  .filter((el) => !["hidden", "submit", "button", "reset", "image"].includes(el.type) && !el.closest("[hidden]"))
  .filter((el) => !el.labels.length && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
  .map((el) => el.tagName.toLowerCase() + (el.name ? "[name=" + el.name + "]" : "") + (el.id ? "#" + el.id : ""))"""


@dataclass
class Walk:
    role: str
    base: str
    visited: dict[str, str] = field(default_factory=dict)  # route name -> the address opened
    linked_from: dict[str, str] = field(default_factory=dict)
    nav: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def fail(self, path: str, problem: str) -> None:
        where = "navigation link" if path in self.nav else f"linked from {self.linked_from.get(path, '?')}"
        self.failures.append(f"{self.role}: {path} ({where}): {problem}")


@pytest.fixture(scope="module")
def demo_server(django_db_setup, django_db_blocker, radius_schema) -> Iterator[str]:
    """The demo provider behind a live server, for the whole module; emptied afterwards."""
    with django_db_blocker.unblock():
        empty_radius_tables()
        for role in Role:  # a transactional test before may have flushed the migration's groups
            Group.objects.get_or_create(name=role.value)
        # What the migrations wrote (groups, the standard terms...), put back when the module is
        # done: later tests on this worker rely on it, and `flush` empties every table.
        before = connections["default"].creation.serialize_db_to_string()
        started, cpu = time.monotonic(), time.process_time()
        demo.load()
        print(f"\nThe demo loaded in {time.monotonic() - started:.1f} s ({time.process_time() - cpu:.1f} s CPU).")
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            yield server.url
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            # As a serialized rollback does: no post-migrate signal, whose rows the saved state holds.
            call_command("flush", interactive=False, verbosity=0, database="default", inhibit_post_migrate=True)
            connections["default"].creation.deserialize_db_from_string(before)
            reset_sequences(connections["default"])
            empty_radius_tables()
            # Code run beside Playwright's sync API has its own connections (a context of its
            # own): closed here, or the test databases could not be dropped at the end.
            for connection in connections.all():
                connection.close()


def reset_sequences(connection) -> None:
    """PostgreSQL's id sequences past the rows put back with their ids (SQLite needs none)."""
    tables = set(connection.introspection.table_names())
    models = [model for model in apps.get_models() if model._meta.managed and model._meta.db_table in tables]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def username_for(role: Role) -> str:
    return next(user.username for user in demo.USERS if user.roles == (role.value,))


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert urlsplit(page.url).path != "/login/", f"{username} could not log in"


def route_of(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def walked(address: str) -> bool:
    path = urlsplit(address).path
    return not (path.startswith(NOT_WALKED_PREFIXES) or path.endswith(FILE_SUFFIXES) or "/attachments/" in path)


def links_on(page: Page, base: str) -> list[str]:
    """The page's same-origin links, as path and query."""
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map((link) => link.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(urljoin(page.url, href))
        if f"{parts.scheme}://{parts.netloc}" == base:
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def check_home(page: Page, walk: Walk) -> None:
    """The skip link first, then four more tab stops, each with a visible ring; the skip link
    takes focus to the content. On a phone the menu opens from its button and closes on Escape."""
    stops = []
    for _ in range(5):
        page.keyboard.press("Tab")
        if not (stop := page.evaluate(FOCUSED)):
            break  # past the page's last tab stop (a home page with little on it)
        stops.append(stop)
    if len(stops) < 4:
        walk.fail("/", f"only {len(stops)} tab stops: {stops}")
    if not stops or "skip-link" not in stops[0]["name"] or not stops[0]["onScreen"]:
        walk.fail("/", f"the first tab stop is not a visible skip link: {stops[:1]}")
    for stop in stops:
        if not stop["ring"]:
            walk.fail("/", f"a tab stop shows no focus ring: {stop}")
    page.focus(".skip-link")
    page.keyboard.press("Enter")
    if page.evaluate("document.activeElement.id") != "content":
        walk.fail("/", "the skip link does not move focus to the content (main#content)")

    menu = page.locator("[data-menu-button]")
    links = page.locator("nav[aria-label='Main'] a")
    if links.first.is_visible():
        walk.fail("/", "on a phone the menu's links fill the first screen (no folded menu)")
    menu.focus()
    page.keyboard.press("Enter")
    if menu.get_attribute("aria-expanded") != "true" or not links.first.is_visible():
        walk.fail("/", "the Menu button does not open the menu")
    page.keyboard.press("Escape")
    if menu.get_attribute("aria-expanded") != "false" or links.first.is_visible():
        walk.fail("/", "Escape does not close the menu")


def visit(page: Page, walk: Walk, path: str) -> list[str]:
    """Open `path` at phone width, check it there and at desk width; the links it has."""
    page.set_viewport_size(PHONE)
    try:
        response = page.goto(walk.base + path)
    except PlaywrightError as error:
        if "Download is starting" in str(error):
            walk.skipped.append(path)
            return []
        raise
    if response is None or response.status != 200:
        walk.fail(path, f"answered {response.status if response else 'nothing'}")
        return []
    if not response.headers.get("content-type", "").startswith("text/html"):
        walk.skipped.append(path)
        return []
    if path == "/":
        check_home(page, walk)
    if overflow := page.evaluate(OVERFLOW):
        walk.fail(path, f"at 390 px the page scrolls sideways: {overflow}")
    if unlabelled := page.evaluate(UNLABELLED):
        walk.fail(path, f"form controls without a label: {', '.join(unlabelled)}")
    page.set_viewport_size(DESK)
    if overflow := page.evaluate(OVERFLOW):
        walk.fail(path, f"at 1440 px the page scrolls sideways: {overflow}")
    if path == "/":
        walk.nav = [
            link for link in page.eval_on_selector_all("nav[aria-label='Main'] a", "as => as.map((a) => a.href)")
        ]
        walk.nav = [urlsplit(link).path for link in walk.nav if link.startswith(walk.base)]
    return links_on(page, walk.base)


def walk_staff_ui(page: Page, base: str, role: str) -> Walk:
    walk = Walk(role=role, base=base)
    queue: deque[str] = deque(["/"])
    walk.visited["home"] = "/"
    while queue:
        path = queue.popleft()
        found = visit(page, walk, path)
        if path == "/":
            found = walk.nav + found  # the navigation first
            for link in walk.nav:
                if not walked(link):
                    check_outside_link(page, walk, link)
        for link in found:
            if not walked(link):
                continue
            route = route_of(urlsplit(link).path)
            if route is None:
                walk.linked_from.setdefault(link, path)
                walk.fail(link, "matches no page (404)")
            elif route not in walk.visited:
                walk.visited[route] = link
                walk.linked_from.setdefault(link, path)
                queue.append(link)
    return walk


def check_outside_link(page: Page, walk: Walk, link: str) -> None:
    """A navigation link out of the walk (the API docs, the admin) still has to open."""
    response = page.request.get(walk.base + link, max_redirects=0)
    if response.status != 200:
        walk.fail(link, f"answered {response.status}")


def cpu_seconds() -> float:
    """CPU used by this process (the tests and the live server) and every process under it (the
    browser), read from /proc: what a role's walk costs, printed with it."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        pid = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(pid)
        ticks[pid] = sum(int(value) for value in fields[11:15])  # utime, stime and reaped children's
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo += children.get(pid, [])
    return total / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("role", ROLES, ids=[role.value for role in ROLES])
def test_every_staff_page_fits_a_phone_and_a_desk_and_opens_for_the_role(page, demo_server, role):
    started, cpu = time.monotonic(), cpu_seconds()
    page.set_viewport_size(PHONE)
    log_in(page, demo_server, username_for(role))

    walk = walk_staff_ui(page, demo_server, role.value)

    seconds, cpu = time.monotonic() - started, cpu_seconds() - cpu
    print(
        f"\n{role.value}: {len(walk.visited)} pages in {seconds:.1f} s, {cpu:.1f} s CPU with the browser's, "
        f"{len(walk.skipped)} files skipped; navigation: {', '.join(walk.nav)}"
    )
    assert len(walk.visited) > len(walk.nav) >= 3, walk.visited  # it walked, and past the menu
    assert walk.failures == [], "\n".join(walk.failures)
