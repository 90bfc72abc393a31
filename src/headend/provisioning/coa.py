"""Dynamic authorization (RFC 5176): tell a NAS that a live session changed.

A subscriber's open sessions are the rows of radacct with no stop time (FreeRADIUS writes them
from the NAS's Accounting-Requests). For each, the NAS is the `Nas` whose address FreeRADIUS
recorded; it gets, over UDP to its CoA port, with a Message-Authenticator and the shared secret
named by `Nas.secret_name`:

- a CoA-Request identifying the session (User-Name, Acct-Session-Id, Framed-IP-Address) and
  carrying the new reply attributes for the NAS's vendor, or
- a Disconnect-Request identifying it, so the subscriber reconnects and authenticates anew.

An ACK is success; a NAK whose Error-Cause is Session-Context-Not-Found (503) means the session
had already ended, which is success too. Any other NAK is a PermanentError; a NAS that does not
answer after HEADEND_RADIUS_COA_RETRIES sends of HEADEND_RADIUS_COA_TIMEOUT seconds each is a
RetryableError naming it.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from pyrad import packet
from pyrad.client import Client, Timeout
from pyrad.dictionary import Dictionary

from headend.catalog.code_actions import ActionContext, PermanentError, RetryableError
from headend.provisioning import radius, selectors
from headend.provisioning.models import Nas

DICTIONARY = Path(__file__).with_name("dictionary")
SESSION_GONE = ("Session-Context-Not-Found", 503)  # Error-Cause, by name or number
PACKET_NAMES = {
    packet.CoARequest: "CoA-Request",
    packet.CoAACK: "CoA-ACK",
    packet.CoANAK: "CoA-NAK",
    packet.DisconnectRequest: "Disconnect-Request",
    packet.DisconnectACK: "Disconnect-ACK",
    packet.DisconnectNAK: "Disconnect-NAK",
}


@functools.cache
def dictionary() -> Dictionary:
    return Dictionary(str(DICTIONARY))


@dataclass(frozen=True)
class Session:
    username: str
    session_id: str
    nas_ip: str
    framed_ip: str | None


def _address(value: Any) -> str | None:
    # PostgreSQL's inet comes back as an ipaddress object, SQLite's text as is; drop any "/32".
    return None if value in (None, "") else str(value).split("/")[0]


def open_sessions(username: str) -> list[Session]:
    """The subscriber's sessions FreeRADIUS holds as open (radacct rows with no stop time)."""
    with radius.reading() as cursor:
        cursor.execute(
            "SELECT acctsessionid, nasipaddress, framedipaddress FROM radacct "
            "WHERE username = %s AND acctstoptime IS NULL ORDER BY radacctid",
            [username],
        )
        rows = cursor.fetchall()
    return [
        Session(username=username, session_id=str(sid), nas_ip=_address(nas) or "", framed_ip=_address(framed))
        for sid, nas, framed in rows
    ]


def nas_secret(nas: Nas) -> bytes:
    """The NAS's shared secret from settings.HEADEND_SECRETS; PermanentError if it is not set."""
    value = settings.HEADEND_SECRETS.get(nas.secret_name)
    if not value:
        raise PermanentError(
            f"NAS {nas.name}'s secret {nas.secret_name!r} is not set: define HEADEND_SECRET_{nas.secret_name}."
        )
    return value.encode()


def _typed(name: str, value: str) -> Any:
    kind = dictionary().attributes[name].type
    return int(value) if kind in ("integer", "short", "byte", "integer64", "date") else value


def send(nas: Nas, *, code: int, attributes: dict[str, Any]) -> packet.Packet:
    """Send one CoA-Request or Disconnect-Request to the NAS and return its verified reply.
    Raises pyrad's Timeout if none comes, OSError if the socket fails."""
    client = Client(
        server=nas.ip_address,
        coaport=nas.coa_port,
        secret=nas_secret(nas),
        dict=dictionary(),
        retries=max(1, settings.HEADEND_RADIUS_COA_RETRIES),
        timeout=settings.HEADEND_RADIUS_COA_TIMEOUT,
    )
    request = client.CreateCoAPacket(code=code, message_authenticator=True)
    for name, value in attributes.items():
        request.AddAttribute(name, value)
    try:
        return client.SendPacket(request)
    finally:
        client._CloseSocket()


def push(
    context: ActionContext,
    *,
    username: str,
    kind: str,
    attributes: Callable[[str], list[radius.Row]] | None = None,
) -> dict[str, Any]:
    """Send each open session of `username` a CoA-Request with `attributes(nas.vendor)` (kind
    "coa") or a Disconnect-Request (kind "disconnect"); return what was sent, for the task's result."""
    sessions = open_sessions(username)
    if not sessions:
        note = f"No active session for {username}: nothing sent."
        context.record(note=note)
        return {"sent": [], "note": note}
    code = packet.CoARequest if kind == "coa" and attributes is not None else packet.DisconnectRequest
    sent = []
    for session in sessions:
        nas = selectors.nas_for_address(session.nas_ip)
        if nas is None:
            raise PermanentError(
                f"Session {session.session_id} of {username} is on NAS {session.nas_ip}, which is not in "
                "Headend's NAS list: add it with its CoA port and secret, then retry."
            )
        values: dict[str, Any] = {"User-Name": username, "Acct-Session-Id": session.session_id}
        if session.framed_ip:
            values["Framed-IP-Address"] = session.framed_ip
        if code == packet.CoARequest and attributes is not None:
            for name, _op, value in attributes(nas.vendor):
                typed = _typed(name, value)
                if name in values:  # a repeated attribute (several Framed-Route) goes as a list
                    before = values[name]
                    values[name] = [*(before if isinstance(before, list) else [before]), typed]
                else:
                    values[name] = typed
        where = f"{nas.name} ({nas.ip_address}:{nas.coa_port})"
        request_log = {"to": where, "packet": PACKET_NAMES[code], "attributes": values}
        try:
            reply = send(nas, code=code, attributes=values)
        except (Timeout, OSError) as exc:
            tries = max(1, settings.HEADEND_RADIUS_COA_RETRIES)
            reason = (
                f"no answer within {settings.HEADEND_RADIUS_COA_TIMEOUT:g} s x {tries} tries"
                if isinstance(exc, Timeout)
                else f"socket error: {exc}"
            )
            context.record(request=request_log, note=reason)
            raise RetryableError(
                f"NAS {where} did not answer the {PACKET_NAMES[code]} for {username}: {reason}."
            ) from exc
        cause = reply["Error-Cause"][0] if "Error-Cause" in reply else None
        answer = PACKET_NAMES.get(reply.code, f"code {reply.code}")
        context.record(request=request_log, response={"packet": answer, "error_cause": cause})
        if reply.code in (packet.CoANAK, packet.DisconnectNAK) and cause not in SESSION_GONE:
            raise PermanentError(f"NAS {where} refused the {PACKET_NAMES[code]} for {username}: {answer} ({cause}).")
        sent.append({"nas": nas.name, "session": session.session_id, "packet": PACKET_NAMES[code], "reply": answer})
    return {"sent": sent}
