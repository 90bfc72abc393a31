import hashlib
import hmac
import json
import socket

import pytest
from werkzeug import Response

from headend.catalog import code_actions
from headend.catalog.code_actions import ActionContext, PermanentError, RetryableError
from headend.catalog.services import TaskSpec
from headend.core.errors import ValidationError
from headend.crm import services as crm_services
from headend.fulfillment.models import Task
from headend.provisioning.rest import check_rest_params, rest_call
from tests.conftest import FROZEN_AT
from tests.factories import make_account, make_live_service, make_product

SECRET = "test-provisioning-secret"  # tests/settings.py: HEADEND_SECRETS["PROVISIONING_API"]
NASTY_NAME = 'Tom "Bud" O\'Neil \\ Sons'


@pytest.fixture(autouse=True)
def _local_servers_allowed(settings):
    """These tests talk to servers on 127.0.0.1, which the outbound policy refuses unless an
    admin allows it (test_rest_outbound.py tests the refusal)."""
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]


@pytest.fixture
def task(db):
    """The fulfillment task of a live service whose customer's name has a quote and a backslash."""
    account = make_account(legal_name=NASTY_NAME)
    version = make_product(code="fiber-1g", download_mbps=1000, upload_mbps=500, tasks=[TaskSpec("Turn up")])
    service = make_live_service(account, version)
    crm_services.location_update(
        location=service.location,
        line1="12 Water St",
        line2="Apt #3/B",
        city="Eastport",
        state="ME",
        postal_code="04631",
    )
    return Task.objects.get(work_order__service=service)


def params(httpserver, **overrides):
    values = {
        "method": "POST",
        "url": httpserver.url_for("/v1/subscribers/") + "{{ service.number }}",
        "headers": {"Accept": "application/json"},
        "body": '{"name": "{{ account.name }}", "down": {{ product.download_mbps }}, "plan": "{{ product.code }}"}',
        "success": [200, 201, 204],
        "secret": "PROVISIONING_API",
    }
    values.update(overrides)
    return values


def test_rest_call_sends_the_rendered_body_and_returns_the_answer(httpserver, task):
    service = task.work_order.service
    httpserver.expect_request(f"/v1/subscribers/{service.number}", method="POST").respond_with_json(
        {"id": 7}, status=201
    )

    result = rest_call(ActionContext(task=task, params=params(httpserver)))

    assert result == {"status": 201, "response": {"id": 7}}
    ((request, _),) = httpserver.log
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert json.loads(request.get_data()) == {"name": NASTY_NAME, "down": 1000, "plan": "fiber-1g"}


def test_rest_call_signature_verifies_with_the_secret_over_the_exact_body(httpserver, task):
    httpserver.expect_request("/hook", method="PUT").respond_with_data("", status=204)

    rest_call(ActionContext(task=task, params=params(httpserver, method="PUT", url=httpserver.url_for("/hook?x=1"))))

    ((request, _),) = httpserver.log
    timestamp, body = request.headers["X-Headend-Timestamp"], request.get_data()
    message = f"{timestamp}.PUT./hook?x=1.".encode() + body
    assert timestamp == str(int(FROZEN_AT.timestamp()))
    assert (
        request.headers["X-Headend-Signature"] == "sha256=" + hmac.new(SECRET.encode(), message, "sha256").hexdigest()
    )
    tampered = message.replace(b"1000", b"9000")
    assert request.headers["X-Headend-Signature"] != (
        "sha256=" + hmac.new(SECRET.encode(), tampered, hashlib.sha256).hexdigest()
    )


def test_rest_call_sends_one_idempotency_key_on_every_attempt(httpserver, task):
    httpserver.expect_ordered_request("/hook").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/hook").respond_with_json({"ok": True}, status=200)
    context = ActionContext(task=task, params=params(httpserver, url=httpserver.url_for("/hook")))

    with pytest.raises(RetryableError):
        rest_call(context)
    result = rest_call(context)

    assert result == {"status": 200, "response": {"ok": True}}
    keys = [request.headers["Idempotency-Key"] for request, _ in httpserver.log]
    assert keys == [f"headend-task-{task.pk}", f"headend-task-{task.pk}"]


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, RetryableError), (503, RetryableError), (408, RetryableError), (429, RetryableError),
     (404, PermanentError), (400, PermanentError), (301, PermanentError)],
)  # fmt: skip
def test_rest_call_classifies_failing_statuses(httpserver, task, status, error):
    httpserver.expect_request("/hook").respond_with_data("nope", status=status)
    url = httpserver.url_for("/hook")

    with pytest.raises(error) as raised:
        rest_call(ActionContext(task=task, params=params(httpserver, url=url)))

    assert str(raised.value).startswith(f"POST {url} answered {status}")


