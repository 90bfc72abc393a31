"""TMF642 alarm, clearAlarms and ackAlarms: every body validates against the official definitions
(tests/data/tmf); a service-affecting alarm opens one outage with exactly the services below,
one parent case and one notice per customer; the same alarm again changes nothing; clearing it
closes the outage and queues the all-clear; bad input names the attribute and writes nothing."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.api.services import token_issue
from headend.inventory import outage_impact
from headend.inventory.models import ServiceOutage
from headend.network.models import Alarm, Outage, OutageAlert
from headend.support.models import Case, OutageNotice
from tests.api.client import TMFClient, assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_user
from tests.module_records import fresh
from tests.network.outage_fixtures import table_counts

pytestmark = pytest.mark.django_db

ALARMS = "/alarm/v4/alarm"
HOST = "http://testserver/tmf-api"
RAISED = "2026-03-02T14:58:00Z"


@pytest.fixture
def network(shared_network):
    return fresh(shared_network)


@pytest.fixture
def noc(client):
    """The network team's token (provisioning: alarm.manage)."""
    return TMFClient.for_user(client, make_user("provisioning"))


def alarm_body(**changes):
    return {
        "alarmType": "communicationsAlarm",
        "perceivedSeverity": "critical",
        "probableCause": "lossOfSignal",
        "specificProblem": "AP ap-7-north unreachable",
        "alarmedObject": {"id": "ap-7-north", "@type": "AlarmedObject"},
        "sourceSystemId": "librenms",
        "externalAlarmId": "los-7-north",
        "state": "raised",
        "alarmRaisedTime": RAISED,
        "serviceAffecting": True,
        "affectedService": [{"id": "internet"}],
        **changes,
    }


def valid_alarm(data):
    assert_valid(data, api="642", definition="Alarm")
    return data


def raise_alarm(api, **changes):
    response = api.post(ALARMS, alarm_body(**changes))
    assert response.status_code == 201, response.content
    return valid_alarm(body(response))


def test_an_alarm_is_answered_as_tmf642_has_it(noc, network):
    data = raise_alarm(noc)

    alarm = Alarm.objects.get()
    assert data == {
        "id": alarm.pk,
        "href": f"{HOST}/alarm/v4/alarm/{alarm.pk}",
        "@type": "Alarm",
        "state": "raised",
        "ackState": "unacknowledged",
        "alarmType": "communicationsAlarm",
        "perceivedSeverity": "critical",
        "probableCause": "lossOfSignal",
        "specificProblem": "AP ap-7-north unreachable",
        "externalAlarmId": "los-7-north",
        "sourceSystemId": "librenms",
        "isRootCause": False,
        "alarmRaisedTime": "2026-03-02T14:58:00Z",
        "alarmReportingTime": "2026-03-02T15:00:00Z",
        "alarmedObject": {
            "id": "ap-7-north",
            "href": f"http://testserver/network/topology/elements/{network.north.pk}/",
            "@type": "AlarmedObject",
        },
        "alarmedObjectType": "Sector",
        "comment": [],
        "affectedService": [{"id": "internet"}],
        "serviceAffecting": True,
    }


def test_a_critical_alarm_opens_one_outage_with_the_services_below_one_parent_case_and_notices(
    noc, network, run_worker
):
    raise_alarm(noc)
    run_worker()

    outage = Outage.objects.get()
    assert (outage.element, outage.source, outage.status, outage.severity) == (
        network.north,
        "alarm",
        "open",
        "critical",
    )
    assert outage.started_at == dt.datetime(2026, 3, 2, 14, 58, tzinfo=dt.UTC)
    assert Alarm.objects.get().outage == outage
    assert sorted(ServiceOutage.objects.values_list("service_id", flat=True)) == sorted(s.pk for s in network.impacted)
    assert Case.objects.get().outage == outage
    assert sorted(OutageNotice.objects.values_list("account_id", "channel")) == sorted(
        [
            (network.business.pk, "email"),
            (network.business.pk, "sms"),
            (network.resident.pk, "email"),
            (network.resident.pk, "sms"),
        ]
    )
    assert outage_impact.revenue_at_risk(outage=outage) == [outage_impact.Revenue(Decimal("244.94"), "USD")]


