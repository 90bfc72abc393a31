"""Review of issue 16, the network side: what an attacker or a careless user sends is a clear
4xx with nothing written, never a 500 (on SQLite or PostgreSQL), and no NUL character ever
reaches a query (PostgreSQL refuses one in text: "PostgreSQL text fields cannot contain NUL")."""

import base64
import contextlib
import json
import time

import pytest
from django.db import connection
from django.urls import reverse

from headend.core.errors import ValidationError
from headend.network import topology
from headend.network.models import Element, Outage
from tests.api.client import TMFClient
from tests.factories import make_user
from tests.module_records import fresh
from tests.network.outage_fixtures import sample, sample_bytes, table_counts

pytestmark = pytest.mark.django_db

URL = "/network/alerts/alertmanager/"
TOKEN = "am-review-token"


@pytest.fixture
def network(shared_network):
    return fresh(shared_network)


@pytest.fixture
def receiver(settings):
    settings.HEADEND_ALERTMANAGER_TOKEN = TOKEN
    settings.HEADEND_ALERT_ELEMENT_LABEL = "element,device"


class NulWatch:
    """The statements sent with a NUL in their text or parameters (SQLite's query log drops it)."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        rows = params if many else [params]
        values = [value for row in rows or [] for value in (row.values() if isinstance(row, dict) else row or [])]
        if "\x00" in sql or any(isinstance(value, str) and "\x00" in value for value in values):
            self.found.append(sql)
        return execute(sql, params, many, context)


@contextlib.contextmanager
def watching_for_nul():
    watch = NulWatch()
    with connection.execute_wrapper(watch):
        yield watch


# --- The Alertmanager receiver ------------------------------------------------------------------


@pytest.mark.parametrize("credentials", ["\xe9t\xe9", "am:s3cr\xe9t", "\x00"])
def test_basic_credentials_that_are_not_ascii_are_401_not_500(client, network, settings, credentials):
    settings.HEADEND_ALERTMANAGER_TOKEN = ""
    settings.HEADEND_ALERTMANAGER_USERNAME = "am"
    settings.HEADEND_ALERTMANAGER_PASSWORD = "s3cret"
    before = table_counts()

    response = client.post(
        URL, data=sample_bytes("firing"), content_type="application/json", HTTP_AUTHORIZATION=f"Basic {credentials}"
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="alertmanager", charset="UTF-8"'
    assert table_counts() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda alert: alert["labels"].update(device="ap-7-north\x00"), "alerts[0].labels"),
        (lambda alert: alert["labels"].update({"rack\x00": "4"}), "alerts[0].labels"),
        (lambda alert: alert["annotations"].update(summary="AP down\x00"), "alerts[0].annotations"),
        (lambda alert: alert.update(fingerprint="45e2cdb7\x00ee70bfa8"), "alerts[0].fingerprint"),
    ],
)
def test_a_nul_in_an_alert_is_400_and_writes_nothing(client, network, receiver, change, field):
    body = sample("firing")
    change(body["alerts"][0])
    before = table_counts()

    with watching_for_nul() as watch:
        response = client.post(
            URL, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
        )

    assert response.status_code == 400, response.content
    assert response.json() == {"error": "Text cannot contain NUL characters.", "field": field, "code": "invalid"}
    assert table_counts() == before
    assert watch.found == []


@pytest.mark.parametrize("starts_at", ["0001-01-01T00:00:00Z", "1899-12-31T23:00:00Z", "3000-01-01T00:00:00Z"])
def test_an_alert_from_a_year_no_notice_can_name_is_400_and_opens_nothing(client, network, receiver, starts_at):
    body = sample("firing")
    body["alerts"][0]["startsAt"] = starts_at  # it was taken, and the outage's response then failed on it
    before = table_counts()

    response = client.post(
        URL, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": f"The instant {starts_at!r} is out of range (years 1900 to 2999).",
        "field": "alerts[0].startsAt",
        "code": "invalid_datetime",
    }
    assert table_counts() == before


# --- Maintenance windows --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("9999-12-31T21:00", "9999-12-31T23:00", "start"),  # past the last instant a datetime holds, in UTC
        ("1899-12-30T23:00", "2026-03-03T01:00", "start"),
        ("2026-03-03T01:00", "3000-01-01T00:00", "end"),
    ],
)
def test_a_window_out_of_range_is_a_form_error_not_a_500(client, network, start, end, field):
    client.force_login(make_user("provisioning"))

    response = client.post(
        reverse("network:maintenance_create"), {"element": "tower-7", "title": "Work", "start": start, "end": end}
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field] == ["Give a date between the years 1900 and 2999."]
    assert not Outage.objects.exists()


# --- Searches and names with NUL ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name", "data"),
    [
        ("get", "network:topology", {"q": "olt\x00"}),
        ("get", "network:outage_list", {"q": "tower\x00"}),
        ("post", "network:outage_create", {"element": "tower-7\x00", "title": "Cut"}),
    ],
)
def test_no_nul_from_a_form_or_search_reaches_the_database(client, network, method, name, data):
    client.force_login(make_user("provisioning"))

    with watching_for_nul() as watch:
        response = getattr(client, method)(reverse(name), data)

    assert response.status_code == 200
    assert watch.found == []
    assert not Outage.objects.exists()


def test_binding_a_service_to_a_name_with_nul_is_refused_without_a_query(client, network):
    client.force_login(make_user("provisioning"))
    service = network.elsewhere

    with watching_for_nul() as watch:
        response = client.post(
            reverse("inventory:service_element_bind", args=[service.pk]), {"element": "ap-7-north\x00"}
        )

    assert response.status_code == 302
    assert watch.found == []
    assert list(service.element_bindings.values_list("element__name", flat=True)) == ["ap-7-south"]


@pytest.mark.parametrize("parameter", ["sourceSystemId", "externalAlarmId", "alarmedObject.id"])
def test_alarm_list_filters_with_nul_are_400(client, network, parameter):
    api = TMFClient.for_user(client, make_user("provisioning"))

    with watching_for_nul() as watch:
        response = api.get(f"/alarm/v4/alarm?{parameter}=%00")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert watch.found == []


# --- The topology CSV -----------------------------------------------------------------------------


def test_a_name_with_nul_in_the_topology_file_is_a_line_error_without_a_query():
    elements = Element.objects.count()

    with watching_for_nul() as watch, pytest.raises(topology.TopologyFileError) as refused:
        topology.topology_import(file=b"name,kind,parent\npop-1,pop,\nolt\x00-1,olt,pop-1\n")

    assert [str(error) for error in refused.value.errors] == [
        "line 3 (name): The cell contains a NUL character (\\0); remove it."
    ]
    assert watch.found == []
    assert Element.objects.count() == elements


def test_a_header_of_many_columns_is_refused_at_once():
    data = b"a," * 30_000 + b"\n"  # 60 KB: each column was counted against all the others
    started = time.monotonic()

    with pytest.raises(ValidationError) as refused:
        topology.topology_import(file=data)

    assert time.monotonic() - started < 2
    assert refused.value.code == "bad_header"
    assert refused.value.message.startswith(
        "The header line names the columns name, kind, parent (and optionally description): it lacks name, kind, "
        "parent; it has unknown columns a, a,"
    )
    assert refused.value.message.endswith("; it names a twice.")


def test_basic_credentials_still_work_after_the_check(client, network, settings):
    settings.HEADEND_ALERTMANAGER_TOKEN = ""
    settings.HEADEND_ALERTMANAGER_USERNAME = "am"
    settings.HEADEND_ALERTMANAGER_PASSWORD = "s3cr\xe9t"  # a UTF-8 password, as Alertmanager sends it
    settings.HEADEND_ALERT_ELEMENT_LABEL = "element,device"
    credentials = base64.b64encode("am:s3cr\xe9t".encode()).decode()

    response = client.post(
        URL, data=sample_bytes("firing"), content_type="application/json", HTTP_AUTHORIZATION=f"Basic {credentials}"
    )

    assert response.status_code == 200, response.content
    assert Outage.objects.get().element.name == "ap-7-north"
