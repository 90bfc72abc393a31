"""The Content-Security-Policy (settings.py, issue 11) on every staff page, every customer page
and the Django admin: the header is there, enforced, with no 'unsafe-*' source, and no page
holds what it would block (an inline script, an event-handler attribute, a style attribute, a
<style> without the request's nonce). The browser tests check the same live (tests/e2e/conftest.py)."""

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from headend.billing.accounts import default_billing_account
from headend.billing.models import BillingAccount, BillRun, Invoice, TaxRate
from headend.catalog.models import Product
from headend.contracts import services as contracts_services
from headend.core import clock
from headend.core.models import OutboxEvent
from headend.crm.models import Account, Contact, Location, Opportunity
from headend.fulfillment.models import Task, TaskAttachment, WorkOrder
from headend.hub.models import Delivery, Subscription
from headend.inventory.models import Service
from headend.ipam.models import IPPool
from headend.network.models import CoverageArea, CoverageImport
from headend.orders.models import Order
from headend.quoting import services as quoting_services
from headend.quoting.models import Quote
from tests.api.client import TMFClient
from tests.contracts.conftest import link_from_outbox, make_offer
from tests.contracts.test_signing import accept
from tests.e2e.test_minimal_records_pages import admin_add_bare_account, build_minimal_records, staff_pages
from tests.factories import make_user
from tests.ipam.factories import make_pool
from tests.network.factories import fcc_line, import_fcc, write_csv

pytestmark = pytest.mark.django_db

# The record each URL parameter names: a route whose parameters are all here is opened for the
# first such record, so a new page is checked without being listed.
PARAMETERS: dict[str, type[models.Model]] = {
    "tax_rate_id": TaxRate,
    "billing_account_id": BillingAccount,
    "invoice_id": Invoice,
    "bill_run_id": BillRun,
    "account_id": Account,
    "location_id": Location,
    "contact_id": Contact,
    "opportunity_id": Opportunity,
    "product_id": Product,
    "quote_id": Quote,
    "order_id": Order,
    "service_id": Service,
    "work_order_id": WorkOrder,
    "task_id": Task,
    "attachment_id": TaskAttachment,
    "import_id": CoverageImport,
    "area_id": CoverageArea,
    "pool_id": IPPool,
    "delivery_id": Delivery,
    "subscription_id": Subscription,
}
STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
DOWNLOAD = "sandbox; default-src 'none'"  # core/user_files.py


def policy(response: Any) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


class InlineFinder(HTMLParser):
    """What a page holds that the policy would block."""

    def __init__(self, nonce: str):
        super().__init__()
        self.nonce, self.problems = nonce, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>")
            elif name.startswith("on") or (
                name in ("href", "src", "action", "formaction")
                and (value or "").strip().lower().startswith("javascript:")
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and "src" not in values and values.get("type") != "application/json":
            self.problems.append("inline <script>")
        if tag == "style" and (not self.nonce or values.get("nonce") != self.nonce):
            self.problems.append("<style> without the request's nonce")


def problems_of(response: Any) -> list[str]:
    """Why `response` breaks the rules: its policy is missing or loose, or its HTML holds
    something the policy blocks."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}"]
    if response.get("Content-Disposition", "").startswith("attachment"):
        return (
            []
            if response["Content-Security-Policy"] == DOWNLOAD
            else [f"download policy {response.get('Content-Security-Policy')!r}"]
        )
    found = policy(response)
    problems = [f"{name} {found.get(name)}" for name, sources in STRICT.items() if found.get(name) != sources]
    nonces = [source[7:-1] for source in found.get("style-src", []) if source.startswith("'nonce-")]
    if [s for s in found.get("style-src", []) if not s.startswith("'nonce-")] != ["'self'"]:
        problems.append(f"style-src {found.get('style-src')}")
    if "Content-Security-Policy-Report-Only" in response:
        problems.append("report-only")
    if response.get("Content-Type", "").startswith("text/html"):
        finder = InlineFinder(nonces[0] if nonces else "")
        finder.feed(b"".join(response.streaming_content).decode() if response.streaming else response.content.decode())
        problems += finder.problems
    return problems


def walk(patterns: list[Any], namespace: str = "") -> list[tuple[str, URLPattern]]:
    routes = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}:{pattern.namespace}"
                if namespace and pattern.namespace
                else pattern.namespace or namespace
            )
            routes += walk(pattern.url_patterns, inner or "")
        elif pattern.name:
            routes.append((f"{namespace}:{pattern.name}" if namespace else pattern.name, pattern))
    return routes


def routed_pages() -> list[str]:
    """Every named route of the site (not the admin's or the API's) whose parameters are all records."""
    first = {
        name: model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        for name, model in PARAMETERS.items()
    }
    pages = []
    for name, pattern in walk(get_resolver().url_patterns):
        if name.startswith(("admin:", "tmf:")):
            continue
        parameters = list(pattern.pattern.regex.groupindex)
        if all(first.get(parameter) for parameter in parameters):
            pages.append(reverse(name, kwargs={parameter: first[parameter] for parameter in parameters}))
    return pages


def admin_pages() -> list[str]:
    """The admin's index and, for every model it registers, its list, its add form and a record."""
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        if not opts.managed:  # django-rq's queue pages, which need a Redis
            continue
        pages += [reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")]
        pages += [reverse(f"admin:{opts.app_label}_{opts.model_name}_add")]
        pk = model._default_manager.values_list("pk", flat=True).first()
        if pk is not None:
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]))
    return pages


