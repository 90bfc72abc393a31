"""A stand-in for GenieACS's northbound interface (NBI), as far as Headend uses it.

GenieACS needs MongoDB and real TR-069 devices, so tests talk HTTP to this instead. It follows
GenieACS's lib/nbi.ts and its API reference: device documents shaped as GenieACS stores them
(`_id` "<OUI>-<ProductClass>-<serial with '-' as %2D>", `_deviceId._SerialNumber`, `_tags`,
parameters as nested objects with `_value`/`_type`/`_writable`/`_timestamp`); `GET /devices/`
and `GET /tasks/` with a JSON `query` and a comma-separated `projection`; `POST
/devices/<id>/tasks[?connection_request]` answering 200 when the device ran the task, 202
"Task queued but not processed" when it is offline (or no connection request was asked), 202
"Task faulted" when the device refused it, 404 "No such device"; `POST`/`DELETE
/devices/<id>/tags/<tag>` answering 200 (also for an unknown device, as GenieACS does). A
setParameterValues that runs stores the values in the device document, as GenieACS does.
"""

import datetime as dt
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TR098_WLAN = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1"
TR181_SSID = "Device.WiFi.SSID.1.SSID"
TR181_PASSPHRASE = "Device.WiFi.AccessPoint.1.Security.KeyPassphrase"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _leaf(value: Any, kind: str = "xsd:string") -> dict[str, Any]:
    return {"_value": value, "_type": kind, "_writable": True, "_timestamp": _now()}


def _set(document: dict[str, Any], path: str, leaf: dict[str, Any]) -> None:
    node = document
    for part in path.split(".")[:-1]:
        node = node.setdefault(part, {"_object": True, "_writable": False})
    node[path.split(".")[-1]] = leaf


def _get(document: Any, path: str) -> Any:
    node = document
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _project(document: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"_id": document["_id"]}
    for path in paths:
        found = _get(document, path)
        if found is None:
            continue
        node = out
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = found
    return out


def _matches(document: dict[str, Any], query: dict[str, Any], *, device: bool) -> bool:
    for key, wanted in query.items():
        found = _get(document, key) if "." in key else document.get(key)
        if device and not key.split(".")[-1].startswith("_"):
            found = found.get("_value") if isinstance(found, dict) else None
        if found != wanted:
            return False
    return True


