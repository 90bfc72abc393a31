r"""REST calls: the `rest.call` code action, an HTTP request a product template defines.

The template task's parameters (checked by `check_rest_params` when staff save the template):

    {
      "method": "POST",                       # GET, POST, PUT, PATCH or DELETE
      "url": "https://api.example.net/v1/subscribers/{{ service.number }}",
      "headers": {"Accept": "application/json"},             # optional, strings only
      "body": "{\"name\": \"{{ account.name }}\", \"down\": {{ product.download_mbps }}}",
      "body_format": "json",                  # optional: "json" (default) or "text"
      "success": [200, 201, 204],             # optional; default 200, 201, 202, 204
      "secret": "PROVISIONING_API",           # a NAME in settings.HEADEND_SECRETS
      "timeout": 10                           # optional seconds; default HEADEND_HTTP_TIMEOUT
    }

Templates. `url` and `body` are Django templates compiled from the string by an engine with no
template loaders and no tag libraries beyond the built-in ones, rendered over plain dicts (no
model objects, so a template can reach nothing but the values below):

    service   id, number, circuit_id, status, term_months, identifiers.<key>
    account   id, number, name, kind, email, phone
    location  id, line1, line2, street, city, state, postal_code, country, one_line
    product   code, name, download_mbps, upload_mbps, technology
    task      id

Every text value is escaped for where it lands before the template sees it, so data cannot
change the shape of the request: in `url` each value is percent-encoded (a "/" or "?" in a
customer's data stays inside its path segment); in a JSON body each value is JSON-string
escaped without its quotes, so the template writes `"name": "{{ account.name }}"` and a name
like `Tom "Bud" O'Neil \ Sons` arrives intact. Numbers (speeds, ids) are inserted as numbers. A
JSON body must render to valid JSON: saving the template renders it over sample data with
quotes, backslashes and non-ASCII letters and refuses what does not parse, and a body that does
not parse at run time fails the task. Filters that cut strings (`truncatechars`, `slice`) work
on the escaped text. "text" bodies are inserted as is. Variables the sample data lacks are
refused at save time (except `service.identifiers.*`, which vary by service; missing ones
render empty).

Signing. Every request carries

    X-Headend-Timestamp: <Unix seconds>
    X-Headend-Signature: sha256=<hex HMAC-SHA256, keyed with the named secret, of
                         "<timestamp>.<METHOD>.<path>.<body>">
    Idempotency-Key: headend-task-<task id>

where <path> is the request target exactly as sent (path and query string, percent-encoded,
e.g. `/v1/subscribers/S-000042?notify=1`) and <body> the body bytes (empty for none). A
receiver recomputes the HMAC with `signature()`, compares in constant time and rejects stale
timestamps. The idempotency key is the same on every attempt of one task, so a receiver that
remembers keys applies a retried call once.

Where it may go. The call is made through `headend.core.outbound`: only to public addresses
(a URL on a loopback, private, link-local or other non-public address is refused when the
template is saved and again at every call, unless an admin allows the host or network with
HEADEND_OUTBOUND_ALLOW), to the address that was checked, without following redirects, reading
at most HEADEND_OUTBOUND_MAX_BYTES of the answer.

Outcome. A status in `success` returns {"status": ..., "response": parsed JSON or a text
excerpt}. 5xx, 408, 429, a timeout or a connection failure raise RetryableError; any other
status (4xx, a redirect) and a refused address raise PermanentError. The request and the
response (body truncated) go to the attempt log, which the work-order page shows only to those
who may edit templates; the error message names the status, not what the answer said. The
secret, the signature and credential headers (Authorization, cookies, tokens, keys) never go
there: they are masked in the logged headers and wherever the answer echoes them.
"""

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError

from headend.catalog import code_actions
from headend.catalog.code_actions import ActionContext, PermanentError, RetryableError
from headend.core import clock, outbound
from headend.core.errors import ValidationError

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
DEFAULT_SUCCESS = (200, 201, 202, 204)
BODY_FORMATS = ("json", "text")
SIGNED_HEADERS = ("x-headend-timestamp", "x-headend-signature", "idempotency-key")
PARAMS = ("method", "url", "headers", "body", "body_format", "success", "secret", "timeout")
EXCERPT = 2000  # characters of a response kept in the log and the result
SECRET_NAME = re.compile(r"^[A-Z0-9_]+$")
# Request headers whose values the attempt log never shows (nor any answer that echoes them).
SENSITIVE_HEADER = re.compile(r"auth|token|secret|passw|api[-_]?key|cookie|session|signature", re.IGNORECASE)
REDACTED = "(redacted)"