def other_pages(tmp_path: Any, owner: Any) -> list[str]:
    """Beside the minimal records: an attachment, an IP pool, a coverage import, a webhook
    listener with a delivery, jobs of a site import and of a quote PDF, so their pages (and
    those whose parameters are not records) are opened too."""
    draft = Quote.objects.filter(status="draft").first()
    site_job = quoting_services.site_import_job_create(
        quote=draft, upload=SimpleUploadedFile("sites.csv", b"site_name,address\n")
    )
    document_job = contracts_services.quote_document_prepare(quote=draft, requested_by=owner)
    task = Task.objects.first()
    attachment = TaskAttachment(task=task, name="speed.txt", uploaded_at=clock.now())
    attachment.file.save("speed.txt", ContentFile(b"940 Mbps\n"))
    make_pool()
    billing_account = default_billing_account(account=Account.objects.first())
    Invoice.objects.create(
        billing_account=billing_account,
        bill_date=dt.date(2026, 3, 1),
        due_date=dt.date(2026, 3, 16),
        currency="USD",
        created_at=clock.now(),
    )
    BillRun.objects.create(as_of=dt.date(2026, 3, 1), created_at=clock.now())
    TaxRate.objects.create(
        level="state",
        name="Maine sales tax",
        state="ME",
        category="equipment",
        rate_percent="5.5",
        effective_from=dt.date(2026, 1, 1),
        created_at=clock.now(),
    )
    import_fcc(write_csv(tmp_path / "fcc.csv", [fcc_line()]))
    subscription = Subscription.objects.create(
        api="serviceInventory/v4",
        callback="https://crm.example.com/hooks",
        secret="s",
        created_by=owner,
        created_at=clock.now(),
    )
    event = OutboxEvent.objects.first()
    Delivery.objects.create(
        subscription=subscription,
        outbox_event=event,
        event_type="ServiceStateChangeEvent",
        subject_key="service/1",
        url="https://crm.example.com/hooks/listener/serviceStateChangeEvent",
        body='{"eventType": "ServiceStateChangeEvent"}',
        status="failed",
        created_at=clock.now(),
    )
    return [
        reverse("catalog:template_edit", args=[Product.objects.first().pk, "add"]),
        reverse("quoting:site_import_job", args=[draft.pk, site_job.pk]),
        reverse("contracts:document_job", args=[draft.pk, document_job.pk]),
    ]


def test_every_staff_page_and_the_admin_carry_the_policy_and_nothing_it_blocks(client, run_worker, tmp_path):
    owner = make_user("sales", "provisioning")
    build_minimal_records(TMFClient.for_user(client, owner), run_worker)
    staff = Client(raise_request_exception=False)
    staff.force_login(make_user("admin", is_staff=True, is_superuser=True))
    admin_add_bare_account(staff)
    extra = other_pages(tmp_path, owner)
    pages = sorted(set(staff_pages() + routed_pages() + admin_pages() + extra + [reverse("tmf:openapi-view")]))

    problems = {page: found for page in pages if (found := problems_of(staff.get(page)))}

    assert problems == {}
    assert len(pages) > 150


def test_every_customer_page_carries_the_policy_and_nothing_it_blocks(run_worker):
    make_offer()
    run_worker()
    path = link_from_outbox()
    visitor = Client(raise_request_exception=False)

    pages = {"login": visitor.get(reverse("login")), "sign": visitor.get(path)}
    accept(visitor, path)
    pages |= {
        "done": visitor.get(path + "done/"),
        "closed": visitor.post(path, {"decision": "accept"}),
        "invalid": visitor.get(re.sub(r"/sign/\d+/", "/sign/999999/", path)),
        "pdf": visitor.get(path + "quote.pdf"),
        "not found": visitor.get("/no-such-page/"),
    }

    assert {name: found for name, response in pages.items() if (found := problems_of(response))} == {}
    assert "Content-Security-Policy" in pages["not found"]


def test_the_quote_document_on_screen_styles_itself_with_the_request_nonce(client):
    client.force_login(make_user("sales"))
    quote = make_offer()

    response = client.get(reverse("contracts:quote_document", args=[quote.pk]))

    (nonce,) = (s[7:-1] for s in policy(response)["style-src"] if s.startswith("'nonce-"))
    assert f'<style nonce="{nonce}">' in response.content.decode()
    assert problems_of(response) == []


def test_the_inline_finder_finds_what_the_policy_blocks():
    finder = InlineFinder("abc")

    finder.feed(
        '<script>alert(1)</script><script type="application/json">{}</script><script src="/s.js"></script>'
        '<p style="color:red" onclick="x()"><a href="javascript:x()">x</a></p>'
        '<style nonce="abc"></style><style></style>'
    )

    assert finder.problems == [
        "inline <script>",
        "<p style='color:red'>",
        "<p onclick='x()'>",
        "<a href='javascript:x()'>",
        "<style> without the request's nonce",
    ]
