"""``DeferredTLSTransport`` and its async twin: httpx's own transport, its TLS context made on the first https request.

A plain-http server (a loopback sandbox) costs no CA bundle (issue 16, P7c); an https server is verified exactly as
httpx's default transport verifies it: certifi's bundle, or ``SSL_CERT_FILE`` when set (httpx's ``trust_env``).
"""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cwdesk._http.core import AsyncDeferredTLSTransport, DeferredTLSTransport, _trusting_no_one
from cwdesk.sandbox.tls import make_certificates


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"hello": "world"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:  # (quiet test output)
        pass


def _serving(server: http.server.ThreadingHTTPServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def plain_server() -> Iterator[str]:
    """An http:// server on loopback; its URL."""
    for port in _serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)):
        yield f"http://127.0.0.1:{port}/"


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An https:// server on loopback with a certificate from a CA of its own; its URL and that CA's file."""
    files = make_certificates(tmp_path / "tls", ["localhost"])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.cert_pem, files.key_pem)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    for port in _serving(server):
        yield f"https://localhost:{port}/", files.ca_pem


@pytest.fixture
def ca_bundles_read(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every CA file or folder a TLS context loads from here on (what httpx's default verification reads)."""
    read: list[object] = []
    load = ssl.SSLContext.load_verify_locations

    def recording(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        read.append(args or kwargs)
        load(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", recording)
    return read


def test_an_http_request_reads_no_ca_bundle(plain_server: str, ca_bundles_read: list[object]) -> None:
    with httpx.Client(transport=DeferredTLSTransport()) as client:
        assert client.get(plain_server).json() == {"hello": "world"}
    assert ca_bundles_read == []


async def test_an_async_http_request_reads_no_ca_bundle(plain_server: str, ca_bundles_read: list[object]) -> None:
    async with httpx.AsyncClient(transport=AsyncDeferredTLSTransport()) as client:
        assert (await client.get(plain_server)).json() == {"hello": "world"}
    assert ca_bundles_read == []


def test_an_https_server_with_an_unknown_ca_is_refused(
    tls_server: tuple[str, Path], ca_bundles_read: list[object]
) -> None:
    url, _ = tls_server
    with (
        httpx.Client(transport=DeferredTLSTransport()) as client,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        client.get(url)
    assert ca_bundles_read, "the https request loaded httpx's default CA bundle"


def test_an_https_server_is_trusted_through_ssl_cert_file_as_by_httpx(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    with httpx.Client(transport=DeferredTLSTransport()) as client:
        assert client.get(url).json() == {"hello": "world"}
    with httpx.Client(transport=httpx.HTTPTransport()) as reference:  # (httpx's own default, for comparison)
        assert reference.get(url).json() == {"hello": "world"}


async def test_the_async_twin_verifies_https_too(tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    url, ca = tls_server
    async with httpx.AsyncClient(transport=AsyncDeferredTLSTransport()) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get(url)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    async with httpx.AsyncClient(transport=AsyncDeferredTLSTransport()) as client:
        assert (await client.get(url)).json() == {"hello": "world"}


def test_the_plain_lanes_tls_context_would_verify_and_trusts_no_authority() -> None:
    # The http:// lane never makes a TLS handshake; if it ever did, it must refuse rather than connect unverified.
    context = _trusting_no_one()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.cert_store_stats()["x509_ca"] == 0


def test_the_plain_lane_refuses_a_tls_handshake(tls_server: tuple[str, Path]) -> None:
    url, _ = tls_server
    plain_lane = httpx.HTTPTransport(verify=_trusting_no_one())
    with httpx.Client(transport=plain_lane) as client, pytest.raises(httpx.ConnectError, match="VERIFY_FAILED"):
        client.get(url)
