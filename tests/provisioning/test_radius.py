"""The RADIUS code actions write exactly the rows FreeRADIUS reads (no server needed here)."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections

from headend.catalog import code_actions
from headend.catalog.code_actions import PermanentError, RetryableError
from headend.core.errors import ValidationError
from headend.provisioning import radius
from headend.provisioning.models import Subscriber
from tests.conftest import outbox_names
from tests.provisioning.conftest import RADIUS_DB, make_plan, make_radius_service, radius_rows, run_action

pytestmark = [pytest.mark.django_db(**RADIUS_DB), pytest.mark.usefixtures("radius_tables")]

ROOT = Path(__file__).resolve().parents[2]


def test_provision_writes_password_plan_group_and_mikrotik_rate():
    service = make_radius_service()

    result, _ = run_action("radius.provision", service)

    subscriber = Subscriber.objects.get(service=service)
    assert subscriber.username == service.number.lower()
    assert len(subscriber.password) == 16
    assert (subscriber.auth_type, subscriber.state, subscriber.plan_group) == ("pppoe", "active", "plan-home-300m-100m")
    assert radius_rows(subscriber.username) == {
        "radcheck": [("Cleartext-Password", ":=", subscriber.password)],
        "radreply": [],
        "radusergroup": [("plan-home-300m-100m", 1)],
        # RouterOS reads rx/tx from the router's side: upload first.
        "radgroupreply": [("plan-home-300m-100m", "Mikrotik-Rate-Limit", ":=", "100M/300M")],
    }
    service.refresh_from_db()
    assert service.identifiers == {"radius_username": subscriber.username}
    assert result == {
        "username": subscriber.username,
        "auth": "pppoe",
        "group": "plan-home-300m-100m",
        "state": "active",
        "framed_ip": None,
        "created": True,
        "changed": True,
    }


def test_provision_wispr_vendor_writes_bits_per_second(settings):
    settings.HEADEND_RADIUS_VENDOR = "wispr"
    service = make_radius_service()

    run_action("radius.provision", service)

    assert radius_rows(service.number.lower())["radgroupreply"] == [
        ("plan-home-300m-100m", "WISPr-Bandwidth-Max-Up", ":=", "100000000"),
        ("plan-home-300m-100m", "WISPr-Bandwidth-Max-Down", ":=", "300000000"),
    ]


def test_wispr_rate_is_capped_at_its_32_bit_maximum():
    rows = radius.rate_reply(radius.Plan("ten-gig", 10_000, 4294), "wispr")

    assert rows == [("WISPr-Bandwidth-Max-Up", ":=", "4294000000"), ("WISPr-Bandwidth-Max-Down", ":=", "4294967295")]


def test_provision_twice_leaves_one_set_of_rows_and_keeps_the_password():
    service = make_radius_service()
    run_action("radius.provision", service)
    first = Subscriber.objects.get(service=service)
    rows = radius_rows(first.username)

    result, _ = run_action("radius.provision", service)

    assert Subscriber.objects.get(service=service).password == first.password
    assert radius_rows(first.username) == rows
    assert (result["created"], result["changed"]) == (False, False)
    assert outbox_names(subject=service, name_prefix="service.identified") == ["service.identified"]


def test_provision_with_realm_and_static_ip_replies_framed_ip():
    service = make_radius_service(ipv4_address="100.64.7.9")

    run_action("radius.provision", service, realm="isp.example")

    username = f"{service.number.lower()}@isp.example"
    assert Subscriber.objects.get(service=service).framed_ip == "100.64.7.9"
    assert radius_rows(username)["radreply"] == [("Framed-IP-Address", ":=", "100.64.7.9")]


def test_provision_ipoe_authenticates_the_circuit_id_without_password():
    service = make_radius_service()
    code_actions.get("inventory.assign_circuit_id")(code_actions.ActionContext(task=_task(service), params={}))
    service.refresh_from_db()

    run_action("radius.provision", service, auth="ipoe")

    assert Subscriber.objects.get(service=service).password == ""
    assert radius_rows(service.circuit_id)["radcheck"] == [("Auth-Type", ":=", "Accept")]


def test_provision_ipoe_without_circuit_id_or_mac_is_permanent():
    service = make_radius_service()

    with pytest.raises(PermanentError, match="IPoE needs the NAS's User-Name"):
        run_action("radius.provision", service, auth="ipoe")

    assert not Subscriber.objects.exists()


def test_provision_ipoe_mac_recorded_as_radius_username():
    service = make_radius_service(radius_username="00:0c:42:aa:bb:cc")

    run_action("radius.provision", service, auth="ipoe")

    assert radius_rows("00:0c:42:aa:bb:cc")["radusergroup"] == [("plan-home-300m-100m", 1)]


def test_provision_duplicate_username_is_refused_by_the_database_and_writes_nothing():
    first = make_radius_service(radius_username="ada@isp.example")
    run_action("radius.provision", first)
    password = Subscriber.objects.get(service=first).password
    second = make_radius_service(radius_username="ada@isp.example")

    with pytest.raises(PermanentError, match=f"'ada@isp.example' is already used by service {first.number}"):
        run_action("radius.provision", second)

    assert list(Subscriber.objects.values_list("service_id", flat=True)) == [first.pk]
    assert radius_rows("ada@isp.example")["radcheck"] == [("Cleartext-Password", ":=", password)]


def test_provision_product_without_speeds_is_permanent():
    service = make_radius_service(make_plan(code="voice", download_mbps=None, upload_mbps=None))

    with pytest.raises(PermanentError, match="no download and upload speeds"):
        run_action("radius.provision", service)

    assert not Subscriber.objects.exists()


def test_suspend_moves_to_walled_garden_and_restore_back():
    service = make_radius_service()
    run_action("radius.provision", service)
    username = service.number.lower()

    suspended, _ = run_action("radius.suspend", service)
    garden = radius_rows(username)
    restored, _ = run_action("radius.restore", service)

    assert (suspended["state"], suspended["sessions"]["sent"]) == ("suspended", [])
    assert garden["radusergroup"] == [("walled-garden", 1)]
    assert garden["radgroupreply"] == [
        ("walled-garden", "Mikrotik-Address-List", ":=", "walled-garden"),
        ("walled-garden", "Mikrotik-Rate-Limit", ":=", "1M/1M"),
    ]
    assert restored["state"] == "active"
    assert radius_rows(username)["radusergroup"] == [("plan-home-300m-100m", 1)]


def test_suspend_before_provision_is_permanent():
    service = make_radius_service()

    with pytest.raises(PermanentError, match=f"{service.number} has no RADIUS subscriber"):
        run_action("radius.suspend", service)


def test_remove_deletes_the_rows_and_frees_the_username():
    first = make_radius_service(radius_username="ada@isp.example")
    run_action("radius.provision", first)

    removed, _ = run_action("radius.remove", first)
    again, _ = run_action("radius.remove", first)
    second = make_radius_service(radius_username="ada@isp.example")
    run_action("radius.provision", second)

    assert (removed["state"], removed["changed"], again["changed"]) == ("removed", True, False)
    assert Subscriber.objects.get(service=first).state == "removed"
    assert radius_rows("ada@isp.example")["radusergroup"] == [("plan-home-300m-100m", 1)]
    assert Subscriber.objects.get(username="ada@isp.example", state="active").service_id == second.pk


def test_remove_never_provisioned_is_a_no_op():
    service = make_radius_service()

    result, _ = run_action("radius.remove", service)

    assert result == {"changed": False, "note": f"{service.number} was never provisioned in RADIUS: nothing to remove."}


def test_upgrade_moves_the_subscriber_to_the_new_plan_group():
    service = make_radius_service()
    run_action("radius.provision", service)
    _upgrade(service, make_plan(code="home-gig", download_mbps=1000, upload_mbps=500))

    run_action("radius.provision", service)

    assert radius_rows(service.number.lower())["radgroupreply"] == [
        ("plan-home-gig-1000m-500m", "Mikrotik-Rate-Limit", ":=", "500M/1000M")
    ]


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("radius.provision", {"auth": "dhcp"}, "code_params.auth"),
        ("radius.provision", {"coa": "kick"}, "code_params.coa"),
        ("radius.provision", {"realm": "a@b"}, "code_params.realm"),
        ("radius.suspend", {"auth": "pppoe"}, "code_params.auth"),
        ("radius.remove", {"coa": "coa"}, "code_params.coa"),
    ],
)
def test_template_params_are_checked_naming_the_field(name, params, field):
    with pytest.raises(ValidationError) as caught:
        code_actions.check_params(name, params)

    assert caught.value.field == field


def test_bad_params_at_run_time_are_permanent():
    service = make_radius_service()

    with pytest.raises(PermanentError, match="Parameter auth: auth must be one of pppoe, ipoe"):
        run_action("radius.provision", service, auth="dhcp")


@pytest.mark.django_db(transaction=True, **RADIUS_DB)
def test_radius_database_down_is_retryable_and_provisions_nothing():
    service = make_radius_service()
    connection = connections["radius"]
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        with pytest.raises(RetryableError, match="The RADIUS database is unavailable"):
            run_action("radius.provision", service)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port

    assert not Subscriber.objects.exists()
    service.refresh_from_db()
    assert "radius_username" not in service.identifiers


@pytest.mark.django_db(transaction=True, **RADIUS_DB)
def test_radius_database_down_during_suspend_is_retryable():
    service = make_radius_service()
    run_action("radius.provision", service)
    connection = connections["radius"]
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"
    try:
        with pytest.raises(RetryableError, match="The RADIUS database is unavailable"):
            run_action("radius.suspend", service)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port

    assert Subscriber.objects.get(service=service).state == "active"


def test_radius_schema_on_sqlite_makes_tables_the_store_can_use(tmp_path):
    database = tmp_path / "radius.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "headend.settings",
        "HEADEND_VAR_DIR": str(tmp_path),
        "HEADEND_RADIUS_DATABASE_URL": f"sqlite:///{database}",
    }
    script = (
        "from headend.provisioning import radius\n"
        "radius.user_write(radius.user_entry(username='ada', auth_type='pppoe', password='pw', group='g'))\n"
        "radius.user_write(radius.user_entry(username='ada', auth_type='pppoe', password='pw2', group='g'))\n"
        "print(radius.user_get('ada'))\n"
    )
    manage = [sys.executable, str(ROOT / "manage.py")]

    created = subprocess.run([*manage, "radius_schema"], env=env, capture_output=True, text=True, check=True)
    again = subprocess.run([*manage, "radius_schema"], env=env, capture_output=True, text=True, check=True)
    used = subprocess.run([*manage, "shell", "-c", script], env=env, capture_output=True, text=True, check=True)

    assert created.stdout.startswith("Created radcheck, radreply, radgroupcheck, radgroupreply, radusergroup, radacct")
    assert again.stdout == ""
    assert "check=[('Cleartext-Password', ':=', 'pw2')]" in used.stdout
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM radcheck").fetchone() == (1,)
        assert {row[1] for row in db.execute("PRAGMA table_info(radacct)")} >= {
            "acctsessionid",
            "nasipaddress",
            "framedipaddress",
            "acctstoptime",
        }


def test_radius_schema_command_reports_nothing_to_do_on_the_package_schema(capsys):
    call_command("radius_schema", verbosity=2)

    assert capsys.readouterr().out == "The 'radius' database has every FreeRADIUS table.\n"


def _task(service):
    return service.work_orders.order_by("pk").first().tasks.order_by("pk").first()


def _upgrade(service, version):
    # Arrange only: the order flow that changes a service's plan is tested in fulfillment.
    from headend.inventory.models import Service

    Service.objects.filter(pk=service.pk).update(product_version=version)
    service.refresh_from_db()


@pytest.mark.django_db(transaction=True, **RADIUS_DB)
def test_two_workers_writing_one_username_take_turns_and_leave_one_set_of_rows():
    import threading
    import time

    import psycopg

    db = connections["radius"].settings_dict
    first_worker = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"]
    )
    entry = radius.user_entry(username="ada", auth_type="pppoe", password="from-second", group="plan-a")

    def second_worker():
        try:
            radius.user_write(entry)
        finally:
            connections.close_all()

    with first_worker, first_worker.transaction():
        first_worker.execute("SELECT pg_advisory_xact_lock(hashtext('headend-radius:user:ada'))")
        thread = threading.Thread(target=second_worker)
        thread.start()
        time.sleep(0.5)
        waiting = thread.is_alive()
        first_worker.execute("INSERT INTO radcheck (username, attribute, op, value) VALUES ('ada', 'x', ':=', 'y')")
    thread.join(timeout=10)

    assert waiting  # the second worker waited for the first one's lock
    assert radius_rows("ada")["radcheck"] == [("Cleartext-Password", ":=", "from-second")]
