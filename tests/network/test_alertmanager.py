"""Prometheus Alertmanager's webhook, end to end with the real samples (tests/data/alertmanager):
firing opens one outage on the element with exactly the live services below it, one parent case
and one notice per customer and channel; posting again changes nothing; resolved closes it and
queues the all-clear; bad bodies and credentials are refused with nothing written."""

import base64
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core import mail

from headend.core import clock
from headend.inventory import outage_impact
from headend.inventory.models import ServiceOutage
from headend.network.models import Outage, OutageAlert
from headend.support.models import Case, OutageNotice
from headend.support.outage_response import notices_send_due
from tests.conftest import outbox_names
from tests.factories import make_user
from tests.module_records import fresh
from tests.network.outage_fixtures import sample, sample_bytes, table_counts

pytestmark = pytest.mark.django_db

URL = "/network/alerts/alertmanager/"
TOKEN = "am-test-token-5f1c"
KEY = "45e2cdb7ee70bfa8@2026-11-24T19:31:14Z"
FIRED_AT = dt.datetime(2026, 11, 24, 19, 31, 16, tzinfo=dt.UTC)  # Alertmanager posted it 2 s after the start
RESOLVED_AT = dt.datetime(2026, 11, 24, 19, 31, 20, tzinfo=dt.UTC)
ENDS_AT = dt.datetime(2026, 11, 24, 19, 31, 18, tzinfo=dt.UTC)  # the resolved sample's endsAt


@pytest.fixture(autouse=True)
def receiver(settings):
    settings.HEADEND_ALERTMANAGER_TOKEN = TOKEN
    settings.HEADEND_ALERTMANAGER_USERNAME = ""
    settings.HEADEND_ALERTMANAGER_PASSWORD = ""
    settings.HEADEND_ALERT_ELEMENT_LABEL = "element,device"  # the samples name the AP by `device`
    settings.HEADEND_SMS_BACKEND = "tests.network.test_alertmanager.RecordedSms"
    RecordedSms.sent = []


class RecordedSms:
    sent: list[tuple[str, str]] = []

    def send(self, *, to: str, body: str) -> None:
        RecordedSms.sent.append((to, body))


@pytest.fixture
def network(shared_network):
    return fresh(shared_network)


@pytest.fixture
def before(network):
    """Every table the pipeline writes, counted once the network is built."""
    return table_counts()


def post(client, body, *, auth=f"Bearer {TOKEN}", at=FIRED_AT):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    with clock.frozen(at):
        return client.post(URL, data=data, content_type="application/json", **headers)


def fire(client, run_worker, name="firing", at=FIRED_AT):
    response = post(client, sample_bytes(name), at=at)
    assert response.status_code == 200, response.content
    with clock.frozen(at):
        run_worker()
    return response


# --- Firing ------------------------------------------------------------------------------------


def test_the_firing_sample_opens_one_outage_on_the_element_it_names(client, network):
    response = post(client, sample_bytes("firing"))

    assert response.status_code == 200
    outage = Outage.objects.get()
    assert response.json() == {
        "outages_opened": [outage.pk],
        "outages_resolved": [],
        "alerts": {"new": 1, "seen_before": 0, "resolved": 0, "not_known": 0},
    }
    assert (outage.element, outage.kind, outage.status, outage.source) == (
        network.north,
        "unplanned",
        "open",
        "alertmanager",
    )
    assert (outage.title, outage.severity) == ("AP ap-7-north unreachable", "critical")
    assert outage.started_at == dt.datetime(2026, 11, 24, 19, 31, 14, tzinfo=dt.UTC)  # the alert's startsAt
    alert = OutageAlert.objects.get()
    assert (alert.outage, alert.source, alert.key, alert.resolved_at) == (outage, "alertmanager", KEY, None)
    assert alert.labels["device"] == "ap-7-north"
    assert outbox_names(subject=outage) == ["outage.started"]