def test_the_same_alarm_reported_again_is_409_and_changes_nothing(noc, network, run_worker):
    first = raise_alarm(noc)
    run_worker()
    before = table_counts()

    response = noc.post(ALARMS, alarm_body())
    run_worker()

    error = assert_error(response, status=409, code="alarm_exists", field="externalAlarmId", api="642")
    assert str(first["id"]) in error["reason"]
    assert table_counts() == before


def test_clearing_the_alarm_closes_the_outage_and_queues_the_all_clear(noc, network, run_worker):
    raised = raise_alarm(noc)
    run_worker()

    response = noc.patch(f"{ALARMS}/{raised['id']}", {"state": "cleared", "alarmClearedTime": "2026-03-02T14:59:30Z"})
    run_worker()

    assert response.status_code == 200, response.content
    data = valid_alarm(body(response))
    assert (data["state"], data["perceivedSeverity"], data["alarmClearedTime"]) == (
        "cleared",
        "cleared",
        "2026-03-02T14:59:30Z",
    )
    outage = Outage.objects.get()
    assert (outage.status, outage.ended_at) == ("resolved", dt.datetime(2026, 3, 2, 14, 59, 30, tzinfo=dt.UTC))
    assert OutageNotice.objects.filter(phase="end").count() == 4
    assert Case.objects.get().status == "resolved"


def test_clear_alarms_clears_the_matching_alarms(noc, network, run_worker):
    raised = raise_alarm(noc)
    other = raise_alarm(noc, externalAlarmId="los-7-south", alarmedObject={"id": "ap-7-south"})

    response = noc.post(
        "/alarm/v4/clearAlarms",
        {
            "clearSystemId": "librenms",
            "clearUserId": "noc-bot",
            "alarmClearedTime": "2026-03-02T14:59:00Z",
            "alarmPattern": [{"externalAlarmId": "los-7-north", "alarmedObject": {"id": "ap-7-north"}}],
        },
    )

    assert response.status_code == 201, response.content
    data = body(response)
    assert_valid(data, api="642", definition="ClearAlarms")
    assert data["clearedAlarm"] == [
        {"id": raised["id"], "href": f"{HOST}/alarm/v4/alarm/{raised['id']}", "@referredType": "Alarm"}
    ]
    assert data["alarmPattern"] == [{"externalAlarmId": "los-7-north", "alarmedObject": {"id": "ap-7-north"}}]
    assert dict(Alarm.objects.values_list("pk", "state")) == {raised["id"]: "cleared", other["id"]: "raised"}
    cleared = valid_alarm(body(noc.get(f"{ALARMS}/{raised['id']}")))
    assert (cleared["clearUserId"], cleared["clearSystemId"]) == ("noc-bot", "librenms")
    assert list(Outage.objects.order_by("element__name").values_list("element__name", "status")) == [
        ("ap-7-north", "resolved"),
        ("ap-7-south", "open"),
    ]


def test_ack_alarms_acknowledges_the_matching_alarms(noc, network):
    raised = raise_alarm(noc)

    response = noc.post(
        "/alarm/v4/ackAlarms",
        {"ackSystemId": "noc-console", "ackUserId": "pat", "alarmPattern": [{"id": raised["id"]}]},
    )

    assert response.status_code == 201, response.content
    data = body(response)
    assert_valid(data, api="642", definition="AckAlarms")
    assert [entry["id"] for entry in data["ackedAlarm"]] == [raised["id"]]
    alarm = Alarm.objects.get()
    assert (alarm.ack_state, alarm.ack_user_id, alarm.ack_system_id) == ("acknowledged", "pat", "noc-console")
    assert Outage.objects.get().status == "open"  # acknowledging is not fixing


def test_a_minor_alarm_opens_no_outage_until_it_is_raised_to_major_and_closes_it_when_downgraded(noc, network):
    raised = raise_alarm(noc, perceivedSeverity="minor")
    assert Outage.objects.count() == 0

    up = noc.patch(f"{ALARMS}/{raised['id']}", {"perceivedSeverity": "major"})

    assert valid_alarm(body(up))["state"] == "updated"
    outage = Outage.objects.get()
    assert outage.status == "open"

    noc.patch(f"{ALARMS}/{raised['id']}", {"perceivedSeverity": "warning"})

    outage.refresh_from_db()
    assert outage.status == "resolved"
    assert Alarm.objects.get().state == "updated"
    assert OutageAlert.objects.filter(outage=outage, resolved_at=None).count() == 0


