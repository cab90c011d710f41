"""The service's uvicorn settings: a client that trickles its request headers is cut off."""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from fastapi import FastAPI

from browser_support import serve_app
from skills_engine.service import server

#: Head deadline used here (seconds): short, so the test is quick; the served default is 10 s.
TEST_HEADER_TIMEOUT = 1.0
#: How long the client waits for the server to act, well past the deadline (a hang, not slowness).
WAIT_SECONDS = 6.0


@pytest.fixture()
def base(monkeypatch):
    monkeypatch.setenv(server.HEADER_TIMEOUT_ENV, str(TEST_HEADER_TIMEOUT))
    app = FastAPI()

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    with serve_app(app, **(server.uvicorn_options("127.0.0.1", 0))) as url:
        yield url


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=WAIT_SECONDS)
    return connection


def _closed_after(connection: socket.socket) -> float:
    """Seconds until the server closes ``connection`` (reads until end of stream)."""
    started = time.monotonic()
    while connection.recv(4096):
        pass
    return time.monotonic() - started


def test_a_client_that_trickles_its_headers_is_cut_off_at_the_deadline(base):
    connection = _connect(base)
    started = time.monotonic()
    closed = False
    for byte in b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40:
        try:
            connection.sendall(bytes([byte]))
        except OSError:
            closed = True
            break
        time.sleep(0.1)
        if time.monotonic() - started > WAIT_SECONDS:
            break
    if not closed:
        connection.settimeout(WAIT_SECONDS)
        assert connection.recv(4096) == b"", "the server answered a request whose headers never ended"
    elapsed = time.monotonic() - started
    assert elapsed < TEST_HEADER_TIMEOUT + 3, f"connection held {elapsed:.1f} s"
    connection.close()


def test_a_silent_connection_is_closed_at_the_deadline(base):
    connection = _connect(base)
    assert _closed_after(connection) < TEST_HEADER_TIMEOUT + 3
    connection.close()


def test_normal_requests_and_keep_alive_are_untouched(base):
    with httpx.Client(base_url=base) as client:
        assert client.get("/health").json() == {"status": "ok"}
        # Longer than the head deadline, shorter than keep-alive: the idle connection is reused.
        time.sleep(TEST_HEADER_TIMEOUT + 0.5)
        assert client.get("/health").json() == {"status": "ok"}


def test_a_bad_override_is_refused_before_the_port_is_bound(monkeypatch):
    monkeypatch.setenv(server.HEADER_TIMEOUT_ENV, "soon")
    with pytest.raises(ValueError, match=server.HEADER_TIMEOUT_ENV):
        server.uvicorn_options("127.0.0.1", 0)
