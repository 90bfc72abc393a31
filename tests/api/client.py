"""A test client for /tmf-api/: JSON in, the bearer token on every request, exact numbers out."""

import json
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.test import Client

from headend.api.services import token_issue
from tests.api.tmf_schema import assert_valid

ROOT = "/tmf-api"


def body(response: HttpResponse) -> Any:
    """The JSON body, numbers as Decimal so money compares exactly."""
    return json.loads(response.content, parse_float=Decimal)


class TMFClient:
    def __init__(self, client: Client, token: str | None = None):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    @classmethod
    def for_user(cls, client: Client, user: Any) -> "TMFClient":
        _, raw = token_issue(user=user, name="tests")
        return cls(client, raw)

    def get(self, path: str, **query: Any) -> HttpResponse:
        return self.client.get(ROOT + path, data=query, **self.headers)

    def post(self, path: str, data: Any = None, *, raw: str | None = None) -> HttpResponse:
        content = raw if raw is not None else ("" if data is None else json.dumps(data))
        return self.client.post(ROOT + path, data=content, content_type="application/json", **self.headers)

    def patch(self, path: str, data: Any, *, content_type: str = "application/merge-patch+json") -> HttpResponse:
        return self.client.patch(ROOT + path, data=json.dumps(data), content_type=content_type, **self.headers)


def assert_error(
    response: HttpResponse,
    *,
    status: int,
    code: str | None = None,
    field: str | None = None,
    api: str = "629",
) -> dict[str, str]:
    """The response is a TMF Error with this status, code and (when given) the attribute at fault."""
    assert response.status_code == status, response.content
    error = body(response)
    assert_valid(error, api=api, definition="Error")
    assert set(error) == {"code", "reason", "message", "status", "@type"}
    assert (error["status"], error["@type"]) == (str(status), "Error")
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert error["message"] == f"{field}: {error['reason']}", error
    return error