def test_firing_impacts_exactly_the_live_services_below_with_one_parent_case_and_notice_per_customer(
    client, network, run_worker
):
    fire(client, run_worker)

    outage = Outage.objects.get()
    impacts = ServiceOutage.objects.filter(outage=outage)
    assert sorted(impacts.values_list("service_id", flat=True)) == sorted(s.pk for s in network.impacted)
    assert {(row.service_id, row.mrc_amount, row.currency) for row in impacts} == {
        (service.pk, service.mrc_amount, "USD") for service in network.impacted
    }
    assert set(impacts.values_list("started_at", flat=True)) == {outage.started_at}
    assert (outage.services_impacted, outage.customers_impacted) == (3, 2)
    assert outage.impact_computed_at == FIRED_AT
    parent = Case.objects.get()
    assert (parent.outage, parent.account, parent.type, parent.priority, parent.channel, parent.status) == (
        outage,
        None,
        "outage",
        "p1",
        "monitoring",
        "new",
    )
    assert parent.subject == "Outage on ap-7-north: AP ap-7-north unreachable"
    notices = set(OutageNotice.objects.values_list("account_id", "phase", "channel", "to"))
    assert notices == {
        (network.business.pk, "start", "email", "ada.byron@cobscook.example"),  # the primary contact
        (network.business.pk, "start", "sms", "+12075550199"),
        (network.resident.pk, "start", "email", network.resident.email),
        (network.resident.pk, "start", "sms", "+12075550134"),
    }


def test_revenue_at_risk_is_the_sum_of_the_impacted_services_mrr(client, network, run_worker):
    fire(client, run_worker)

    at_risk = outage_impact.revenue_at_risk(outage=Outage.objects.get())

    assert at_risk == [outage_impact.Revenue(amount=Decimal("244.94"), currency="USD")]
    assert network.impacted_mrr == Decimal("244.94")  # 65.00 + 129.99 + 49.95


def test_posting_the_firing_sample_again_changes_nothing(client, network, run_worker):
    fire(client, run_worker)
    before = table_counts()

    again = fire(client, run_worker, at=FIRED_AT + dt.timedelta(minutes=5))  # Alertmanager's repeat

    assert again.json()["outages_opened"] == []
    assert again.json()["alerts"] == {"new": 0, "seen_before": 1, "resolved": 0, "not_known": 0}
    assert table_counts() == before
    assert (before["Outage"], before["Case"], before["OutageNotice"]) == (1, 1, 4)


def test_the_resolved_sample_closes_the_outage_and_queues_the_all_clear(client, network, run_worker):
    fire(client, run_worker)

    response = fire(client, run_worker, "resolved", at=RESOLVED_AT)

    outage = Outage.objects.get()
    assert response.json()["outages_resolved"] == [outage.pk]
    assert (outage.status, outage.ended_at) == ("resolved", ENDS_AT)
    assert OutageAlert.objects.get().resolved_at == ENDS_AT
    assert set(ServiceOutage.objects.values_list("ended_at", flat=True)) == {ENDS_AT}
    ends = set(OutageNotice.objects.filter(phase="end").values_list("account_id", "channel"))
    assert ends == {
        (network.business.pk, "email"),
        (network.business.pk, "sms"),
        (network.resident.pk, "email"),
        (network.resident.pk, "sms"),
    }
    parent = Case.objects.get()
    assert parent.status == "resolved"
    assert outbox_names(subject=outage) == ["outage.started", "outage.ended"]


def test_the_resolved_sample_twice_ends_once(client, network, run_worker):
    fire(client, run_worker)
    fire(client, run_worker, "resolved", at=RESOLVED_AT)
    before = table_counts()

    again = fire(client, run_worker, "resolved", at=RESOLVED_AT + dt.timedelta(minutes=1))

    assert again.json()["outages_resolved"] == []
    assert table_counts() == before


def test_customers_get_the_start_then_the_all_clear_once_each(client, network, run_worker):
    fire(client, run_worker)
    fire(client, run_worker, "resolved", at=RESOLVED_AT)
    mail.outbox.clear()  # the services' "now live" emails the relay sent

    sent = notices_send_due()
    again = notices_send_due()

    assert (sent, again) == (8, 0)
    assert sorted((message.to[0], message.subject) for message in mail.outbox) == sorted(
        [
            ("ada.byron@cobscook.example", "Headend Fiber: service interruption in your area"),
            ("ada.byron@cobscook.example", "Headend Fiber: service restored"),
            (network.resident.email, "Headend Fiber: service interruption in your area"),
            (network.resident.email, "Headend Fiber: service restored"),
        ]
    )
    assert sorted(to for to, _ in RecordedSms.sent) == ["+12075550134", "+12075550134", "+12075550199", "+12075550199"]
    assert "ap-7-north" not in " ".join(message.body for message in mail.outbox)  # the network's words stay inside


