"""The one way out: every HTTP call Headend makes to another system (webhooks, `rest.call`,
GenieACS, anything added later) goes through `client()`, which applies the outbound address
policy to each request it sends.

- Only `http` and `https`.
- The host is resolved once, here, and every address it resolves to must be public. Refused:
  loopback, private (RFC 1918, fc00::/7), shared (100.64.0.0/10, carrier-grade NAT),
  link-local (169.254.0.0/16 with the cloud metadata address, fe80::/10), multicast,
  unspecified, reserved, documentation and benchmarking ranges, and IPv6 addresses that carry
  one of those (IPv4-mapped `::ffff:127.0.0.1`, 6to4, NAT64). `localhost` and `*.localhost` are
  loopback without asking DNS. Every spelling of an address is that address: `0x7f000001`,
  `2130706433`, `0177.0.0.1` and `127.1` are 127.0.0.1, read as the C library reads them.
- An admin lets a host or a network through with HEADEND_OUTBOUND_ALLOW (comma-separated host
  names, addresses and CIDR networks: `genieacs.internal,10.20.0.0/16`). A host allowed by
  name may resolve to anything; an allowed network admits the addresses inside it.
- The connection goes to the address that was checked, never to a second lookup's answer (no
  DNS rebinding), with the Host header and the TLS server name (SNI and the certificate check)
  of the host in the URL. No proxy and no .netrc from the environment.
- Redirects are not followed: a 3xx is handed back as the answer.
- An answer's body is read to at most HEADEND_OUTBOUND_MAX_BYTES (1 MiB), counted after
  decompression too; reading past it raises `TooLarge`, and `read_limited` cuts there instead.
"""

import functools
import ipaddress
import re
import socket
import ssl
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import httpx
from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Ranges Python does not flag on every version, named for the message.
SHARED = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NUMERIC_HOST = re.compile(r"[0-9a-fA-FxX.]+")


class Refused(httpx.RequestError):
    """The policy refuses the URL or the address it resolves to: nothing was sent."""


class Unresolvable(httpx.ConnectError):
    """The host did not resolve (a connection failure: DNS may answer later)."""


class TooLarge(httpx.RequestError):
    """The answer's body is longer than the limit; reading stopped there."""


# --- Addresses ---------------------------------------------------------------------------------


def blocked(address: Address) -> str | None:
    """Why calls to `address` are refused ("loopback", "private", ...), or None if it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv6 address that carries an IPv4 one reaches that address: judge it by it.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return blocked(embedded)
    for reason, flagged in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared (carrier-grade NAT)", address in SHARED),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("non-public", not address.is_global),
    ):
        if flagged:
            return reason
    return None


def normal_host(host: str) -> str:
    """A host as compared and resolved: without brackets or a final dot, in lower case."""
    return host.strip().strip("[]").rstrip(".").lower()


def ip_literal(host: str) -> Address | None:
    """The address a host names by itself, in any spelling the C library reads, or None for a
    name that needs DNS."""
    host = normal_host(host)
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` stands for, in the resolver's order. Raises Unresolvable."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    name = normal_host(host)
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: loopback, whatever DNS says
        return [ipaddress.IPv4Address("127.0.0.1")]
    try:
        found = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise Unresolvable(f"{name} does not resolve ({exc}).") from exc
    addresses: list[Address] = []
    for family, _, _, _, sockaddr in found:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Unresolvable(f"{name} has no IPv4 or IPv6 address.")
    return addresses


# --- The allowlist -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowlist:
    """Hosts (by name) and networks an admin lets calls go to despite the policy."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: str | Iterable[str]) -> "Allowlist":
        """From "host, 10.0.0.0/8, [fd00::1]" (or a list of such entries)."""
        if isinstance(entries, str):
            entries = entries.split(",")
        hosts: set[str] = set()
        networks: list[Network] = []
        for entry in (normal_host(item) for item in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry)
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return normal_host(host) in self.hosts

    def allows_address(self, address: Address) -> bool:
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        return any(address in network or (mapped is not None and mapped in network) for network in self.networks)


def allowlist(*extra: str) -> Allowlist:
    """HEADEND_OUTBOUND_ALLOW, with `extra` entries a caller trusts by configuration."""
    configured = settings.HEADEND_OUTBOUND_ALLOW
    if isinstance(configured, str):
        configured = configured.split(",")
    return Allowlist.parse([*configured, *extra])


def max_bytes() -> int:
    """The most of an answer's body that is read (HEADEND_OUTBOUND_MAX_BYTES)."""
    return int(settings.HEADEND_OUTBOUND_MAX_BYTES)


# --- The check ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a call goes: the URL's host and port, and the one address it connects to."""

    scheme: str
    host: str
    port: int
    address: Address


