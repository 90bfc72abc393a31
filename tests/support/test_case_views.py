"""The support staff pages: the queue sorted by SLA time left, the case page with the whole
customer (services, network status, MRR, profit, balance), what staff do on it (note, reply,
status, assignment, priority, link), a new case, files as downloads, the SLA policy and queue
pages, the account's status strip and cases, the service's cases; roles and bad input."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.inventory import services as inventory_services
from headend.inventory.models import Service
from headend.network import outages, topology
from headend.support import cases, selectors
from headend.support.models import Case, CaseAttachment, CaseNote, Queue, SlaPolicy
from tests.factories import make_account, make_live_service, make_overdue, make_product, make_user

pytestmark = pytest.mark.django_db

NY = dt.timezone(dt.timedelta(hours=-5))  # EST on 2 March 2026; the frozen clock is Mon 10:00 there


@pytest.fixture
def agent():
    return make_user("support", first_name="Sam", last_name="Agent")


@pytest.fixture
def staff(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def service():
    return make_live_service(make_account(), make_product(tasks=[TaskSpec("Install")], monthly_cost="23.40"))


def open_case(service, agent, **values):
    return cases.case_open(
        **{"account": service.account, "service": service, "type": "no_service", "channel": "phone"}
        | {"subject": "No light on the ONT", "by": agent}
        | values
    )


def references(response):
    return [row.case.reference for row in response.context["rows"]]


# --- The queue --------------------------------------------------------------------------------


def test_queue_sorts_by_time_left_breached_first_and_paused_last(staff, service, agent):
    # Opened at 08:00 New York with a 60-minute response target: an hour late at 10:00.
    with clock.frozen(clock.now() - dt.timedelta(hours=2)):
        late = open_case(service, agent, priority="p2", subject="Late")
    p4 = open_case(service, agent, priority="p4", subject="P4")  # response due Tue 09:00
    p1 = open_case(service, agent, priority="p1", subject="P1")  # 30 min round the clock: 10:30
    p3 = open_case(service, agent, priority="p3", subject="P3")  # 4 working hours: 14:00
    p2 = open_case(service, agent, priority="p2", subject="P2")  # 11:00
    answered = cases.case_transition(case=open_case(service, agent, priority="p3"), to="in_progress", by=agent)
    waiting = cases.case_transition(case=open_case(service, agent, priority="p1"), to="waiting", by=agent)
    closed = cases.case_transition(case=open_case(service, agent), to="cancelled", by=agent)

    response = staff.get(reverse("support:case_queue"))

    assert response.status_code == 200
    # `answered` runs on its resolution clock (Wed 10:00); `waiting` is paused: last.
    assert references(response) == [case.reference for case in (late, p1, p2, p3, p4, answered, waiting)]
    assert closed.reference not in references(response)
    html = response.content.decode()
    assert "Breached · late by 1 h" in html
    assert "On track · 30 min left" in html
    assert "On track · 4 h left" in html
    assert "Paused · 4 h left" in html  # a P1 put on hold at once: its 4 h resolution clock stopped


def test_queue_filters_breached_and_mine(staff, service, agent):
    with clock.frozen(clock.now() - dt.timedelta(hours=2)):
        late = open_case(service, agent, priority="p2")
    mine = open_case(service, agent, assignee=agent)
    open_case(service, agent, assignee=make_user("support"))

    breached = staff.get(reverse("support:case_queue"), {"sla": "breached"})
    assigned = staff.get(reverse("support:case_queue"), {"assignee": "mine"})

    assert references(breached) == [late.reference]
    assert references(assigned) == [mine.reference]
    assert breached.context["counts"] == {"open": 3, "breached": 1, "mine": 1, "unassigned": 1}


def test_queue_warning_filter_keeps_cases_past_the_warning_level(staff, service, agent):
    # Business P2: 60 working minutes to respond; 50 used at 10:00 is past 75 %.
    with clock.frozen(clock.now() - dt.timedelta(minutes=50)):
        warned = open_case(service, agent, priority="p2")
    open_case(service, agent, priority="p2")

    response = staff.get(reverse("support:case_queue"), {"sla": "warning"})

    assert references(response) == [warned.reference]
    assert "Warning · 10 min left" in response.content.decode()


def test_queue_htmx_answers_with_the_table_only(staff, service, agent):
    open_case(service, agent)

    response = staff.get(reverse("support:case_queue"), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="cases"')
    assert "<html" not in html


def test_navigation_shows_support_with_the_breached_count(staff, service, agent):
    with clock.frozen(clock.now() - dt.timedelta(hours=2)):
        open_case(service, agent, priority="p2")

    html = staff.get(reverse("home")).content.decode()

    assert re.search(r'href="/support/"[^>]*>Support <span class="nav-count"[^>]*>1</span>', html)


def test_navigation_leaves_support_out_for_sales(client):
    client.force_login(make_user("sales"))

    html = client.get(reverse("home")).content.decode()

    assert 'href="/support/"' not in html


# --- The case page ----------------------------------------------------------------------------


def test_case_page_shows_the_whole_customer(staff, service, agent):
    account = service.account
    other = make_live_service(account, make_product(tasks=[TaskSpec("Install")]))  # cost unknown
    pop = topology.element_create(name="POP-Eastport", kind="pop")
    port = topology.element_create(name="OLT-1/PON-3", kind="pon_port", parent=pop)
    inventory_services.service_bind_element(service=service, element=port, source="staff")
    outages.outage_open(element=pop, title="Fibre cut on Route 1", by=make_user("provisioning"))
    make_overdue(account, "120.00", days=10)
    case = open_case(service, agent)

    response = staff.get(case.get_absolute_url())

    assert response.status_code == 200
    customer = response.context["customer"]
    assert {row.service for row in customer.services} == {service, other}
    assert customer.money.mrr_amount == Decimal("130.00")
    assert customer.money.profit_amount == Decimal("41.60")
    assert customer.money.cost_unknown == 1
    html = response.content.decode()
    assert re.search(r'data-testid="mrr">\$130\.00<', html)
    assert re.search(r'data-testid="profit">\$41\.60<', html)
    assert "leaves out 1 service with cost unknown" in html
    assert re.search(r'data-testid="balance">\$120\.00<', html)
    assert "$120.00 overdue, 10 days" in html
    assert f'data-service="{service.number}"' in html
    assert f'data-service="{other.number}"' in html
    assert "OLT-1/PON-3 down" in html
    assert "Fibre cut on Route 1" in html
    assert "cost unknown" in html


def test_case_page_profit_counts_cost_times_quantity(staff, service, agent):
    Service.objects.filter(pk=service.pk).update(quantity=3, mrc_amount=Decimal("195.00"))
    case = open_case(service, agent)

    response = staff.get(case.get_absolute_url())

    row = response.context["customer"].services[0]
    assert (row.cost_amount, row.profit_amount) == (Decimal("70.20"), Decimal("124.80"))
    assert re.search(r'data-testid="profit">\$124\.80<', response.content.decode())


def test_case_page_says_cost_unknown_when_no_cost_is_known(staff, agent):
    service = make_live_service(make_account(), make_product(tasks=[TaskSpec("Install")]))
    case = open_case(service, agent)

    html = staff.get(case.get_absolute_url()).content.decode()

    assert re.search(r'data-testid="profit"><span class="muted small-figure">cost unknown</span><', html)


def test_case_page_shows_the_sla_clocks(staff, service, agent):
    case = open_case(service, agent, priority="p3")

    response = staff.get(case.get_absolute_url())

    clocks = response.context["clocks"]
    assert (clocks.response.state, clocks.response.minutes_left) == ("running", 240)
    assert clocks.response.due_at == dt.datetime(2026, 3, 2, 14, 0, tzinfo=NY)
    assert (clocks.resolution.state, clocks.resolution.minutes_left) == ("running", 1080)
    html = response.content.decode()
    on_track = r'data-testid="clock-response">.*?On track</span> <span class="clock-left">4 h left</span>'
    assert re.search(on_track, html, re.S)
    assert re.search(r'data-testid="clock-resolution">.*?<span class="clock-left">2 d left</span>', html, re.S)


def test_case_page_of_an_unknown_case_is_404(staff):
    assert staff.get(reverse("support:case_detail", args=[987654])).status_code == 404


def test_internal_notes_replies_and_customer_words_look_different(staff, service, agent):
    case = open_case(service, agent)
    cases.case_note_add(case=case, kind="internal", body="Checked the OLT.", by=agent)
    cases.case_note_add(case=case, kind="reply", body="We are on it.", by=agent)
    cases.case_note_add(case=case, kind="customer", body="Still down.", author_name="Ada")

    html = staff.get(case.get_absolute_url()).content.decode()

    kinds = re.findall(r'<li class="note note-(\w+)" data-kind="\w+">', html)
    assert kinds == ["internal", "reply", "customer"]
    assert "Internal note" in html
    assert "Reply to the customer" in html
    assert "From the customer" in html


# --- Working a case ---------------------------------------------------------------------------


def test_posting_an_internal_note_with_a_file(staff, service, agent):
    case = open_case(service, agent)
    upload = SimpleUploadedFile("speedtest.txt", b"down 3 Mbps\n", content_type="text/plain")

    response = staff.post(
        reverse("support:case_note", args=[case.pk]), {"kind": "internal", "body": "Line test", "attachments": upload}
    )

    assert response.status_code == 302
    note = CaseNote.objects.get(case=case)
    assert (note.kind, note.body, note.author) == ("internal", "Line test", agent)
    assert list(note.attachments.values_list("name", flat=True)) == ["speedtest.txt"]
    case.refresh_from_db()
    assert case.first_response_at is None  # an internal note is no answer to the customer


def test_posting_a_reply_stops_the_response_clock(staff, service, agent):
    case = open_case(service, agent)

    response = staff.post(reverse("support:case_note", args=[case.pk]), {"kind": "reply", "body": "We are on it."})

    assert response.status_code == 302
    assert list(CaseNote.objects.filter(case=case).values_list("kind", flat=True)) == ["reply"]
    case.refresh_from_db()
    assert case.first_response_at == clock.now()


def test_an_empty_note_is_a_field_error_and_writes_nothing(staff, service, agent):
    case = open_case(service, agent)

    response = staff.post(reverse("support:case_note", args=[case.pk]), {"kind": "reply", "body": "  "})

    assert response.status_code == 400
    assert response.context["note_form"].errors == {"body": ["This field is required."]}
    assert CaseNote.objects.filter(case=case).count() == 0


def test_resolving_asks_for_the_resolution(staff, service, agent):
    case = open_case(service, agent)
    url = reverse("support:case_status", args=[case.pk])

    refused = staff.post(url, {"to": "resolved", "resolution": ""})
    done = staff.post(url, {"to": "resolved", "resolution": "Replaced the ONT."})

    assert refused.status_code == 400
    assert refused.context["status_form"].errors == {"resolution": ["Say how the case was resolved."]}
    assert done.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.resolution, case.resolved_at) == ("resolved", "Replaced the ONT.", clock.now())


def test_a_status_the_case_cannot_move_to_is_a_field_error(staff, service, agent):
    case = open_case(service, agent)

    response = staff.post(reverse("support:case_status", args=[case.pk]), {"to": "closed"})

    assert response.status_code == 400
    assert "to" in response.context["status_form"].errors
    case.refresh_from_db()
    assert case.status == "new"


def test_status_change_to_waiting_pauses_the_clock(staff, service, agent):
    case = open_case(service, agent)

    staff.post(reverse("support:case_status", args=[case.pk]), {"to": "waiting"})

    case.refresh_from_db()
    assert (case.status, case.paused_since) == ("waiting", clock.now())


def test_assign_to_me_and_to_someone_else(staff, service, agent):
    case = open_case(service, agent)
    colleague = make_user("billing")
    url = reverse("support:case_assign", args=[case.pk])

    staff.post(url, {"assignee": agent.pk})
    case.refresh_from_db()
    mine = case.assignee
    staff.post(url, {"assignee": colleague.pk})
    case.refresh_from_db()

    assert (mine, case.assignee) == (agent, colleague)


def test_assigning_to_someone_who_does_not_work_cases_is_a_field_error(staff, service, agent):
    case = open_case(service, agent)

    response = staff.post(reverse("support:case_assign", args=[case.pk]), {"assignee": make_user("sales").pk})

    assert response.status_code == 400
    assert "assignee" in response.context["assign_form"].errors
    case.refresh_from_db()
    assert case.assignee is None


def test_changing_priority_and_queue(staff, service, agent):
    queue = Queue.objects.create(name="Network operations")
    case = open_case(service, agent, priority="p4")

    response = staff.post(
        reverse("support:case_update", args=[case.pk]), {"priority": "p1", "queue": queue.pk, "type": "no_service"}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.priority, case.queue, case.response_due_at) == (
        "p1",
        queue,
        dt.datetime(2026, 3, 2, 10, 30, tzinfo=NY),
    )


def test_linking_under_a_parent_by_reference_and_unlinking_a_child(staff, service, agent):
    parent = open_case(service, agent, subject="Parent")
    child = open_case(service, agent, subject="Child")

    linked = staff.post(reverse("support:case_link", args=[child.pk]), {"parent": parent.reference.lower()})
    child.refresh_from_db()
    was = child.parent
    page = staff.get(parent.get_absolute_url())
    unlinked = staff.post(reverse("support:case_link", args=[child.pk]), {"parent": "", "back": parent.pk})
    child.refresh_from_db()

    assert (linked.status_code, was) == (302, parent)
    assert [case.pk for case in page.context["related"].children] == [child.pk]
    assert unlinked.status_code == 302
    assert unlinked["Location"] == f"{parent.get_absolute_url()}#related"
    assert child.parent is None


def test_linking_to_an_unknown_case_is_a_field_error(staff, service, agent):
    case = open_case(service, agent)

    response = staff.post(reverse("support:case_link", args=[case.pk]), {"parent": "CS-987654"})

    assert response.status_code == 400
    assert response.context["link_form"].errors["parent"] == ["No case 'CS-987654': give its reference, as CS-000042."]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("support:case_note", {"kind": "internal", "body": "x"}),
        ("support:case_status", {"to": "in_progress"}),
        ("support:case_assign", {"assignee": ""}),
        ("support:case_update", {"priority": "p1", "type": "other"}),
        ("support:case_link", {"parent": ""}),
    ],
)
def test_a_role_that_does_not_work_cases_gets_403(client, service, agent, name, data):
    case = open_case(service, agent)
    client.force_login(make_user("sales"))  # sales open cases, but do not work them

    response = client.post(reverse(name, args=[case.pk]), data)

    assert response.status_code == 403
    case.refresh_from_db()
    assert (case.status, case.priority, case.notes.count()) == ("new", "p3", 0)


def test_the_case_page_offers_no_actions_to_a_role_that_does_not_work_cases(client, service, agent):
    case = open_case(service, agent)
    client.force_login(make_user("sales"))

    html = client.get(case.get_absolute_url()).content.decode()

    assert reverse("support:case_note", args=[case.pk]) not in html
    assert reverse("support:case_status", args=[case.pk]) not in html


# --- A new case -------------------------------------------------------------------------------


def test_new_case_on_an_account_and_its_service(staff, service, agent):
    url = f"{reverse('support:case_create')}?account={service.account_id}&service={service.pk}"
    form = staff.get(url)

    response = staff.post(
        url,
        {
            "type": "slow",
            "priority": "p2",
            "channel": "phone",
            "subject": "Slow in the evenings",
            "service": service.pk,
            "assignee": agent.pk,
        },
    )

    assert form.context["form"].initial["service"] == service.pk
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == case.get_absolute_url()
    assert (case.account, case.service, case.location, case.assignee, case.created_by) == (
        service.account,
        service,
        service.location,
        agent,
        agent,
    )


def test_another_accounts_service_in_the_new_case_form_is_a_field_error(staff, service):
    stranger = make_live_service(make_account(), make_product(tasks=[TaskSpec("Install")]))
    url = f"{reverse('support:case_create')}?account={service.account_id}"

    response = staff.post(
        url, {"type": "slow", "priority": "p3", "channel": "phone", "subject": "Slow", "service": stranger.pk}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "service": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert Case.objects.count() == 0


def test_new_case_without_an_account_asks_for_one(staff, service):
    response = staff.get(reverse("support:case_create"), {"q": service.account.name})

    assert response.status_code == 200
    assert f"?account={service.account_id}" in response.content.decode()


def test_new_case_for_an_unknown_account_is_404(staff):
    assert staff.get(reverse("support:case_create"), {"account": 987654}).status_code == 404


# --- Files ------------------------------------------------------------------------------------


def test_attachment_is_a_download(staff, service, agent):
    case = open_case(service, agent)
    upload = SimpleUploadedFile("notes.txt", b"line test passed\n", content_type="text/plain")
    attachment = cases.case_attach(case=case, upload=upload, by=agent)

    response = staff.get(reverse("support:case_attachment", args=[attachment.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="notes.txt"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"line test passed\n"


def test_unknown_attachment_is_404(staff):
    assert CaseAttachment.objects.count() == 0
    assert staff.get(reverse("support:case_attachment", args=[987654])).status_code == 404


# --- The account and service pages ------------------------------------------------------------


def test_account_page_has_a_status_strip_and_the_open_cases(staff, service, agent):
    account = service.account
    make_live_service(account, make_product(tasks=[TaskSpec("Install")]))
    Service.objects.filter(pk=service.pk).update(status="suspended")
    with clock.frozen(clock.now() - dt.timedelta(hours=2)):
        late = open_case(service, agent, priority="p2", subject="Late one")
    newer = open_case(service, agent, subject="Newer one")
    cases.case_transition(case=open_case(service, agent, subject="Gone"), to="cancelled", by=agent)
    make_overdue(account, "55.00", days=4)

    html = staff.get(account.get_absolute_url()).content.decode()

    assert re.search(r'data-testid="strip-services">2 / 2<', html)
    assert re.search(r'data-testid="strip-network">No outage<', html)
    assert re.search(r'data-testid="strip-cases">2 · 1 breached<', html)
    assert re.search(r'data-testid="standing-headline">4 days late: \$55\.00 overdue<', html)
    assert re.findall(r'<tr data-case="(CS-\d+)">', html) == [newer.reference, late.reference]
    assert f"{reverse('support:case_create')}?account={account.pk}" in html


def test_account_strip_names_an_outage_over_the_accounts_service(staff, service):
    olt = topology.element_create(name="OLT-9", kind="olt")
    inventory_services.service_bind_element(service=service, element=olt, source="staff")
    outages.outage_open(element=olt, title="OLT down", by=make_user("provisioning"))

    html = staff.get(service.account.get_absolute_url()).content.decode()

    assert re.search(r'data-testid="strip-network">Outage on OLT-9<', html)


def test_service_page_lists_its_cases_and_a_new_case_link(staff, service, agent):
    case = open_case(service, agent)
    open_case(make_live_service(service.account, make_product(tasks=[TaskSpec("Install")])), agent)

    html = staff.get(service.get_absolute_url()).content.decode()

    assert re.findall(r'<tr data-case="(CS-\d+)">', html) == [case.reference]
    assert f"?account={service.account_id}&amp;service={service.pk}" in html


# --- SLA policies and queues ------------------------------------------------------------------


def test_admin_sets_a_policy(client):
    client.force_login(make_user("admin"))

    response = client.post(
        reverse("support:sla_policy_create"),
        {
            "customer_type": "business",
            "priority": "p2",
            "response_minutes": "15",
            "resolution_minutes": "120",
            "warn_percent": "80",
        },
    )

    assert response.status_code == 302
    policy = SlaPolicy.objects.get()
    assert (policy.response_minutes, policy.resolution_minutes, policy.warn_percent, policy.round_the_clock) == (
        15,
        120,
        80,
        False,
    )


def test_a_resolution_target_before_the_response_target_is_a_field_error(client):
    client.force_login(make_user("admin"))
    data = {"customer_type": "business", "priority": "p2", "response_minutes": "120", "resolution_minutes": "60"}
    data["warn_percent"] = "75"

    response = client.post(reverse("support:sla_policy_create"), data)

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "resolution_minutes": ["The resolution target cannot come before the response target."]
    }
    assert SlaPolicy.objects.count() == 0


def test_a_second_policy_for_the_same_priority_is_a_field_error(client):
    client.force_login(make_user("admin"))
    SlaPolicy.objects.create(priority="p2", customer_type="business", response_minutes=15, resolution_minutes=120)
    data = {"customer_type": "business", "priority": "p2", "response_minutes": "30", "resolution_minutes": "60"}

    response = client.post(reverse("support:sla_policy_create"), data | {"warn_percent": "75"})

    assert response.status_code == 400
    assert "already has a policy" in response.context["form"].errors["priority"][0]
    assert SlaPolicy.objects.get().response_minutes == 15


def test_sla_settings_list_defaults_and_policies(client):
    client.force_login(make_user("admin"))
    SlaPolicy.objects.create(priority="p2", customer_type="business", response_minutes=15, resolution_minutes=120)

    response = client.get(reverse("support:sla_settings"))

    rows = {(row["customer_type"], row["priority"]): row for row in response.context["targets"]}
    assert len(rows) == 8
    assert rows[("business", "p2")]["targets"].response_minutes == 15
    assert rows[("business", "p3")]["policy"] is None
    assert rows[("business", "p3")]["targets"].response_minutes == 240


def test_a_new_default_queue_takes_the_default_from_the_old_one(client):
    client.force_login(make_user("admin"))
    old = Queue.objects.create(name="Tier 1", is_default=True)

    response = client.post(reverse("support:queue_create"), {"name": "Tier 2", "is_default": "on"})

    assert response.status_code == 302
    assert list(Queue.objects.filter(is_default=True).values_list("name", flat=True)) == ["Tier 2"]
    old.refresh_from_db()
    assert old.is_default is False


def test_a_taken_queue_name_is_a_field_error(client):
    client.force_login(make_user("admin"))
    Queue.objects.create(name="Tier 1")

    response = client.post(reverse("support:queue_create"), {"name": "tier 1"})

    assert response.status_code == 400
    assert response.context["form"].errors == {"name": ["There is already a queue named tier 1."]}
    assert Queue.objects.count() == 1


@pytest.mark.parametrize("name", ["support:sla_settings", "support:sla_policy_create", "support:queue_create"])
def test_support_staff_may_not_set_policies(staff, name):
    assert staff.get(reverse(name)).status_code == 403


def test_selector_reads_a_reference_as_staff_write_it(agent, service):
    case = open_case(service, agent)

    assert selectors.case_get_by_reference(user=agent, reference=f" cs-{case.pk:06d} ") == case


def test_admin_changes_and_removes_a_policy(client):
    client.force_login(make_user("admin"))
    policy = SlaPolicy.objects.create(
        priority="p2", customer_type="residential", response_minutes=15, resolution_minutes=120
    )
    data = {"customer_type": "residential", "priority": "p2", "response_minutes": "20", "resolution_minutes": "90"}

    changed = client.post(reverse("support:sla_policy_edit", args=[policy.pk]), data | {"warn_percent": "50"})
    policy.refresh_from_db()
    was = (policy.response_minutes, policy.resolution_minutes, policy.warn_percent)
    removed = client.post(reverse("support:sla_policy_delete", args=[policy.pk]))

    assert (changed.status_code, was) == (302, (20, 90, 50))
    assert removed.status_code == 302
    assert SlaPolicy.objects.count() == 0


def test_admin_renames_a_queue(client):
    client.force_login(make_user("admin"))
    queue = Queue.objects.create(name="Tier 1")

    response = client.post(reverse("support:queue_edit", args=[queue.pk]), {"name": "First line", "description": "x"})

    queue.refresh_from_db()
    assert response.status_code == 302
    assert (queue.name, queue.description, queue.is_default) == ("First line", "x", False)
