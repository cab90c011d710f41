"""Shared by the browser and API tests: headless Chromium, bounded in time, and an app served
on an ephemeral loopback port (``pythonpath = ["tests"]`` in pyproject makes this importable)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
#: Seconds one Chromium run may take before its whole process group is killed.
CHROMIUM_TIMEOUT_SECONDS = 120
#: Flags for a root, offline, headless Chromium: no sandbox, no GPU, no background traffic.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
)  # fmt: skip


def chromium_binary() -> str | None:
    return next((found for found in map(shutil.which, CHROMIUM_NAMES) if found), None)


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium once with a fresh profile; fail the test if it overruns."""
    command = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=CHROMIUM_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"chromium took over {CHROMIUM_TIMEOUT_SECONDS} s: {' '.join(args)}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


@contextmanager
def serve_app(app, **options) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread on 127.0.0.1 and an ephemeral port; yield its base URL.

    ``options`` are passed to ``uvicorn.Config`` (e.g. ``skills_engine.service.server.uvicorn_options``).
    """
    import uvicorn

    config = {"host": "127.0.0.1", "port": 0, "log_level": "warning"} | options
    server = uvicorn.Server(uvicorn.Config(app, **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    else:
        pytest.fail("uvicorn did not start")
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve_folder(folder: Path, extra: dict[str, tuple[bytes, str]] | None = None) -> Iterator[str]:
    """Serve ``folder`` as static files on an ephemeral loopback port, plus ``extra`` pages
    (path -> ``(body, content type)``) that are never written into it; yield the base URL."""
    import functools
    import http.server

    pages = dict(extra or {})

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            page = pages.get(self.path.split("?")[0])
            if page is None:
                return super().do_GET()
            body, kind = page
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None

        def log_message(self, *args):  # keep the test output quiet
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
