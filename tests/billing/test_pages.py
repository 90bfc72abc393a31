"""The billing staff pages: the account page's Billing section, billing accounts, invoices,
credit notes and bill runs; who may see them and who may act. (The aging report's page is
tested in test_aging_page.py.)"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from headend.billing import accounts, runs, taxes
from headend.billing.models import BillingAccount, BillRun, BillRunResult, Invoice, OneTimeCharge
from headend.core import clock
from headend.crm import services as crm_services
from headend.crm.models import CustomerEmail
from tests.conftest import relay_and_run_tasks
from tests.factories import TaskSpec, make_account, make_live_service, make_product, make_user
from tests.module_records import fresh, kept_for_the_module

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture(scope="module")
def shared_billed(django_db_setup, django_db_blocker):
    """A residential customer whose fiber turned up on 17 January 2026, billed by the run of
    1 February (Maine sales tax of 5.5% on internet): one finalised invoice, not relayed yet.
    Built once for the module's tests on a worker (tests/module_records.py): the aging report,
    which lists every open invoice, is tested apart (test_aging_page.py)."""
    with kept_for_the_module(django_db_blocker):
        yield bill_a_resident()


@pytest.fixture
def billed(shared_billed):
    """The shared customer's records, read again for this test."""
    return fresh(shared_billed)


@pytest.fixture
def clerk(billed):
    return billed["clerk"]


def bill_a_resident() -> dict:
    clerk = make_user("billing", first_name="Bea", last_name="Biller")
    taxes.tax_rate_create(
        created_by=make_user("finance"), level="state", name="Maine sales tax", state="ME", category="internet",
        rate_percent="5.5", effective_from=dt.date(2025, 1, 1),
    )  # fmt: skip
    account = make_account("residential")
    contact = crm_services.contact_create(account=account, first_name="Bo", last_name="Payer", email="bo@example.com")
    version = make_product(tasks=[TaskSpec("Install")])
    with clock.frozen(dt.datetime(2026, 1, 17, 19, 7, tzinfo=UTC)):
        service = make_live_service(account, version, term=12)
        relay_and_run_tasks()
    with clock.frozen(dt.datetime(2026, 2, 1, 12, tzinfo=UTC)):
        run = runs.bill_run_start(as_of=dt.date(2026, 2, 1), started_by=clerk)
        runs.work(run)
    invoice = Invoice.objects.get()
    return {"account": account, "contact": contact, "service": service, "run": run, "invoice": invoice,
            "billing_account": invoice.billing_account, "clerk": clerk}  # fmt: skip


def client_for(client, *roles):
    client.force_login(make_user(*roles))
    return client


def html_of(response) -> str:
    return response.content.decode()


# --- The account page's Billing section -------------------------------------------------------


def test_account_page_shows_billing_accounts_balance_invoices_and_upcoming_charges(client, billed):
    billing_account, invoice = billed["billing_account"], billed["invoice"]

    response = client_for(client, "sales").get(billed["account"].get_absolute_url())

    assert response.status_code == 200
    html = html_of(response)
    assert '<h2 id="billing-heading">Billing' in html
    assert f'<a href="{billing_account.get_absolute_url()}">{billing_account.number}</a>' in html
    assert "Calendar month on the bill day, day 1" in html
    assert "Net 15" in html
    assert '<div class="figure" data-testid="billing-balance">$101.75</div>' in html
    assert f'<a href="{invoice.get_absolute_url()}">INV-0000001</a>' in html
    assert "next invoice Apr 1, 2026" in html
    for description, amount in [
        ("Fiber 4 · 1 Mar\N{EN DASH}31 Mar 2026", "$65.00"),
        ("Fiber 4 · 1 Apr\N{EN DASH}30 Apr 2026", "$65.00"),
        ("Maine sales tax (ME)", "$7.15"),
    ]:
        assert description.replace("Fiber 4", invoice.lines.first().description.split(" · ")[0]) in html
        assert amount in html
    assert '<strong data-testid="preview-total">$137.15</strong>' in html
    assert reverse("billing:billing_account_create") not in html  # sales may not open one


