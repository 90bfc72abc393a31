"""The account page as sales read it (issue 17): payment standing at the top, services by site,
the activity timeline."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from headend.core import clock
from headend.crm.notes import note_add
from headend.payments import dunning
from headend.payments.models import DunningPolicy
from headend.payments.payments import payment_record
from headend.quoting.models import Quote
from headend.support import cases
from headend.web.timeline import account_timeline
from tests.factories import (
    make_account,
    make_billing_account,
    make_invoice,
    make_live_service_with_actions,
    make_location,
    make_overdue,
    make_quote,
    make_user,
)

pytestmark = pytest.mark.django_db


def page(client, account, role="sales"):
    client.force_login(make_user(role))
    return client.get(account.get_absolute_url()).content.decode()


def standing(html):
    found = re.search(
        r'data-testid="payment-standing" data-level="(\w+)">.*?data-testid="standing-headline">([^<]*)<', html, re.S
    )
    return found.groups() if found else None


# --- Payment standing ---------------------------------------------------------------------------


def test_standing_of_a_customer_who_owes_nothing_is_green_paid_up(client):
    account = make_account("residential")
    make_billing_account(account)

    assert standing(page(client, account)) == ("green", "Paid up")


def test_standing_of_a_balance_not_yet_due_is_green_and_says_so(client):
    account = make_account("residential")
    billing_account = make_billing_account(account)
    make_invoice(billing_account, "80.00", due_in=14)

    assert standing(page(client, account)) == ("green", "Nothing overdue: $80.00 not yet due")


def test_standing_of_a_customer_60_days_late_is_red_with_the_amount(client):
    account = make_account()
    invoice = make_overdue(account, "1240.00", days=60)

    html = page(client, account)

    assert standing(html) == ("red", "60 days late: $1,240.00 overdue")
    assert re.search(r'data-testid="standing-overdue">\$1,240\.00<', html)
    assert f'href="{invoice.get_absolute_url()}">{invoice.display_number}</a>' in html
    assert re.search(r'data-testid="standing-autopay">Off<', html)
    assert html.index('data-testid="payment-standing"') < html.index('data-testid="status-strip"')


def test_standing_within_the_grace_period_is_amber(client):
    account = make_account()
    make_overdue(account, "55.00", days=4)

    assert standing(page(client, account)) == ("amber", "4 days late: $55.00 overdue")


def test_standing_past_a_longer_grace_period_of_the_policy_stays_amber(client):
    account = make_account()
    make_overdue(account, "55.00", days=20)
    DunningPolicy.objects.create(customer_type="business", grace_days=30, updated_at=clock.now())

    assert standing(page(client, account)) == ("amber", "20 days late: $55.00 overdue")


def test_standing_with_a_promise_to_pay_is_amber_and_names_it(client):
    account = make_account()
    invoice = make_overdue(account, "1240.00", days=60)
    dunning.promise_create(
        billing_account=invoice.billing_account,
        until=clock.today() + dt.timedelta(days=7),
        amount="1240.00",
        note="Paying Friday",
        created_by=make_user("billing"),
    )

    html = page(client, account)

    assert standing(html) == ("amber", "60 days late: $1,240.00 overdue, promised $1,240.00 by Mar 9")
    assert re.search(r'data-testid="standing-promise">\$1,240\.00 by Mar 9, 2026<', html)


def test_standing_after_the_customer_paid_is_green_again(client):
    account = make_account()
    invoice = make_overdue(account, "1240.00", days=60)
    payment_record(
        billing_account=invoice.billing_account,
        amount="1240.00",
        means="cheque",
        reference="1042",
        recorded_by=make_user("billing"),
    )

    assert standing(page(client, account)) == ("green", "Paid up")


def test_standing_is_not_shown_to_a_role_that_does_not_read_billing(client):
    account = make_account()
    make_overdue(account, "1240.00", days=60)

    html = page(client, account, role="provisioning")

    assert standing(html) is None
    assert "$1,240.00" not in html


def test_status_strip_no_longer_repeats_the_balance(client):
    account = make_account()
    make_overdue(account, "55.00", days=4)

    html = page(client, account)

    assert 'data-testid="status-strip"' in html
    assert "strip-balance" not in html


# --- Services by site ----------------------------------------------------------------------------


def test_services_are_grouped_by_site_with_each_sites_active_mrr(client):
    service = make_live_service_with_actions()
    account = service.account
    second = make_live_service_with_actions(account)
    annex = make_location(account, name="Annex", line1="9 Key St")
    second.location = annex
    second.save(update_fields=["location"])
    empty_site = make_location(account, name="Zeta yard")

    html = page(client, account)

    sites = re.findall(r'<div data-site="(\d+)">', html)
    assert sites == [str(service.location_id), str(annex.pk)]  # by label: "12 Water St..." before "Annex: ..."
    annex_block = html.split(f'<div data-site="{annex.pk}">')[1].split("</div>")[0]
    assert second.number in annex_block
    assert service.number not in annex_block
    assert f"1 active · ${second.mrc_amount:,.2f}/mo" in annex_block
    assert str(empty_site.pk) not in sites
    assert "2 at 2 sites" in html


# --- The activity timeline -----------------------------------------------------------------------


def at(hours):
    return clock.frozen(clock.now() + dt.timedelta(hours=hours))


def test_timeline_lists_quotes_orders_cases_notes_and_payments_newest_first():
    sales, agent = make_user("sales"), make_user("support")
    account = make_account()
    with at(1):
        quote = make_quote(account=account)
    with at(2):
        note_add(account=account, body="Asked for a second line", added_by=sales)
    with at(3):
        accepted = make_quote(account=account, status="accepted")
    with at(4):
        case = cases.case_open(account=account, type="billing", channel="phone", subject="Bill too high", by=agent)
    with at(5):
        invoice = make_overdue(account, "30.00", days=1)
        payment = payment_record(
            billing_account=invoice.billing_account, amount="30.00", means="cash", recorded_by=make_user("billing")
        )
    with at(6):
        cases.case_transition(case=case, to="resolved", by=agent, resolution="Explained")
        cases.case_transition(case=case, to="closed", by=agent)

    texts = [(entry.kind, entry.text) for entry in account_timeline(user=sales, account=account).entries]

    order = accepted.order
    assert texts[:2] == [("case", f"Case {case.reference} closed: Bill too high"), ("payment", texts[1][1])]
    assert texts[1][1].startswith(f"Payment {payment.number} of $30.00 (cash, received Mar 2)")
    assert texts[2] == ("case", f"Case {case.reference} opened: Bill too high")
    assert {
        ("order", f"Order {order.number} placed"),
        ("quote", f"Quote {accepted.number} accepted by Pat Customer"),
    } <= set(texts[3:8])
    assert ("note", "Asked for a second line") in texts
    assert texts[-1] == ("quote", f"Quote {quote.number} created{': ' + quote.name if quote.name else ''}")
    assert [entry.at for entry in account_timeline(user=sales, account=account).entries] == sorted(
        (entry.at for entry in account_timeline(user=sales, account=account).entries), reverse=True
    )


def test_timeline_leaves_payments_out_for_a_role_that_does_not_read_billing():
    account = make_account()
    invoice = make_overdue(account, "30.00", days=1)
    payment_record(
        billing_account=invoice.billing_account, amount="30.00", means="cash", recorded_by=make_user("billing")
    )

    kinds = {entry.kind for entry in account_timeline(user=make_user("provisioning"), account=account).entries}

    assert "payment" not in kinds


def test_timeline_pages_with_more_until_the_end():
    sales, account = make_user("sales"), make_account()
    for hour in range(5):
        with at(hour):
            note_add(account=account, body=f"Note {hour}", added_by=sales)

    first = account_timeline(user=sales, account=account, per_page=2)
    second = account_timeline(user=sales, account=account, page=2, per_page=2)
    last = account_timeline(user=sales, account=account, page=3, per_page=2)

    assert [entry.text for entry in first.entries] == ["Note 4", "Note 3"]
    assert first.has_more
    assert [entry.text for entry in second.entries] == ["Note 2", "Note 1"]
    assert second.has_more
    assert [entry.text for entry in last.entries] == ["Note 0"]
    assert not last.has_more


def test_timeline_more_link_answers_the_next_page_for_htmx(client):
    sales, account = make_user("sales"), make_account()
    for hour in range(20):
        with at(hour):
            note_add(account=account, body=f"Note {hour}", added_by=sales)
    client.force_login(sales)
    url = reverse("account_timeline", args=[account.pk])

    html = client.get(account.get_absolute_url()).content.decode()
    more = client.get(f"{url}?page=2", HTTP_HX_REQUEST="true").content.decode()

    assert f'href="{url}?page=2"' in html
    assert re.findall(r"Note (\d+)</a>", more) == ["4", "3", "2", "1", "0"]
    assert "<html" not in more
    assert "?page=3" not in more
    assert client.get(f"{url}?page=%00x").status_code == 200
    assert client.get(reverse("account_timeline", args=[987654])).status_code == 404


def test_account_page_queries_stay_flat_with_more_activity(client, django_assert_max_num_queries):
    sales, account = make_user("sales"), make_account()
    client.force_login(sales)
    make_overdue(account, "10.00", days=3)
    client.get(account.get_absolute_url())
    with django_assert_max_num_queries(80) as few:
        client.get(account.get_absolute_url())
    for hour in range(12):
        with at(hour):
            note_add(account=account, body=f"Note {hour}", added_by=sales)
            make_quote(account=account)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(account.get_absolute_url())

    assert response.status_code == 200
    assert Quote.objects.filter(account=account).count() == 12
