import json
import re
import socket

import pytest

from headend.catalog import code_actions
from headend.catalog.code_actions import ActionContext, PermanentError, RetryableError
from headend.catalog.services import TaskSpec
from headend.core.errors import ValidationError
from headend.fulfillment.models import Task
from headend.inventory import services as inventory_services
from headend.provisioning.acs import check_configure_params, configure, reboot, wifi_passphrase
from tests.factories import make_account, make_live_service, make_product
from tests.provisioning.genieacs_standin import TR098_WLAN, TR181_PASSPHRASE, TR181_SSID, GenieAcsStandIn

SERIAL = "ZTEG-00C0FFEE"  # GenieACS escapes the "-" in the device id: ...-ZTEG%2D00C0FFEE


@pytest.fixture
def acs(settings):
    standin = GenieAcsStandIn().start()
    settings.HEADEND_GENIEACS_URL = standin.url
    settings.HEADEND_SECRETS = {**settings.HEADEND_SECRETS, "WIFI": "test-wifi-secret"}
    yield standin
    standin.stop()


@pytest.fixture
def task(db):
    """The fulfillment task of a live service whose router's serial is recorded."""
    service = make_live_service(make_account(), make_product(tasks=[TaskSpec("Turn up")]))
    inventory_services.service_set_identifiers(service=service, cpe_serial=SERIAL)
    return Task.objects.get(work_order__service=service)


def run(action, task, **params):
    context = ActionContext(task=Task.objects.get(pk=task.pk), params=params)
    return action(context), context


def test_configure_tags_the_device_and_sets_wifi_name_and_passphrase(acs, task):
    device_id = acs.add_device(SERIAL)
    service = task.work_order.service

    result, _ = run(configure, task)

    ssid, passphrase = f"WiFi-{service.number}", wifi_passphrase(service, secret_name="WIFI")
    assert result == {
        "serial": SERIAL,
        "device_id": "202BC1-BM632w-ZTEG%2D00C0FFEE",
        "tags_added": [service.number, service.account.number],
        "data_model": "tr098",
        "ssid": ssid,
        "wifi": "set",
    }
    assert acs.tags(device_id) == [service.number, service.account.number]
    assert acs.value(device_id, f"{TR098_WLAN}.SSID") == ssid
    assert acs.value(device_id, f"{TR098_WLAN}.KeyPassphrase") == passphrase
    service.refresh_from_db()
    assert service.identifiers == {"cpe_serial": SERIAL, "wifi_ssid": ssid}


def test_configure_uses_tr181_paths_on_a_tr181_device(acs, task):
    device_id = acs.add_device(SERIAL, data_model="tr181")

    result, _ = run(configure, task, ssid="Home {{ service.id }}")

    assert result["data_model"] == "tr181"
    assert acs.value(device_id, TR181_SSID) == f"Home {task.work_order.service.pk}"
    assert acs.value(device_id, TR181_PASSPHRASE) == wifi_passphrase(task.work_order.service, secret_name="WIFI")


def test_configure_twice_sets_wifi_once_and_tags_once(acs, task):
    acs.add_device(SERIAL)
    run(configure, task)

    result, _ = run(configure, task)

    assert (result["tags_added"], result["wifi"]) == ([], "unchanged")
    assert acs.count("setParameterValues") == 1
    assert len(acs.tag_posts) == 2


def test_configure_keeps_the_ssid_the_service_already_has(acs, task):
    device_id = acs.add_device(SERIAL)
    inventory_services.service_set_identifiers(service=task.work_order.service, wifi_ssid="Lovelace Home")

    result, _ = run(configure, task, ssid="Other")

    assert result["ssid"] == "Lovelace Home"
    assert acs.value(device_id, f"{TR098_WLAN}.SSID") == "Lovelace Home"


def test_configure_sets_only_the_value_that_differs(acs, task):
    service = task.work_order.service
    device_id = acs.add_device(SERIAL, ssid=f"WiFi-{service.number}")

    run(configure, task)

    (posted,) = acs.posted_tasks
    assert [path for path, *_ in posted["parameterValues"]] == [f"{TR098_WLAN}.KeyPassphrase"]
    assert acs.value(device_id, f"{TR098_WLAN}.KeyPassphrase") == wifi_passphrase(service, secret_name="WIFI")


def test_configure_offline_device_is_queued_and_not_sent_again(acs, task):
    device_id = acs.add_device(SERIAL)
    acs.online = False

    first, _ = run(configure, task)
    again, _ = run(configure, task)

    assert (first["wifi"], again["wifi"]) == ("queued", "queued")
    assert acs.count("setParameterValues") == 1
    assert acs.value(device_id, f"{TR098_WLAN}.SSID") == "Factory-SSID"
    acs.inform(device_id)
    after, _ = run(configure, task)
    assert after["wifi"] == "unchanged"
    assert acs.value(device_id, f"{TR098_WLAN}.SSID") == f"WiFi-{task.work_order.service.number}"


def test_configure_unknown_serial_is_permanent_and_names_it(acs, task):
    acs.add_device("OTHER-SERIAL")

    with pytest.raises(PermanentError, match=re.escape(f"GenieACS has no device with serial '{SERIAL}'")):
        run(configure, task)

    assert acs.posted_tasks == acs.tag_posts == []


def test_configure_without_a_serial_is_permanent(acs, db):
    service = make_live_service(make_account(), make_product(tasks=[TaskSpec("Turn up")]))

    with pytest.raises(PermanentError, match="no CPE serial"):
        run(configure, Task.objects.get(work_order__service=service))