def check(url: str | httpx.URL, *, allow: Allowlist | None = None) -> Target:
    """Where a call to `url` would connect, if the policy lets it. Raises Refused (the scheme,
    or a refused address), or Unresolvable (the host does not resolve now)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise Refused(f"{str(url)[:200]!r} is not a URL Headend can call: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise Refused(f"Only http and https URLs are called, not {parsed.scheme or 'this'}:.")
    host = normal_host(parsed.raw_host.decode("ascii"))  # IDNA names in their DNS form
    if not host:
        raise Refused("The URL has no host.")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    allow = allowlist() if allow is None else allow
    addresses = resolve(host, port)
    if not allow.allows_host(host):
        for address in addresses:
            reason = None if allow.allows_address(address) else blocked(address)
            if reason:
                literal = ip_literal(host)
                if literal == address:
                    named = f"{host} is"
                else:
                    named = f"{host} is {address}," if literal else f"{host} resolves to {address},"
                article = "an" if reason[0] in "aeiou" else "a"
                raise Refused(
                    f"{named} {article} {reason} address; Headend does not call those unless an admin "
                    "allows the host or network (HEADEND_OUTBOUND_ALLOW)."
                )
    return Target(parsed.scheme, host, port, addresses[0])


# --- The transport -----------------------------------------------------------------------------


class _Bounded(httpx.SyncByteStream):
    """An answer's body, decompressed here (gzip, deflate), that stops at `limit` bytes both
    on the wire and decompressed: what fits is yielded, then TooLarge is raised."""

    def __init__(self, stream: httpx.SyncByteStream, *, request: httpx.Request, limit: int, encoding: str):
        self._stream, self._request, self._limit = stream, request, limit
        self._inflate: Any = None
        self._raw_deflate = False
        if encoding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._inflate = zlib.decompressobj()
            self._raw_deflate = True  # some servers send raw deflate: tried on the first error

    def _too_large(self) -> TooLarge:
        return TooLarge(f"The answer is longer than {self._limit} bytes.", request=self._request)

    def _decode(self, chunk: bytes, room: int) -> bytes:
        try:
            return bytes(self._inflate.decompress(chunk, room))
        except zlib.error as exc:
            if not self._raw_deflate:
                raise httpx.DecodingError(
                    f"The answer's body does not decompress: {exc}", request=self._request
                ) from exc
            self._raw_deflate, self._inflate = False, zlib.decompressobj(-zlib.MAX_WBITS)
            return self._decode(chunk, room)

    def __iter__(self) -> Iterator[bytes]:
        wire = seen = 0
        for chunk in self._stream:
            wire += len(chunk)
            data = chunk if self._inflate is None else self._decode(chunk, self._limit - seen + 1)
            if self._inflate is not None:
                self._raw_deflate = False
            seen += len(data)
            if seen > self._limit or wire > self._limit:
                if (keep := len(data) - max(seen - self._limit, 0)) > 0:
                    yield data[:keep]
                raise self._too_large()
            if data:
                yield data
        if self._inflate is not None:
            tail = self._inflate.flush()
            seen += len(tail)
            if seen > self._limit:
                raise self._too_large()
            if tail:
                yield tail

    def close(self) -> None:
        self._stream.close()


@functools.cache
def _default_tls() -> ssl.SSLContext:
    """The certificate checks of every outgoing call, made once: reading the trusted
    certificates again for each client costs more than most calls."""
    return httpx.create_ssl_context()


class PolicyTransport(httpx.BaseTransport):
    """Checks every request against the policy, connects to the checked address, and bounds
    the answer. Connections are not kept for reuse: the next request checks afresh."""

    def __init__(self, *, allow: Allowlist, limit: int, verify: Any = True):
        self.allow, self.limit = allow, limit
        context = _default_tls() if verify is True else verify
        self._inner = httpx.HTTPTransport(verify=context, limits=httpx.Limits(max_keepalive_connections=0))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            target = check(request.url, allow=self.allow)
        except (Refused, Unresolvable) as exc:
            exc.request = request
            raise
        extensions = dict(request.extensions)
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host  # the certificate is checked for the name
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=str(target.address)),
            headers=request.headers,  # Host: as in the URL
            stream=request.stream,
            extensions=extensions,
        )
        response = self._inner.handle_request(pinned)
        encoding = response.headers.get("content-encoding", "").strip().lower()
        headers = response.headers
        if encoding not in ("", "identity"):
            if encoding not in ("gzip", "x-gzip", "deflate"):
                response.close()
                raise httpx.DecodingError(f"The answer is encoded as {encoding!r}, which is not read.", request=request)
            # Decompressed here, so the limit counts what it gives: the body is no longer encoded.
            headers = httpx.Headers(
                [(k, v) for k, v in response.headers.raw if k.lower() not in (b"content-encoding", b"content-length")]
            )
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=_Bounded(
                cast(httpx.SyncByteStream, response.stream), request=request, limit=self.limit, encoding=encoding
            ),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._inner.close()


def client(
    *, timeout: float | None = None, allow: Iterable[str] = (), base_url: str = "", limit: int | None = None
) -> httpx.Client:
    """An HTTP client that applies the policy to every request it sends. `allow` adds entries
    the caller trusts by configuration (GenieACS's own address); `timeout` defaults to
    HEADEND_HTTP_TIMEOUT and `limit` to HEADEND_OUTBOUND_MAX_BYTES."""
    return httpx.Client(
        transport=PolicyTransport(allow=allowlist(*allow), limit=max_bytes() if limit is None else limit),
        timeout=settings.HEADEND_HTTP_TIMEOUT if timeout is None else timeout,
        follow_redirects=False,
        trust_env=False,
        base_url=base_url,
        headers={"Accept-Encoding": "gzip, deflate"},
    )


def read_limited(response: httpx.Response, limit: int | None = None) -> tuple[bytes, bool]:
    """The body of a streamed answer, at most `limit` bytes (default HEADEND_OUTBOUND_MAX_BYTES),
    and whether it was cut there."""
    limit = max_bytes() if limit is None else limit
    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                return bytes(body[:limit]), True
    except TooLarge:
        return bytes(body[:limit]), True
    return bytes(body), False


def text_of(response: httpx.Response, content: bytes) -> str:
    """`content` read from `response` as text, in its declared charset (UTF-8 otherwise)."""
    try:
        return content.decode(response.encoding or "utf-8", errors="replace")
    except LookupError:
        return content.decode("utf-8", errors="replace")
