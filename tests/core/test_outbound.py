"""The outbound address policy (core/outbound.py): what is refused in every spelling, what an
admin allows, the address a call connects to, redirects, and how much of an answer is read."""

import gzip
import ipaddress
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from headend.core import outbound
from tests.resolver import EXAMPLE_ADDRESS, fake_dns


@pytest.fixture
def dns(monkeypatch):
    return fake_dns(monkeypatch)


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    """A server on 127.0.0.1 (pytest-httpserver's own binds "localhost")."""
    started = HTTPServer(host="127.0.0.1", port=0)
    started.start()
    yield started
    started.clear()
    started.stop()


@pytest.fixture
def twin(server) -> Iterator[HTTPServer]:
    """A second server at the same port on 127.0.0.2: where a rebinding answer points."""
    started = HTTPServer(host="127.0.0.2", port=server.port)
    started.start()
    yield started
    started.clear()
    started.stop()


# --- What is refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("::ffff:10.1.2.3", "private"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("192.0.2.10", "private"),  # documentation
        ("198.18.0.1", "private"),  # benchmarking
    ],
)
def test_blocked_names_the_range_an_address_is_in(address, reason):
    assert outbound.blocked(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_blocked_lets_public_addresses_through(address):
    assert outbound.blocked(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0x7f000001/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://0x7f.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[0:0:0:0:0:0:0:1]/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://redis.localhost/",
        "http://127.0.0.1:6379/",
        "https://10.0.0.1/",
        "http://0.0.0.0:8000/",
    ],
)
def test_check_refuses_every_spelling_of_a_local_address(url):
    with pytest.raises(outbound.Refused, match=r"HEADEND_OUTBOUND_ALLOW|not a URL Headend can call"):
        outbound.check(url)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO"])
def test_check_refuses_schemes_other_than_http_and_https(url):
    with pytest.raises(outbound.Refused, match="Only http and https"):
        outbound.check(url)


def test_check_refuses_a_name_that_resolves_to_a_private_address(dns):
    dns.answer("intranet.example.com", "10.20.30.40")

    with pytest.raises(outbound.Refused) as refused:
        outbound.check("https://intranet.example.com/hooks")

    assert str(refused.value).startswith("intranet.example.com resolves to 10.20.30.40, a private address;")


def test_check_refuses_a_name_when_any_of_its_addresses_is_private(dns):
    dns.answer("mixed.example.com", [EXAMPLE_ADDRESS, "127.0.0.1"])

    with pytest.raises(outbound.Refused, match=r"127\.0\.0\.1, a loopback address"):
        outbound.check("https://mixed.example.com/")


def test_check_gives_the_first_address_of_a_public_name(dns):
    dns.answer("crm.example.com", [EXAMPLE_ADDRESS, "2606:4700:4700::1111"])

    target = outbound.check("https://CRM.example.com./hooks")

    assert target == outbound.Target("https", "crm.example.com", 443, ipaddress.ip_address(EXAMPLE_ADDRESS))


def test_check_says_a_name_that_does_not_resolve_is_unresolvable(dns):
    with pytest.raises(outbound.Unresolvable, match=r"^nowhere\.invalid does not resolve"):
        outbound.check("https://nowhere.invalid/")


# --- What an admin allows ----------------------------------------------------------------------


def test_allowlist_reads_hosts_addresses_and_networks():
    allow = outbound.Allowlist.parse(" GenieACS.internal., 10.20.0.0/16, [fd00::5], 127.0.0.1 ,")

    assert allow.hosts == frozenset({"genieacs.internal"})
    assert [str(n) for n in allow.networks] == ["10.20.0.0/16", "fd00::5/128", "127.0.0.1/32"]


def test_an_allowed_network_lets_its_addresses_through_and_no_others(settings):
    settings.HEADEND_OUTBOUND_ALLOW = ["10.20.0.0/16"]

    assert outbound.check("http://10.20.255.1:8080/").address == ipaddress.ip_address("10.20.255.1")
    assert outbound.check("http://[::ffff:10.20.0.9]/").port == 80
    with pytest.raises(outbound.Refused):
        outbound.check("http://10.21.0.1/")
    with pytest.raises(outbound.Refused):
        outbound.check("http://127.0.0.1/")


def test_an_allowed_host_name_may_resolve_to_anything(settings, dns):
    settings.HEADEND_OUTBOUND_ALLOW = ["acs.provider.example.com"]
    dns.answer("acs.provider.example.com", "10.0.0.7")
    dns.answer("other.provider.example.com", "10.0.0.7")

    assert str(outbound.check("http://acs.provider.example.com:7557/").address) == "10.0.0.7"
    with pytest.raises(outbound.Refused):
        outbound.check("http://other.provider.example.com:7557/")


# --- Calls -------------------------------------------------------------------------------------


def test_the_client_refuses_a_loopback_server_and_sends_nothing(server):
    server.expect_request("/admin").respond_with_data("secret")

    with outbound.client() as client, pytest.raises(outbound.Refused):
        client.get(server.url_for("/admin"))

    assert server.log == []


