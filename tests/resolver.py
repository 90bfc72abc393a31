"""A stand-in for DNS: `socket.getaddrinfo` answering chosen names with chosen addresses.

The tests have no network, so names under example.com resolve nowhere; and a rebinding
attacker's DNS, which answers one address to the first lookup and another to the next, is
easiest to play here. Names it does not know (and every IP literal, which httpx's connection
passes to getaddrinfo too) go to the real resolver."""

import socket
from collections.abc import Callable
from typing import Any

EXAMPLE_ADDRESS = "93.184.215.14"  # a public address (nothing in the tests connects to it)


class FakeResolver:
    """`answers[name]` is a list of answers, one per lookup, the last repeated; each answer is
    an address or a list of them. Every lookup of a known name is kept in `lookups`."""

    def __init__(self, real: Callable[..., Any]):
        self.real = real
        self.answers: dict[str, list[str | list[str]]] = {}
        self.suffixes: dict[str, str] = {}
        self.lookups: list[str] = []

    def answer(self, name: str, *answers: str | list[str]) -> None:
        self.answers[name] = list(answers)

    def answer_under(self, suffix: str, address: str) -> None:
        """Every name ending in `suffix` resolves to `address` (unless answered by name)."""
        self.suffixes[suffix] = address

    def _addresses(self, name: str) -> list[str] | None:
        if name in self.answers:
            self.lookups.append(name)
            queue = self.answers[name]
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            return [answer] if isinstance(answer, str) else list(answer)
        for suffix, address in self.suffixes.items():
            if name.endswith(suffix):
                self.lookups.append(name)
                return [address]
        return None

    def __call__(self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)  # httpx passes bytes
        addresses = self._addresses(name.lower().rstrip("."))
        if addresses is None:
            return self.real(host, port, family, type, proto, flags)
        found = []
        for address in addresses:
            if ":" in address:
                found.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, int(port or 0), 0, 0)))
            else:
                found.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0))))
        return found


def fake_dns(monkeypatch: Any) -> FakeResolver:
    """Install a FakeResolver as socket.getaddrinfo for the test."""
    resolver = FakeResolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return resolver
