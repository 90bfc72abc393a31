"""GenieACS (TR-069 ACS): code actions that set up a customer's router through GenieACS's
northbound interface (NBI, a REST API on port 7557 at settings.HEADEND_GENIEACS_URL).

`acs.configure` finds the router by its serial number, tags it, and sets its Wi-Fi name and
passphrase; `acs.reboot` restarts it. Parameters (all optional):

    acs.configure  {"serial": "{{ service.identifiers.cpe_serial }}",   # template; default as shown
                    "tags": ["{{ service.number }}", "{{ account.number }}"],   # default as shown
                    "wifi": true,                                   # false: tag only
                    "ssid": "WiFi-{{ service.number }}",            # default as shown
                    "passphrase_secret": "WIFI",                    # default as shown
                    "data_model": "tr098" | "tr181",                # default: what the device reports
                    "connection_request": true, "timeout": 30,
                    "element": "olt-1/pon-3"}                       # optional; see below
    acs.reboot     {"serial": ..., "connection_request": true, "timeout": 30}

Templates are those of `headend.provisioning.rest` (same values, inserted as is).

`acs.configure` binds the service to the topology elements it knows (provisioning/elements.py):
the one `element` names (a name or a template), the one its identifier `network_element`
names, and the router itself when an element of kind CPE is named by its serial.

Calls go through `headend.core.outbound` like every outgoing call: the host of
HEADEND_GENIEACS_URL is allowed as if listed in HEADEND_OUTBOUND_ALLOW (an admin set it), the
connection goes to the address checked, redirects are not followed, and an answer longer than
HEADEND_OUTBOUND_MAX_BYTES fails the task (permanently, as does a refused address).

NBI calls used (GenieACS docs, "API Reference"): `GET /devices/?query={"_deviceId._SerialNumber":
...}&projection=...` (a JSON list; empty when no device has that serial), `GET /tasks/?query=
{"device": id, "name": ...}` (tasks still pending), `POST /devices/<id>/tasks?connection_request`
with `{"name": "setParameterValues", "parameterValues": [[path, value, "xsd:string"], ...]}` or
`{"name": "reboot"}` (200: the device ran it now; 202: queued for its next inform, e.g. it is
offline, and "queued" is then a success; 202 "Task faulted": the device refused it; 404: no such
device), and `POST /devices/<id>/tags/<tag>` (adding a tag twice is harmless). Device ids are
percent-encoded in the path. A 5xx, a timeout or a refused connection is retryable; a timeout
is safe to retry because a re-run first looks at the device's values and pending tasks.

Wi-Fi parameters by data model: TR-098 `InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.
SSID` / `.KeyPassphrase`; TR-181 `Device.WiFi.SSID.1.SSID` / `Device.WiFi.AccessPoint.1.Security.
KeyPassphrase`. The model is the root the device reports (its Inform always carries DeviceInfo).

The SSID: the service's `wifi_ssid` identifier if it has one (a name the customer chose, or the
one a previous run set), else the `ssid` template; it is recorded as `wifi_ssid`.

The passphrase is derived, not stored: HMAC-SHA256 of the service id keyed with the named secret,
as 12 letters and digits without look-alikes in three groups (`wifi_passphrase`, ~59 bits). So
every run computes the same one (a re-run after a crash pushes nothing new), it lives only on
the router and in GenieACS, and it never enters the database, the outbox, webhooks or the
attempt log (request bodies are logged with it redacted). Staff who need to read it to the
customer get it from `wifi_passphrase(service)`. Rotating the secret changes the passphrase of
services configured afterwards only.

Idempotency. `acs.configure` reads the device's tags and Wi-Fi values first and adds only the
tags it lacks and sets only the values that differ and are not already waiting in a pending
task. TR-069 routers read back an empty KeyPassphrase, but GenieACS keeps the value it set;
if a refresh blanks it, a re-run sets the same passphrase again (no change for the customer).
`acs.reboot` reboots once per task: it skips when the task's result says so, when the device
carries the tag `headend-reboot-<task id>` (added right after GenieACS accepts the reboot), or
when a reboot task is already pending. The limit: if the worker dies after GenieACS ran the
reboot but before the tag was written, the re-run reboots a second time; the tags stay on the
device as a record.
"""

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings
from django.template import TemplateSyntaxError