def test_the_client_lets_an_allowlisted_loopback_server_through(server, settings):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    server.expect_request("/hooks").respond_with_data("ok")

    with outbound.client() as client:
        response = client.get(server.url_for("/hooks"))

    assert (response.status_code, response.text) == (200, "ok")


def test_the_client_connects_to_the_address_it_checked_not_a_second_answer(server, twin, settings, dns):
    """DNS rebinding: the name answers an allowed address to the check and the loopback server
    to every later lookup; the call must go to the first, and no second lookup may be made."""
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.2"]
    dns.answer("rebind.example.com", "127.0.0.2", "127.0.0.1")
    twin.expect_request("/hooks").respond_with_data("the checked address")
    server.expect_request("/hooks").respond_with_data("the loopback server")

    with outbound.client() as client:
        response = client.get(f"http://rebind.example.com:{server.port}/hooks")

    assert response.text == "the checked address"
    assert server.log == []
    assert dns.lookups == ["rebind.example.com"]
    ((request, _),) = twin.log
    assert request.headers["Host"] == f"rebind.example.com:{server.port}"


def test_each_request_is_checked_again(server, twin, settings, dns):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.2"]
    dns.answer("rebind.example.com", "127.0.0.2", "127.0.0.1")
    twin.expect_request("/hooks").respond_with_data("the checked address")
    server.expect_request("/hooks").respond_with_data("the loopback server")

    with outbound.client() as client:
        assert client.get(f"http://rebind.example.com:{server.port}/hooks").text == "the checked address"
        with pytest.raises(outbound.Refused, match=r"127\.0\.0\.1, a loopback address"):
            client.get(f"http://rebind.example.com:{server.port}/hooks")

    assert server.log == []


def test_the_client_does_not_follow_redirects(server, settings):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    server.expect_request("/hooks").respond_with_response(
        Response(status=302, headers={"Location": server.url_for("/elsewhere")})
    )
    server.expect_request("/elsewhere").respond_with_data("followed")

    with outbound.client() as client:
        response = client.get(server.url_for("/hooks"))

    assert response.status_code == 302
    assert [request.path for request, _ in server.log] == ["/hooks"]


def test_an_answer_over_the_limit_raises_too_large(server, settings):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    settings.HEADEND_OUTBOUND_MAX_BYTES = 1000
    server.expect_request("/big").respond_with_data("x" * 1001)
    server.expect_request("/fits").respond_with_data("x" * 1000)

    with outbound.client() as client:
        assert len(client.get(server.url_for("/fits")).content) == 1000
        with pytest.raises(outbound.TooLarge, match="longer than 1000 bytes"):
            client.get(server.url_for("/big"))


def test_read_limited_cuts_an_answer_at_the_limit(server, settings):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    settings.HEADEND_OUTBOUND_MAX_BYTES = 1000
    server.expect_request("/big").respond_with_data("y" * 50_000)

    with outbound.client() as client, client.stream("GET", server.url_for("/big")) as response:
        body, cut = outbound.read_limited(response)

    assert (body, cut) == (b"y" * 1000, True)


def test_the_limit_counts_a_compressed_answer_after_decompression(server, settings):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    settings.HEADEND_OUTBOUND_MAX_BYTES = 100_000
    bomb = gzip.compress(b"\0" * 50_000_000)  # 50 MB in about 50 kB
    server.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    server.expect_request("/small").respond_with_data(gzip.compress(b"hello"), headers={"Content-Encoding": "gzip"})

    with outbound.client() as client:
        assert client.get(server.url_for("/small")).text == "hello"
        with client.stream("GET", server.url_for("/bomb")) as response:
            body, cut = outbound.read_limited(response)

    assert (len(body), cut) == (100_000, True)


# --- TLS: the name, not the address --------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path) -> Iterator[dict[str, Any]]:
    """An HTTPS server on 127.0.0.1 with a certificate for hooks.example.com only; it records
    the server name each client asked for (SNI) and the Host header."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=hooks.example.com",
         "-addext", "subjectAltName=DNS:hooks.example.com"],
        check=True, capture_output=True,
    )  # fmt: skip
    seen: dict[str, Any] = {"sni": [], "host": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen["host"].append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield {"port": httpd.server_address[1], "ca": ssl.create_default_context(cafile=str(cert)), **seen}
    httpd.shutdown()
    httpd.server_close()


def test_https_sends_the_host_name_as_sni_and_checks_the_certificate_for_it(tls_server, dns):
    dns.answer("hooks.example.com", "127.0.0.1")
    dns.answer("other.example.com", "127.0.0.1")
    transport = outbound.PolicyTransport(
        allow=outbound.Allowlist.parse("127.0.0.1"), limit=1000, verify=tls_server["ca"]
    )
    port = tls_server["port"]

    with httpx.Client(transport=transport) as client:
        response = client.get(f"https://hooks.example.com:{port}/")
        with pytest.raises(httpx.ConnectError, match="certificate"):
            client.get(f"https://other.example.com:{port}/")  # same address, a name the certificate lacks

    assert response.text == "ok"
    assert tls_server["sni"][0] == "hooks.example.com"
    assert tls_server["host"] == [f"hooks.example.com:{port}"]
