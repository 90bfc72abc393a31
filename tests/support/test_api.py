"""TMF621 troubleTicket: every body validates against the official definitions; the mapping of
types, priorities, statuses, parties and entities; bad input names the field and writes nothing;
only the roles that open or work cases may."""

import base64
import datetime as dt

import pytest
from django.core import mail

from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.core.models import OutboxEvent
from headend.crm import services as crm_services
from headend.support import cases
from headend.support.models import Case, CaseAttachment, CaseNote
from tests.api.client import TMFClient, assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_account, make_live_service, make_location, make_product, make_user
from tests.module_records import fresh, kept_for_the_module

pytestmark = pytest.mark.django_db

TICKETS = "/troubleTicket/v4/troubleTicket"
HOST = "http://testserver/tmf-api"
NY = dt.timezone(dt.timedelta(hours=-5))
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def valid(data):
    assert_valid(data, api="621", definition="TroubleTicket")
    return data


def error(response, **expected):
    return assert_error(response, api="621", **expected)


@pytest.fixture
def agent():
    return make_user("support")


@pytest.fixture
def support_api(client, agent):
    return TMFClient.for_user(client, agent)


@pytest.fixture(scope="module")
def shared_service(django_db_setup, django_db_blocker):
    """A live service, built once for the module's tests on a worker (tests/module_records.py)."""
    with kept_for_the_module(django_db_blocker):
        yield {"service": make_live_service(make_account(), make_product(tasks=[TaskSpec("Install")]))}


@pytest.fixture
def service(shared_service):
    return fresh(shared_service)["service"]


@pytest.fixture
def contact(service):
    return crm_services.contact_create(
        account=service.account, first_name="Jo", last_name="Buyer", email="jo@example.com"
    )


def ticket(service, **extra):
    return {
        "description": "No light on the ONT since the storm.",
        "name": "No internet",
        "ticketType": "noService",
        "severity": "Major",
        "relatedParty": [{"id": str(service.account_id), "role": "customer", "@referredType": "Customer"}],
        "relatedEntity": [{"id": str(service.pk), "role": "affectedService", "@referredType": "Service"}],
        **extra,
    }


def create(api, data):
    response = api.post(TICKETS, data)
    assert response.status_code == 201, response.content
    return valid(body(response))


def test_a_ticket_opens_a_case_on_the_service_and_reads_back_the_same(support_api, service, contact, agent):
    data = ticket(
        service,
        externalId="NOC-7",
        channel={"name": "phone"},
        relatedParty=[
            {"id": str(service.account_id), "role": "customer", "@referredType": "Customer"},
            {"id": str(contact.pk), "role": "contact", "@referredType": "Individual"},
        ],
        note=[{"text": "Customer rebooted twice."}],
    )

    created = create(support_api, data)

    case = Case.objects.get()
    assert (case.account, case.service, case.location, case.contact) == (
        service.account,
        service,
        service.location,
        contact,
    )
    assert (case.type, case.priority, case.channel, case.subject, case.external_id) == (
        "no_service",
        "p2",
        "phone",
        "No internet",
        "NOC-7",
    )
    assert [(n.kind, n.body, n.author) for n in case.notes.all()] == [("internal", "Customer rebooted twice.", agent)]
    now = "2026-03-02T15:00:00Z"
    assert created == {
        "id": str(case.uid),
        "href": f"{HOST}/troubleTicket/v4/troubleTicket/{case.uid}",
        "@type": "TroubleTicket",
        "reference": case.reference,
        "name": "No internet",
        "description": "No light on the ONT since the storm.",
        "ticketType": "noService",
        "priority": "High",
        "severity": "Major",
        "status": "acknowledged",
        "statusChangeDate": now,
        "creationDate": now,
        "lastUpdate": now,
        "expectedResolutionDate": created["expectedResolutionDate"],
        "externalId": "NOC-7",
        "channel": {"id": "phone", "name": "Phone"},
        "relatedParty": [
            {
                "id": str(service.account_id),
                "href": f"{HOST}/customerManagement/v4/customer/{service.account_id}",
                "name": service.account.name,
                "role": "customer",
                "@referredType": "Customer",
            },
            {"id": str(contact.pk), "name": "Jo Buyer", "role": "contact", "@referredType": "Individual"},
        ],
        "relatedEntity": [
            {
                "id": str(service.pk),
                "href": f"{HOST}/serviceInventory/v4/service/{service.pk}",
                "name": str(service),
                "role": "affectedService",
                "@referredType": "Service",
            },
            {
                "id": str(service.location_id),
                "href": f"{HOST}/geographicSiteManagement/v4/geographicSite/{service.location_id}",
                "name": service.location.label,
                "role": "location",
                "@referredType": "GeographicSite",
            },
        ],
        "note": [
            {
                "id": str(case.notes.get().pk),
                "author": agent.username,
                "date": now,
                "text": "Customer rebooted twice.",
                "noteType": "internal",
                "@type": "Note",
            }
        ],
        "attachment": [],
        "statusChange": [{"status": "acknowledged", "changeDate": now, "@type": "StatusChange"}],
        "troubleTicketRelationship": [],
    }
    assert dt.datetime.fromisoformat(created["expectedResolutionDate"]) == case.resolution_due_at
    assert valid(body(support_api.get(f"{TICKETS}/{case.uid}"))) == created