from headend.catalog import code_actions
from headend.catalog.code_actions import ActionContext, PermanentError, RetryableError
from headend.core import outbound
from headend.core.errors import ValidationError
from headend.provisioning import elements, rest

DATA_MODELS = {
    "tr098": (
        "InternetGatewayDevice",
        "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID",
        "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.KeyPassphrase",
    ),
    "tr181": ("Device", "Device.WiFi.SSID.1.SSID", "Device.WiFi.AccessPoint.1.Security.KeyPassphrase"),
}
DEFAULT_SERIAL = "{{ service.identifiers.cpe_serial }}"
DEFAULT_TAGS = ["{{ service.number }}", "{{ account.number }}"]
DEFAULT_SSID = "WiFi-{{ service.number }}"
DEFAULT_PASSPHRASE_SECRET = "WIFI"
PASSPHRASE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes
REDACTED = "(redacted)"

CONFIGURE_PARAMS = (
    "serial",
    "tags",
    "wifi",
    "ssid",
    "passphrase_secret",
    "data_model",
    "connection_request",
    "timeout",
    "element",
)
REBOOT_PARAMS = ("serial", "connection_request", "timeout")


def wifi_passphrase(service: Any, *, secret_name: str = DEFAULT_PASSPHRASE_SECRET) -> str:
    """The Wi-Fi passphrase `acs.configure` gives a service's router, e.g. `k7mq-x3ra-p9te`.

    Raises PermanentError if the secret is not configured."""
    digest = hmac.new(rest.secret(secret_name).encode(), f"headend-wifi:{service.pk}".encode(), hashlib.sha256).digest()
    number, chars = int.from_bytes(digest, "big"), []
    for _ in range(12):
        number, index = divmod(number, len(PASSPHRASE_ALPHABET))
        chars.append(PASSPHRASE_ALPHABET[index])
    return "-".join("".join(chars[i : i + 4]) for i in range(0, 12, 4))


# --- The NBI ----------------------------------------------------------------------------------


class Nbi:
    """GenieACS's NBI for one action run: records each call, maps faults to action errors."""

    def __init__(self, context: ActionContext, *, serial: str):
        self.context, self.serial = context, serial
        timeout = float(context.param("timeout") or settings.HEADEND_HTTP_TIMEOUT)
        self.timeout = timeout
        base_url = settings.HEADEND_GENIEACS_URL.rstrip("/")
        # GenieACS's address is the admin's own setting, so the policy lets it through (it is
        # usually on the provider's network); redirects, size and pinning apply as to any call.
        self.client = outbound.client(base_url=base_url, timeout=timeout, allow=[httpx.URL(base_url).host])

    def __enter__(self) -> "Nbi":
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def call(
        self, method: str, path: str, *, params: dict[str, str] | None = None, body: Any = None, logged_body: Any = None
    ) -> httpx.Response:
        request = self.client.build_request(method, path, params=params, json=body)
        target = request.url.raw_path.decode("ascii")
        logged: dict[str, Any] = {"method": method, "url": f"GenieACS {target}"}
        if body is not None:
            logged["body"] = logged_body if logged_body is not None else body
        where = f"GenieACS {method} {request.url.path}"
        try:
            response = self.client.send(request)
        except (outbound.Refused, outbound.TooLarge) as exc:
            self.context.record(request=logged, note=f"failed: {exc}")
            raise PermanentError(f"{where} failed: {exc}") from exc
        except httpx.TimeoutException as exc:
            self.context.record(request=logged, note=f"timed out after {self.timeout:g} s")
            raise RetryableError(f"{where} timed out after {self.timeout:g} s.") from exc
        except httpx.HTTPError as exc:
            self.context.record(request=logged, note=f"failed: {str(exc) or type(exc).__name__}")
            raise RetryableError(f"{where} failed: {str(exc) or type(exc).__name__}.") from exc
        # Bodies of answers carry device values (the passphrase among them): log only errors.
        answer: dict[str, Any] = {"status": response.status_code, "reason": response.reason_phrase}
        if response.status_code >= 400:
            answer["body"] = response.text[:500]
        self.context.record(request=logged, response=answer)
        if response.status_code == 404 and "/tasks" in path:
            raise PermanentError(f"GenieACS has no device with serial {self.serial!r} (it answered 404).")
        if response.status_code >= 500:
            raise RetryableError(f"{where} answered {response.status_code}.")
        if response.status_code >= 400:
            raise PermanentError(f"{where} answered {response.status_code}: {response.text[:200]}")
        return response

    def find_device(self) -> dict[str, Any]:
        """The device with this serial, with its tags and Wi-Fi values; PermanentError if none."""
        paths = ["_id", "_deviceId", "_tags"]
        for root, ssid_path, passphrase_path in DATA_MODELS.values():
            paths += [f"{root}.DeviceInfo.SoftwareVersion", ssid_path, passphrase_path]
        query = json.dumps({"_deviceId._SerialNumber": self.serial}, separators=(",", ":"))
        devices = self.call("GET", "/devices/", params={"query": query, "projection": ",".join(paths)}).json()
        if not devices:
            raise PermanentError(f"GenieACS has no device with serial {self.serial!r}.")
        if len(devices) > 1:
            ids = ", ".join(str(device.get("_id")) for device in devices)
            raise PermanentError(f"{len(devices)} devices in GenieACS have serial {self.serial!r}: {ids}.")
        return dict(devices[0])

    def pending_tasks(self, device_id: str, name: str) -> list[dict[str, Any]]:
        query = json.dumps({"device": device_id, "name": name}, separators=(",", ":"))
        return list(self.call("GET", "/tasks/", params={"query": query}).json())

    def add_tag(self, device_id: str, tag: str) -> None:
        self.call("POST", f"/devices/{quote(device_id, safe='')}/tags/{quote(tag, safe='')}")

    def run_task(self, device_id: str, task: dict[str, Any], *, logged: Any = None) -> str:
        """Post a task; "done" if the device ran it, "queued" if GenieACS keeps it for later."""
        params = {"connection_request": ""} if self.context.param("connection_request", True) else None
        response = self.call(
            "POST", f"/devices/{quote(device_id, safe='')}/tasks", params=params, body=task, logged_body=logged
        )
        if response.status_code == 202 and response.reason_phrase.lower() == "task faulted":
            raise PermanentError(f"The device {device_id} refused the {task['name']} task; see its faults in GenieACS.")
        return "done" if response.status_code == 200 else "queued"