def test_configure_when_genieacs_answers_500_is_retryable(acs, task):
    acs.add_device(SERIAL)
    acs.fail_with = 500

    with pytest.raises(RetryableError, match=r"^GenieACS GET /devices/ answered 500\.$"):
        run(configure, task)


def test_configure_when_genieacs_is_down_is_retryable(settings, task):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    settings.HEADEND_GENIEACS_URL = f"http://127.0.0.1:{closed.getsockname()[1]}"
    settings.HEADEND_SECRETS = {**settings.HEADEND_SECRETS, "WIFI": "test-wifi-secret"}
    closed.close()

    with pytest.raises(RetryableError, match=r"^GenieACS GET /devices/ failed"):
        run(configure, task)


def test_genieacs_on_loopback_is_called_without_an_allowlist_entry(acs, task, settings):
    """Its address is the admin's own setting (HEADEND_GENIEACS_URL), so the outbound policy
    lets that host through, and only it."""
    acs.add_device(SERIAL)
    settings.HEADEND_OUTBOUND_ALLOW = []

    result, _ = run(configure, task, wifi=False)

    assert result["tags_added"] == [task.work_order.service.number, task.work_order.service.account.number]


def test_a_genieacs_answer_longer_than_the_limit_fails_the_task(acs, task, settings):
    acs.add_device(SERIAL)
    settings.HEADEND_OUTBOUND_MAX_BYTES = 64

    with pytest.raises(PermanentError, match=r"^GenieACS GET /devices/ failed: The answer is longer than 64 bytes\.$"):
        run(configure, task)

    assert acs.posted_tasks == acs.tag_posts == []


def test_configure_task_the_device_refuses_is_permanent(acs, task):
    acs.add_device(SERIAL)
    acs.fault = True

    with pytest.raises(PermanentError, match="refused the setParameterValues task"):
        run(configure, task)


def test_configure_never_logs_the_passphrase(acs, task):
    acs.add_device(SERIAL)

    result, context = run(configure, task)

    passphrase = wifi_passphrase(task.work_order.service, secret_name="WIFI")
    assert passphrase not in json.dumps(context.exchanges)
    assert passphrase not in json.dumps(result)
    posted = [e["request"]["body"] for e in context.exchanges if e["request"].get("body")]
    assert posted == [
        {
            "name": "setParameterValues",
            "parameterValues": [
                [f"{TR098_WLAN}.SSID", result["ssid"], "xsd:string"],
                [f"{TR098_WLAN}.KeyPassphrase", "(redacted)", "xsd:string"],
            ],
        }
    ]


def test_wifi_passphrase_is_stable_per_service_and_differs_between_services(settings, db):
    settings.HEADEND_SECRETS = {"WIFI": "test-wifi-secret"}
    version = make_product(tasks=[TaskSpec("Turn up")])
    one, two = (make_live_service(make_account(), version) for _ in range(2))

    first = wifi_passphrase(one)

    assert re.fullmatch(r"[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}", first)
    assert wifi_passphrase(one) == first
    assert wifi_passphrase(two) != first


def test_reboot_reboots_once_per_task(acs, task):
    device_id = acs.add_device(SERIAL)

    first, _ = run(reboot, task)
    again, _ = run(reboot, task)

    assert first == {"serial": SERIAL, "device_id": device_id, "reboot": "done"}
    assert again == {"serial": SERIAL, "device_id": device_id, "reboot": "already sent"}
    assert acs.count("reboot") == 1
    assert f"headend-reboot-{task.pk}" in acs.tags(device_id)


def test_reboot_of_an_offline_device_is_queued_once(acs, task):
    device_id = acs.add_device(SERIAL)
    acs.online = False
    acs.pending.append({"_id": "1", "device": device_id, "name": "reboot"})  # lost run: no marker tag

    result, _ = run(reboot, task)

    assert result["reboot"] == "queued"
    assert acs.count("reboot") == 0


def test_reboot_when_the_nbi_answers_404_is_permanent_and_names_the_serial(acs, task):
    # Listed by the search but deleted before the task arrives: the tasks endpoint says 404.
    acs.devices["deleted"] = {"_id": "202BC1-BM632w-GONE", "_deviceId": {"_SerialNumber": SERIAL}, "_tags": []}

    with pytest.raises(PermanentError, match=re.escape(f"no device with serial '{SERIAL}' (it answered 404)")):
        run(reboot, task)

    assert acs.applied == acs.tag_posts == []


def test_check_configure_params_accepts_the_defaults(acs):
    check_configure_params({})


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sid": "x"}, "sid"),
        ({"serial": "{% if %}"}, "serial"),
        ({"ssid": "{{ account.name }} and a much longer tail to pass 32"}, "ssid"),
        ({"tags": "S-1"}, "tags"),
        ({"tags": ["{{ account.nmbr }}"]}, "tags"),
        ({"data_model": "tr069"}, "data_model"),
        ({"passphrase_secret": "NOT_CONFIGURED"}, "passphrase_secret"),
        ({"connection_request": "yes"}, "connection_request"),
        ({"timeout": 301}, "timeout"),
    ],
)
def test_check_configure_params_names_the_field_at_fault(acs, params, field):
    with pytest.raises(ValidationError) as raised:
        check_configure_params(params)

    assert raised.value.field == field


def test_check_reboot_params_refuses_wifi_parameters():
    with pytest.raises(ValidationError) as raised:
        code_actions.check_params("acs.reboot", {"ssid": "x"})

    assert raised.value.field == "code_params.ssid"