def test_account_page_shows_the_standing_worked_out_from_invoices(client, billed):
    with clock.frozen(dt.datetime(2026, 2, 10, 15, tzinfo=UTC)):  # the invoice is due 16 February
        html = html_of(client_for(client, "sales").get(billed["account"].get_absolute_url()))
    assert '<div class="figure" data-testid="billing-days-past-due">None</div>' in html

    html = html_of(client.get(billed["account"].get_absolute_url()))  # 2 March

    assert '<div class="figure is-late" data-testid="billing-overdue">$101.75</div>' in html
    assert '<div class="figure is-late" data-testid="billing-days-past-due">14 days</div>' in html


def test_account_page_offers_billing_staff_a_new_billing_account(client, billed):
    html = html_of(client_for(client, "billing").get(billed["account"].get_absolute_url()))

    assert f"{reverse('billing:billing_account_create')}?account={billed['account'].pk}" in html


def test_account_page_has_no_billing_section_for_provisioning(client, billed):
    response = client_for(client, "provisioning").get(billed["account"].get_absolute_url())

    assert response.status_code == 200
    assert "billing-heading" not in html_of(response)
    assert reverse("billing:invoice_list") not in html_of(response)  # nor the navigation entry


# --- Who may see what --------------------------------------------------------------------------


def read_urls(billed):
    invoice, run = billed["invoice"], billed["run"]
    return [
        billed["billing_account"].get_absolute_url(),
        reverse("billing:invoice_list"),
        reverse("billing:invoice_list") + "?status=finalised&overdue=1",
        invoice.get_absolute_url(),
        reverse("billing:invoice_pdf", args=[invoice.pk]),
        reverse("billing:bill_run_list"),
        run.get_absolute_url(),
        reverse("billing:aging"),
        reverse("billing:aging") + "?format=csv",
    ]


@pytest.mark.parametrize("role", ["billing", "sales", "finance", "support", "director"])
def test_every_page_answers_billing_readers(client, billed, role):
    client = client_for(client, role)

    assert [client.get(url).status_code for url in read_urls(billed)] == [200] * 9


def test_every_page_is_refused_to_a_role_without_billing(client, billed):
    client = client_for(client, "provisioning")

    assert [client.get(url).status_code for url in read_urls(billed)] == [403] * 9


def test_forms_are_refused_to_sales(client, billed):
    client = client_for(client, "sales")
    invoice, billing_account = billed["invoice"], billed["billing_account"]
    posts = {
        reverse("billing:billing_account_create") + f"?account={billed['account'].pk}": {"currency": "USD"},
        reverse("billing:billing_account_edit", args=[billing_account.pk]): {"currency": "USD"},
        reverse("billing:charge_add", args=[billing_account.pk]): {"description": "Fee", "amount": "5"},
        reverse("billing:invoice_send", args=[invoice.pk]): {},
        reverse("billing:invoice_void", args=[invoice.pk]): {"reason": "wrong"},
        reverse("billing:credit_note_create", args=[invoice.pk]): {"reason": "outage", "amount": "5"},
        reverse("billing:credit_note_finalise", args=[invoice.pk]): {},
        reverse("billing:bill_run_start"): {"as_of": "2026-03-01"},
    }

    assert [client.post(url, data).status_code for url, data in posts.items()] == [403] * 8
    assert client.get(reverse("billing:billing_account_create") + f"?account={billed['account'].pk}").status_code == 403
    invoice.refresh_from_db()
    assert (invoice.status, BillingAccount.objects.count(), OneTimeCharge.objects.count()) == ("finalised", 1, 0)
    assert (Invoice.objects.count(), BillRun.objects.count(), len(mail.outbox)) == (1, 1, 0)