def test_an_alarm_that_says_it_does_not_affect_service_opens_no_outage(noc, network):
    raise_alarm(noc, serviceAffecting=False)

    assert Outage.objects.count() == 0


def test_an_alarm_below_an_element_already_down_joins_its_outage(noc, network):
    raise_alarm(noc, externalAlarmId="tower-down", alarmedObject={"id": "tower-7"})

    raise_alarm(noc)

    outage = Outage.objects.get()
    assert outage.element == network.tower
    assert set(Alarm.objects.values_list("outage_id", flat=True)) == {outage.pk}


def test_the_element_may_be_named_by_its_id_or_name(noc, network):
    by_id = raise_alarm(noc, alarmedObject={"id": str(network.south.pk)}, externalAlarmId="a")
    by_name = raise_alarm(noc, alarmedObject={"name": "ap-7-south"}, externalAlarmId="b")

    assert (by_id["alarmedObject"]["id"], by_name["alarmedObject"]["id"]) == ("ap-7-south", "ap-7-south")


def test_comments_are_added_once(noc, network):
    raised = raise_alarm(noc, comment=[{"comment": "Truck rolled", "userId": "pat", "time": "2026-03-02T14:59:00Z"}])
    patch = {"comment": [{"comment": "Truck rolled", "userId": "pat"}, {"comment": "Fibre cut found", "userId": "sam"}]}

    data = valid_alarm(body(noc.patch(f"{ALARMS}/{raised['id']}", patch)))

    assert [(entry["comment"], entry["userId"]) for entry in data["comment"]] == [
        ("Truck rolled", "pat"),
        ("Fibre cut found", "sam"),
    ]
    assert data["state"] == "raised"  # a comment changes nothing else


# --- Reads ---------------------------------------------------------------------------------------


def test_alarms_are_listed_with_their_counts_and_filters(noc, network):
    first = raise_alarm(noc)
    raise_alarm(noc, externalAlarmId="other", perceivedSeverity="minor")

    response = noc.get(ALARMS, perceivedSeverity="critical")

    assert response.status_code == 200
    assert (response["X-Total-Count"], response["X-Result-Count"]) == ("1", "1")
    listed = body(response)
    for entry in listed:
        valid_alarm(entry)
    assert [entry["id"] for entry in listed] == [first["id"]]
    assert body(noc.get(ALARMS, **{"alarmedObject.id": "ap-7-south"})) == []


def test_an_unknown_alarm_is_a_tmf_404(noc, network):
    assert_error(noc.get(f"{ALARMS}/987654"), status=404, api="642")
    assert_error(noc.get(f"{ALARMS}/not-a-number"), status=404, api="642")


def test_every_staff_member_reads_alarms_and_only_alarm_managers_write(client, network):
    support = TMFClient.for_user(client, make_user("support"))
    raised = raise_alarm(TMFClient.for_user(client, make_user("integration")))

    assert support.get(f"{ALARMS}/{raised['id']}").status_code == 200
    assert_error(support.post(ALARMS, alarm_body(externalAlarmId="x")), status=403, api="642")
    assert_error(support.patch(f"{ALARMS}/{raised['id']}", {"state": "cleared"}), status=403, api="642")
    assert Alarm.objects.get().state == "raised"


def test_without_a_token_the_api_is_401(client, network):
    assert_error(TMFClient(client).post(ALARMS, alarm_body()), status=401, api="642")


# --- Bad input: a 400 naming the attribute, nothing written -------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"alarmedObject": {"id": "ap-9-east"}}, "alarmedObject.id", "unknown_element"),
        ({"alarmedObject": {}}, "alarmedObject.id", "required"),
        ({"alarmRaisedTime": None}, "alarmRaisedTime", None),
        ({"alarmRaisedTime": "2026-03-02T14:58:00"}, "alarmRaisedTime", None),
        ({"alarmRaisedTime": "9999-12-31T23:59:59-14:00"}, "alarmRaisedTime", None),
        ({"perceivedSeverity": "apocalyptic"}, "perceivedSeverity", None),
        ({"state": "forgotten"}, "state", None),
        ({"alarmType": ""}, "alarmType", None),
        ({"sourceSystemId": "x" * 101}, "sourceSystemId", None),
    ],
)
def test_a_bad_alarm_is_400_naming_the_attribute_and_writes_nothing(noc, network, changes, field, code):
    before = table_counts()

    response = noc.post(ALARMS, alarm_body(**changes))

    error = assert_error(response, status=400, api="642")
    assert error["message"].startswith(f"{field}: "), error
    if code:
        assert error["code"] == code
    assert table_counts() == before