def test_rest_call_a_status_listed_as_success_succeeds(httpserver, task):
    httpserver.expect_request("/hook").respond_with_data("already there", status=409)

    result = rest_call(
        ActionContext(task=task, params=params(httpserver, url=httpserver.url_for("/hook"), success=[409]))
    )

    assert result == {"status": 409, "response": "already there"}


def test_rest_call_timeout_is_retryable(task):
    silent = socket.socket()  # accepts connections (backlog) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
    context = ActionContext(
        task=task, params={"method": "GET", "url": url, "secret": "PROVISIONING_API", "timeout": 0.2}
    )

    try:
        with pytest.raises(RetryableError) as raised:
            rest_call(context)
    finally:
        silent.close()

    assert str(raised.value) == f"GET {url} timed out after 0.2 s."
    assert context.exchanges[0]["note"] == "timed out after 0.2 s"


def test_rest_call_refused_connection_is_retryable(task):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
    closed.close()

    with pytest.raises(RetryableError, match=r"^GET http://127\.0\.0\.1:\d+/hook failed"):
        rest_call(ActionContext(task=task, params={"method": "GET", "url": url, "secret": "PROVISIONING_API"}))


def test_rest_call_percent_encodes_values_in_the_url(httpserver, task):
    httpserver.expect_request("/sites").respond_with_json({}, status=200)
    url = httpserver.url_for("/sites") + "?unit={{ location.line2 }}&name={{ account.name }}"

    rest_call(ActionContext(task=task, params=params(httpserver, method="GET", url=url, body="")))

    ((request, _),) = httpserver.log
    assert request.args.to_dict() == {"unit": "APT # 3/B", "name": NASTY_NAME}
    assert request.get_data() == b""


def test_rest_call_records_the_exchange_without_secret_or_signature(httpserver, task):
    httpserver.expect_request("/hook").respond_with_response(Response("x" * 5000, status=201))
    context = ActionContext(task=task, params=params(httpserver, url=httpserver.url_for("/hook")))

    rest_call(context)

    ((request, _),) = httpserver.log
    (exchange,) = context.exchanges
    logged = json.dumps(exchange)
    assert SECRET not in logged
    assert request.headers["X-Headend-Signature"].removeprefix("sha256=") not in logged
    assert exchange["request"]["headers"]["x-headend-signature"] == "(redacted)"
    assert exchange["request"]["headers"]["idempotency-key"] == f"headend-task-{task.pk}"
    assert exchange["request"]["body"] == request.get_data().decode()
    assert exchange["response"]["status"] == 201
    assert len(exchange["response"]["body"]) == 2001


def test_rest_call_unknown_secret_is_permanent_and_sends_nothing(httpserver, task):
    with pytest.raises(PermanentError, match="No secret named 'MISSING'"):
        rest_call(ActionContext(task=task, params=params(httpserver, secret="MISSING")))

    assert httpserver.log == []


def test_check_rest_params_accepts_a_valid_call(httpserver):
    check_rest_params(params(httpserver, timeout=5))


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"method": "FETCH"}, "method"),
        ({"url": "ftp://example.net/x"}, "url"),
        ({"url": "https://example.net/{% if %}"}, "url"),
        ({"url": "https://example.net/{{ service.nmber }}"}, "url"),
        ({"headers": {"X-Count": 1}}, "headers"),
        ({"headers": {"X-Headend-Signature": "forged"}}, "headers"),
        ({"body": '{"name": {{ account.name }}}'}, "body"),
        ({"body_format": "xml"}, "body_format"),
        ({"success": [99]}, "success"),
        ({"success": [600]}, "success"),
        ({"success": "200"}, "success"),
        ({"secret": "NOT_CONFIGURED"}, "secret"),
        ({"secret": SECRET}, "secret"),
        ({"timeout": 0}, "timeout"),
        ({"sucess": [200]}, "sucess"),
    ],
)
def test_check_rest_params_names_the_field_at_fault(httpserver, override, field):
    with pytest.raises(ValidationError) as raised:
        check_rest_params(params(httpserver, **override))

    assert raised.value.field == field


def test_check_rest_params_boundary_statuses_are_accepted(httpserver):
    check_rest_params(params(httpserver, success=[100, 599]))


def test_template_save_check_prefixes_the_field():
    with pytest.raises(ValidationError) as raised:
        code_actions.check_params("rest.call", {"method": "POST", "url": "mailto:x", "secret": "PROVISIONING_API"})

    assert raised.value.field == "code_params.url"
