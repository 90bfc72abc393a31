"""CoA and Disconnect-Requests (RFC 5176) reach the NAS of a live session: the session is
opened with a real Accounting-Request Start through FreeRADIUS, and a NAS stand-in receives,
verifies and answers the packets."""

import pytest
from django.db import connections
from pyrad import packet

from headend.catalog.code_actions import PermanentError, RetryableError
from headend.provisioning.models import Nas, Subscriber
from tests.provisioning.conftest import RADIUS_DB, make_plan, make_radius_service, radius_rows, run_action

SESSION = "81a00f3c"


def _live(freeradius, service, *, framed_ip="100.64.0.17", session=SESSION):
    """The subscriber connects: the NAS (127.0.0.1) reports a session Start to FreeRADIUS."""
    username = service.radius_subscriber.username
    reply = freeradius.account(
        "Start",
        username=username,
        session_id=session,
        NAS_IP_Address="127.0.0.1",
        Framed_IP_Address=framed_ip,
    )
    assert reply.code == packet.AccountingResponse
    return username


def _open_session(username, *, nas_ip="127.0.0.1", session=SESSION):
    """A session row as FreeRADIUS writes it, for the tests that are about the NAS's answer."""
    with connections["radius"].cursor() as cursor:
        cursor.execute(
            "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, framedipaddress, acctstarttime) "
            "VALUES (%s, %s, %s, %s, %s, now())",
            [session, f"{username}-{session}", username, nas_ip, "100.64.0.17"],
        )


@pytest.mark.django_db(transaction=True, **RADIUS_DB)
@pytest.mark.usefixtures("radius_tables")
class TestWithFreeRadius:
    def test_suspend_sends_the_walled_garden_coa_to_the_sessions_nas(self, freeradius, nas, nas_standin):
        service = make_radius_service()
        run_action("radius.provision", service)
        username = _live(freeradius, service)

        result, context = run_action("radius.suspend", service)

        [received] = nas_standin.received
        assert (received.name, received.authentic) == ("CoA-Request", True)
        assert received.attributes == {
            "User-Name": [username],
            "Acct-Session-Id": [SESSION],
            "Framed-IP-Address": ["100.64.0.17"],
            "Mikrotik-Address-List": ["walled-garden"],
            "Mikrotik-Rate-Limit": ["1M/1M"],
        }
        assert result["sessions"] == {
            "sent": [{"nas": "bng-1", "session": SESSION, "packet": "CoA-Request", "reply": "CoA-ACK"}]
        }
        assert context.exchanges[-1]["response"] == {"packet": "CoA-ACK", "error_cause": None}
        assert "testing123" not in str(context.exchanges)

    def test_suspend_with_disconnect_sends_a_disconnect_request(self, freeradius, nas, nas_standin):
        service = make_radius_service()
        run_action("radius.provision", service)
        username = _live(freeradius, service)

        result, _ = run_action("radius.suspend", service, coa="disconnect")

        [received] = nas_standin.received
        assert (received.name, received.authentic) == ("Disconnect-Request", True)
        assert received.attributes == {
            "User-Name": [username],
            "Acct-Session-Id": [SESSION],
            "Framed-IP-Address": ["100.64.0.17"],
        }
        assert result["sessions"]["sent"][0]["reply"] == "Disconnect-ACK"

    def test_upgrade_of_a_live_subscriber_sends_the_new_rate(self, freeradius, nas, nas_standin):
        from headend.inventory.models import Service

        service = make_radius_service()
        run_action("radius.provision", service)
        _live(freeradius, service)
        gig = make_plan(code="gig", download_mbps=1000, upload_mbps=500)
        Service.objects.filter(pk=service.pk).update(product_version=gig)

        run_action("radius.provision", service)

        [received] = nas_standin.received
        assert received.name == "CoA-Request"
        assert received.attributes["Mikrotik-Rate-Limit"] == ["500M/1000M"]

    def test_remove_disconnects_the_session(self, freeradius, nas, nas_standin):
        service = make_radius_service()
        run_action("radius.provision", service)
        username = _live(freeradius, service)

        run_action("radius.remove", service)

        assert [(r.name, r.attributes["User-Name"]) for r in nas_standin.received] == [
            ("Disconnect-Request", [username])
        ]

    def test_a_stopped_session_gets_nothing(self, freeradius, nas, nas_standin):
        service = make_radius_service()
        run_action("radius.provision", service)
        username = _live(freeradius, service)
        freeradius.account("Stop", username=username, session_id=SESSION, NAS_IP_Address="127.0.0.1")

        result, _ = run_action("radius.suspend", service)

        assert nas_standin.received == []
        assert result["sessions"] == {"sent": [], "note": f"No active session for {username}: nothing sent."}

    def test_nas_that_never_answers_is_retryable_and_the_rows_stay_written(
        self, freeradius, nas, nas_standin, fast_coa
    ):
        nas_standin.answer = "silent"
        service = make_radius_service()
        run_action("radius.provision", service)
        username = _live(freeradius, service)

        with pytest.raises(RetryableError) as caught:
            run_action("radius.suspend", service)

        assert str(caught.value) == (
            f"NAS bng-1 (127.0.0.1:{nas.coa_port}) did not answer the CoA-Request for {username}: "
            "no answer within 0.2 s x 2 tries."
        )
        assert len(nas_standin.received) == 2
        assert radius_rows(username)["radusergroup"] == [("walled-garden", 1)]
        assert freeradius.authenticate(username, service.radius_subscriber.password).attributes == {
            "Mikrotik-Address-List": ["walled-garden"],
            "Mikrotik-Rate-Limit": ["1M/1M"],
        }