# --- Templates --------------------------------------------------------------------------------

_engine = Engine(loaders=[], libraries={}, autoescape=False)
_MISSING = "\x00%s\x00"
_checking_engine = Engine(loaders=[], libraries={}, autoescape=False, string_if_invalid=_MISSING)


def service_context(service: Any, *, task: Any = None) -> dict[str, Any]:
    """The values a provisioning template may use about a service (plain data, no models)."""
    account, location, version = service.account, service.location, service.product_version
    return {
        "service": {
            "id": service.pk,
            "number": service.number,
            "circuit_id": service.circuit_id,
            "status": service.status,
            "term_months": service.term_months,
            "identifiers": dict(service.identifiers),
        },
        "account": {
            "id": account.pk,
            "number": account.number,
            "name": account.name,
            "kind": account.kind,
            "email": account.email,
            "phone": account.phone,
        },
        "location": {
            "id": location.pk,
            "line1": location.line1,
            "line2": location.line2,
            "street": location.street,
            "city": location.city,
            "state": location.state,
            "postal_code": location.postal_code,
            "country": location.country,
            "one_line": location.one_line,
        },
        "product": {
            "code": version.product.code,
            "name": version.product.name,
            "download_mbps": version.download_mbps,
            "upload_mbps": version.upload_mbps,
            "technology": version.technology,
        },
        "task": {"id": getattr(task, "pk", None)},
    }


# Sample data for checking templates when they are saved: awkward on purpose.
SAMPLE_CONTEXT: dict[str, Any] = {
    "service": {
        "id": 42,
        "number": "S-000042",
        "circuit_id": "FTTP-000042",
        "status": "provisioning",
        "term_months": 12,
        "identifiers": {"radius_username": "s000042@fiber", "cpe_serial": "ZTEG1234ABCD", "wifi_ssid": "Home 42"},
    },
    "account": {
        "id": 7,
        "number": "A-000007",
        "name": 'Tom "Bud" O\'Neil \\ Sons <Café>',
        "kind": "residential",
        "email": "tom@example.com",
        "phone": "+12075550134",
    },
    "location": {
        "id": 9,
        "line1": "12 Water St",
        "line2": "Apt #3/B",
        "street": "12 Water St Apt #3/B",
        "city": "Eastport",
        "state": "ME",
        "postal_code": "04631",
        "country": "US",
        "one_line": "12 Water St Apt #3/B, Eastport, ME 04631",
    },
    "product": {
        "code": "fiber-1g",
        "name": "Fiber 1 Gig",
        "download_mbps": 1000,
        "upload_mbps": 1000,
        "technology": "fiber",
    },
    "task": {"id": 314},
}


