"""A NAS stand-in for the tests: a UDP server that receives CoA and Disconnect-Requests as a
MikroTik or any RFC 5176 NAS would, verifies the Request Authenticator and the
Message-Authenticator with the shared secret, keeps what it received and answers with an ACK, a
NAK (with an Error-Cause) or nothing at all."""

import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from pyrad import packet
from pyrad.dictionary import Dictionary

from tests.provisioning.freeradius import DICTIONARY


@dataclass
class Received:
    code: int
    attributes: dict[str, list[Any]]
    authentic: bool  # Request Authenticator and Message-Authenticator both verified

    @property
    def name(self) -> str:
        return {packet.CoARequest: "CoA-Request", packet.DisconnectRequest: "Disconnect-Request"}.get(
            self.code, str(self.code)
        )


@dataclass
class NasStandin:
    secret: bytes
    answer: str = "ack"  # "ack", "nak" or "silent"
    error_cause: str = "Session-Context-Not-Found"  # sent with a NAK
    received: list[Received] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._dictionary = Dictionary(str(DICTIONARY))
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self.port = int(self._socket.getsockname()[1])
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> "NasStandin":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=2)
        self._socket.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                raw, peer = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self._handle(raw, peer)

    def _handle(self, raw: bytes, peer: Any) -> None:
        try:
            request = packet.CoAPacket(packet=raw, secret=self.secret, dict=self._dictionary)
        except packet.PacketError:
            return
        has_ma = "Message-Authenticator" in request
        authentic = request.VerifyCoARequest() and has_ma and request.verify_message_authenticator()
        names = request.keys()  # pyrad's keys() names the attributes; iterating gives their codes
        attributes = {str(key): list(request[key]) for key in names if str(key) != "Message-Authenticator"}
        self.received.append(Received(code=request.code, attributes=attributes, authentic=authentic))
        if not authentic or self.answer == "silent":
            return  # RFC 5176 section 3.5: silently discard what does not verify
        reply = request.CreateReply()
        if self.answer == "nak":
            reply.code = packet.CoANAK if request.code == packet.CoARequest else packet.DisconnectNAK
            reply["Error-Cause"] = self.error_cause
        reply.message_authenticator = True
        self._socket.sendto(reply.ReplyPacket(), peer)