# --- Grouped, nested and repeated alerts ------------------------------------------------------


def _alert(body, **changes):
    alert = dict(body["alerts"][0])
    labels = dict(alert["labels"], **changes.pop("labels", {}))
    return {**alert, "labels": labels, **changes}


def test_another_alert_of_the_group_joins_the_open_outage_which_resolves_when_both_have(client, network, run_worker):
    firing = sample("firing")
    second = _alert(firing, fingerprint="99aa00bb11cc22dd", labels={"alertname": "HighLoss"})
    fire(client, run_worker)

    joined = post(client, {**firing, "alerts": [second]})
    half = post(client, sample("resolved"), at=RESOLVED_AT)

    assert joined.json()["outages_opened"] == []
    assert Outage.objects.count() == 1
    assert OutageAlert.objects.filter(outage=Outage.objects.get()).count() == 2
    assert half.json()["outages_resolved"] == []
    assert Outage.objects.get().status == "open"

    resolved = {
        **firing,
        "status": "resolved",
        "alerts": [{**second, "status": "resolved", "endsAt": "2026-11-24T19:31:19Z"}],
    }
    done = post(client, resolved, at=RESOLVED_AT)

    assert done.json()["outages_resolved"] == [Outage.objects.get().pk]
    assert Outage.objects.get().ended_at == dt.datetime(2026, 11, 24, 19, 31, 19, tzinfo=dt.UTC)


def test_an_alert_below_an_element_already_down_joins_its_outage(client, network, run_worker):
    firing = sample("firing")
    tower = _alert(firing, fingerprint="70aa", labels={"device": "tower-7", "alertname": "TowerDown"})
    post(client, {**firing, "alerts": [tower]})

    response = post(client, sample_bytes("firing"))

    assert response.json()["outages_opened"] == []
    outage = Outage.objects.get()
    assert outage.element == network.tower
    assert sorted(outage.alerts.values_list("key", flat=True)) == sorted([KEY, "70aa@2026-11-24T19:31:14Z"])


def test_the_same_alert_firing_again_later_opens_a_new_outage(client, network, run_worker):
    fire(client, run_worker)
    fire(client, run_worker, "resolved", at=RESOLVED_AT)
    later = dt.datetime(2026, 11, 24, 21, 0, tzinfo=dt.UTC)
    again = sample("firing")
    again["alerts"][0]["startsAt"] = "2026-11-24T20:59:30Z"

    response = post(client, again, at=later)

    assert len(response.json()["outages_opened"]) == 1
    assert list(Outage.objects.order_by("pk").values_list("status", flat=True)) == ["resolved", "open"]


def test_a_resolved_alert_never_seen_firing_writes_nothing(client, network, before):
    response = post(client, sample_bytes("resolved"), at=RESOLVED_AT)

    assert response.status_code == 200
    assert response.json()["alerts"]["not_known"] == 1
    assert table_counts() == before


def test_an_alert_starting_in_the_future_starts_now(client, network):
    response = post(client, sample_bytes("firing"), at=dt.datetime(2026, 11, 24, 19, 0, tzinfo=dt.UTC))

    assert response.status_code == 200
    assert Outage.objects.get().started_at == dt.datetime(2026, 11, 24, 19, 0, tzinfo=dt.UTC)


# --- Bad bodies: 400, nothing written ----------------------------------------------------------


def _refused(before, response, *, field, code):
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["field"], body["code"]) == (field, code), body
    assert table_counts() == before
    return body


def test_a_body_that_is_not_version_4_is_refused(client, network, before):
    body = {**sample("firing"), "version": "3"}

    refused = _refused(before, post(client, body), field="version", code="unsupported_version")

    assert refused["error"] == "Only Alertmanager's webhook version 4 is understood; this body has version '3'."


def test_a_body_without_a_version_is_refused(client, network, before):
    body = sample("firing")
    del body["version"]

    _refused(before, post(client, body), field="version", code="unsupported_version")