def test_read_only_users_see_no_action(client, billed):
    client = client_for(client, "sales")

    invoice_html = html_of(client.get(billed["invoice"].get_absolute_url()))
    account_html = html_of(client.get(billed["billing_account"].get_absolute_url()))
    runs_html = html_of(client.get(reverse("billing:bill_run_list")))

    assert reverse("billing:invoice_send", args=[billed["invoice"].pk]) not in invoice_html
    assert reverse("billing:invoice_void", args=[billed["invoice"].pk]) not in invoice_html
    assert reverse("billing:credit_note_create", args=[billed["invoice"].pk]) not in invoice_html
    assert reverse("billing:charge_add", args=[billed["billing_account"].pk]) not in account_html
    assert reverse("billing:bill_run_start") not in runs_html


# --- Billing accounts ----------------------------------------------------------------------------


def account_form(**values):
    return {
        "name": "Lovelace household",
        "currency": "USD",
        "cycle": "calendar",
        "bill_day": "15",
        "payment_terms_days": "30",
        "delivery": "portal",
        "tax_exempt_certificate": "",
        "parent": "",
        "contact": "",
        "proration": "",
        **values,
    }


def test_billing_account_page_shows_details_services_invoices_and_next_invoice(client, billed):
    billing_account = billed["billing_account"]
    accounts.billing_account_update(
        billing_account=billing_account, updated_by=make_user("billing"), contact=billed["contact"]
    )

    response = client_for(client, "billing").get(billing_account.get_absolute_url())

    assert response.status_code == 200
    html = html_of(response)
    assert f"<h1>{billing_account.number} {billing_account.name}</h1>" in html
    assert "Bo Payer · bo@example.com" in html
    assert f'<a href="{billed["service"].get_absolute_url()}">{billed["service"].number}</a>' in html
    assert f'<a href="{billed["invoice"].get_absolute_url()}">INV-0000001</a>' in html
    assert '<div class="figure" data-testid="balance">$101.75</div>' in html
    overdue = '<span class="badge badge-presented">Finalised</span> <span class="badge badge-overdue">Overdue</span>'
    assert overdue in html
    assert "Dated Apr 1, 2026, as it stands today." in html
    assert '<strong data-testid="preview-total">$137.15</strong>' in html
    assert response.context["preview"].total == Decimal("137.15")


def test_new_billing_account_form_opens_one(client, billed):
    client = client_for(client, "billing")
    url = reverse("billing:billing_account_create") + f"?account={billed['account'].pk}"
    assert client.get(url).status_code == 200

    response = client.post(url, account_form(contact=str(billed["contact"].pk)))

    created = BillingAccount.objects.exclude(pk=billed["billing_account"].pk).get()
    assert response.status_code == 302
    assert response["Location"] == created.get_absolute_url()
    assert (created.name, created.bill_day, created.payment_terms_days, created.delivery, created.contact) == (
        "Lovelace household", 15, 30, "portal", billed["contact"],
    )  # fmt: skip
    assert created.is_default is False


def test_new_billing_account_form_shows_the_use_cases_error_on_its_field(client, billed):
    client = client_for(client, "billing")
    url = reverse("billing:billing_account_create") + f"?account={billed['account'].pk}"

    response = client.post(url, account_form(tax_exempt="on"))

    assert response.status_code == 200
    message = "A tax-exempt account needs the number of its exemption certificate."
    assert response.context["form"].errors == {"tax_exempt_certificate": [message]}
    assert f'<small class="error" id="id_tax_exempt_certificate-error">{message}</small>' in html_of(response)
    assert BillingAccount.objects.count() == 1


def test_new_billing_account_form_of_an_unknown_customer_is_404(client):
    client = client_for(client, "billing")

    assert client.get(reverse("billing:billing_account_create") + "?account=987654").status_code == 404


def test_edit_billing_account_form_saves_and_shows_errors(client, billed):
    client = client_for(client, "billing")
    billing_account = billed["billing_account"]
    url = reverse("billing:billing_account_edit", args=[billing_account.pk])
    assert client.get(url).context["form"].initial["bill_day"] == 1

    refused = client.post(url, account_form(currency="EUR", bill_day="1", is_default="on"))
    new_cycle = client.post(url, account_form(is_default="on"))
    saved = client.post(url, account_form(bill_day="1", is_default="on"))

    assert refused.status_code == 200
    assert refused.context["form"].errors == {
        "currency": ["The account has invoices in its currency; open a new billing account instead."]
    }
    assert list(new_cycle.context["form"].errors) == ["bill_day"]  # billed on its present cycle
    assert saved.status_code == 302
    billing_account.refresh_from_db()
    assert (billing_account.bill_day, billing_account.payment_terms_days, billing_account.currency) == (1, 30, "USD")