def _value(device: dict[str, Any], path: str) -> Any:
    node: Any = device
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node.get("_value") if isinstance(node, dict) else None


def _render(source: str, context: ActionContext, *, what: str) -> str:
    try:
        return rest.render(source, rest.service_context(context.service, task=context.task)).strip()
    except TemplateSyntaxError as exc:
        raise PermanentError(f"The task's {what} template does not compile: {exc}") from exc


def _serial(context: ActionContext) -> str:
    serial = _render(context.param("serial") or DEFAULT_SERIAL, context, what="serial")
    if not serial:
        raise PermanentError("The service has no CPE serial (identifier cpe_serial); record the router's serial.")
    return serial


# --- Parameter checks -------------------------------------------------------------------------


def _check_common(params: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for key in params:
        if key not in allowed:
            raise ValidationError(f"Unknown parameter; expected one of {', '.join(allowed)}.", field=key)
    if "serial" in params:
        rest.check_template(params["serial"], field="serial")
    if not isinstance(params.get("connection_request", True), bool):
        raise ValidationError("Enter true or false.", field="connection_request")
    timeout = params.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 300
    ):
        raise ValidationError("The timeout is a number of seconds, more than 0 and at most 300.", field="timeout")


def check_configure_params(params: dict[str, Any]) -> None:
    """Validate an `acs.configure` task's parameters; ValidationError naming the one at fault."""
    _check_common(params, CONFIGURE_PARAMS)
    elements.check_element_param(params)
    tags = params.get("tags", DEFAULT_TAGS)
    if not isinstance(tags, list):
        raise ValidationError("Tags are a list of templates.", field="tags")
    for tag in tags:
        rest.check_template(tag, field="tags")
    if not isinstance(params.get("wifi", True), bool):
        raise ValidationError("Enter true or false.", field="wifi")
    if "ssid" in params and len(rest.check_template(params["ssid"], field="ssid").strip().encode()) > 32:
        raise ValidationError("A Wi-Fi name is at most 32 bytes.", field="ssid")
    if params.get("data_model", "tr098") not in DATA_MODELS:
        raise ValidationError("The data model is tr098 or tr181.", field="data_model")
    name = params.get("passphrase_secret", DEFAULT_PASSPHRASE_SECRET)
    if params.get("wifi", True) and name not in settings.HEADEND_SECRETS:
        raise ValidationError(
            f"No secret named {name} is configured (HEADEND_SECRET_{name}).", field="passphrase_secret"
        )


