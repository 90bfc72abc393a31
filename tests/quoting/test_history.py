"""Quote lines and approval rules keep their history, bulk edits and the worker's imports included."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from headend.core import audit
from headend.quoting import services
from headend.quoting.models import ApprovalRule, QuoteLine
from tests.factories import make_account, make_product, make_quote, make_user

pytestmark = pytest.mark.django_db


def test_a_line_discount_is_in_the_lines_history_with_its_prices_before_and_after():
    line = make_quote().lines.get()
    seller = make_user("sales")

    with audit.acting_for(seller):
        services.quote_line_discount(line=line, percent="10", discounted_by=seller)

    last = line.history.latest()
    delta = {change.field: (change.old, change.new) for change in last.diff_against(last.prev_record).changes}
    assert last.history_user == seller
    assert delta["discount_percent"] == (Decimal("0.00"), Decimal("10.00"))
    assert delta["mrc_amount"] == (Decimal("65.00"), Decimal("58.50"))


def test_a_bulk_term_and_discount_edit_records_every_line_it_repriced():
    quote = make_quote(lines=3)
    first, second, third = quote.lines.order_by("position")
    seller = make_user("sales")

    with audit.acting_for(seller):
        services.quote_lines_update(
            quote=quote, line_ids=[first.pk, second.pk], term_months=24, discount_percent="5", updated_by=seller
        )

    changed = QuoteLine.history.filter(history_type="~").order_by("id")
    assert list(changed.values_list("id", "term_months", "discount_percent", "mrc_amount", "history_user")) == [
        (first.pk, 24, Decimal("5.00"), Decimal("57.00"), seller.pk),
        (second.pk, 24, Decimal("5.00"), Decimal("57.00"), seller.pk),
    ]
    assert third.history.count() == 1  # its creation only


def test_a_revision_records_each_line_it_copies():
    quote = make_quote(lines=2, status="presented")

    revision = services.quote_revise(quote=quote)

    copies = revision.lines.order_by("position")
    assert [(line.history.count(), line.history.get().history_type) for line in copies] == [(1, "+"), (1, "+")]
    assert [line.history.get().mrc_amount for line in copies] == [Decimal("65.00"), Decimal("65.00")]


def test_lines_imported_by_the_worker_name_who_uploaded_the_file():
    make_product(code="dia-1g", customer_type="business")
    quote = make_quote(account=make_account("business"), lines=0)
    uploader = make_user("sales", username="uploader")
    data = (
        b"site_name,address,unit,contact_name,contact_email,contact_phone,product,term,quantity\n"
        b'Plant,"84 Water St, Eastport, ME 04631",,,,,dia-1g,12,1\n'
        b'Office,"12 Sea St, Eastport, ME 04631",,,,,dia-1g,24,2\n'
    )
    job = services.site_import_job_create(
        quote=quote, upload=SimpleUploadedFile("sites.csv", data, content_type="text/csv"), created_by=uploader
    )

    job = services.site_import_job_run(job_id=job.pk)

    assert job.status == "completed"
    added = QuoteLine.history.filter(quote_id=quote.pk, history_type="+")
    assert list(added.values_list("history_user", flat=True)) == [uploader.pk, uploader.pk]


def test_an_approval_rule_changed_in_the_admin_is_recorded_with_who_and_the_threshold(client):
    rule = ApprovalRule.objects.create(
        name="Big discounts", kind="discount_above", threshold=Decimal("15"), approver_role="sales_manager"
    )
    admin = make_user(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.post(
        f"/admin/quoting/approvalrule/{rule.pk}/change/",
        {"name": rule.name, "kind": rule.kind, "threshold": "25", "approver_role": rule.approver_role, "active": "on"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    last = rule.history.latest()
    assert (last.threshold, last.prev_record.threshold, last.history_user) == (Decimal("25"), Decimal("15"), admin)