def escape_json(value: str) -> str:
    """A text value as it goes inside the quotes of a JSON string."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def escape_url(value: str) -> str:
    """A text value as one percent-encoded URL segment ("/", "?", "&", "#" included)."""
    return quote(value, safe="")


def _escaped(value: Any, escape: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {key: _escaped(item, escape) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(item, escape) for item in value]
    if value is None:
        return ""
    if isinstance(value, bool):
        return escape(str(value).lower())
    if isinstance(value, int | float):
        return value
    return escape(str(value))


def render(source: str, context: dict[str, Any], *, escape: Callable[[str], str] | None = None) -> str:
    """Fill a template string from `service_context` values, each escaped by `escape` first.

    Raises TemplateSyntaxError for a template that does not compile."""
    values = _escaped(context, escape or (lambda text: text))
    return _engine.from_string(source).render(Context(values, autoescape=False))


def check_template(source: Any, *, field: str, escape: Callable[[str], str] | None = None) -> str:
    """Render a template over the sample data; ValidationError naming `field` if it does not
    compile or uses a variable the sample lacks (service identifiers excepted)."""
    if not isinstance(source, str) or not source.strip():
        raise ValidationError("Enter a template (text).", field=field)
    try:
        template = _checking_engine.from_string(source)
    except TemplateSyntaxError as exc:
        raise ValidationError(f"The template does not compile: {exc}", field=field, code="template") from exc
    text = template.render(Context(_escaped(SAMPLE_CONTEXT, escape or (lambda text: text)), autoescape=False))
    unknown = [name for name in re.findall("\x00(.*?)\x00", text) if not name.startswith("service.identifiers.")]
    if unknown:
        raise ValidationError(f"Unknown variable {{{{ {unknown[0]} }}}}.", field=field, code="template")
    return re.sub("\x00.*?\x00", "", text)


# --- Signing ----------------------------------------------------------------------------------


def secret(name: str) -> str:
    """The value of a named secret from settings.HEADEND_SECRETS; PermanentError if unset."""
    value = settings.HEADEND_SECRETS.get(name)
    if not value:
        raise PermanentError(f"No secret named {name!r} is configured (set HEADEND_SECRET_{name}).")
    return str(value)


def signature(key: str, *, timestamp: str, method: str, path: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 keyed with `key` over "<timestamp>.<METHOD>.<path>.<body>"."""
    message = f"{timestamp}.{method}.{path}.".encode() + body
    return "sha256=" + hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


# --- The action -------------------------------------------------------------------------------


def check_rest_params(params: dict[str, Any]) -> None:
    """Validate a `rest.call` task's parameters; ValidationError naming the parameter at fault."""
    for key in params:
        if key not in PARAMS:
            raise ValidationError(f"Unknown parameter; expected one of {', '.join(PARAMS)}.", field=key)
    if params.get("method") not in METHODS:
        raise ValidationError(f"Choose a method: {', '.join(METHODS)}.", field="method")
    url = check_template(params.get("url"), field="url", escape=escape_url)
    if not re.match(r"^https?://[^/?#\s]+", url):
        raise ValidationError("The URL must start with http:// or https:// and a host.", field="url")
    try:
        outbound.check(url)
    except outbound.Refused as exc:
        raise ValidationError(str(exc), field="url", code="url_refused") from exc
    except outbound.Unresolvable:
        pass  # it may resolve where the worker runs; every call is checked again
    headers = params.get("headers") if params.get("headers") is not None else {}
    if not isinstance(headers, dict) or not all(
        isinstance(name, str) and isinstance(value, str) and name.strip() for name, value in headers.items()
    ):
        raise ValidationError("Headers must be an object of header names to text values.", field="headers")
    reserved = [name for name in headers if name.lower() in SIGNED_HEADERS]
    if reserved:
        raise ValidationError(f"{reserved[0]} is set by Headend itself.", field="headers")
    body_format = params.get("body_format", "json")
    if body_format not in BODY_FORMATS:
        raise ValidationError("The body format is json or text.", field="body_format")
    if params.get("body") not in (None, ""):
        body = check_template(params["body"], field="body", escape=escape_json if body_format == "json" else None)
        if body_format == "json":
            try:
                json.loads(body)
            except ValueError as exc:
                raise ValidationError(f"The body does not render to valid JSON: {exc}", field="body") from exc
    success = params.get("success", list(DEFAULT_SUCCESS))
    if (
        not isinstance(success, list)
        or not success
        or not all(isinstance(code, int) and not isinstance(code, bool) and 100 <= code <= 599 for code in success)
    ):
        raise ValidationError("Success statuses are a list of HTTP status codes (100-599).", field="success")
    name = params.get("secret")
    if not isinstance(name, str) or not SECRET_NAME.match(name):
        raise ValidationError("Name the secret to sign with (letters, digits, _), not its value.", field="secret")
    if name not in settings.HEADEND_SECRETS:
        raise ValidationError(f"No secret named {name} is configured (HEADEND_SECRET_{name}).", field="secret")
    timeout = params.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 300
    ):
        raise ValidationError("The timeout is a number of seconds, more than 0 and at most 300.", field="timeout")


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "…"


def _sensitive(header: str) -> bool:
    return bool(SENSITIVE_HEADER.search(header))