def test_charge_form_adds_a_credit_to_the_next_invoice(client, billed):
    client = client_for(client, "billing")
    billing_account = billed["billing_account"]
    subscription = billed["service"].billing

    response = client.post(
        reverse("billing:charge_add", args=[billing_account.pk]),
        {"kind": "credit", "description": "Outage 3 March", "amount": "-12.50", "service": str(subscription.pk)},
    )

    assert response.status_code == 302
    charge = OneTimeCharge.objects.get()
    assert (charge.kind, charge.description, charge.amount, charge.subscription) == (
        "credit", "Outage 3 March", Decimal("-12.50"), subscription,
    )  # fmt: skip
    html = html_of(client.get(billing_account.get_absolute_url()))
    assert "Outage 3 March" in html
    assert "-$12.50" in html


def test_charge_form_shows_the_use_cases_error_on_its_field(client, billed):
    client = client_for(client, "billing")

    response = client.post(
        reverse("billing:charge_add", args=[billed["billing_account"].pk]),
        {"kind": "charge", "description": "Nothing", "amount": "0"},
    )

    assert response.status_code == 200
    assert response.context["charge_form"].errors == {"amount": ["An amount of zero changes nothing."]}
    error = '<small class="error" id="charge_amount-error">An amount of zero changes nothing.</small>'
    assert error in html_of(response)
    assert not OneTimeCharge.objects.exists()


# --- Invoices ---------------------------------------------------------------------------------------


def test_invoice_list_filters_by_status_and_overdue(client, billed):
    client = client_for(client, "sales")
    url = reverse("billing:invoice_list")

    def listed(query):
        return [invoice.number for invoice in client.get(url + query).context["items"]]

    assert listed("") == ["INV-0000001"]
    assert listed("?status=finalised") == ["INV-0000001"]
    assert listed("?status=void") == []
    assert listed("?overdue=1") == ["INV-0000001"]  # due 16 February; today is 2 March
    assert listed("?status=bogus") == ["INV-0000001"]
    with clock.frozen(dt.datetime(2026, 2, 16, 12, tzinfo=UTC)):
        assert listed("?overdue=1") == []


def test_invoice_page_shows_header_lines_taxes_totals_and_ledger(client, billed):
    invoice, service = billed["invoice"], billed["service"]

    response = client_for(client, "billing").get(invoice.get_absolute_url())

    assert response.status_code == 200
    html = html_of(response)
    assert "<h1>Invoice INV-0000001</h1>" in html
    assert '<span class="badge badge-overdue">Overdue</span>' in html
    assert [(row["line"].days, row["line"].period_days, row["line"].amount) for row in response.context["charges"]] == [
        (15, 31, Decimal("31.45")), (28, 28, Decimal("65.00")),
    ]  # fmt: skip
    assert html.count(f'<a href="{service.get_absolute_url()}">{service.number}</a>') == 2
    assert '<td class="num">15/31</td>' in html
    assert '<td class="num">28/28</td>' in html
    assert "<td>Jan 1\N{EN DASH}Jan 31, 2026</td>" in html
    assert "<td>Feb 1\N{EN DASH}Feb 28, 2026</td>" in html
    assert (
        '<td>Maine sales tax (ME)</td><td class="num">5.5%</td><td class="num">$96.45</td><td class="num">$5.30</td>'
        in html
    )
    assert '<div class="figure small" data-testid="total">$101.75</div>' in html
    assert response.context["journal"][0].lines.count() >= 3
    assert "Receivable" in html or "Assets:" in html
    for action in ("invoice_send", "invoice_void", "credit_note_create", "invoice_pdf"):
        assert reverse(f"billing:{action}", args=[invoice.pk]) in html