def test_an_alarm_body_that_is_not_json_is_400(noc, network):
    assert_error(noc.post(ALARMS, raw='{"alarmType": '), status=400, code="invalid_body", api="642")


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"alarmedObject": {"id": "ap-7-south"}}, "alarmedObject"),
        ({"sourceSystemId": "zabbix"}, "sourceSystemId"),
        ({"alarmRaisedTime": "2026-03-02T10:00:00Z"}, "alarmRaisedTime"),
        ({"alarmType": None}, "alarmType"),
    ],
)
def test_what_identifies_an_alarm_cannot_change(noc, network, patch, field):
    raised = raise_alarm(noc)
    before = table_counts()

    response = noc.patch(f"{ALARMS}/{raised['id']}", patch)

    assert_error(response, status=400, field=field, api="642")
    assert table_counts() == before


def test_the_same_identity_sent_back_is_accepted(noc, network):
    raised = raise_alarm(noc)

    response = noc.patch(
        f"{ALARMS}/{raised['id']}",
        {"alarmedObject": raised["alarmedObject"], "sourceSystemId": "librenms", "alarmDetails": "optics at -40 dBm"},
    )

    assert valid_alarm(body(response))["alarmDetails"] == "optics at -40 dBm"


def test_a_cleared_alarm_stays_cleared(noc, network):
    raised = raise_alarm(noc, state="cleared")
    assert Outage.objects.count() == 0  # cleared when reported: nothing is down

    response = noc.patch(f"{ALARMS}/{raised['id']}", {"perceivedSeverity": "critical"})

    assert_error(response, status=409, code="alarm_cleared", field="perceivedSeverity", api="642")
    acked = noc.patch(f"{ALARMS}/{raised['id']}", {"ackState": "acknowledged", "ackUserId": "pat"})
    assert valid_alarm(body(acked))["ackState"] == "acknowledged"


def test_a_pattern_with_an_attribute_not_matched_is_refused(noc, network):
    raise_alarm(noc)
    before = table_counts()

    response = noc.post(
        "/alarm/v4/clearAlarms",
        {
            "clearSystemId": "librenms",
            "clearUserId": "bot",
            "alarmClearedTime": "2026-03-02T14:59:00Z",
            "alarmPattern": [{"alarmDetails": "anything"}],
        },
    )

    assert_error(response, status=400, field="alarmPattern[0].alarmDetails", api="642")
    assert table_counts() == before


def test_a_pattern_id_no_database_holds_is_refused(noc, network):
    response = noc.post("/alarm/v4/ackAlarms", {"ackSystemId": "c", "ackUserId": "u", "alarmPattern": [{"id": 2**70}]})

    assert_error(response, status=400, field="alarmPattern[0].id", api="642")


def test_an_empty_pattern_is_refused(noc, network):
    raise_alarm(noc)

    response = noc.post("/alarm/v4/ackAlarms", {"ackSystemId": "c", "ackUserId": "u", "alarmPattern": [{}]})

    assert_error(response, status=400, code="empty_pattern", field="alarmPattern", api="642")
    assert Alarm.objects.get().ack_state == "unacknowledged"


def test_only_a_cleared_alarm_can_be_deleted(noc, network):
    raised = raise_alarm(noc)

    refused = noc.client.delete(f"/tmf-api{ALARMS}/{raised['id']}", **noc.headers)
    noc.patch(f"{ALARMS}/{raised['id']}", {"state": "cleared"})
    deleted = noc.client.delete(f"/tmf-api{ALARMS}/{raised['id']}", **noc.headers)

    assert_error(refused, status=409, code="alarm_not_cleared", api="642")
    assert deleted.status_code == 204
    assert Alarm.objects.count() == 0
    assert OutageAlert.objects.get().resolved_at is not None  # the outage keeps what it stood on


def test_an_integration_token_reports_alarms(client, network):
    user = make_user("integration")
    _, token = token_issue(user=user, name="librenms")

    response = TMFClient(client, token).post(ALARMS, alarm_body())

    assert response.status_code == 201