def test_the_customer_follows_from_the_service_and_the_defaults(support_api, service):
    created = create(
        support_api,
        {
            "description": "Slow in the evenings\nSpeed tests attached later.",
            "relatedEntity": [{"id": str(service.pk), "role": "affectedService", "@referredType": "Service"}],
        },
    )
    case = Case.objects.get()
    assert (case.account, case.type, case.priority, case.channel, case.subject) == (
        service.account,
        "other",
        "p3",
        "api",
        "Slow in the evenings",
    )
    assert (created["ticketType"], created["priority"], created["severity"], created["channel"]) == (
        "other",
        "Medium",
        "Minor",
        {"id": "api", "name": "API"},
    )


@pytest.mark.parametrize(
    ("given", "priority"),
    [
        ({"priority": "Critical"}, "p1"),
        ({"priority": "low", "severity": "Critical"}, "p4"),  # priority wins
        ({"severity": "Warning"}, "p4"),
        ({"priority": "p2"}, "p2"),
    ],
)
def test_priority_and_severity_map_to_p1_to_p4(support_api, service, given, priority):
    data = ticket(service)
    del data["severity"]
    create(support_api, data | given)
    assert Case.objects.get().priority == priority


@pytest.mark.parametrize(
    ("given", "type_"),
    [
        ("noService", "no_service"),
        ("no_service", "no_service"),
        ("Slow", "slow"),
        ("billing", "billing"),
        ("move", "move"),
    ],
)
def test_ticket_types(support_api, service, given, type_):
    create(support_api, ticket(service, ticketType=given))
    assert Case.objects.get().type == type_


