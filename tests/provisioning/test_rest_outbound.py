"""`rest.call` under the outbound address policy: local and private URLs refused when the
template is saved and when the call is made, the address pinned, answers bounded, credentials
never in the attempt log, and the log shown only to those who may edit templates.

Unlike test_rest_action.py, nothing here is allowlisted unless the test says so."""

import json
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from headend.catalog.code_actions import ActionContext, PermanentError
from headend.catalog.services import TaskSpec
from headend.core.errors import ValidationError
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import Task, WorkOrder
from headend.provisioning.rest import check_rest_params, rest_call
from tests.factories import make_account, make_live_service, make_product, make_quote, make_user
from tests.resolver import fake_dns

SECRET = "test-provisioning-secret"  # tests/settings.py: HEADEND_SECRETS["PROVISIONING_API"]


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    """A server on 127.0.0.1: what a forged URL would reach (Redis, an admin page, a metadata
    service stand-in)."""
    started = HTTPServer(host="127.0.0.1", port=0)
    started.start()
    yield started
    started.clear()
    started.stop()


@pytest.fixture
def task(db):
    service = make_live_service(make_account(), make_product(tasks=[TaskSpec("Turn up")]))
    return Task.objects.get(work_order__service=service)


def call(url: str, **params):
    return {
        "method": "POST",
        "url": url,
        "body": '{"n": "{{ service.number }}"}',
        "secret": "PROVISIONING_API",
    } | params


LOCAL_HOSTS = ["127.0.0.1", "[::1]", "0x7f000001", "2130706433", "127.1", "localhost", "[::ffff:127.0.0.1]"]


@pytest.mark.parametrize("host", LOCAL_HOSTS)
def test_rest_call_to_a_loopback_address_is_refused_and_sends_nothing(server, task, host):
    server.expect_request("/admin").respond_with_data("internal")
    context = ActionContext(task=task, params=call(f"http://{host}:{server.port}/admin", timeout=1))

    with pytest.raises(PermanentError, match=r"was not sent: .*loopback address"):
        rest_call(context)

    assert server.log == []
    assert context.exchanges[0]["note"].startswith("not sent: ")


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/iam/", "http://10.0.0.1/", "http://100.64.0.1/", "http://0.0.0.0:6379/"],
)
def test_rest_call_to_metadata_private_and_shared_addresses_is_refused(task, url):
    with pytest.raises(PermanentError, match="was not sent"):
        rest_call(ActionContext(task=task, params=call(url, timeout=0.5)))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://0x7f000001/x",
        "http://localhost:8000/admin/",
        "https://192.168.1.1/{{ service.number }}",
    ],
)
def test_saving_a_template_with_a_local_url_is_refused_naming_the_url(url):
    with pytest.raises(ValidationError) as raised:
        check_rest_params(call(url))

    assert (raised.value.field, raised.value.code) == ("url", "url_refused")


def test_saving_a_template_whose_host_does_not_resolve_yet_is_accepted(db):
    check_rest_params(call("https://provisioning.provider.invalid/v1/{{ service.number }}"))


def test_an_allowed_loopback_server_is_called(server, task, settings):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    server.expect_request("/hook").respond_with_json({"ok": True}, status=201)

    result = rest_call(ActionContext(task=task, params=call(server.url_for("/hook"))))

    assert result == {"status": 201, "response": {"ok": True}}


def test_rest_call_connects_to_the_address_it_checked(server, task, settings, monkeypatch):
    """A rebinding name: the check gets an allowed address, later lookups the loopback server."""
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.2"]
    dns = fake_dns(monkeypatch)
    dns.answer("api.example.com", "127.0.0.2", "127.0.0.1")
    server.expect_request("/hook").respond_with_data("the loopback server")
    twin = HTTPServer(host="127.0.0.2", port=server.port)
    twin.expect_request("/hook").respond_with_data("", status=204)
    twin.start()
    try:
        result = rest_call(ActionContext(task=task, params=call(f"http://api.example.com:{server.port}/hook")))
    finally:
        twin.stop()

    assert result["status"] == 204
    assert server.log == []