class GenieAcsStandIn:
    """Devices, pending tasks and a log of what was asked, behind an NBI on a loopback port.

    `online` False: tasks are queued (202) until `inform()`. `fault` True: the device refuses
    tasks (202 "Task faulted"). `fail_with` a status: every request gets it (GenieACS down)."""

    def __init__(self) -> None:
        self.devices: dict[str, dict[str, Any]] = {}
        self.pending: list[dict[str, Any]] = []
        self.posted_tasks: list[dict[str, Any]] = []  # every task POSTed, in order
        self.applied: list[dict[str, Any]] = []  # tasks the device ran
        self.tag_posts: list[tuple[str, str]] = []
        self.online = True
        self.fault = False
        self.fail_with: int | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "GenieAcsStandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- the device store ---------------------------------------------------------------------

    def add_device(
        self,
        serial: str,
        *,
        data_model: str = "tr098",
        ssid: str = "Factory-SSID",
        passphrase: str = "",
        oui: str = "202BC1",
        product_class: str = "BM632w",
        tags: tuple[str, ...] = (),
    ) -> str:
        device_id = f"{oui}-{product_class}-{serial.replace('-', '%2D')}"
        document: dict[str, Any] = {
            "_id": device_id,
            "_deviceId": {
                "_Manufacturer": "Stand-in",
                "_OUI": oui,
                "_ProductClass": product_class,
                "_SerialNumber": serial,
            },
            "_tags": list(tags),
            "_lastInform": _now(),
        }
        if data_model == "tr098":
            _set(document, "InternetGatewayDevice.DeviceInfo.SoftwareVersion", _leaf("1.0.0"))
            _set(document, f"{TR098_WLAN}.SSID", _leaf(ssid))
            _set(document, f"{TR098_WLAN}.KeyPassphrase", _leaf(passphrase))
        else:
            _set(document, "Device.DeviceInfo.SoftwareVersion", _leaf("1.0.0"))
            _set(document, TR181_SSID, _leaf(ssid))
            _set(document, TR181_PASSPHRASE, _leaf(passphrase))
        self.devices[device_id] = document
        return device_id

    def value(self, device_id: str, path: str) -> Any:
        leaf = _get(self.devices[device_id], path)
        return leaf.get("_value") if isinstance(leaf, dict) else None

    def tags(self, device_id: str) -> list[str]:
        return list(self.devices[device_id]["_tags"])

    def count(self, name: str) -> int:
        """Tasks of this name POSTed to the NBI."""
        return sum(1 for task in self.posted_tasks if task["name"] == name)

    def inform(self, device_id: str) -> None:
        """The device calls in: it runs its pending tasks."""
        with self._lock:
            for task in [task for task in self.pending if task["device"] == device_id]:
                self._apply(task)
                self.pending.remove(task)

    def _apply(self, task: dict[str, Any]) -> None:
        device = self.devices[task["device"]]
        if task["name"] == "setParameterValues":
            for path, value, *kind in task["parameterValues"]:
                _set(device, path, _leaf(value, kind[0] if kind else "xsd:string"))
        elif task["name"] == "reboot":
            device["_lastBoot"] = _now()
        self.applied.append(task)

    # --- the NBI ------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        acs = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any = b"", reason: str | None = None) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status, reason)
                if not isinstance(body, bytes):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if acs.fail_with:
                    self._answer(acs.fail_with, b"MongoError: connection refused")
                    return
                url = urlsplit(self.path)
                query = parse_qs(url.query, keep_blank_values=True)
                parts = url.path.split("/")  # percent-encoded segments, decoded one by one
                with acs._lock:
                    if method == "GET" and url.path in ("/devices/", "/devices"):
                        self._devices(query)
                    elif method == "GET" and url.path in ("/tasks/", "/tasks"):
                        filter_ = json.loads(query.get("query", ["{}"])[0])
                        self._answer(200, [t for t in acs.pending if _matches(t, filter_, device=False)])
                    elif len(parts) == 5 and parts[1] == "devices" and parts[3] == "tags":
                        self._tag(method, unquote(parts[2]), unquote(parts[4]))
                    elif len(parts) == 4 and parts[1] == "devices" and parts[3] == "tasks" and method == "POST":
                        self._task(unquote(parts[2]), body, "connection_request" in query)
                    else:
                        self._answer(404, b"404 Not Found")

            def _devices(self, query: dict[str, list[str]]) -> None:
                filter_ = json.loads(query.get("query", ["{}"])[0])
                found = [d for d in acs.devices.values() if _matches(d, filter_, device=True)]
                if "projection" in query:
                    paths = [p.strip() for p in query["projection"][0].split(",")]
                    found = [_project(d, paths) for d in found]
                self._answer(200, found)

            def _tag(self, method: str, device_id: str, tag: str) -> None:
                device = acs.devices.get(device_id)
                if method == "POST":
                    acs.tag_posts.append((device_id, tag))
                    if device is not None and tag not in device["_tags"]:
                        device["_tags"].append(tag)
                elif method == "DELETE":
                    if device is not None and tag in device["_tags"]:
                        device["_tags"].remove(tag)
                else:
                    self._answer(405, b"405 Method Not Allowed")
                    return
                self._answer(200)

            def _task(self, device_id: str, body: bytes, connection_request: bool) -> None:
                try:
                    task = json.loads(body)
                except ValueError as exc:
                    self._answer(400, f"SyntaxError: {exc}".encode())
                    return
                if device_id not in acs.devices:
                    self._answer(404, b"No such device")
                    return
                task.update(_id=f"{next(acs._ids):024x}", device=device_id, timestamp=_now())
                acs.posted_tasks.append(task)
                acs.pending.append(task)
                if acs.fault:
                    self._answer(202, task, "Task faulted")
                elif not connection_request or not acs.online:
                    self._answer(202, task, "Task queued but not processed")
                else:
                    acs.pending.remove(task)
                    acs._apply(task)
                    self._answer(200, task)

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_DELETE(self) -> None:
                self._route("DELETE")

        return Handler