@pytest.mark.parametrize(
    ("change", "field", "code", "status"),
    [
        ({"description": " "}, "description", "string_too_short", 400),
        ({"ticketType": "flood"}, "ticketType", "invalid_choice", 400),
        ({"priority": "Urgent"}, "priority", "invalid_choice", 400),
        ({"severity": "Fatal"}, "severity", "invalid_choice", 400),
        ({"channel": {"name": "pigeon"}}, "channel.name", "invalid_choice", 400),
        ({"status": "closed"}, "status", "read_only", 400),
        ({"name": "x" * 201}, "name", None, 400),
        ({"relatedParty": [{"id": "987654", "role": "customer"}]}, "relatedParty[0].id", "unknown_reference", 400),
        ({"relatedParty": [{"id": "1", "role": "partner"}]}, "relatedParty[0].role", "unsupported_party", 400),
        ({"relatedEntity": [{"id": "1", "role": "x", "@referredType": "Product"}]}, None, "unsupported_entity", 400),
        ({"relatedEntity": [], "relatedParty": []}, "relatedParty", "required", 400),
        ({"attachment": [{"name": "a.png", "content": "%%%"}]}, "attachment[0].content", "invalid_base64", 400),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(support_api, service, change, field, code, status):
    response = support_api.post(TICKETS, ticket(service) | change)
    error(response, status=status, code=code, field=field)
    assert not Case.objects.exists()
    assert not OutboxEvent.objects.filter(name__startswith="case.").exists()


def test_another_accounts_service_is_refused(support_api, service):
    other = make_account()
    data = ticket(service, relatedParty=[{"id": str(other.pk), "role": "customer", "@referredType": "Customer"}])
    error(support_api.post(TICKETS, data), status=400, code="not_the_accounts", field="relatedEntity[0].id")
    assert not Case.objects.exists()


def test_another_accounts_site_is_refused(support_api, service):
    elsewhere = make_location(make_account())
    data = ticket(
        service,
        relatedEntity=[{"id": str(elsewhere.pk), "role": "location", "@referredType": "GeographicSite"}],
    )
    error(support_api.post(TICKETS, data), status=400, code="not_the_accounts", field="relatedEntity[0].id")
    assert not Case.objects.exists()


def test_a_bad_note_after_the_case_opened_leaves_nothing(support_api, service, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = base64.b64encode(b"<html><script>alert(1)</script></html>").decode()
    data = ticket(
        service,
        note=[{"text": "First."}],
        attachment=[{"name": "a.png", "content": base64.b64encode(PNG).decode()}, {"name": "x.txt", "content": page}],
    )
    error(support_api.post(TICKETS, data), status=400, code="file_type", field="attachment[1]")
    assert not Case.objects.exists()
    assert not CaseNote.objects.exists()
    assert not CaseAttachment.objects.exists()


def test_attachments_by_value_read_back_by_reference(support_api, service, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    created = create(
        support_api,
        ticket(service, attachment=[{"name": "speed.png", "content": base64.b64encode(PNG).decode()}]),
    )
    attachment = CaseAttachment.objects.get()
    assert created["attachment"] == [
        {
            "id": str(attachment.pk),
            "url": f"http://testserver/support/attachments/{attachment.pk}/",
            "name": "speed.png",
            "mimeType": "image/png",
            "size": {"amount": len(PNG), "units": "bytes"},
            "@type": "Attachment",
            "@referredType": "Attachment",
        }
    ]


# Roles


def test_sales_may_open_a_ticket_but_not_work_it(client, service):
    sales = TMFClient.for_user(client, make_user("sales"))
    created = create(sales, ticket(service))
    error(sales.patch(f"{TICKETS}/{created['id']}", {"status": "inProgress"}), status=403)
    error(sales.post(TICKETS, ticket(service, note=[{"text": "internal"}])), status=403)
    assert Case.objects.count() == 1
    assert not CaseNote.objects.exists()


def test_finance_may_read_but_not_open(client, service, agent):
    case = cases.case_open(account=service.account, type="slow", channel="phone", subject="Slow", by=agent)
    finance = TMFClient.for_user(client, make_user("finance"))
    error(finance.post(TICKETS, ticket(service)), status=403)
    assert [t["id"] for t in valid_list(finance.get(TICKETS))] == [str(case.uid)]


def test_no_token_is_401(client):
    error(TMFClient(client).get(TICKETS), status=401)


# Lists


def valid_list(response):
    assert response.status_code == 200, response.content
    data = body(response)
    for item in data:
        valid(item)
    return data


def test_list_filters_and_pages(support_api, service, agent):
    account = service.account
    other = make_account()
    first = cases.case_open(account=account, service=service, type="slow", channel="phone", subject="A", by=agent)
    with clock.frozen(clock.now() + dt.timedelta(minutes=1)):
        second = cases.case_open(account=account, type="billing", channel="email", subject="B", priority="p1", by=agent)
    with clock.frozen(clock.now() + dt.timedelta(minutes=2)):
        third = cases.case_open(account=other, type="move", channel="portal", subject="C", by=agent, external_id="X-1")
    cases.case_transition(case=first, to="waiting", by=agent)

    def ids(**query):
        return [item["id"] for item in valid_list(support_api.get(TICKETS, **query))]

    assert ids() == [str(third.uid), str(second.uid), str(first.uid)]
    assert ids(status="pending") == [str(first.uid)]
    assert ids(status="acknowledged") == [str(third.uid), str(second.uid)]
    assert ids(priority="Critical") == [str(second.uid)]
    assert ids(severity="Critical") == [str(second.uid)]
    assert ids(ticketType="move") == [str(third.uid)]
    assert ids(**{"relatedParty.id": str(account.pk)}) == [str(second.uid), str(first.uid)]
    assert ids(**{"relatedEntity.id": str(service.pk)}) == [str(first.uid)]
    assert ids(externalId="X-1") == [str(third.uid)]
    page = support_api.get(TICKETS, offset=1, limit=1)
    assert [item["id"] for item in valid_list(page)] == [str(second.uid)]
    assert (page["X-Total-Count"], page["X-Result-Count"]) == ("3", "1")
    error(support_api.get(TICKETS, priority="Urgent"), status=400, field="priority")
    fields = valid_list(support_api.get(TICKETS, fields="status", limit=1))
    assert fields == [
        {
            "id": str(third.uid),
            "href": f"{HOST}/troubleTicket/v4/troubleTicket/{third.uid}",
            "@type": "TroubleTicket",
            "status": "acknowledged",
        }
    ]


def test_unknown_ids_are_404(support_api):
    error(support_api.get(f"{TICKETS}/not-a-uuid"), status=404)
    error(support_api.get(f"{TICKETS}/00000000-0000-4000-8000-000000000000"), status=404)


# PATCH


def open_case(service, agent, **values):
    return cases.case_open(
        **{"account": service.account, "service": service, "type": "no_service", "channel": "phone"}
        | {"subject": "No light", "by": agent}
        | values
    )


def patch(api, case, data):
    response = api.patch(f"{TICKETS}/{case.uid}", data)
    assert response.status_code == 200, response.content
    return valid(body(response))


def test_patch_moves_the_case_through_its_statuses_with_history(support_api, service, agent):
    case = open_case(service, agent)
    with clock.frozen(clock.now() + dt.timedelta(minutes=5)):
        patch(support_api, case, {"status": "inProgress"})
    with clock.frozen(clock.now() + dt.timedelta(minutes=10)):
        patch(support_api, case, {"status": "pending"})
    with clock.frozen(clock.now() + dt.timedelta(minutes=20)):
        cases.case_note_add(case=case, kind="customer", body="Still down.", author_name="Jo")
    with clock.frozen(clock.now() + dt.timedelta(minutes=30)):
        done = patch(support_api, case, {"status": "resolved", "statusChangeReason": "Replaced the ONT."})

    case.refresh_from_db()
    assert (case.status, case.resolution) == ("resolved", "Replaced the ONT.")
    assert done["statusChange"] == [
        {"status": "acknowledged", "changeDate": "2026-03-02T15:00:00Z", "@type": "StatusChange"},
        {"status": "inProgress", "changeDate": "2026-03-02T15:05:00Z", "@type": "StatusChange"},
        {"status": "pending", "changeDate": "2026-03-02T15:10:00Z", "@type": "StatusChange"},
        {
            "status": "inProgress",
            "changeDate": "2026-03-02T15:20:00Z",
            "changeReason": "The customer wrote back.",
            "@type": "StatusChange",
        },
        {
            "status": "resolved",
            "changeDate": "2026-03-02T15:30:00Z",
            "changeReason": "Replaced the ONT.",
            "@type": "StatusChange",
        },
    ]
    assert (done["status"], done["statusChangeReason"], done["resolutionDate"]) == (
        "resolved",
        "Replaced the ONT.",
        "2026-03-02T15:30:00Z",
    )
    closed = patch(support_api, case, {"status": "closed"})
    assert closed["status"] == "closed"


def test_resolving_without_what_was_done_is_a_field_error(support_api, service, agent):
    case = open_case(service, agent)
    error(
        support_api.patch(f"{TICKETS}/{case.uid}", {"status": "resolved", "priority": "Low"}),
        status=400,
        code="required",
        field="statusChangeReason",
    )
    case.refresh_from_db()
    assert (case.status, case.priority) == ("new", "p3")
    assert not OutboxEvent.objects.filter(name__in=["case.updated", "case.status_changed"]).exists()


@pytest.mark.parametrize(
    ("data", "status", "code", "field"),
    [
        ({"status": "held"}, 400, "invalid_choice", "status"),
        ({"status": "closed"}, 409, "invalid_transition", None),
        ({"status": None}, 400, "required", "status"),
        ({"id": "other"}, 400, "immutable", "id"),
        ({"externalId": "NEW"}, 400, "immutable", "externalId"),
        ({"channel": {"name": "email"}}, 400, "immutable", "channel"),
        ({"name": ""}, 400, "required", "name"),
        ({"note": [{"id": "987654", "text": "x"}]}, 400, "unknown_reference", "note[0].id"),
        ({"note": [{"text": "x", "noteType": "gossip"}]}, 400, None, "note[0].noteType"),
    ],
)
def test_bad_patches_change_nothing(support_api, service, agent, data, status, code, field):
    case = open_case(service, agent)
    error(support_api.patch(f"{TICKETS}/{case.uid}", data), status=status, code=code, field=field)
    case.refresh_from_db()
    assert (case.status, case.subject, case.external_id) == ("new", "No light", "")
    assert not CaseNote.objects.exists()


def test_patch_changes_details_and_appends_notes(support_api, service, agent, contact, run_worker):
    case = open_case(service, agent, priority="p4")
    run_worker()
    mail.outbox.clear()  # the service's "live" email
    first = cases.case_note_add(case=case, kind="internal", body="Checked the OLT.", by=agent)

    changed = patch(
        support_api,
        case,
        {
            "name": "No light at all",
            "ticketType": "slow",
            "priority": "Critical",
            "relatedParty": [{"id": str(contact.pk), "role": "contact", "@referredType": "Individual"}],
            "note": [
                {"id": str(first.pk), "text": "Checked the OLT."},
                {"text": "We replace the ONT tomorrow.", "noteType": "reply"},
            ],
        },
    )

    case.refresh_from_db()
    assert (case.subject, case.type, case.priority, case.contact) == ("No light at all", "slow", "p1", contact)
    assert [(n.kind, n.body) for n in case.notes.all()] == [
        ("internal", "Checked the OLT."),
        ("reply", "We replace the ONT tomorrow."),
    ]
    assert [n["noteType"] for n in changed["note"]] == ["internal", "reply"]
    assert changed["priority"] == "Critical"
    run_worker()
    assert [(m.to, m.subject) for m in mail.outbox] == [(["jo@example.com"], f"[{case.reference}] No light at all")]


def test_patch_to_another_accounts_service_is_refused(support_api, service, agent):
    case = open_case(service, agent)
    foreign = make_live_service(make_account(), service.product_version)
    data = {"relatedEntity": [{"id": str(foreign.pk), "role": "affectedService", "@referredType": "Service"}]}
    error(
        support_api.patch(f"{TICKETS}/{case.uid}", data),
        status=400,
        code="not_the_accounts",
        field="relatedEntity[0].id",
    )
    case.refresh_from_db()
    assert case.service == service


def test_a_resolved_ticket_reopens_and_changes_in_one_patch(support_api, service, agent):
    case = open_case(service, agent)
    cases.case_transition(case=case, to="resolved", by=agent, resolution="Fixed.")
    reopened = patch(support_api, case, {"status": "inProgress", "priority": "High"})
    assert (reopened["status"], reopened["priority"]) == ("inProgress", "High")


def test_an_outage_parent_case_is_listed_with_its_children(support_api, service, agent):
    parent = open_case(service, agent, subject="Parent")
    child = open_case(service, agent, subject="Child")
    cases.case_link(case=child, parent=parent, by=agent)
    data = valid(body(support_api.get(f"{TICKETS}/{parent.uid}")))
    assert data["troubleTicketRelationship"] == [
        {
            "id": str(child.uid),
            "href": f"{HOST}/troubleTicket/v4/troubleTicket/{child.uid}",
            "name": child.reference,
            "relationshipType": "isParent",
            "@type": "TroubleTicketRelationship",
        }
    ]
    child_data = valid(body(support_api.get(f"{TICKETS}/{child.uid}")))
    assert [(r["id"], r["relationshipType"]) for r in child_data["troubleTicketRelationship"]] == [
        (str(parent.uid), "isChild")
    ]