def test_send_emails_the_invoice_with_its_pdf_and_marks_it_sent(client, billed, django_capture_on_commit_callbacks):
    invoice = billed["invoice"]
    client = client_for(client, "billing")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:invoice_send", args=[invoice.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("billing:invoice_send", args=[invoice.pk]))

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.sent_at) == ("sent", clock.now())
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([billed["account"].email], "Headend Fiber: invoice INV-0000001")
    ]
    [(name, content, kind)] = mail.outbox[0].attachments
    assert (name, kind, content[:5]) == ("Headend Fiber invoice INV-0000001.pdf", "application/pdf", b"%PDF-")
    assert CustomerEmail.objects.get(subject__contains="INV-0000001").sent_at is not None


def test_void_form_needs_a_reason(client, billed):
    invoice = billed["invoice"]

    response = client_for(client, "billing").post(reverse("billing:invoice_void", args=[invoice.pk]), {"reason": " "})

    assert response.status_code == 200
    assert response.context["void_form"].errors == {"reason": ["This field is required."]}
    assert '<small class="error" id="void_reason-error">This field is required.</small>' in html_of(response)
    invoice.refresh_from_db()
    assert invoice.status == "finalised"


def test_void_form_voids_the_invoice(client, billed):
    invoice = billed["invoice"]

    response = client_for(client, "billing").post(
        reverse("billing:invoice_void", args=[invoice.pk]), {"reason": "Billed the wrong account"}
    )

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.reason, invoice.amount_due) == ("void", "Billed the wrong account", Decimal(0))


def test_credit_note_is_created_as_a_draft_then_finalised(client, billed):
    invoice = billed["invoice"]
    client = client_for(client, "billing")

    too_much = client.post(
        reverse("billing:credit_note_create", args=[invoice.pk]), {"reason": "Outage", "amount": "100"}
    )
    created = client.post(
        reverse("billing:credit_note_create", args=[invoice.pk]), {"reason": "Outage", "amount": "10"}
    )

    assert too_much.status_code == 200
    assert too_much.context["credit_form"].errors == {
        "amount": ["At most 96.45 is left to credit on INV-0000001 (before tax)."]
    }
    note = Invoice.objects.get(kind="credit_note")
    assert created["Location"] == note.get_absolute_url()
    draft_page = html_of(client.get(note.get_absolute_url()))
    assert "<h1>Credit note Draft " in draft_page
    assert reverse("billing:credit_note_finalise", args=[note.pk]) in draft_page
    assert f'corrects <a href="{invoice.get_absolute_url()}">INV-0000001</a>' in draft_page

    finalised = client.post(reverse("billing:credit_note_finalise", args=[note.pk]))

    assert finalised.status_code == 302
    note.refresh_from_db()
    invoice.refresh_from_db()
    assert (note.number, note.status, note.total_amount) == ("CN-0000001", "finalised", Decimal("-10.55"))
    assert invoice.amount_due == Decimal("91.20")
    invoice_page = html_of(client.get(invoice.get_absolute_url()))
    assert f'<a href="{note.get_absolute_url()}">CN-0000001</a>' in invoice_page


# --- Bill runs -------------------------------------------------------------------------------------


def test_bill_run_form_starts_a_run_and_its_page_shows_the_results(client, billed, clerk):
    client = client_for(client, "billing")
    page = client.get(reverse("billing:bill_run_list"))
    assert page.context["form"].initial["as_of"] == dt.date(2026, 3, 2)
    other = make_account("residential")
    accounts.default_billing_account(account=other)

    response = client.post(reverse("billing:bill_run_start"), {"as_of": "2026-03-02"})

    run = BillRun.objects.get(as_of=dt.date(2026, 3, 2))
    assert response["Location"] == run.get_absolute_url()
    runs.work(run)
    detail = client.get(run.get_absolute_url())
    html = html_of(detail)
    march = Invoice.objects.get(bill_date=dt.date(2026, 3, 1))
    assert detail.context["progress"] == {
        "chunks_done": 1, "chunks": 1, "percent": 100, "invoiced": 1, "nothing": 1, "failed": 0,
    }  # fmt: skip
    assert f'<a href="{march.get_absolute_url()}">{march.number}</a>' in html
    assert '<div class="figure" data-testid="invoiced">1</div>' in html
    assert "Nothing to bill (1)" in html
    assert 'hx-trigger="every' not in html  # done: no more polling


