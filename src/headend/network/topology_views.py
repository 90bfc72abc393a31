"""The staff pages of the network topology: the tree (roots first, a node's children fetched when
it is opened, never the whole tree at once), an element's page, adding, editing, moving and
removing elements, and the CSV import with its errors by line. Every staff member reads them;
changes need "topology.manage"."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from headend.core import panels
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.http import HtmxHttpRequest
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required, staff_required
from headend.network import topology, topology_selectors
from headend.network.forms import ElementForm, TopologyImportForm
from headend.network.models import Element

ROOTS_PER_PAGE = 50
CHILDREN_PER_PAGE = 100
ERRORS_SHOWN = 500  # lines of errors a refused import lists (the count says how many in all)
# What is usually added below an element of each kind (the add-a-child form's first choice).
CHILD_KINDS: dict[str, str] = {
    Element.Kind.POP: Element.Kind.OLT,
    Element.Kind.OLT: Element.Kind.PON_PORT,
    Element.Kind.CMTS: Element.Kind.CPE,
    Element.Kind.TOWER: Element.Kind.SECTOR,
    Element.Kind.PON_PORT: Element.Kind.CPE,
    Element.Kind.SECTOR: Element.Kind.CPE,
    Element.Kind.SWITCH: Element.Kind.SWITCH,
}


def _outage_links() -> bool:
    """Whether the outage pages (network:outage_detail) are there to link to."""
    try:
        reverse("network:outage_detail", args=[1])
    except NoReverseMatch:
        return False
    return True


@staff_required
def topology_view(request: HttpRequest) -> HttpResponse:
    """The topology: its roots (or the elements a search finds), each with its status, the
    services and open outages below it; open a node to see its children."""
    query = request.GET.get("q", "").strip()[:100]
    context: dict = {"page_obj": None}
    if query:
        context["rows"] = topology_selectors.tree_rows(elements=topology_selectors.element_search(query=query))
    else:
        context |= paginate(request, topology_selectors.element_roots(), per_page=ROOTS_PER_PAGE)
        context["rows"] = topology_selectors.tree_rows(elements=list(context["items"]))
    context |= {
        "query": query,
        "open_outages": topology_selectors.open_outages(),
        "kind_counts": topology_selectors.element_kind_counts(),
        "outage_links": _outage_links(),
        "can_manage": may(request.user, "topology.manage"),
    }
    return render(request, "network/topology.html", context)


@staff_required
def element_children_view(request: HtmxHttpRequest, element_id: int) -> HttpResponse:
    """A node's children for the tree (HTMX); without JavaScript the link opens its page."""
    element = topology_selectors.element_get(element_id=element_id)
    if not request.htmx:
        return redirect(element)
    shown = topology_selectors.CHILDREN_SHOWN
    children = list(topology_selectors.element_children(element=element)[: shown + 1])
    context = {
        "parent": element,
        "rows": topology_selectors.tree_rows(elements=children[:shown]),
        "more": len(children) > shown,
        "outage_links": _outage_links(),
    }
    return render(request, "network/_topology_nodes.html", context)


@staff_required
def element_detail_view(request: HttpRequest, element_id: int) -> HttpResponse:
    """An element: where it sits (its ancestors), its status, its children, the services bound to
    it (inventory's panel), the outages that touched it, and a form to add a child."""
    element = topology_selectors.element_get(element_id=element_id)
    can_manage = may(request.user, "topology.manage")
    child_form = ElementForm(initial={"parent": element.name, "kind": CHILD_KINDS.get(element.kind)})
    page = paginate(request, topology_selectors.element_children(element=element), per_page=CHILDREN_PER_PAGE)
    context = {
        "element": element,
        "row": topology_selectors.element_row(element=element),
        "ancestors": topology_selectors.element_ancestors(element=element),
        **page,
        "children": topology_selectors.tree_rows(elements=list(page["items"])),
        "outages": topology_selectors.element_outages(element=element),
        "outage_links": _outage_links(),
        "section_panels": panels.render("element.sections", request=request, obj=element),
        "can_manage": can_manage,
        "child_form": child_form if can_manage else None,
    }
    return render(request, "network/element_detail.html", context)


@permission_required("topology.manage")
def element_create_view(request: HttpRequest) -> HttpResponse:
    """Add an element (a root, or under the parent named; the element page's form sends here)."""
    form = ElementForm(request.POST or None, initial={"parent": request.GET.get("parent", "")[:100]})
    if request.method == "POST" and form.is_valid():
        try:
            element = topology.element_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{element.name} added to the topology.")
            return redirect(element.parent or element)
    return render(request, "network/element_form.html", {"form": form, "element": None})


@permission_required("topology.manage")
def element_edit_view(request: HttpRequest, element_id: int) -> HttpResponse:
    """Rename an element, change its kind or description, or move it (and all below it)."""
    element = topology_selectors.element_get(element_id=element_id)
    initial = {
        "name": element.name,
        "kind": element.kind,
        "parent": element.parent.name if element.parent else "",
        "description": element.description,
    }
    form = ElementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            element = topology.element_update(element=element, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{element.name} saved.")
            return redirect(element)
    return render(request, "network/element_form.html", {"form": form, "element": element})


@require_POST
@permission_required("topology.manage")
def element_delete_view(request: HttpRequest, element_id: int) -> HttpResponse:
    element = topology_selectors.element_get(element_id=element_id)
    try:
        topology.element_delete(element=element, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(element)
    messages.success(request, f"{element.name} removed from the topology.")
    return redirect(element.parent or "network:topology")


@permission_required("topology.manage")
def topology_import_view(request: HttpRequest) -> HttpResponse:
    """Import a CSV of elements while the page waits: all of it, or nothing and every error by line."""
    form = TopologyImportForm(request.POST or None, request.FILES or None)
    errors: list[topology.LineError] = []
    error_count = 0
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = topology.topology_import(file=upload.read(), actor=request.user)
        except topology.TopologyFileError as exc:
            form.add_error("file", exc.message)
            errors, error_count = exc.errors[:ERRORS_SHOWN], len(exc.errors)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"{upload.name}: {result.rows:,} elements read; {result.created:,} added, {result.moved:,} moved, "
                f"{result.changed:,} changed, {result.unchanged:,} unchanged"
                + (f"; {result.below_moved:,} below moved elements followed them." if result.below_moved else "."),
            )
            return redirect("network:topology")
    context = {"form": form, "errors": errors, "error_count": error_count, "kinds": Element.Kind.choices}
    return render(request, "network/topology_import.html", context)