def _scrub(text: str, hidden: list[str]) -> str:
    """`text` with every value in `hidden` (the key, the signature, credential headers) masked,
    so an answer that echoes the request shows none of them."""
    for value in sorted(hidden, key=len, reverse=True):
        if len(value) >= 8:
            text = text.replace(value, REDACTED)
    return text


def _response_value(text: str, content_type: str, *, cut: bool) -> Any:
    if not cut and len(text) <= EXCERPT and "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            pass
    return _excerpt(text)


@code_actions.register("rest.call", "Call a REST API (HMAC-signed)", check_params=check_rest_params)
def rest_call(context: ActionContext) -> dict[str, Any]:
    method = context.param("method", required=True)
    if method not in METHODS:
        raise PermanentError(f"The task's method {method!r} is not one of {', '.join(METHODS)}.")
    key = secret(context.param("secret", required=True))
    values = service_context(context.service, task=context.task)
    try:
        url = render(context.param("url", required=True), values, escape=escape_url).strip()
        body_format = context.param("body_format", "json")
        source = context.param("body", "")
        body = render(source, values, escape=escape_json if body_format == "json" else None) if source else ""
    except TemplateSyntaxError as exc:
        raise PermanentError(f"The task's template does not compile: {exc}") from exc
    if not re.match(r"^https?://[^/?#\s]+", url):
        raise PermanentError(f"The task's URL {url!r} is not an http(s) URL.")
    if body and body_format == "json":
        try:
            json.loads(body)
        except ValueError as exc:
            raise PermanentError(f"The body template did not render valid JSON: {exc}") from exc

    headers = {str(name): str(value) for name, value in (context.param("headers") or {}).items()}
    if body and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json" if body_format == "json" else "text/plain; charset=utf-8"
    content = body.encode()
    timeout = float(context.param("timeout") or settings.HEADEND_HTTP_TIMEOUT)
    success = context.param("success") or list(DEFAULT_SUCCESS)

    with outbound.client(timeout=timeout) as client:
        request = client.build_request(method, url, headers=headers, content=content)
        timestamp = str(int(clock.now().timestamp()))
        request.headers["X-Headend-Timestamp"] = timestamp
        request.headers["Idempotency-Key"] = f"headend-task-{context.task.pk}"
        path = request.url.raw_path.decode("ascii")
        request.headers["X-Headend-Signature"] = signed = signature(
            key, timestamp=timestamp, method=method, path=path, body=content
        )
        hidden = [key, signed, signed.removeprefix("sha256=")]
        hidden += [value for name, value in request.headers.items() if _sensitive(name)]
        logged = {
            "method": method,
            "url": str(request.url),
            "headers": {name: REDACTED if _sensitive(name) else value for name, value in request.headers.items()},
            "body": _excerpt(_scrub(body, hidden)),
        }
        where = f"{method} {request.url}"
        try:
            response = client.send(request, stream=True)
            try:
                answer, cut = outbound.read_limited(response)
            finally:
                response.close()
        except outbound.Refused as exc:
            context.record(request=logged, note=f"not sent: {exc}")
            raise PermanentError(f"{where} was not sent: {exc}") from exc
        except httpx.TimeoutException as exc:
            context.record(request=logged, note=f"timed out after {timeout:g} s")
            raise RetryableError(f"{where} timed out after {timeout:g} s.") from exc
        except httpx.HTTPError as exc:
            context.record(request=logged, note=f"failed: {str(exc) or type(exc).__name__}")
            raise RetryableError(f"{where} failed: {str(exc) or type(exc).__name__}.") from exc

    status = response.status_code
    text = _scrub(outbound.text_of(response, answer), hidden)
    received: dict[str, Any] = {"status": status, "body": _excerpt(text)}
    if cut:
        received["note"] = f"the answer was cut at {len(answer)} bytes"
    context.record(request=logged, response=received)
    if status in success:
        return {"status": status, "response": _response_value(text, response.headers.get("content-type", ""), cut=cut)}
    # The answer itself stays in the attempt log, which only those who may edit templates see.
    reason = f"{where} answered {status}"
    if status >= 500 or status in (408, 429):
        raise RetryableError(f"{reason}.")
    raise PermanentError(f"{reason}; what it said is in the attempt log.")
