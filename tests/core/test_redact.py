"""Signing links' tokens and API tokens never reach a log: the access log, Django's request log and
the email the console backend prints."""

import datetime as dt
import logging
from types import SimpleNamespace

import pytest
from django.core import signing
from django.utils.module_loading import import_string
from gunicorn.config import Config

import headend.settings as project
from headend.api.services import token_issue
from headend.contracts.models import SigningEmail
from headend.core import redact
from tests.contracts.conftest import LINK, make_offer
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TOKEN = signing.Signer(salt="tests").sign_object({"x": 1774929600})


def _project_log_filter() -> logging.Filter:
    """The filter the project's console handler applies (settings.LOGGING)."""
    names = project.LOGGING["handlers"]["console"]["filters"]
    return import_string(project.LOGGING["filters"][names[0]]["()"])()


def test_the_console_email_of_a_signing_link_hides_its_token(run_worker, settings, capsys):
    settings.EMAIL_BACKEND = project.EMAIL_BACKEND  # what `make run` sends mail with
    make_offer()

    run_worker()

    printed = capsys.readouterr().out
    url = LINK.search(SigningEmail.objects.get().body).group(0)
    document_id, token = url.split("/")[-3:-1]
    assert "Subject: Headend Fiber: your quote" in printed
    assert f"/sign/{document_id}/[hidden]/" in printed
    assert token not in printed


def test_the_access_log_hides_a_signing_links_token_and_credential_headers(capsys):
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" "%({authorization}i)s" "%({cookie}i)s" %(U)s')
    logger = redact.GunicornLogger(config)
    path = f"/sign/12/{TOKEN}/quote.pdf"
    environ = {
        "REMOTE_ADDR": "203.0.113.9",
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://fiber.example/sign/12/{TOKEN}/",
    }
    request = SimpleNamespace(headers=[("AUTHORIZATION", "Bearer hdk_abcdef123456"), ("COOKIE", "sessionid=s3cr3t")])
    response = SimpleNamespace(status="200 OK", sent=5120, headers=[("Content-Type", "application/pdf")])

    logger.access(response, request, environ, dt.timedelta(milliseconds=12))

    line = capsys.readouterr().out
    assert line.strip() == (
        '203.0.113.9 "GET /sign/12/[hidden]/quote.pdf HTTP/1.1" 200 "https://fiber.example/sign/12/[hidden]/" '
        '"[hidden]" "[hidden]" /sign/12/[hidden]/quote.pdf'
    )


def test_djangos_request_log_hides_a_signing_links_token(client, caplog):
    response = client.get(f"/sign/999/{TOKEN}/")

    assert response.status_code == 400  # no such link
    record = next(record for record in caplog.records if record.name == "django.request")
    assert TOKEN in record.getMessage()  # as Django logs it, before the project's handlers
    _project_log_filter().filter(record)
    assert record.getMessage() == "Bad Request: /sign/999/[hidden]/"


def test_an_api_token_is_never_logged(client, caplog):
    _, raw = token_issue(user=make_user("sales"), name="crm")
    client.get("/tmf-api/serviceInventory/v4/service/999", HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.get("/tmf-api/serviceInventory/v4/service", HTTP_AUTHORIZATION=f"Bearer {raw}x")
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "token %s refused", (raw,), None)

    _project_log_filter().filter(record)

    assert raw not in caplog.text
    assert record.getMessage() == "token [hidden] refused"
    assert redact.mask(f"Authorization: Bearer {raw}") == "Authorization: Bearer [hidden]"