def test_a_running_bill_run_polls_and_answers_htmx_with_its_progress_only(client, billed):
    client = client_for(client, "billing")
    other = make_account("residential")
    accounts.default_billing_account(account=other)
    run = runs.bill_run_start(as_of=dt.date(2026, 3, 2), started_by=make_user("billing"))

    page = html_of(client.get(run.get_absolute_url()))
    partial = html_of(client.get(run.get_absolute_url(), headers={"HX-Request": "true"}))

    assert f'hx-get="{run.get_absolute_url()}" hx-trigger="every 2s"' in page
    assert "0 of 1 chunk done" in page
    assert partial.startswith('\n<section id="progress"') or partial.lstrip().startswith('<section id="progress"')
    assert "<html" not in partial


def test_bill_run_page_shows_a_failed_account_with_its_error(client, billed):
    run = billed["run"]
    BillRunResult.objects.create(
        run=run, billing_account=billed["billing_account"], outcome="failed", error="KeyError: 'rate'", at=clock.now()
    ) if not run.results.exists() else run.results.update(outcome="failed", error="KeyError: 'rate'", invoice=None)

    html = html_of(client_for(client, "sales").get(run.get_absolute_url()))

    assert '<tr class="row-error">' in html
    assert "KeyError: &#x27;rate&#x27;" in html
    assert '<div class="figure" data-testid="failed">1</div>' in html


def test_bill_run_form_shows_a_date_before_the_last_run_on_its_field(client, billed):
    client = client_for(client, "billing")

    response = client.post(reverse("billing:bill_run_start"), {"as_of": "2026-01-31"})

    assert response.status_code == 200
    message = "A bill run as of 2026-02-01 exists; a run never goes back before it."
    assert response.context["form"].errors == {"as_of": [message]}
    assert f'<small class="error" id="id_as_of-error">{message}</small>' in html_of(response)
    assert BillRun.objects.count() == 1


# --- Email on finalisation -----------------------------------------------------------------------------


def test_a_finalised_invoice_is_emailed_once_to_the_billing_contact_with_its_pdf(billed, run_worker):
    billing_account = billed["billing_account"]
    BillingAccount.objects.filter(pk=billing_account.pk).update(contact=billed["contact"])

    run_worker()
    run_worker()

    assert [(m.to, m.subject) for m in mail.outbox] == [(["bo@example.com"], "Headend Fiber: invoice INV-0000001")]
    assert "due by February 16, 2026" in mail.outbox[0].body
    [(name, content, kind)] = mail.outbox[0].attachments
    assert (name, kind, content[:5]) == ("Headend Fiber invoice INV-0000001.pdf", "application/pdf", b"%PDF-")
    invoice = billed["invoice"]
    invoice.refresh_from_db()
    assert invoice.status == "sent"


def test_a_portal_billing_account_gets_no_email(billed, run_worker):
    BillingAccount.objects.filter(pk=billed["billing_account"].pk).update(delivery="portal")

    run_worker()

    assert mail.outbox == []
    billed["invoice"].refresh_from_db()
    assert billed["invoice"].status == "finalised"


def test_finance_downloads_the_ledger_and_sales_may_not(client):
    from beancount import loader

    client.force_login(make_user("finance"))
    assert client.get("/billing/ledger/").status_code == 200
    bad = client.get("/billing/ledger/", {"date_from": "2026-03-31", "date_to": "2026-03-01", "format": "csv"})
    assert bad.status_code == 400
    assert "The end comes on or after the start." in bad.content.decode()
    answer = client.get("/billing/ledger/", {"date_from": "2026-01-01", "date_to": "2026-12-31", "format": "beancount"})
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith("attachment")
    _, errors, _ = loader.load_string(answer.content.decode())
    assert errors == []
    client.force_login(make_user("sales"))
    assert client.get("/billing/ledger/").status_code == 403