def check_reboot_params(params: dict[str, Any]) -> None:
    """Validate an `acs.reboot` task's parameters; ValidationError naming the one at fault."""
    _check_common(params, REBOOT_PARAMS)


# --- The actions ------------------------------------------------------------------------------


@code_actions.register(
    "acs.configure", "Configure the router (GenieACS: tag, Wi-Fi)", check_params=check_configure_params
)
def configure(context: ActionContext) -> dict[str, Any]:
    from headend.inventory import services as inventory_services

    service, serial = context.service, _serial(context)
    tags = [_render(tag, context, what="tag") for tag in context.param("tags") or DEFAULT_TAGS]
    result: dict[str, Any] = {"serial": serial}
    with Nbi(context, serial=serial) as nbi:
        device = nbi.find_device()
        device_id = str(device["_id"])
        result["device_id"] = device_id
        added = [tag for tag in dict.fromkeys(tags) if tag and tag not in device.get("_tags", [])]
        for tag in added:
            nbi.add_tag(device_id, tag)
        result["tags_added"] = added
        bound = elements.bind_known_elements(context, cpe_serial=serial)
        if bound is not None:
            result["elements"] = bound
        if not context.param("wifi", True):
            return result

        data_model = context.param("data_model") or next(
            (name for name, (root, *_) in DATA_MODELS.items() if root in device), None
        )
        if data_model not in DATA_MODELS:
            raise PermanentError(
                f"The device {device_id} has reported neither TR-098 nor TR-181 parameters to GenieACS yet; "
                "set data_model in the task's parameters or let it inform first."
            )
        _, ssid_path, passphrase_path = DATA_MODELS[data_model]
        ssid = service.identifiers.get("wifi_ssid") or _render(
            context.param("ssid") or DEFAULT_SSID, context, what="ssid"
        )
        if not ssid or len(ssid.encode()) > 32:
            raise PermanentError(f"The Wi-Fi name {ssid!r} must be 1 to 32 bytes.")
        passphrase = wifi_passphrase(
            service, secret_name=context.param("passphrase_secret") or DEFAULT_PASSPHRASE_SECRET
        )
        wanted = [(ssid_path, ssid), (passphrase_path, passphrase)]
        differ = [(path, value) for path, value in wanted if _value(device, path) != value]
        state = "unchanged"
        if differ:
            pending = {
                (item[0], item[1])
                for task in nbi.pending_tasks(device_id, "setParameterValues")
                for item in task.get("parameterValues", [])
                if isinstance(item, list) and len(item) >= 2
            }
            to_set = [pair for pair in differ if pair not in pending]
            state = "queued"
            if to_set:
                task = {"name": "setParameterValues", "parameterValues": [[p, v, "xsd:string"] for p, v in to_set]}
                logged = {
                    "name": "setParameterValues",
                    "parameterValues": [[p, REDACTED if p == passphrase_path else v, "xsd:string"] for p, v in to_set],
                }
                state = "set" if nbi.run_task(device_id, task, logged=logged) == "done" else "queued"
    inventory_services.service_set_identifiers(service=service, wifi_ssid=ssid)
    return {**result, "data_model": data_model, "ssid": ssid, "wifi": state}


@code_actions.register("acs.reboot", "Reboot the router (GenieACS)", check_params=check_reboot_params)
def reboot(context: ActionContext) -> dict[str, Any]:
    earlier = context.task.result if isinstance(context.task.result, dict) else {}
    if earlier.get("reboot") in ("done", "queued", "already sent"):
        return dict(earlier)
    serial = _serial(context)
    marker = f"headend-reboot-{context.task.pk}"
    with Nbi(context, serial=serial) as nbi:
        device = nbi.find_device()
        device_id = str(device["_id"])
        result = {"serial": serial, "device_id": device_id}
        if marker in device.get("_tags", []):
            return {**result, "reboot": "already sent"}
        # A reboot already waiting in GenieACS (ours from a lost run, or staff's) is enough.
        pending = nbi.pending_tasks(device_id, "reboot")
        state = "queued" if pending else nbi.run_task(device_id, {"name": "reboot"})
        nbi.add_tag(device_id, marker)
    return {**result, "reboot": state}