def test_rest_call_does_not_follow_a_redirect(server, task, settings):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    server.expect_request("/hook").respond_with_response(
        Response(status=307, headers={"Location": server.url_for("/internal")})
    )

    with pytest.raises(PermanentError, match=r"answered 307"):
        rest_call(ActionContext(task=task, params=call(server.url_for("/hook"))))

    assert [request.path for request, _ in server.log] == ["/hook"]


def test_an_answer_over_the_limit_is_cut_there_and_the_log_says_so(server, task, settings):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    settings.HEADEND_OUTBOUND_MAX_BYTES = 1000
    server.expect_request("/hook").respond_with_data("z" * 300_000, status=201, content_type="application/json")
    context = ActionContext(task=task, params=call(server.url_for("/hook")))

    result = rest_call(context)

    assert result == {"status": 201, "response": "z" * 1000}
    assert context.exchanges[0]["response"] == {
        "status": 201,
        "body": "z" * 1000,
        "note": "the answer was cut at 1000 bytes",
    }


def echo_headers(request: Request) -> Response:
    """A careless API that repeats the request's headers in its answer."""
    return Response(json.dumps(dict(request.headers.items())), status=200, content_type="application/json")


def test_credentials_and_the_signature_never_reach_the_attempt_log_even_when_echoed(server, task, settings):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    server.expect_request("/hook").respond_with_handler(echo_headers)
    headers = {"Authorization": "Bearer tok-0123456789", "X-Api-Key": "key-abcdefghij", "Accept": "application/json"}
    context = ActionContext(task=task, params=call(server.url_for("/hook"), headers=headers))

    result = rest_call(context)

    ((request, _),) = server.log
    sent_signature = request.headers["X-Headend-Signature"]
    logged = json.dumps([context.exchanges, result])
    for value in ("tok-0123456789", "key-abcdefghij", SECRET, sent_signature.removeprefix("sha256=")):
        assert value not in logged
    assert request.headers["Authorization"] == "Bearer tok-0123456789"  # sent, only not logged
    logged_headers = context.exchanges[0]["request"]["headers"]
    assert (logged_headers["authorization"], logged_headers["x-api-key"]) == ("(redacted)", "(redacted)")
    assert logged_headers["accept"] == "application/json"
    assert result["response"]["Authorization"] == "(redacted)"


def test_a_refusal_names_the_status_and_leaves_the_answer_to_the_attempt_log(server, task, settings):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    server.expect_request("/hook").respond_with_data("subscriber table locked by db-7.internal", status=400)
    context = ActionContext(task=task, params=call(server.url_for("/hook")))

    with pytest.raises(PermanentError) as raised:
        rest_call(context)

    assert str(raised.value) == f"POST {server.url_for('/hook')} answered 400; what it said is in the attempt log."
    assert context.exchanges[0]["response"]["body"] == "subscriber table locked by db-7.internal"


def test_the_attempt_log_and_answer_show_only_to_those_who_may_edit_templates(server, settings, client, db):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    server.expect_request("/subscribers").respond_with_json({"subscriber": "SUB-INTERNAL-77"}, status=201)
    version = make_product(
        tasks=[
            TaskSpec(
                "Provision",
                kind="code",
                code_action="rest.call",
                code_params=call(server.url_for("/subscribers")),
            )
        ]
    )
    work_order = WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted", version=version))
    fulfillment_services.task_run_code(task_id=work_order.tasks.get().pk)
    assert work_order.tasks.get().status == "done"
    page = f"/work/{work_order.pk}/"

    client.force_login(make_user("sales"))
    sales_sees = client.get(page).content.decode()
    client.force_login(make_user("provisioning"))
    provisioning_sees = client.get(page).content.decode()

    assert "Attempt log (1)" in sales_sees
    assert "SUB-INTERNAL-77" not in sales_sees
    assert "x-headend-timestamp" not in sales_sees  # the logged request
    assert "shown to those who may edit templates" in sales_sees
    assert "SUB-INTERNAL-77" in provisioning_sees
    assert "x-headend-timestamp" in provisioning_sees