@pytest.mark.django_db(**RADIUS_DB)
@pytest.mark.usefixtures("radius_tables")
class TestNasAnswers:
    def test_no_session_sends_nothing_and_says_so(self, nas, nas_standin):
        service = make_radius_service()
        run_action("radius.provision", service)

        result, context = run_action("radius.suspend", service)

        assert nas_standin.received == []
        assert result["sessions"]["sent"] == []
        assert context.exchanges[-1] == {"note": f"No active session for {service.number.lower()}: nothing sent."}

    def test_nak_session_not_found_counts_as_done(self, nas, nas_standin):
        nas_standin.answer = "nak"
        service = make_radius_service()
        run_action("radius.provision", service)
        _open_session(service.number.lower())

        result, _ = run_action("radius.suspend", service)

        assert result["sessions"]["sent"][0]["reply"] == "CoA-NAK"

    def test_nak_for_another_cause_is_permanent(self, nas, nas_standin):
        nas_standin.answer, nas_standin.error_cause = "nak", "Unsupported-Attribute"
        service = make_radius_service()
        run_action("radius.provision", service)
        _open_session(service.number.lower())

        with pytest.raises(PermanentError, match=r"refused the CoA-Request .*: CoA-NAK \(Unsupported-Attribute\)"):
            run_action("radius.suspend", service)

    def test_wrong_secret_is_discarded_by_the_nas_so_retryable(self, nas, nas_standin, fast_coa, settings):
        settings.HEADEND_SECRETS = {**settings.HEADEND_SECRETS, "OTHER": "not-the-nas-secret"}
        Nas.objects.filter(pk=nas.pk).update(secret_name="OTHER")
        service = make_radius_service()
        run_action("radius.provision", service)
        _open_session(service.number.lower())

        with pytest.raises(RetryableError, match="did not answer"):
            run_action("radius.suspend", service)

        assert [r.authentic for r in nas_standin.received] == [False, False]

    def test_session_on_an_unknown_nas_is_permanent(self, nas_standin):
        service = make_radius_service()
        run_action("radius.provision", service)
        _open_session(service.number.lower(), nas_ip="192.0.2.1")

        with pytest.raises(PermanentError, match=r"is on NAS 192\.0\.2\.1, which is not in Headend's NAS list"):
            run_action("radius.suspend", service)

        assert Subscriber.objects.get(service=service).state == "suspended"

    def test_nas_secret_not_set_is_permanent(self, nas, nas_standin):
        Nas.objects.filter(pk=nas.pk).update(secret_name="MISSING")
        service = make_radius_service()
        run_action("radius.provision", service)
        _open_session(service.number.lower())

        with pytest.raises(PermanentError, match="secret 'MISSING' is not set: define HEADEND_SECRET_MISSING"):
            run_action("radius.suspend", service)

        assert nas_standin.received == []

    def test_restore_sends_the_plan_rate(self, nas, nas_standin):
        service = make_radius_service()
        run_action("radius.provision", service)
        run_action("radius.suspend", service)
        _open_session(service.number.lower())

        run_action("radius.restore", service)

        [received] = nas_standin.received
        assert received.attributes["Mikrotik-Rate-Limit"] == ["100M/300M"]
        assert "Mikrotik-Address-List" not in received.attributes

    def test_wispr_nas_gets_bandwidth_attributes(self, nas, nas_standin):
        Nas.objects.filter(pk=nas.pk).update(vendor="wispr")
        service = make_radius_service()
        run_action("radius.provision", service)
        _open_session(service.number.lower())

        run_action("radius.suspend", service)

        [received] = nas_standin.received
        assert received.attributes["Filter-Id"] == ["walled-garden"]
        assert received.attributes["WISPr-Bandwidth-Max-Down"] == [1_000_000]


@pytest.mark.django_db(**RADIUS_DB)
@pytest.mark.usefixtures("radius_tables")
def test_a_new_block_on_a_live_subscriber_is_sent_by_coa_once(nas, nas_standin):
    from tests.provisioning.test_radius_freeradius import _with_block

    service = make_radius_service()
    run_action("radius.provision", service)
    _open_session(service.radius_subscriber.username)
    addon = _with_block(service, "203.0.113.16/29")

    first, _ = run_action("radius.routes", addon)
    second, _ = run_action("radius.routes", addon)

    [received] = nas_standin.received
    assert received.name == "CoA-Request"
    assert received.attributes["Framed-Route"] == ["203.0.113.16/29 0.0.0.0 1"]
    assert (first["changed"], second["changed"], "sessions" in second) == (True, False, False)


@pytest.mark.django_db(**RADIUS_DB)
@pytest.mark.usefixtures("radius_tables")
def test_routes_on_a_base_without_radius_say_route_by_hand():
    from tests.provisioning.test_radius_freeradius import _with_block

    service = make_radius_service()
    addon = _with_block(service, "203.0.113.24/29")

    result, _context = run_action("radius.routes", addon)

    assert result["changed"] is False
    assert "route the block by hand" in result["note"]