@pytest.mark.parametrize("raw", [b'{"version": "4", "alerts": [', b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe"])
def test_a_body_that_is_not_json_is_refused(client, network, before, raw):
    _refused(before, post(client, raw), field="body", code="invalid_json")


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"fingerprint": ""}, "alerts[0].fingerprint", "required"),
        ({"startsAt": None}, "alerts[0].startsAt", "required"),
        ({"startsAt": "yesterday"}, "alerts[0].startsAt", "invalid_datetime"),
        ({"startsAt": "2026-11-24T19:31:14"}, "alerts[0].startsAt", "invalid_datetime"),
        ({"startsAt": "9999-12-31T23:59:59-14:00"}, "alerts[0].startsAt", "invalid_datetime"),
        ({"status": "pending"}, "alerts[0].status", "invalid"),
        ({"labels": ["device"]}, "alerts[0].labels", "invalid"),
    ],
)
def test_an_alert_missing_a_field_is_refused_naming_it(client, network, before, change, field, code):
    body = sample("firing")
    body["alerts"][0].update(change)

    _refused(before, post(client, body), field=field, code=code)


def test_a_body_without_alerts_is_refused(client, network, before):
    _refused(before, post(client, {**sample("firing"), "alerts": []}), field="alerts", code="required")


def test_an_unknown_element_is_refused_and_the_good_alerts_beside_it_are_not_applied(client, network, before):
    firing = sample("firing")
    unknown = _alert(firing, fingerprint="ffee", labels={"device": "ap-9-east"})

    body = _refused(
        before,
        post(client, {**firing, "alerts": [firing["alerts"][0], unknown]}),
        field="alerts[1].labels.device",
        code="unknown_element",
    )

    assert "ap-9-east" in body["error"]


def test_an_alert_naming_no_element_by_the_configured_labels_is_refused(client, network, before, settings):
    settings.HEADEND_ALERT_ELEMENT_LABEL = "element"  # the default: the sample says `device`

    body = _refused(before, post(client, sample_bytes("firing")), field="alerts[0].labels", code="no_element")

    assert "element" in body["error"]


def test_the_label_list_is_tried_in_order(client, network, settings):
    settings.HEADEND_ALERT_ELEMENT_LABEL = "element, site, device"  # `site` (tower-7) comes first

    post(client, sample_bytes("firing"))

    assert Outage.objects.get().element == network.tower


def test_a_body_over_the_upload_limit_is_413(client, network, before, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200

    response = post(client, sample_bytes("firing"))

    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert table_counts() == before


# --- Credentials ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth", ["Bearer wrong-token", "", "Bearer ", f"Basic {base64.b64encode(TOKEN.encode()).decode()}", TOKEN]
)
def test_a_wrong_or_missing_token_is_401_and_writes_nothing(client, network, before, auth):
    response = post(client, sample_bytes("firing"), auth=auth)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="alertmanager"'
    assert response.json()["code"] == "unauthorized"
    assert table_counts() == before


def _basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_http_basic_as_alertmanager_sends_it_works(client, network, settings):
    settings.HEADEND_ALERTMANAGER_TOKEN = ""
    settings.HEADEND_ALERTMANAGER_USERNAME = "alertmanager"
    settings.HEADEND_ALERTMANAGER_PASSWORD = "s3cret:with-colon"

    response = post(client, sample_bytes("firing"), auth=_basic("alertmanager", "s3cret:with-colon"))

    assert response.status_code == 200
    assert Outage.objects.count() == 1


@pytest.mark.parametrize(
    "auth", [_basic("alertmanager", "wrong"), _basic("someone", "s3cret"), "Basic !!!", f"Bearer {TOKEN}"]
)
def test_wrong_basic_credentials_are_401(client, network, before, settings, auth):
    settings.HEADEND_ALERTMANAGER_TOKEN = ""
    settings.HEADEND_ALERTMANAGER_USERNAME = "alertmanager"
    settings.HEADEND_ALERTMANAGER_PASSWORD = "s3cret"

    response = post(client, sample_bytes("firing"), auth=auth)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="alertmanager", charset="UTF-8"'
    assert table_counts() == before


def test_with_no_credentials_configured_the_receiver_is_off(client, network, before, settings):
    settings.HEADEND_ALERTMANAGER_TOKEN = ""

    response = post(client, sample_bytes("firing"))

    assert response.status_code == 503
    assert response.json()["code"] == "receiver_off"
    assert table_counts() == before


def test_a_staff_session_is_not_a_credential(client, network):
    client.force_login(make_user("provisioning"))

    response = post(client, sample_bytes("firing"), auth="")

    assert response.status_code == 401


def test_only_post_is_answered(client):
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 405
